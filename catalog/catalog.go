// Package catalog is the one table of findings, for every witness: the
// packets of one capture (analyze), sshd's and fail2ban's logs (sshdlog),
// and a second capture of the same connections (correlate). Each entry is
// a stable ID, the witness that finds it, its rank (its place in the
// table: a connection's main finding is its highest-ranked one), the blame
// it usually carries, what it means, its likely causes and what to check
// next. docs/findings.md is generated from it (go generate ./catalog).
//
// It needs nothing but the standard library, so every witness can use it.
package catalog

//go:generate go run ./gendoc -o ../docs/findings.md

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

// Source is the witness a finding comes from. The names are part of the
// JSON contract (a finding's "source").
type Source uint8

const (
	SourcePackets       Source = iota // one capture's packets (analyze)
	SourceSSHDLog                     // sshd's log (sshdlog)
	SourceFail2banLog                 // fail2ban's log (sshdlog)
	SourceSecondCapture               // a second capture of the same connections (correlate)
)

var sourceNames = [...]string{"packets", "sshd-log", "fail2ban-log", "second-capture"}

func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "unknown"
}

// Entry is everything rstsniff knows about a finding. A finding may carry
// another blame than its entry's (a refusal forged on the path blames the
// middlebox); Blame is the usual one.
type Entry struct {
	Name      string // the stable ID scripts match on
	Source    Source
	Rank      int // 1-based place in the table
	Blame     Blame
	Meaning   string
	Evidence  string // what in the witness shows it (packets' findings)
	Lab       string // the lab cases or captures that show it ("" for none)
	Causes    []string
	NextSteps []string
}

// All returns the table in rank order (a copy).
func All() []Entry {
	out := make([]Entry, len(entries))
	for i, e := range entries {
		e.Rank = i + 1
		out[i] = e
	}
	return out
}

// Lookup returns the entry with the stable ID, if there is one.
func Lookup(name string) (Entry, bool) {
	for i, e := range entries {
		if e.Name == name {
			e.Rank = i + 1
			return e, true
		}
	}
	return Entry{}, false
}

// Of returns the entries of one witness, in rank order.
func Of(s Source) []Entry {
	var out []Entry
	for _, e := range All() {
		if e.Source == s {
			out = append(out, e)
		}
	}
	return out
}

