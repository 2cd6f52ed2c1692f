package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Finding IDs. They are stable strings: scripts match on them. Each is
// documented in README.md's findings table.
const (
	FindRefused          = "refused"
	FindSynTimeout       = "syn-timeout"
	FindTTLMismatch      = "ttl-mismatch"
	FindPostSynAckReset  = "post-synack-reset"
	FindResetRace        = "reset-race"
	FindHostFirewall     = "host-firewall-reset"
	FindResetBurst       = "reset-burst"
	FindIdleTimeoutReset = "idle-timeout-reset"
	FindMTUBlackhole     = "mtu-blackhole"
	FindRateLimit        = "rate-limit"
	FindCloseBeforeBan   = "server-close-before-banner"
	FindClientReset      = "client-reset"
	FindServerReset      = "server-reset"
	FindResetBothEnds    = "reset-both-ends"
	FindICMPUnreachable  = "icmp-unreachable"
	FindNotSSH           = "not-ssh"
	FindMalformedSSH     = "malformed-ssh"
)

// findingOrder ranks findings: the first one a flow has is its main finding.
var findingOrder = []string{
	FindHostFirewall, FindResetRace, FindResetBothEnds, FindResetBurst, FindIdleTimeoutReset, FindRateLimit,
	FindMTUBlackhole, FindCloseBeforeBan, FindPostSynAckReset, FindTTLMismatch, FindICMPUnreachable, FindRefused,
	FindSynTimeout, FindNotSSH, FindMalformedSSH, FindServerReset, FindClientReset,
}

func blameOf(o Origin, s Side) string {
	switch o {
	case OriginMiddlebox:
		return "middlebox"
	case OriginEndpoint:
		return s.String()
	}
	return "unknown"
}

// endingReset returns the index of the RST that ended the connection, or -1.
func (f *flow) endingReset() int { return f.endReset - 1 }

