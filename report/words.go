package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// Words for analysis facts: evidence, findings, the client's message, ICMP
// errors and notes. Every format calls these, so a fact reads the same in
// the table, JSON, Markdown and HTML.

// ms formats a duration for people: "6.1 ms", "0.02 ms", "2.3 s".
func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f ms", float64(d)/1e6)
}

// frames lists frame numbers: "3, 4, 7".
func frames(fs []int) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.Itoa(f)
	}
	return strings.Join(s, ", ")
}

func hopWord(n int) string {
	if n == 1 {
		return "1 hop away"
	}
	return fmt.Sprintf("%d hops away", n)
}

// baselineText renders a TTL baseline as "63" or "63 (20 packets), 62 (2 packets)".
func baselineText(b analyze.Baseline) string {
	if len(b.Values) == 1 {
		return strconv.Itoa(int(b.Values[0].TTL))
	}
	parts := make([]string, len(b.Values))
	for i, c := range b.Values {
		parts[i] = fmt.Sprintf("%d (%d packets)", c.TTL, c.N)
	}
	return strings.Join(parts, ", ")
}

func scopeText(s analyze.Scope) string {
	if s == analyze.ScopeCapture {
		return "in its other connections in this capture"
	}
	return "in this connection"
}

func packetKindText(k analyze.PacketKind, bytes int) string {
	switch k {
	case analyze.KindSYN:
		return "a SYN"
	case analyze.KindSYNACK:
		return "a SYN-ACK"
	case analyze.KindData:
		return fmt.Sprintf("%d bytes of data", bytes)
	case analyze.KindFIN:
		return "a FIN"
	}
	return "a packet"
}

// evidenceText words one fact about a reset.
func evidenceText(f *analyze.Flow, r *analyze.Reset, e *analyze.Evidence) string {
	side, ttl := r.From.String(), f.TTLName()
	switch e.Signal {
	case analyze.SigTTLMatch:
		return fmt.Sprintf("%s %d matches the %s's other %d packets %s", ttl, r.TTL, side, e.Baseline.Total, scopeText(e.Scope))
	case analyze.SigTTLDistance:
		return fmt.Sprintf("%s %d (%s), but the %s's other %d packets %s arrived with %s %s (%s): the reset came from a different distance",
			ttl, r.TTL, hopWord(analyze.Hops(r.TTL)), side, e.Baseline.Total, scopeText(e.Scope), ttl, baselineText(e.Baseline), hopWord(analyze.Hops(e.Baseline.First)))
	case analyze.SigTTLUnlike:
		return fmt.Sprintf("%s %d, but the %s's only other packet %s arrived with %s %s", ttl, r.TTL, side, scopeText(e.Scope), ttl, baselineText(e.Baseline))
	case analyze.SigSenderKeptSending:
		return fmt.Sprintf("the %s sent %s (frame %d) %s after this reset: a reset it had sent itself would have closed its socket",
			side, packetKindText(e.Packet, e.Bytes), e.Frames[0], ms(e.Delay))
	case analyze.SigReceiverIgnored:
		return fmt.Sprintf("the %s ignored it and sent new data (frame %d)", r.From.Other(), e.Frames[0])
	case analyze.SigChallengeACK:
		return fmt.Sprintf("the %s answered with a challenge ACK (frame %d, RFC 5961): the sequence number was not the one it expected", r.From.Other(), e.Frames[0])
	case analyze.SigOutOfWindow:
		return fmt.Sprintf("its sequence number %d is outside what the %s had sent: the receiver would drop it", e.Seq, side)
	case analyze.SigTimestampContinues:
		return fmt.Sprintf("it carries the %s's TCP timestamp clock (TSval continues its other packets)", side)
	case analyze.SigTimestampForeign:
		return fmt.Sprintf("its TCP timestamp does not follow the %s's clock", side)
	case analyze.SigIPIDContinues:
		return fmt.Sprintf("its IP ID %d continues the %s's counter", e.IPID, side)
	case analyze.SigFlowLabel:
		return fmt.Sprintf("it carries the %s's IPv6 flow label 0x%05x, which its socket sets on every packet", side, e.Label)
	case analyze.SigTooSoon:
		return fmt.Sprintf("it arrived %s after the packet that drew it (frame %d), less than half the %s the %s takes to answer: something nearer sent it",
			ms(e.Delay), e.Frames[0], ms(e.RTT), side)
	case analyze.SigBurst:
		return fmt.Sprintf("one of %d resets in the %s's name with %d different sequence numbers (frames %s)", e.Count, side, e.Seqs, frames(e.Frames))
	case analyze.SigBothEnds:
		return fmt.Sprintf("resets toward both ends within %s (frames %d and %d), with no packet between them", ms(e.Delay), e.Frames[0], e.Frames[1])
	case analyze.SigExactSeq:
		return fmt.Sprintf("its sequence number is exactly the %s's next one", side)
	case analyze.SigRefusedSYNForm:
		return "it has the form a TCP stack gives a refused SYN (RST+ACK, seq 0, ack = ISN+1)"
	case analyze.SigStackReply:
		return fmt.Sprintf("it answers the %s's frame %d %s later as the %s's own stack does (RFC 9293 §3.10.7.1: its sequence number %d is that packet's acknowledgment number), from the %s's distance",
			r.From.Other(), e.Frames[0], ms(e.Delay), side, e.Seq, side)
	}
	return e.Signal.String()
}

