package analyze

import "slices"

// FindingID names a pattern found in a connection. Its value is its rank:
// the first finding a connection has is its main one. The names (String)
// are stable: scripts match on them.
type FindingID uint8

const (
	FindOneDirection FindingID = iota
	FindHostFirewall
	FindForgedResetIgnored
	FindResetRace
	FindResetBothEnds
	FindResetBurst
	FindIdleTimeoutReset
	FindResidualBlock
	FindRateLimit
	FindMTUBlackhole
	FindCloseBeforeBan
	FindPostSynAckReset
	FindTTLMismatch
	FindICMPUnreachable
	FindRefused
	FindSynTimeout
	FindNotSSH
	FindMalformedSSH
	FindServerReset
	FindClientReset
	numFindings
)

// Blame says who a finding points at.
type Blame uint8

const (
	BlameUnknown Blame = iota
	BlameClient
	BlameServer
	BlameNetwork   // the path failed (drops, routes, MTU), no device forging
	BlameMiddlebox // a device on the path acted in an endpoint's name
)

var blameNames = [...]string{"unknown", "client", "server", "network", "middlebox"}

func (b Blame) String() string {
	if int(b) < len(blameNames) {
		return blameNames[b]
	}
	return "unknown"
}

// CatalogEntry is everything rstsniff knows about a finding: its stable
// name, the blame it usually carries (a finding may carry another: a
// refusal forged on the path blames the middlebox), and what it means for
// the person debugging and what they can check next. The advice is fixed
// text; README.md's findings table renders it.
type CatalogEntry struct {
	ID        FindingID
	Name      string
	Blame     Blame
	Causes    []string
	NextSteps []string
}