// findings names the patterns of one flow (cross-flow ones come later).
func (f *flow) findings(idle time.Duration) {
	o := &f.out
	add := func(id, blame string, pkts []int, format string, args ...any) {
		o.Findings = append(o.Findings, Finding{ID: id, Blame: blame, Packets: pkts, Summary: fmt.Sprintf(format, args...)})
	}
	srv := o.Server.Addr().String()

	if o.Outcome == OutcomeRefused {
		r := o.Resets[0]
		after := ""
		if !f.synTime.IsZero() {
			after = " " + ms(r.Time.Sub(f.synTime)) + " after the SYN"
		}
		if r.Origin == OriginMiddlebox {
			add(FindRefused, "middlebox", []int{o.FirstPacket, r.Packet}, "The SYN (frame %d) was answered by a RST in %s's name (frame %d)%s, but a device on the path sent it, not the server.",
				o.FirstPacket, srv, r.Packet, after)
		} else {
			add(FindRefused, blameOf(r.Origin, Server), []int{o.FirstPacket, r.Packet}, "The SYN (frame %d) was answered by a RST from %s (frame %d)%s: nothing listens on port %d there, or a firewall rejects the connection.",
				o.FirstPacket, srv, r.Packet, after, o.Server.Port())
		}
	}
	if o.Outcome == OutcomeTimeout && !f.synAckSeen && o.Packets[1] == 0 {
		n := f.d[0].retrans + 1
		add(FindSynTimeout, "network", []int{o.FirstPacket, o.LastPacket}, "%d SYN%s to %s port %d over %s (frames %d-%d) were never answered: a firewall drops them, or the host is down or unreachable.",
			n, plural(n), srv, o.Server.Port(), ms(o.End.Sub(o.Start)), o.FirstPacket, o.LastPacket)
	}
	if e, ok := o.RefusingICMP(); ok {
		by, blame := "the server itself", "server"
		switch {
		case e.From == o.Client.Addr():
			by, blame = "the client's own host", "client"
		case e.From != o.Server.Addr() && e.Prohibited():
			by, blame = "a firewall on the path", "middlebox"
		case e.From != o.Server.Addr():
			by, blame = "a router on the path", "network"
		}
		add(FindICMPUnreachable, blame, []int{o.FirstPacket, e.Packet}, "The client's SYN (frame %d) was answered in frame %d by %s from %s, %s, %s %d; the client's kernel gave up the connection: %s.",
			o.FirstPacket, e.Packet, e.What(), e.From, by, ttlName(e.From), e.TTL, e.Errno())
	}
	var mism, race, beside []int
	for i, r := range o.Resets {
		if r.ttlMismatch {
			mism = append(mism, r.Packet)
		}
		switch {
		case f.rx[i].race.frame == 0:
		case r.Beside:
			beside = append(beside, r.Packet, f.rx[i].race.frame)
		default:
			race = append(race, r.Packet, f.rx[i].race.frame)
		}
	}
	if len(mism) > 0 {
		r, ttl := o.Resets[indexOf(o.Resets, mism[0])], o.TTLName()
		add(FindTTLMismatch, "middlebox", mism, "The reset in frame %d claims to come from the %s, but its %s %d does not match the %s's other packets (%s %s).",
			mism[0], r.From, ttl, r.TTL, r.From, ttl, r.baseline)
	}
	if len(race) > 0 {
		i := indexOf(o.Resets, race[0])
		r, c := o.Resets[i], f.rx[i]
		add(FindResetRace, "middlebox", race, "The %s sent %s (frame %d) %s after a reset in its name (frame %d): it never sent that reset, a device on the path forged it.",
			r.From, c.raceWhat, c.race.frame, ms(time.Duration(c.race.t-r.Time.UnixNano())), r.Packet)
	}
	if len(beside) > 0 {
		i := indexOf(o.Resets, beside[0])
		r, c := o.Resets[i], f.rx[i]
		add(FindHostFirewall, r.From.String(), beside, "The %s sent %s (frame %d) %s after a reset in its name (frame %d), so its socket did not send that reset; "+
			"but the reset came with the %s's own %s %d, from as far away as the %s: most likely a firewall on the %s host itself "+
			"(an iptables or nftables REJECT --reject-with tcp-reset rule, a fail2ban or firewalld ban), or a device right in front of it that keeps the %s.",
			r.From, c.raceWhat, c.race.frame, ms(time.Duration(c.race.t-r.Time.UnixNano())), r.Packet,
			r.From, o.TTLName(), r.TTL, r.From, r.From, o.TTLName())
	}
	for _, side := range []Side{Client, Server} {
		var pk []int
		for _, r := range o.Resets {
			if r.From == side && r.burst {
				pk = append(pk, r.Packet)
			}
		}
		if len(pk) >= 2 {
			add(FindResetBurst, "middlebox", pk, "%d resets in the %s's name with different sequence numbers (frames %s): a TCP stack sends one, an injector sends several to be sure one lands.",
				len(pk), side, frames(pk))
		}
	}
	var both []int
	for _, r := range o.Resets {
		if r.bothEnds {
			both = append(both, r.Packet)
		}
	}
	if len(both) >= 2 {
		add(FindResetBothEnds, "middlebox", both, "Resets went to both ends at the same moment, each in the other end's name (frames %s): neither endpoint can send a reset in the other's name, one device on the path sent them all.",
			frames(both))
	}
	end := f.endingReset()
	if end >= 0 {
		r, c := o.Resets[end], f.rx[end]
		if c.hasTrigger && c.trigger.gap >= idle && time.Duration(r.Time.UnixNano()-c.trigger.t) < time.Second {
			add(FindIdleTimeoutReset, blameOf(r.Origin, r.From), []int{c.trigger.frame, r.Packet},
				"After %s of silence the %s's packet (frame %d) drew a reset in the %s's name (frame %d): a NAT, firewall or load balancer on the path had most likely dropped the idle connection.",
				ms(c.trigger.gap), r.From.Other(), c.trigger.frame, r.From, r.Packet)
		}
		if r.From == Server && !f.d[0].dataSet && !f.d[1].dataSet && f.established && r.Stage == StageBanner {
			add(FindPostSynAckReset, blameOf(r.Origin, Server), []int{r.Packet}, "The connection was reset (frame %d) right after the handshake, before either side sent a byte.", r.Packet)
		}
		if r.Origin == OriginEndpoint && r.From == Client && len(f.findingIDs()) == 0 {
			add(FindClientReset, "client", []int{r.Packet}, "The client itself aborted the connection with a RST (frame %d) at the %s stage.", r.Packet, r.Stage)
		}
	}
	// The genuine server closed before its identification string.
	if f.established && f.d[1].w.banner == "" && f.endedByServerBeforeBanner() &&
		f.d[0].w.stopWhy != notSSH && f.d[1].w.stopWhy != notSSH {
		idx := f.serverEndFrame
		pkts := []int{idx}
		var text string
		if len(f.d[1].w.preBanner) > 0 {
			text = f.d[1].w.preBanner[0]
		}
		why := "sshd ended it before sending its banner: MaxStartups, PerSourcePenalties, TCP wrappers or fail2ban on the host, or sshd crashing"
		switch {
		case strings.Contains(text, "Exceeded MaxStartups"):
			why = fmt.Sprintf("sshd wrote %q instead of its banner: too many unauthenticated connections at once (MaxStartups)", text)
		case strings.Contains(text, "Not allowed at this time"):
			why = fmt.Sprintf("sshd wrote %q instead of its banner: MaxStartups or PerSourcePenalties (OpenSSH 9.8 and later) refused this client", text)
		case text != "":
			why = fmt.Sprintf("the server wrote %q instead of its banner", text)
		}
		add(FindCloseBeforeBan, "server", pkts, "The server closed the connection (frame %d) before its SSH identification string: %s.", idx, why)
		o.Findings[len(o.Findings)-1].Quote = text
	}
	// Large segments retransmitted and never acknowledged while the path worked.
	for i, side := range []Side{Client, Server} {
		b := &f.d[i].ev.big
		peer := &f.d[1-i]
		if b.retrans >= 2 && (!peer.ackSet || seqDiff(peer.maxAck, b.seq) <= 0) && f.out.Packets[1-i] > 0 && peer.last > b.first {
			size := fmt.Sprintf("%d-byte segment", b.n)
			if b.again != b.n {
				size = fmt.Sprintf("data (sent as %d bytes, retransmitted as %d-byte segments)", b.n, b.again)
			}
			fs := append([]int(nil), b.frames[:b.nframes]...)
			list := frames(fs)
			if len(fs) < b.retrans+1 {
				list += ", ..."
			}
			add(FindMTUBlackhole, "network", fs, "The %s's %s went out %d times (frames %s) and was never acknowledged, while the %s's packets kept arriving: a link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages are blocked (a path MTU black hole).",
				side, size, b.retrans+1, list, side.Other())
		}
	}
	// What the SSH streams themselves showed.
	for i, side := range []Side{Client, Server} {
		w := &f.d[i].w
		switch w.stopWhy {
		case notSSH:
			add(FindNotSSH, "unknown", []int{w.stopFrame}, "The %s's first line (frame %d) is not an SSH identification string but %q: another protocol (HTTP, TLS, a scanner, a proxy or load balancer check) is talking on this port.",
				side, w.stopFrame, w.refused)
			o.Findings[len(o.Findings)-1].Quote = w.refused
		case "identification line longer than 8192 bytes", "more than 1024 lines before the identification string", "malformed binary packet header":
			if f.d[1-i].w.stopWhy == notSSH {
				// Answering a peer that is not SSH (sshd writes an error
				// text after its banner), the stream proves nothing.
				break
			}
			add(FindMalformedSSH, side.String(), []int{w.stopFrame}, "The %s's SSH stream is malformed from frame %d on (%s): OpenSSH drops such a connection; a broken or hostile peer, or a device rewriting the stream, sent it.",
				side, w.stopFrame, w.stopWhy)
		}
	}
	if end >= 0 && len(f.findingIDs()) == 0 && o.Resets[end].Origin == OriginEndpoint && o.Resets[end].From == Server {
		r := o.Resets[end]
		add(FindServerReset, "server", []int{r.Packet}, "The server itself reset the connection (frame %d) at the %s stage.", r.Packet, r.Stage)
	}
}