// evidenceTexts words the evidence of a reset, those pointing to a forged
// reset first: all of it, or the first n.
func evidenceTexts(f *analyze.Flow, r *analyze.Reset, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = evidenceText(f, r, &r.Evidence[i])
	}
	return out
}

// verdictNotes words how strong a reset's origin verdict is, with the
// signals that decided it, and the published fingerprints it matches with
// their sources and rules: lines for the explanation under its evidence.
func verdictNotes(r *analyze.Reset) []string {
	var out []string
	if st, sigs := r.Strength(); st != analyze.StrengthNone {
		names := make([]string, len(sigs))
		for i, s := range sigs {
			names[i] = s.String()
		}
		s := "verdict strength: " + st.String()
		if len(names) > 0 {
			s += ", decided by " + strings.Join(names, ", ")
		}
		if st == analyze.StrengthProof {
			s += ", and the host's kernel"
		}
		out = append(out, s)
	}
	for _, p := range r.Fingerprints {
		e := p.Entry()
		out = append(out, fmt.Sprintf("matches %s (%s): %s", e.Name, e.Source, e.Rule))
	}
	return out
}

// resetByFrame finds a connection's reset by its frame.
func resetByFrame(f *analyze.Flow, frame int) *analyze.Reset {
	for i := range f.Resets {
		if f.Resets[i].Packet == frame {
			return &f.Resets[i]
		}
	}
	return &analyze.Reset{}
}

// ttlBaseline is the baseline a reset's TTL evidence compared it with.
func ttlBaseline(r *analyze.Reset) string {
	for i := range r.Evidence {
		if s := r.Evidence[i].Signal; s == analyze.SigTTLDistance || s == analyze.SigTTLUnlike {
			return baselineText(r.Evidence[i].Baseline)
		}
	}
	return ""
}

func icmpSenderText(s analyze.ICMPSender) string {
	switch s {
	case analyze.ICMPFromClient:
		return "the client's own host"
	case analyze.ICMPFromFirewall:
		return "a firewall on the path"
	case analyze.ICMPFromRouter:
		return "a router on the path"
	}
	return "the server itself"
}

// summary words a finding. It quotes network text (Finding.Quote) as a Go
// string literal.
func summary(f *analyze.Flow, fd *analyze.Finding) string {
	pre, quotes, post := summaryParts(f, fd)
	if !quotes {
		return pre
	}
	return pre + strconv.Quote(fd.Quote) + post
}