// catalog is the one table of findings, in rank order.
var catalog = [numFindings]CatalogEntry{
	{ID: FindOneDirection, Name: "one-direction", Blame: BlameUnknown,
		Causes: []string{"asymmetric routing: the two directions of the connection take different paths, and the capture point sees only one",
			"a capture filter that matches one direction only (src host, dst port), or a mirror port that copies one direction"},
		NextSteps: []string{"capture where both directions pass (on the client or the server itself), or on both paths",
			"check the capture filter and the mirror (SPAN) configuration: both directions of port 22 must be copied"},
	},
	{ID: FindHostFirewall, Name: "host-firewall-reset", Blame: BlameServer,
		Causes: []string{"a firewall rule on the host whose address the reset carries answers the other side with resets: an iptables or nftables REJECT --reject-with tcp-reset, or a ban by fail2ban, sshguard or firewalld",
			"a bridging (transparent) firewall or the hypervisor's filter right in front of the host, which sends in the host's name without a router between"},
		NextSteps: []string{"on the host whose address the reset carries, list the firewall rules with their packet counters and look for a REJECT matching the other side's address: iptables -L -v -n; ip6tables -L -v -n; nft list ruleset",
			"check that host's ban lists: fail2ban-client status sshd; sshguard's and firewalld's blocked addresses",
			"reproduce while watching the counters (watch -n1 iptables -L INPUT -v -n): the rule whose count rises with each reset is the one; if none does, look at a bridging firewall or the hypervisor's security rules in front of the host"},
	},
	{ID: FindForgedResetIgnored, Name: "forged-reset-ignored", Blame: BlameMiddlebox,
		Causes: []string{"an on-path device (IPS, firewall, censorship box) tried to tear the connection down, but its reset arrived with a sequence number the receiver no longer accepted (too late, or guessed wrong), so the connection went on"},
		NextSteps: []string{"nothing broke this time: the connection's real outcome is listed; the next attempt may land, so give the network team the reset's frame and time",
			"look for IPS/DPI rules matching SSH (banner strings, port 22 policy) on the path"},
	},
	{ID: FindResetRace, Name: "reset-race", Blame: BlameMiddlebox,
		Causes: []string{"an on-path device (IPS, firewall, censorship box) injected the reset while the real packets kept flowing"},
		NextSteps: []string{"give the network team the frame numbers: the real endpoint kept sending after 'its' reset",
			"look for IPS/DPI rules matching SSH (banner strings, port 22 policy) on the path",
			"try another port or a tunnel to confirm the block follows the content"},
	},
	{ID: FindResetBothEnds, Name: "reset-both-ends", Blame: BlameMiddlebox,
		Causes: []string{"an on-path device (IPS, censorship box, firewall) that tears connections down by resetting both ends at once"},
		NextSteps: []string{"give the network team the frame numbers: resets in both names within microseconds come from one box between the two",
			"look for IPS/DPI policies matching this traffic on the path"},
	},
	{ID: FindResetBurst, Name: "reset-burst", Blame: BlameMiddlebox,
		Causes:    []string{"an injector that sends several resets with stepped sequence numbers so that one lands in the window (typical of censorship and some IPS)"},
		NextSteps: []string{"report the burst with its frames to the network team; no TCP stack sends such a series"},
	},
	{ID: FindIdleTimeoutReset, Name: "idle-timeout-reset", Blame: BlameMiddlebox,
		Causes: []string{"a NAT, stateful firewall or load balancer dropped the idle connection's state and resets packets it no longer knows",
			"cloud load balancers (for example 350 s on AWS NLB, 60 s by default on AWS ELB/ALB) and home routers"},
		NextSteps: []string{"set ServerAliveInterval 30 (client, ~/.ssh/config) or ClientAliveInterval 30 (sshd_config) so the connection is never idle that long",
			"raise the idle timeout on the device (conntrack: nf_conntrack_tcp_timeout_established)"},
	},
	{ID: FindResidualBlock, Name: "residual-block", Blame: BlameMiddlebox,
		Causes: []string{"a censorship box or IPS that, once it has forged a reset, resets every new connection between the same hosts (or to the same server) for a while: a residual or stateful block (INTANG assumes about 90 s; Censored Planet's Hyperquack calls it a stateful block)"},
		NextSteps: []string{"wait out the block (the finding says how long it lasted at least) and connect again: if only connections after a first reset fail, the block follows what the first connection carried",
			"give the network team the times: the first forged reset and each connection blocked after it"},
	},
	{ID: FindRateLimit, Name: "rate-limit", Blame: BlameServer,
		Causes: []string{"a firewall rate limit on new connections (iptables -m recent / hashlimit, cloud firewalls)",
			"sshd MaxStartups or PerSourcePenalties (OpenSSH 9.8+), fail2ban"},
		NextSteps: []string{"space out connections or reuse one (ControlMaster auto, ControlPersist) in CI jobs",
			"on the server: journalctl -u ssh | grep -i -e 'MaxStartups' -e 'penalty' -e 'drop connection'",
			"check firewall rate limits for port 22"},
	},
	{ID: FindMTUBlackhole, Name: "mtu-blackhole", Blame: BlameNetwork,
		Causes: []string{"a link on the path has a smaller MTU (VPN, tunnel, PPPoE) and the ICMP 'fragmentation needed' messages are blocked, so large segments vanish"},
		NextSteps: []string{"test: ping -M do -s 1400 <server>, then smaller sizes, to find the path MTU",
			"clamp the MSS on the router (iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu)",
			"allow ICMP type 3 code 4 (and ICMPv6 packet-too-big) through firewalls",
			"as a workaround: lower the interface MTU or set net.ipv4.tcp_mtu_probing=1 on the client"},
	},
	{ID: FindCloseBeforeBan, Name: "server-close-before-banner", Blame: BlameServer,
		Causes: []string{"sshd MaxStartups (too many unauthenticated connections; the default is 10:30:100)",
			"PerSourcePenalties (OpenSSH 9.8+) penalising this client address",
			"TCP wrappers (/etc/hosts.deny), fail2ban on the host, or sshd crashing"},
		NextSteps: []string{"on the server: journalctl -u ssh (or /var/log/auth.log) for 'drop connection', 'MaxStartups', 'penalty' at this time",
			"raise MaxStartups or lower the number of parallel connections (CI fan-out)",
			"check /etc/hosts.deny and fail2ban-client status sshd"},
	},
	{ID: FindPostSynAckReset, Name: "post-synack-reset", Blame: BlameServer,
		Causes: []string{"a firewall or IPS that lets the handshake through and then blocks the connection (policy on port 22, geo-blocking, threat feeds)",
			"a load balancer or proxy with no healthy backend",
			"on the server itself: TCP wrappers or an accept-and-close service"},
		NextSteps: []string{"compare the reset's TTL and timing with the server's SYN-ACK (see the reset's evidence)",
			"check firewall and IPS logs for this client address at this time",
			"if the server sent it: journalctl -u ssh and /etc/hosts.deny"},
	},
	{ID: FindTTLMismatch, Name: "ttl-mismatch", Blame: BlameMiddlebox,
		Causes: []string{"a firewall, IPS, load balancer or NAT on the path forged the reset in the endpoint's name"},
		NextSteps: []string{"send the network team this report: the reset's TTL shows it came from a different distance than the endpoint",
			"run traceroute to the server; the forging device sits about where the hop count of the reset points",
			"capture on the server at the same time: a reset the server never sent is proof it was forged"},
	},
	{ID: FindICMPUnreachable, Name: "icmp-unreachable", Blame: BlameServer,
		Causes: []string{"a firewall rejects port 22 with an ICMP error rather than a reset: firewalld's default (icmp-host-prohibited, icmp6-adm-prohibited), iptables and ip6tables REJECT's (port unreachable), a cloud or router ACL",
			"no route to the server from a router on the path (network or host unreachable from the router's address), or a routing loop (time exceeded)"},
		NextSteps: []string{"the error's source address names the device that answered: the server itself, or a router or firewall on the path",
			"on the server: firewall-cmd --list-all; iptables -L -v -n; ip6tables -L -v -n; nft list ruleset",
			"on a router: its routes and ACLs for the server's address and port 22; traceroute -T -p 22 to the server shows where packets stop"},
	},
	{ID: FindRefused, Name: "refused", Blame: BlameServer,
		Causes: []string{"sshd is not running or not listening on this address and port",
			"a host firewall rejects the port (iptables/nftables REJECT --reject-with tcp-reset)",
			"a network firewall answers in the server's name (then the reset's origin is middlebox)"},
		NextSteps: []string{"on the server: ss -ltnp | grep sshd; systemctl status ssh",
			"on the server: iptables -S; nft list ruleset",
			"capture on the server too: if the SYN never arrives there, the reset came from the path"},
	},
	{ID: FindSynTimeout, Name: "syn-timeout", Blame: BlameNetwork,
		Causes: []string{"a firewall on the path or on the server drops the SYNs (DROP rule, security group, fail2ban)",
			"the server is down or the route to it is broken"},
		NextSteps: []string{"capture on the server: do the SYNs arrive?",
			"check security groups, network ACLs and fail2ban (fail2ban-client status sshd)",
			"traceroute -T -p 22 to the server to see where packets stop"},
	},
	{ID: FindNotSSH, Name: "not-ssh", Blame: BlameUnknown,
		Causes: []string{"another service listens on this port, or a proxy, load balancer health check, TLS client or scanner connected to sshd"},
		NextSteps: []string{"check what listens on the port (ss -ltnp) and which client connected (the quoted first line says what it spoke)",
			"if it is a load balancer health check, make it a TCP check or point it at another port"},
	},
	{ID: FindMalformedSSH, Name: "malformed-ssh", Blame: BlameUnknown,
		Causes: []string{"a broken or hostile SSH implementation, or a device on the path rewriting or injecting bytes into the stream"},
		NextSteps: []string{"compare with a capture on the other end: bytes that differ were changed on the path",
			"check the peer's software (its banner) for known bugs"},
	},
	{ID: FindServerReset, Name: "server-reset", Blame: BlameServer,
		Causes:    []string{"the server's TCP stack reset the connection: sshd exited with unread data, or the socket was closed abruptly"},
		NextSteps: []string{"on the server: journalctl -u ssh around this time", "check for sshd restarts, OOM kills or crashes (dmesg)"},
	},
	{ID: FindClientReset, Name: "client-reset", Blame: BlameClient,
		Causes:    []string{"the client program aborted the connection (killed, crashed, timed out, or closed with SO_LINGER 0)"},
		NextSteps: []string{"check the client program's own logs and exit status; the network and the server are not to blame here"},
	},
}

// Catalog returns the findings catalog in rank order.
func Catalog() []CatalogEntry { return slices.Clone(catalog[:]) }

// Entry returns the catalog's entry for the finding.
func (id FindingID) Entry() CatalogEntry {
	if id < numFindings {
		return catalog[id]
	}
	return CatalogEntry{ID: id, Name: "unknown"}
}

func (id FindingID) String() string { return id.Entry().Name }

// FindingByName returns the finding with the stable name, if there is one.
func FindingByName(name string) (FindingID, bool) {
	for _, e := range catalog {
		if e.Name == name {
			return e.ID, true
		}
	}
	return 0, false
}