func (f *flow) findingIDs() []string {
	var ids []string
	for _, fd := range f.out.Findings {
		ids = append(ids, fd.ID)
	}
	return ids
}

// endedByServerBeforeBanner: the server's first FIN or ending RST came before
// any identification string from it, and that RST was not forged.
func (f *flow) endedByServerBeforeBanner() bool {
	if f.serverEndFrame == 0 {
		return false
	}
	for _, r := range f.out.Resets {
		if r.From == Server && r.Origin == OriginMiddlebox {
			return false
		}
	}
	return true
}

func indexOf(rs []Reset, pkt int) int {
	for i, r := range rs {
		if r.Packet == pkt {
			return i
		}
	}
	return 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// rateKey is a client address and a server address and port, as plain
// bytes for one hash call.
type rateKey struct {
	c, s addrKey
	port uint16
}

type rate struct {
	ok     int
	lastOK int64 // Unix nanoseconds: no pointer for the garbage collector
}

// minRateOK: a rate limit shows after some connections got through, not one.
const minRateOK = 2

// rateLimit names a connection from one client to one server that was
// refused or reset early right after at least two others got through,
// using the history of connections handed over before it.
func (a *Analyzer) rateLimit(f *Flow) {
	k := rateKey{keyOfAddr(f.Client.Addr()), keyOfAddr(f.Server.Addr()), f.Server.Port()}
	h := a.history[k]
	start := f.Start.UnixNano()
	if h.ok > 0 && time.Duration(start-h.lastOK) > a.rate {
		h = rate{}
	}
	early := f.Outcome == OutcomeRefused || (f.Outcome == OutcomeReset && f.Stage <= StageBanner && len(f.Resets) > 0 && f.Resets[0].From == Server)
	// An injector reacting to content explains a reset better than a limit.
	injected := false
	for _, fd := range f.Findings {
		injected = injected || fd.ID == FindResetRace || fd.ID == FindResetBurst || fd.ID == FindResetBothEnds
	}
	switch {
	case early && h.ok >= minRateOK && !injected:
		r := f.Resets[0]
		f.Findings = append(f.Findings, Finding{ID: FindRateLimit, Blame: blameOf(r.Origin, Server), Packets: []int{f.FirstPacket, r.Packet},
			Summary: fmt.Sprintf("%d earlier connection%s from %s to %s got through, the last %s before this one; this one was %s (frame %d): a rate limit (firewall, IPS, MaxStartups or PerSourcePenalties) stopped it.",
				h.ok, plural(h.ok), f.Client.Addr(), f.Server, ms(time.Duration(start-h.lastOK)), f.Outcome, r.Packet)})
	case !early && f.Stage > StageBanner:
		h.ok++
		h.lastOK = start
		a.history[k] = h
	}
	if len(a.history) > maxHistory {
		a.pruneHistory(f.Start)
	}
}

// maxHistory bounds the rate history (client and server pairs): past it,
// pairs idle longer than the window go, then the least recent half.
const maxHistory = 1 << 14

func (a *Analyzer) pruneHistory(now time.Time) {
	for key, v := range a.history {
		if time.Duration(now.UnixNano()-v.lastOK) > a.rate {
			delete(a.history, key)
		}
	}
	if len(a.history) <= maxHistory/2 {
		return
	}
	last := make([]int64, 0, len(a.history))
	for _, v := range a.history {
		last = append(last, v.lastOK)
	}
	cut := middle(last)
	for key, v := range a.history {
		if v.lastOK <= cut {
			delete(a.history, key)
		}
	}
}

// sortFindings puts the main finding first.
func sortFindings(fs []Finding) {
	rank := func(id string) int {
		for i, x := range findingOrder {
			if x == id {
				return i
			}
		}
		return len(findingOrder)
	}
	slices.SortStableFunc(fs, func(x, y Finding) int { return cmp.Compare(rank(x.ID), rank(y.ID)) })
}

// clientError is what the OpenSSH client most likely printed (lines joined
// by newlines), worded for the client's version when its banner says it.
// Every wording below was seen from the real client in the lab (OpenSSH
// 9.2p1) or comes from OpenSSH's sources for other versions.
func clientError(f *Flow) string {
	// Most connections need no message: the text is made only when one is.
	if f.ClosedBy != Server && f.Outcome != OutcomeRefused && f.Outcome != OutcomeTimeout && f.Outcome != OutcomeUnreachable &&
		!(f.Outcome == OutcomeClosed && f.Stage == StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess) {
		return ""
	}
	host := f.Server.Addr().Unmap().String()
	port := f.Server.Port()
	major, minor, openssh := opensshVersion(f.ClientBanner)
	// 9.5 moved "kex_exchange_identification: Connection closed by remote
	// host" to verbose; 8.0 renamed ssh_exchange_identification.
	newWording := !openssh || major > 9 || (major == 9 && minor >= 5)
	kexPrefix := "kex_exchange_identification"
	if openssh && major < 8 {
		kexPrefix = "ssh_exchange_identification"
	}
	closedBy := fmt.Sprintf("Connection closed by %s port %d", host, port)
	resetBy := fmt.Sprintf("Connection reset by %s port %d", host, port)
	switch f.Outcome {
	case OutcomeRefused:
		return fmt.Sprintf("ssh: connect to host %s port %d: Connection refused", host, port)
	case OutcomeUnreachable:
		if e, ok := f.RefusingICMP(); ok {
			return fmt.Sprintf("ssh: connect to host %s port %d: %s", host, port, e.Errno())
		}
		return ""
	case OutcomeTimeout:
		if f.Stage == StageHandshake {
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection timed out", host, port)
		}
		return ""
	}
	if f.ClosedBy != Server {
		if f.Outcome == OutcomeClosed && f.Stage == StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess {
			return fmt.Sprintf("<user>@%s: Permission denied (<methods>).", host)
		}
		return ""
	}
	reset := f.Outcome == OutcomeReset
	switch f.Stage {
	case StageHandshake:
		if reset {
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection reset by peer", host, port)
		}
	case StageBanner:
		switch {
		case reset && f.ClientBanner == "":
			// The reset beat ssh's check of its non-blocking connect.
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection reset by peer", host, port)
		case reset:
			return kexPrefix + ": read: Connection reset by peer\n" + resetBy
		case newWording:
			return closedBy
		}
		return kexPrefix + ": Connection closed by remote host\n" + closedBy
	case StageKexInit, StageKex, StageAuth:
		if reset {
			return resetBy
		}
		return closedBy
	case StageSession:
		if reset {
			// "Read from remote host ..." is queued, then writing the
			// disconnect fails and ssh exits before printing it.
			return "client_loop: send disconnect: Broken pipe"
		}
		if f.clientSentAfterClose {
			return fmt.Sprintf("Connection to %s closed by remote host.", host)
		}
		// The session had ended: the client's disconnect went out before
		// the server's FIN and ssh printed nothing.
		return ""
	}
	return ""
}

// opensshVersion reads "SSH-2.0-OpenSSH_9.2p1 ..." as 9, 2.
func opensshVersion(banner string) (major, minor int, ok bool) {
	i := strings.Index(banner, "OpenSSH_")
	if i < 0 {
		return 0, 0, false
	}
	v := banner[i+len("OpenSSH_"):]
	dot := strings.IndexByte(v, '.')
	if dot < 0 {
		return 0, 0, false
	}
	major, err := strconv.Atoi(v[:dot])
	if err != nil {
		return 0, 0, false
	}
	j := dot + 1
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	minor, _ = strconv.Atoi(v[dot+1 : j])
	return major, minor, true
}