// summaryParts words a finding around the network text it quotes, if it
// quotes Finding.Quote there: the text before it and the text after.
func summaryParts(f *analyze.Flow, fd *analyze.Finding) (pre string, quotes bool, post string) {
	srv := f.Server.Addr().String()
	switch fd.ID {
	case analyze.FindOneDirection:
		return fmt.Sprintf("Only the %s's packets are in this capture (frames %d-%d), yet they acknowledge packets from the %s: the %s's packets went another way (asymmetric routing) or a capture filter left them out. Who ended the connection, and why, cannot be told from half of it.",
			fd.Side.Other(), fd.Packets[0], fd.Packets[1], fd.Side, fd.Side), false, ""
	case analyze.FindRefused:
		after := ""
		if fd.HasDelay {
			after = " " + ms(fd.Delay) + " after the SYN"
		}
		if fd.Forged {
			return fmt.Sprintf("The SYN (frame %d) was answered by a RST in %s's name (frame %d)%s, but a device on the path sent it, not the server.",
				f.FirstPacket, srv, fd.Reset, after), false, ""
		}
		return fmt.Sprintf("The SYN (frame %d) was answered by a RST from %s (frame %d)%s: nothing listens on port %d there, or a firewall rejects the connection.",
			f.FirstPacket, srv, fd.Reset, after, f.Server.Port()), false, ""
	case analyze.FindSynTimeout:
		return fmt.Sprintf("%d SYN%s to %s port %d over %s (frames %d-%d) were never answered: a firewall drops them, or the host is down or unreachable.",
			fd.Count, plural(fd.Count), srv, f.Server.Port(), ms(fd.Delay), fd.Packets[0], fd.Packets[1]), false, ""
	case analyze.FindICMPUnreachable:
		e := fd.ICMP
		return fmt.Sprintf("The client's SYN (frame %d) was answered in frame %d by %s from %s, %s, %s %d; the client's kernel gave up the connection: %s.",
			f.FirstPacket, e.Packet, icmpWhat(e), e.From, icmpSenderText(fd.Sender), icmpTTLName(e), e.TTL, errnoText(e.Errno())), false, ""
	case analyze.FindTTLMismatch:
		r, ttl := resetByFrame(f, fd.Reset), f.TTLName()
		return fmt.Sprintf("The reset in frame %d claims to come from the %s, but its %s %d does not match the %s's other packets (%s %s).",
			fd.Reset, r.From, ttl, r.TTL, r.From, ttl, ttlBaseline(r)), false, ""
	case analyze.FindForgedResetIgnored:
		lead := "A reset"
		if fd.Suspicion {
			lead = "A reset possibly"
		}
		more := ""
		if fd.Count > 1 {
			more = fmt.Sprintf(" (and %d more: frames %s)", fd.Count-1, frames(fd.Packets[1:]))
		}
		return fmt.Sprintf("%s forged in the %s's name at the %s stage (frame %d%s) ended nothing: the %s went on and sent new data (frame %d). "+
			"A device on the path tried to tear the connection down and failed; the outcome above is what the endpoints did next.",
			lead, fd.Side, fd.Stage, fd.Reset, more, fd.Side.Other(), fd.Other), false, ""
	case analyze.FindResetRace:
		return fmt.Sprintf("The %s sent %s (frame %d) %s after a reset in its name (frame %d): it never sent that reset, a device on the path forged it.",
			fd.Side, packetKindText(fd.Packet, fd.Bytes), fd.Other, ms(fd.Delay), fd.Reset), false, ""
	case analyze.FindHostFirewall:
		r, ttl := resetByFrame(f, fd.Reset), f.TTLName()
		return fmt.Sprintf("The %s sent %s (frame %d) %s after a reset in its name (frame %d), so its socket did not send that reset; "+
			"but the reset came with the %s's own %s %d, from as far away as the %s: most likely a firewall on the %s host itself "+
			"(an iptables or nftables REJECT --reject-with tcp-reset rule, a fail2ban or firewalld ban), or a device right in front of it that keeps the %s.",
			fd.Side, packetKindText(fd.Packet, fd.Bytes), fd.Other, ms(fd.Delay), fd.Reset,
			fd.Side, ttl, r.TTL, fd.Side, fd.Side, ttl), false, ""
	case analyze.FindResetBurst:
		return fmt.Sprintf("%d resets in the %s's name with different sequence numbers (frames %s): a TCP stack sends one, an injector sends several to be sure one lands.",
			fd.Count, fd.Side, frames(fd.Packets)), false, ""
	case analyze.FindResetBothEnds:
		return fmt.Sprintf("Resets went to both ends at the same moment, each in the other end's name (frames %s): neither endpoint can send a reset in the other's name, one device on the path sent them all.",
			frames(fd.Packets)), false, ""
	case analyze.FindIdleTimeoutReset:
		silence := ms(fd.Delay) + " of silence"
		if fd.Relative {
			silence += fmt.Sprintf(", the connection's longest (its other silences lasted at most %s", ms(fd.Usual))
			if fd.RTT > 0 {
				silence += fmt.Sprintf(", its round trip %s", ms(fd.RTT))
			}
			silence += "),"
		}
		return fmt.Sprintf("After %s the %s's packet (frame %d) drew a reset in the %s's name (frame %d): a NAT, firewall or load balancer on the path had most likely dropped the idle connection.",
			silence, fd.Side.Other(), fd.Other, fd.Side, fd.Reset), false, ""
	case analyze.FindResidualBlock:
		r := resetByFrame(f, fd.Reset)
		how := "reset before the client sent a byte"
		if f.Outcome == analyze.OutcomeRefused {
			how = "refused"
		}
		between, still := "between these hosts", "between these hosts"
		if fd.AllClients {
			between, still = "between other clients and this server", "to this server, whatever the client"
		}
		return fmt.Sprintf("This connection was %s by a reset forged in the %s's name (frame %d), %s after the first forged reset %s (at %s; %d connection%s with forged resets before this one): "+
			"a residual block, the device on the path still resets every new connection %s.",
			how, fd.Side, fd.Reset, ms(fd.Delay), between, clock(r.Time.Add(-fd.Delay)), fd.Count, plural(fd.Count), still), false, ""
	case analyze.FindPostSynAckReset:
		return fmt.Sprintf("The connection was reset (frame %d) right after the handshake, before either side sent a byte.", fd.Reset), false, ""
	case analyze.FindClientReset:
		return fmt.Sprintf("The client itself aborted the connection with a RST (frame %d) at the %s stage.", fd.Reset, fd.Stage), false, ""
	case analyze.FindServerReset:
		return fmt.Sprintf("The server itself reset the connection (frame %d) at the %s stage.", fd.Reset, fd.Stage), false, ""
	case analyze.FindCloseBeforeBan:
		pre = fmt.Sprintf("The server closed the connection (frame %d) before its SSH identification string: ", fd.Other)
		switch fd.Close {
		case analyze.CloseMaxStartups:
			return pre + "sshd wrote ", true, " instead of its banner: too many unauthenticated connections at once (MaxStartups)."
		case analyze.CloseNotAllowed:
			return pre + "sshd wrote ", true, " instead of its banner: MaxStartups or PerSourcePenalties (OpenSSH 9.8 and later) refused this client."
		case analyze.CloseOtherText:
			return pre + "the server wrote ", true, " instead of its banner."
		}
		return pre + "sshd ended it before sending its banner: MaxStartups, PerSourcePenalties, TCP wrappers or fail2ban on the host, or sshd crashing.", false, ""
	case analyze.FindMTUBlackhole:
		size := fmt.Sprintf("%d-byte segment", fd.Size[0])
		if fd.Size[1] != fd.Size[0] {
			size = fmt.Sprintf("data (sent as %d bytes, retransmitted as %d-byte segments)", fd.Size[0], fd.Size[1])
		}
		list := frames(fd.Packets)
		if len(fd.Packets) < fd.Count {
			list += ", ..."
		}
		if fd.Silent {
			return fmt.Sprintf("The %s's %s went out %d times (frames %s) and was never acknowledged, and nothing from the %s arrived after it, though the %s's smaller segments before it were acknowledged: "+
				"most likely a link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages are blocked (a path MTU black hole); or the path, or the %s, died at that very moment.",
				fd.Side, size, fd.Count, list, fd.Side.Other(), fd.Side, fd.Side.Other()), false, ""
		}
		return fmt.Sprintf("The %s's %s went out %d times (frames %s) and was never acknowledged, while the %s's packets kept arriving: a link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages are blocked (a path MTU black hole).",
			fd.Side, size, fd.Count, list, fd.Side.Other()), false, ""
	case analyze.FindNotSSH:
		return fmt.Sprintf("The %s's first line (frame %d) is not an SSH identification string but ", fd.Side, fd.Other), true,
			": another protocol (HTTP, TLS, a scanner, a proxy or load balancer check) is talking on this port."
	case analyze.FindMalformedSSH:
		return fmt.Sprintf("The %s's SSH stream is malformed from frame %d on (%s): OpenSSH drops such a connection; a broken or hostile peer, or a device rewriting the stream, sent it.",
			fd.Side, fd.Other, stopText(fd.Stop)), false, ""
	case analyze.FindRateLimit:
		return fmt.Sprintf("%d earlier connection%s from %s to %s got through, the last %s before this one; this one was %s (frame %d): a rate limit (firewall, IPS, MaxStartups or PerSourcePenalties) stopped it.",
			fd.Count, plural(fd.Count), f.Client.Addr(), f.Server, ms(fd.Delay), fd.Outcome, fd.Reset), false, ""
	}
	return fd.ID.String(), false, ""
}