// entries is the table. Within the packets' findings the order is
// analyze's FindingID order (its value is its rank among them); a
// connection's main finding is its first.
var entries = []Entry{
	{Name: "one-direction", Source: SourcePackets, Blame: BlameUnknown,
		Meaning:  "only one side's packets are in the capture, though that side acknowledges the other's: asymmetric routing or a one-way capture filter",
		Evidence: "one side sent no packet while the other sent ACKs; no other finding is given and the stage is `unknown`",
		Lab:      "one-direction (the reject-banner capture, server side only)",
		Causes: []string{"asymmetric routing: the two directions of the connection take different paths, and the capture point sees only one",
			"a capture filter that matches one direction only (src host, dst port), or a mirror port that copies one direction"},
		NextSteps: []string{"capture where both directions pass (on the client or the server itself), or on both paths",
			"check the capture filter and the mirror (SPAN) configuration: both directions of port 22 must be copied"},
	},
	{Name: "host-firewall-reset", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "the claimed sender kept sending after \"its\" reset, but the reset came from the claimed sender's own distance: most likely a firewall on that host (REJECT with tcp-reset, a fail2ban or firewalld ban)",
		Evidence: "as `reset-race`, and the reset's TTL is exactly that of the sender's other packets, with nothing else pointing to the path",
		Lab:      "server-firewall",
		Causes: []string{"a firewall rule on the host whose address the reset carries answers the other side with resets: an iptables or nftables REJECT --reject-with tcp-reset, or a ban by fail2ban, sshguard or firewalld",
			"a bridging (transparent) firewall or the hypervisor's filter right in front of the host, which sends in the host's name without a router between"},
		NextSteps: []string{"on the host whose address the reset carries, list the firewall rules with their packet counters and look for a REJECT matching the other side's address: iptables -L -v -n; ip6tables -L -v -n; nft list ruleset",
			"check that host's ban lists: fail2ban-client status sshd; sshguard's and firewalld's blocked addresses",
			"reproduce while watching the counters (watch -n1 iptables -L INPUT -v -n): the rule whose count rises with each reset is the one; if none does, look at a bridging firewall or the hypervisor's security rules in front of the host"},
	},
	{Name: "forged-reset-ignored", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "a reset forged in an endpoint's name that its receiver went on past (it sent new data after it): the injector tried and failed, and the connection's outcome is what the endpoints did next",
		Evidence: "a reset judged forged, then new data from its receiver, the reset answering nothing of the receiver's",
		Lab:      "inject-late",
		Causes:   []string{"an on-path device (IPS, firewall, censorship box) tried to tear the connection down, but its reset arrived with a sequence number the receiver no longer accepted (too late, or guessed wrong), so the connection went on"},
		NextSteps: []string{"nothing broke this time: the connection's real outcome is listed; the next attempt may land, so give the network team the reset's frame and time",
			"look for IPS/DPI rules matching SSH (banner strings, port 22 policy) on the path"},
	},
	{Name: "reset-race", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "the claimed sender kept sending after \"its\" reset",
		Evidence: "data, SYN-ACK or FIN from it after the RST",
		Lab:      "reject-banner, reject-near-server, post-handshake",
		Causes:   []string{"an on-path device (IPS, firewall, censorship box) injected the reset while the real packets kept flowing"},
		NextSteps: []string{"give the network team the frame numbers: the real endpoint kept sending after 'its' reset",
			"look for IPS/DPI rules matching SSH (banner strings, port 22 policy) on the path",
			"try another port or a tunnel to confirm the block follows the content"},
	},
	{Name: "reset-both-ends", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "resets in both names at the same moment",
		Evidence: "two resets from opposite sides within 1 ms, nothing between",
		Lab:      "inject-both",
		Causes:   []string{"an on-path device (IPS, censorship box, firewall) that tears connections down by resetting both ends at once"},
		NextSteps: []string{"give the network team the frame numbers: resets in both names within microseconds come from one box between the two",
			"look for IPS/DPI policies matching this traffic on the path"},
	},
	{Name: "reset-burst", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:   "several resets in one name with different sequence numbers",
		Evidence:  "2+ resets within 2 s, distinct seq",
		Lab:       "inject-both",
		Causes:    []string{"an injector that sends several resets with stepped sequence numbers so that one lands in the window (typical of censorship and some IPS)"},
		NextSteps: []string{"report the burst with its frames to the network team; no TCP stack sends such a series"},
	},
	{Name: "idle-timeout-reset", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "a reset drawn by the first packet after a silence",
		Evidence: "the packet before the RST came after at least `--idle-threshold` (default 30 s) of silence, and the RST within 1 s of it; or, below that floor, a forged RST answered the first packet after the connection's longest silence, at least 1 s and 10 times both its handshake round trip and its longest other silence (8 packets before it at least): the words state the silence, the usual gaps and the round trip",
		Lab:      "idle-timeout",
		Causes: []string{"a NAT, stateful firewall or load balancer dropped the idle connection's state and resets packets it no longer knows",
			"cloud load balancers (for example 350 s on AWS NLB, 60 s by default on AWS ELB/ALB) and home routers"},
		NextSteps: []string{"set ServerAliveInterval 30 (client, ~/.ssh/config) or ClientAliveInterval 30 (sshd_config) so the connection is never idle that long",
			"raise the idle timeout on the device (conntrack: nf_conntrack_tcp_timeout_established)"},
	},
	{Name: "residual-block", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "after a forged reset, a later connection between the same hosts (or to the same server from another client) was refused or reset by a forged reset before the client sent a byte",
		Evidence: "a forged reset (sent by the path) ended a connection within 180 s of the latest forged reset between the pair, or to the server; states how long after the first one and how many connections had forged resets",
		Lab:      "residual-block",
		Causes:   []string{"a censorship box or IPS that, once it has forged a reset, resets every new connection between the same hosts (or to the same server) for a while: a residual or stateful block (INTANG assumes about 90 s; Censored Planet's Hyperquack calls it a stateful block)"},
		NextSteps: []string{"wait out the block (the finding says how long it lasted at least) and connect again: if only connections after a first reset fail, the block follows what the first connection carried",
			"give the network team the times: the first forged reset and each connection blocked after it"},
	},
	{Name: "rate-limit", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "after connections from one client to one server got through, the next was refused or reset early",
		Evidence: "at least 2 earlier connections past the banner within 60 s, this one refused or reset at handshake/banner, and no injection finding explains it better",
		Lab:      "rate-limit",
		Causes: []string{"a firewall rate limit on new connections (iptables -m recent / hashlimit, cloud firewalls)",
			"sshd MaxStartups or PerSourcePenalties (OpenSSH 9.8+), fail2ban"},
		NextSteps: []string{"space out connections or reuse one (ControlMaster auto, ControlPersist) in CI jobs",
			"on the server: journalctl -u ssh | grep -i -e 'MaxStartups' -e 'penalty' -e 'drop connection'",
			"check firewall rate limits for port 22"},
	},
	{Name: "mtu-blackhole", Source: SourcePackets, Blame: BlameNetwork,
		Meaning:  "large segments vanish while small ones pass",
		Evidence: "a segment of 1000+ bytes sent 3+ times, never acknowledged, while the other side kept sending; or, with nothing from the other side after it, the side's first such segment, every byte before it acknowledged (worded as likely, the path or the peer dying at that moment being the alternative)",
		Lab:      "mtu-blackhole, mtu-blackhole-both",
		Causes:   []string{"a link on the path has a smaller MTU (VPN, tunnel, PPPoE) and the ICMP 'fragmentation needed' messages are blocked, so large segments vanish"},
		NextSteps: []string{"test: ping -M do -s 1400 <server>, then smaller sizes, to find the path MTU",
			"clamp the MSS on the router (iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu)",
			"allow ICMP type 3 code 4 (and ICMPv6 packet-too-big) through firewalls",
			"as a workaround: lower the interface MTU or set net.ipv4.tcp_mtu_probing=1 on the client"},
	},
	{Name: "server-close-before-banner", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "the genuine server ended the connection before its identification string",
		Evidence: "server FIN or non-forged RST with no `SSH-` line from it; quotes text like `Exceeded MaxStartups` or `Not allowed at this time` and names the cause",
		Lab:      "maxstartups",
		Causes: []string{"sshd MaxStartups (too many unauthenticated connections; the default is 10:30:100)",
			"PerSourcePenalties (OpenSSH 9.8+) penalising this client address",
			"TCP wrappers (/etc/hosts.deny), fail2ban on the host, or sshd crashing"},
		NextSteps: []string{"on the server: journalctl -u ssh (or /var/log/auth.log) for 'drop connection', 'MaxStartups', 'penalty' at this time",
			"raise MaxStartups or lower the number of parallel connections (CI fan-out)",
			"check /etc/hosts.deny and fail2ban-client status sshd"},
	},
	{Name: "post-synack-reset", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "reset right after the handshake, before either side sent a byte",
		Evidence: "the RST that ended the connection, from the server side, with no payload yet",
		Lab:      "post-handshake",
		Causes: []string{"a firewall or IPS that lets the handshake through and then blocks the connection (policy on port 22, geo-blocking, threat feeds)",
			"a load balancer or proxy with no healthy backend",
			"on the server itself: TCP wrappers or an accept-and-close service"},
		NextSteps: []string{"compare the reset's TTL and timing with the server's SYN-ACK (see the reset's evidence)",
			"check firewall and IPS logs for this client address at this time",
			"if the server sent it: journalctl -u ssh and /etc/hosts.deny"},
	},
	{Name: "ttl-mismatch", Source: SourcePackets, Blame: BlameMiddlebox,
		Meaning:  "a reset whose TTL does not match its claimed sender",
		Evidence: "see the TTL signal",
		Lab:      "reject-banner, idle-timeout, rate-limit",
		Causes:   []string{"a firewall, IPS, load balancer or NAT on the path forged the reset in the endpoint's name"},
		NextSteps: []string{"send the network team this report: the reset's TTL shows it came from a different distance than the endpoint",
			"run traceroute to the server; the forging device sits about where the hop count of the reset points",
			"capture on the server at the same time: a reset the server never sent is proof it was forged"},
	},
	{Name: "icmp-unreachable", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "SYN answered by an ICMP error: a firewall's REJECT with ICMP, or a router with no route",
		Evidence: "an ICMP or ICMPv6 destination unreachable or time exceeded quoting the client's SYN, before any SYN-ACK (outcome `unreachable`); names the sender, type and code, and the error the client's kernel took from it",
		Lab:      "icmp-reject",
		Causes: []string{"a firewall rejects port 22 with an ICMP error rather than a reset: firewalld's default (icmp-host-prohibited, icmp6-adm-prohibited), iptables and ip6tables REJECT's (port unreachable), a cloud or router ACL",
			"no route to the server from a router on the path (network or host unreachable from the router's address), or a routing loop (time exceeded)"},
		NextSteps: []string{"the error's source address names the device that answered: the server itself, or a router or firewall on the path",
			"on the server: firewall-cmd --list-all; iptables -L -v -n; ip6tables -L -v -n; nft list ruleset",
			"on a router: its routes and ACLs for the server's address and port 22; traceroute -T -p 22 to the server shows where packets stop"},
	},
	{Name: "refused", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "SYN answered by RST",
		Evidence: "outcome `refused`",
		Lab:      "refused, rate-limit",
		Causes: []string{"sshd is not running or not listening on this address and port",
			"a host firewall rejects the port (iptables/nftables REJECT --reject-with tcp-reset)",
			"a network firewall answers in the server's name (then the reset's origin is middlebox)"},
		NextSteps: []string{"on the server: ss -ltnp | grep sshd; systemctl status ssh",
			"on the server: iptables -S; nft list ruleset",
			"capture on the server too: if the SYN never arrives there, the reset came from the path"},
	},
	{Name: "syn-timeout", Source: SourcePackets, Blame: BlameNetwork,
		Meaning:  "SYNs never answered",
		Evidence: "outcome `timeout` with nothing from the server",
		Lab:      "syn-drop",
		Causes: []string{"a firewall on the path or on the server drops the SYNs (DROP rule, security group, fail2ban)",
			"the server is down or the route to it is broken"},
		NextSteps: []string{"capture on the server: do the SYNs arrive?",
			"check security groups, network ACLs and fail2ban (fail2ban-client status sshd)",
			"traceroute -T -p 22 to the server to see where packets stop"},
	},
	{Name: "not-ssh", Source: SourcePackets, Blame: BlameUnknown,
		Meaning:  "the first line from a side is not an SSH identification string: another protocol on the port",
		Evidence: "quotes that line (escaped), e.g. `GET / HTTP/1.1`",
		Lab:      "Zeek's http-on-port-22 captures, unit tests",
		Causes:   []string{"another service listens on this port, or a proxy, load balancer health check, TLS client or scanner connected to sshd"},
		NextSteps: []string{"check what listens on the port (ss -ltnp) and which client connected (the quoted first line says what it spoke)",
			"if it is a load balancer health check, make it a TCP check or point it at another port"},
	},
	{Name: "malformed-ssh", Source: SourcePackets, Blame: BlameUnknown,
		Meaning:  "a side's SSH stream breaks OpenSSH's limits",
		Evidence: "an identification line over 8192 bytes, over 1024 lines before it, or an impossible packet length; names the frame (not when the peer is not SSH: sshd then writes an error text)",
		Lab:      "unit tests",
		Causes:   []string{"a broken or hostile SSH implementation, or a device on the path rewriting or injecting bytes into the stream"},
		NextSteps: []string{"compare with a capture on the other end: bytes that differ were changed on the path",
			"check the peer's software (its banner) for known bugs"},
	},
	{Name: "server-reset", Source: SourcePackets, Blame: BlameServer,
		Meaning:  "the server's own stack reset the connection (and nothing else explains it)",
		Evidence: "an endpoint-origin RST from the server that ended the connection",
		Lab:      "",
		Causes:   []string{"the server's TCP stack reset the connection: sshd exited with unread data, or the socket was closed abruptly"},
		NextSteps: []string{"on the server: journalctl -u ssh around this time",
			"check for sshd restarts, OOM kills or crashes (dmesg)"},
	},
	{Name: "client-reset", Source: SourcePackets, Blame: BlameClient,
		Meaning:   "the client aborted the connection itself",
		Evidence:  "an endpoint-origin RST from the client that ended the connection",
		Lab:       "client-abort",
		Causes:    []string{"the client program aborted the connection (killed, crashed, timed out, or closed with SO_LINGER 0)"},
		NextSteps: []string{"check the client program's own logs and exit status; the network and the server are not to blame here"},
	},
	{Name: "sshd-maxstartups", Source: SourceSSHDLog, Blame: BlameServer,
		Meaning: "sshd dropped the connection: too many unauthenticated connections were open (MaxStartups)",
		Causes: []string{"more clients (or a scanner) opening connections than MaxStartups allows unauthenticated at once (default 10:30:100)",
			"slow authentications (DNS lookups with UseDNS, PAM, LDAP) keeping connections unauthenticated longer"},
		NextSteps: []string{"on the server: sshd -T | grep -i maxstartups; raise it (e.g. MaxStartups 100:30:200) or find who opens so many connections",
			"grep 'MaxStartups' in the server's log for how often it happens"},
	},
	{Name: "sshd-penalty", Source: SourceSSHDLog, Blame: BlameServer,
		Meaning: "sshd refused the connection under PerSourcePenalties (the client's address earned a penalty)",
		Causes:  []string{"this address failed authentication, crashed sshd, or connected without authenticating earlier (OpenSSH 9.8 and later)"},
		NextSteps: []string{"on the server: sshd -T | grep -i persourcepenal; exempt trusted networks with PerSourcePenaltyExemptList",
			"grep 'penalty' in the server's log for the penalty this address received"},
	},
	{Name: "sshd-login-grace-timeout", Source: SourceSSHDLog, Blame: BlameClient,
		Meaning: "the client did not authenticate within LoginGraceTime, and sshd closed the connection",
		Causes: []string{"a client (or a health check, or a scanner) that connects and says nothing",
			"slow authentication: an agent prompt, PAM, LDAP"},
		NextSteps: []string{"on the server: sshd -T | grep -i logingracetime",
			"see what the client was waiting for: ssh -vvv"},
	},
	{Name: "sshd-ban", Source: SourceFail2banLog, Blame: BlameServer,
		Meaning: "fail2ban had banned the client's address when the connection was made",
		Causes:  []string{"earlier failed logins from this address reached fail2ban's maxretry"},
		NextSteps: []string{"on the server: fail2ban-client status sshd; fail2ban-client set sshd unbanip ADDRESS",
			"add trusted addresses to ignoreip in jail.local"},
	},
	{Name: "sshd-auth-failed", Source: SourceSSHDLog, Blame: BlameClient,
		Meaning: "authentication failed and the connection ended unauthenticated",
		Causes: []string{"a key, password or user the server does not accept",
			"AllowUsers/DenyUsers, or too many keys offered (MaxAuthTries)"},
		NextSteps: []string{"ssh -v shows which keys were offered",
			"on the server: the lines before this one, and sshd -T | grep -i -e maxauthtries -e allowusers"},
	},
	{Name: "sshd-crashed", Source: SourceSSHDLog, Blame: BlameServer,
		Meaning: "the server's end closed the connection, and sshd wrote no line saying why: the process that held it ended without a word",
		Causes: []string{"the session's sshd process was killed (kill -9, the OOM killer) or crashed",
			"before authentication, on sshd versions whose signal handler does not log (Debian 12's 9.2p1 since the CVE-2024-6387 fix): LoginGraceTime ran out"},
		NextSteps: []string{"on the server: journalctl -k | grep -i -e oom -e segfault; coredumpctl list sshd",
			"sshd -T | grep -i logingracetime, when the connection lasted about that long"},
	},
	{Name: "sshd-reset-both-ends", Source: SourceSSHDLog, Blame: BlameMiddlebox,
		Meaning: "a reset in the server's name reached the client while sshd logged a reset from the client: neither end reset first, a device between them did",
		Causes: []string{"a firewall, IPS or load balancer on the path that resets both ends (REJECT --reject-with tcp-reset, DPI on SSH banners)",
			"the client's kernel answered the server's next packet with a reset after a forged one closed its socket"},
		NextSteps: []string{"give the network team both: the client's capture frames and this sshd log line",
			"capture on the server too (rstsniff --correlate) to see the forged packet arrive"},
	},
	{Name: "sshd-silent-early-reset", Source: SourceSSHDLog, Blame: BlameClient,
		Meaning: "the client reset the connection before the server's banner, and sshd wrote no line about it though its log runs across that time: sshd's process for the connection found it already reset and ended with DEBUG lines only (getpeername failed, ssh_remote_port failed)",
		Causes: []string{"a client that gave up within a fraction of a second, before a busy server's process for it had started (a short connect timeout, many connections at once)",
			"a port scanner or a TCP health check that connects and resets at once"},
		NextSteps: []string{"on the client: what closed the socket so soon (ssh -v, ConnectTimeout, the health check's settings)",
			"on the server, to see these connections logged: LogLevel DEBUG1 writes ssh_remote_port failed; sshd -T | grep -i maxstartups when many came at once"},
	},
	{Name: "forged-on-path", Source: SourceSecondCapture, Blame: BlameMiddlebox,
		Meaning: "a RST arrived in one end's name that this end never sent",
		Causes:  []string{"a firewall, IPS, load balancer or censorship device between the two capture points sent the reset in an endpoint's name"},
		NextSteps: []string{"give the network team both captures' frames: the device sits between the two capture points",
			"capture at points in between (or run rstsniff probe --locate) to narrow down the hop"},
	},
	{Name: "injected-on-path", Source: SourceSecondCapture, Blame: BlameMiddlebox,
		Meaning: "another packet arrived that the claimed sender never sent",
		Causes:  []string{"a device between the capture points injected packets in an endpoint's name (an IPS, a proxy, a censorship device)"},
		NextSteps: []string{"give the network team both captures' frames",
			"look for a transparent proxy or IPS between the two capture points"},
	},
	{Name: "dropped-on-path", Source: SourceSecondCapture, Blame: BlameNetwork,
		Meaning: "packets left one end and never arrived, with what they carried (retransmissions counted)",
		Causes:  []string{"packet loss between the capture points: congestion, a firewall dropping what it dislikes, an MTU black hole for large segments"},
		NextSteps: []string{"look at what the lost packets carried (size, flags) for a pattern",
			"check firewalls, IPS drop counters and interface errors between the two capture points"},
	},
	{Name: "absent-after-capture", Source: SourceSecondCapture, Blame: BlameUnknown,
		Meaning:   "packets one capture has and the other lacks, from a time the other holds nothing of: lost (or made) on the path if it was still running, which a pcap does not say; the exit status does not count it",
		Causes:    []string{"one capture stopped (or started) while the other still ran, or the path lost or made those packets"},
		NextSteps: []string{"make sure both captures cover the same time span and compare again"},
	},
	{Name: "modified-on-path", Source: SourceSecondCapture, Blame: BlameMiddlebox,
		Meaning:   "a packet arrived changed: what changed, and the likely device",
		Causes:    []string{"a device between the capture points rewrote the packet: NAT, MSS clamping, TTL or window normalisation, a proxy"},
		NextSteps: []string{"the change named says which kind of device did it; look for it between the two capture points"},
	},
}