// stopText says why the walker stopped following a stream.
func stopText(s analyze.StopReason) string {
	switch s {
	case analyze.StopMissingBytes:
		return "bytes missing from the capture"
	case analyze.StopLongLine:
		return "identification line longer than 8192 bytes"
	case analyze.StopNotSSH:
		return "not SSH: the first line is not an SSH identification string"
	case analyze.StopSSH1:
		return "SSH protocol version 1"
	case analyze.StopTooManyLines:
		return "more than 1024 lines before the identification string"
	case analyze.StopMalformedPacket:
		return "malformed binary packet header"
	case analyze.StopMidstream:
		return "capture started mid-stream"
	}
	return ""
}

// noteTexts words where the analysis of a flow is incomplete.
func noteTexts(ns []analyze.Note) []string {
	if ns == nil {
		return nil
	}
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Side.String() + " stream: " + stopText(n.Stop)
	}
	return out
}

// advice collects the causes and next steps of a flow's findings from the
// catalog, main finding first, without repeats.
func advice(fs []analyze.Finding) (causes, next []string) {
	ids := make([]analyze.FindingID, len(fs))
	for i := range fs {
		ids[i] = fs[i].ID
	}
	return adviceFor(ids)
}

// adviceFor collects the causes and next steps of findings from the
// catalog, in the order given, without repeats: the one way advice reaches
// every report, and rstsniff explain.
func adviceFor(ids []analyze.FindingID) (causes, next []string) {
	if len(ids) == 0 {
		return nil, nil // most connections: no finding, no advice
	}
	// A handful of lines: a scan finds repeats without a map's allocations.
	seen := func(s string) bool { return slices.Contains(causes, s) || slices.Contains(next, s) }
	for _, id := range ids {
		e := id.Entry()
		for _, c := range e.Causes {
			if !seen(c) {
				causes = append(causes, c)
			}
		}
		for _, n := range e.NextSteps {
			if !seen(n) {
				next = append(next, n)
			}
		}
	}
	return causes, next
}

var (
	icmp4Unreach = [...]string{"network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
		"fragmentation needed", "source route failed", "destination network unknown", "destination host unknown",
		"source host isolated", "network administratively prohibited", "host administratively prohibited",
		"network unreachable for TOS", "host unreachable for TOS", "communication administratively prohibited",
		"host precedence violation", "precedence cutoff in effect"}
	icmp6Unreach = [...]string{"no route to destination", "communication with destination administratively prohibited",
		"beyond scope of source address", "address unreachable", "port unreachable",
		"source address failed ingress/egress policy", "reject route to destination"}
)

func icmpTTLName(e analyze.ICMPError) string {
	if e.IPv6 {
		return "hop limit"
	}
	return "TTL"
}

// icmpWhat names an ICMP error as the RFCs do, with its type and code.
func icmpWhat(e analyze.ICMPError) string {
	name := ""
	switch {
	case !e.IPv6 && e.Type == 3 && int(e.Code) < len(icmp4Unreach):
		name = "destination unreachable, " + icmp4Unreach[e.Code]
	case !e.IPv6 && e.Type == 3:
		name = "destination unreachable"
	case !e.IPv6 && e.Type == 11 && e.Code == 0:
		name = "time exceeded, TTL expired in transit"
	case !e.IPv6 && e.Type == 11:
		name = "time exceeded"
	case e.IPv6 && e.Type == 1 && int(e.Code) < len(icmp6Unreach):
		name = "destination unreachable, " + icmp6Unreach[e.Code]
	case e.IPv6 && e.Type == 1:
		name = "destination unreachable"
	case e.IPv6 && e.Type == 2:
		name = "packet too big"
	case e.IPv6 && e.Type == 3 && e.Code == 0:
		name = "time exceeded, hop limit expired in transit"
	case e.IPv6:
		name = "time exceeded"
	}
	proto := "ICMP"
	if e.IPv6 {
		proto = "ICMPv6"
	}
	s := fmt.Sprintf("%s %s (type %d code %d)", proto, name, e.Type, e.Code)
	if e.PathMTU() && e.MTU > 0 {
		s += fmt.Sprintf(", next-hop MTU %d", e.MTU)
	}
	return s
}

// errnoText is the errno as Linux's strerror words it ("" for none).
func errnoText(e syscall.Errno) string {
	switch e {
	case 0:
		return ""
	case syscall.ENETUNREACH:
		return "Network is unreachable"
	case syscall.EHOSTUNREACH:
		return "No route to host"
	case syscall.ECONNREFUSED:
		return "Connection refused"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.ENOPROTOOPT:
		return "Protocol not available"
	case syscall.EOPNOTSUPP:
		return "Operation not supported"
	case syscall.EHOSTDOWN:
		return "Host is down"
	case syscall.ENONET:
		return "Machine is not on the network"
	case syscall.EPROTO:
		return "Protocol error"
	}
	return e.Error()
}
