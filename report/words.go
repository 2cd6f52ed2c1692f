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
func ms(d time.Duration) string { return string(sentence(nil).ms(d)) }

// baselineText renders a TTL baseline as "63" or "63 (20 packets), 62 (2 packets)".
func baselineText(b analyze.Baseline) string { return string(sentence(nil).baseline(b)) }

func scopeText(s analyze.Scope) string {
	if s == analyze.ScopeCapture {
		return "in its other connections in this capture"
	}
	return "in this connection"
}

// evidenceText words one fact about a reset.
func evidenceText(f *analyze.Flow, r *analyze.Reset, e *analyze.Evidence) string {
	return string(appendEvidenceText(nil, f, r, e))
}

// appendEvidenceText words one fact about a reset at the end of b.
func appendEvidenceText(b []byte, f *analyze.Flow, r *analyze.Reset, e *analyze.Evidence) []byte {
	t := sentence(b)
	side, other, ttl := r.From.String(), r.From.Other().String(), f.TTLName()
	switch e.Signal {
	case analyze.SigTTLMatch:
		return t.s(ttl).s(" ").d(int(r.TTL)).s(" matches the ").s(side).s("'s other ").d(e.Baseline.Total).s(" packets ").s(scopeText(e.Scope))
	case analyze.SigTTLDistance:
		return t.s(ttl).s(" ").d(int(r.TTL)).s(" (").hops(analyze.Hops(r.TTL)).s("), but the ").s(side).s("'s other ").d(e.Baseline.Total).
			s(" packets ").s(scopeText(e.Scope)).s(" arrived with ").s(ttl).s(" ").baseline(e.Baseline).
			s(" (").hops(analyze.Hops(e.Baseline.First)).s("): the reset came from a different distance")
	case analyze.SigTTLUnlike:
		return t.s(ttl).s(" ").d(int(r.TTL)).s(", but the ").s(side).s("'s only other packet ").s(scopeText(e.Scope)).
			s(" arrived with ").s(ttl).s(" ").baseline(e.Baseline)
	case analyze.SigSenderKeptSending:
		return t.s("the ").s(side).s(" sent ").kind(e.Packet, e.Bytes).s(" (frame ").d(e.Frames[0]).s(") ").ms(e.Delay).
			s(" after this reset: a reset it had sent itself would have closed its socket")
	case analyze.SigReceiverIgnored:
		return t.s("the ").s(other).s(" ignored it and sent new data (frame ").d(e.Frames[0]).s(")")
	case analyze.SigChallengeACK:
		return t.s("the ").s(other).s(" answered with a challenge ACK (frame ").d(e.Frames[0]).
			s(", RFC 5961): the sequence number was not the one it expected")
	case analyze.SigOutOfWindow:
		return t.s("its sequence number ").u(uint64(e.Seq)).s(" is outside what the ").s(side).s(" had sent: the receiver would drop it")
	case analyze.SigTimestampContinues:
		return t.s("it carries the ").s(side).s("'s TCP timestamp clock (TSval continues its other packets)")
	case analyze.SigTimestampForeign:
		return t.s("its TCP timestamp does not follow the ").s(side).s("'s clock")
	case analyze.SigIPIDContinues:
		return t.s("its IP ID ").u(uint64(e.IPID)).s(" continues the ").s(side).s("'s counter")
	case analyze.SigFlowLabel:
		return t.s("it carries the ").s(side).s("'s IPv6 flow label 0x").hex5(e.Label).s(", which its socket sets on every packet")
	case analyze.SigTooSoon:
		return t.s("it arrived ").ms(e.Delay).s(" after the packet that drew it (frame ").d(e.Frames[0]).s("), less than half the ").
			ms(e.RTT).s(" the ").s(side).s(" takes to answer: something nearer sent it")
	case analyze.SigBurst:
		return t.s("one of ").d(e.Count).s(" resets in the ").s(side).s("'s name with ").d(e.Seqs).
			s(" different sequence numbers (frames ").frames(e.Frames).s(")")
	case analyze.SigBothEnds:
		return t.s("resets toward both ends within ").ms(e.Delay).s(" (frames ").d(e.Frames[0]).s(" and ").d(e.Frames[1]).
			s("), with no packet between them")
	case analyze.SigExactSeq:
		return t.s("its sequence number is exactly the ").s(side).s("'s next one")
	case analyze.SigRefusedSYNForm:
		return t.s("it has the form a TCP stack gives a refused SYN (RST+ACK, seq 0, ack = ISN+1)")
	case analyze.SigStackReply:
		return t.s("it answers the ").s(other).s("'s frame ").d(e.Frames[0]).s(" ").ms(e.Delay).s(" later as the ").s(side).
			s("'s own stack does (RFC 9293 §3.10.7.1: its sequence number ").u(uint64(e.Seq)).
			s(" is that packet's acknowledgment number), from the ").s(side).s("'s distance")
	}
	return t.s(e.Signal.String())
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

// ttlBaseline writes the baseline a reset's TTL evidence compared it with.
func (t sentence) ttlBaseline(r *analyze.Reset) sentence {
	for i := range r.Evidence {
		if s := r.Evidence[i].Signal; s == analyze.SigTTLDistance || s == analyze.SigTTLUnlike {
			return t.baseline(r.Evidence[i].Baseline)
		}
	}
	return t
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
func summary(f *analyze.Flow, fd *analyze.Finding) string { return string(appendSummary(nil, f, fd)) }

// appendSummary words a finding at the end of b.
func appendSummary(b []byte, f *analyze.Flow, fd *analyze.Finding) []byte {
	b, quotes, post := appendSummaryParts(b, f, fd)
	if !quotes {
		return b
	}
	return append(strconv.AppendQuote(b, fd.Quote), post...)
}

// summaryParts words a finding around the network text it quotes, if it
// quotes Finding.Quote there: the text before it and the text after.
func summaryParts(f *analyze.Flow, fd *analyze.Finding) (pre string, quotes bool, post string) {
	b, quotes, post := appendSummaryParts(nil, f, fd)
	return string(b), quotes, post
}

// appendSummaryParts writes a finding's words up to the network text it
// quotes, if it quotes Finding.Quote, and returns the words after it.
func appendSummaryParts(b []byte, f *analyze.Flow, fd *analyze.Finding) (_ []byte, quotes bool, post string) {
	t := sentence(b)
	side, other := fd.Side.String(), fd.Side.Other().String()
	srv := f.Server.Addr()
	switch fd.ID {
	case analyze.FindOneDirection:
		return t.s("Only the ").s(other).s("'s packets are in this capture (frames ").d(fd.Packets[0]).s("-").d(fd.Packets[1]).
			s("), yet they acknowledge packets from the ").s(side).s(": the ").s(side).
			s("'s packets went another way (asymmetric routing) or a capture filter left them out. Who ended the connection, and why, cannot be told from half of it."), false, ""
	case analyze.FindRefused:
		t = t.s("The SYN (frame ").d(f.FirstPacket)
		if fd.Forged {
			t = t.s(") was answered by a RST in ").addr(srv).s("'s name (frame ").d(fd.Reset).s(")")
		} else {
			t = t.s(") was answered by a RST from ").addr(srv).s(" (frame ").d(fd.Reset).s(")")
		}
		if fd.HasDelay {
			t = t.s(" ").ms(fd.Delay).s(" after the SYN")
		}
		if fd.Forged {
			return t.s(", but a device on the path sent it, not the server."), false, ""
		}
		return t.s(": nothing listens on port ").u(uint64(f.Server.Port())).s(" there, or a firewall rejects the connection."), false, ""
	case analyze.FindSynTimeout:
		return t.d(fd.Count).s(" SYN").s(plural(fd.Count)).s(" to ").addr(srv).s(" port ").u(uint64(f.Server.Port())).s(" over ").ms(fd.Delay).
			s(" (frames ").d(fd.Packets[0]).s("-").d(fd.Packets[1]).
			s(") were never answered: a firewall drops them, or the host is down or unreachable."), false, ""
	case analyze.FindICMPUnreachable:
		e := fd.ICMP
		return t.s("The client's SYN (frame ").d(f.FirstPacket).s(") was answered in frame ").d(e.Packet).s(" by ").s(icmpWhat(e)).
			s(" from ").addr(e.From).s(", ").s(icmpSenderText(fd.Sender)).s(", ").s(icmpTTLName(e)).s(" ").d(int(e.TTL)).
			s("; the client's kernel gave up the connection: ").s(errnoText(e.Errno())).s("."), false, ""
	case analyze.FindTTLMismatch:
		r, ttl := resetByFrame(f, fd.Reset), f.TTLName()
		from := r.From.String()
		return t.s("The reset in frame ").d(fd.Reset).s(" claims to come from the ").s(from).s(", but its ").s(ttl).s(" ").d(int(r.TTL)).
			s(" does not match the ").s(from).s("'s other packets (").s(ttl).s(" ").ttlBaseline(r).s(")."), false, ""
	case analyze.FindForgedResetIgnored:
		t = t.s("A reset")
		if fd.Suspicion {
			t = t.s(" possibly")
		}
		t = t.s(" forged in the ").s(side).s("'s name at the ").s(fd.Stage.String()).s(" stage (frame ").d(fd.Reset)
		if fd.Count > 1 {
			t = t.s(" (and ").d(fd.Count - 1).s(" more: frames ").frames(fd.Packets[1:]).s(")")
		}
		return t.s(") ended nothing: the ").s(other).s(" went on and sent new data (frame ").d(fd.Other).s("). ").
			s("A device on the path tried to tear the connection down and failed; the outcome above is what the endpoints did next."), false, ""
	case analyze.FindResetRace:
		return t.s("The ").s(side).s(" sent ").kind(fd.Packet, fd.Bytes).s(" (frame ").d(fd.Other).s(") ").ms(fd.Delay).
			s(" after a reset in its name (frame ").d(fd.Reset).s("): it never sent that reset, a device on the path forged it."), false, ""
	case analyze.FindHostFirewall:
		r, ttl := resetByFrame(f, fd.Reset), f.TTLName()
		return t.s("The ").s(side).s(" sent ").kind(fd.Packet, fd.Bytes).s(" (frame ").d(fd.Other).s(") ").ms(fd.Delay).
			s(" after a reset in its name (frame ").d(fd.Reset).s("), so its socket did not send that reset; ").
			s("but the reset came with the ").s(side).s("'s own ").s(ttl).s(" ").d(int(r.TTL)).s(", from as far away as the ").s(side).
			s(": most likely a firewall on the ").s(side).s(" host itself ").
			s("(an iptables or nftables REJECT --reject-with tcp-reset rule, a fail2ban or firewalld ban), or a device right in front of it that keeps the ").
			s(ttl).s("."), false, ""
	case analyze.FindResetBurst:
		return t.d(fd.Count).s(" resets in the ").s(side).s("'s name with different sequence numbers (frames ").frames(fd.Packets).
			s("): a TCP stack sends one, an injector sends several to be sure one lands."), false, ""
	case analyze.FindResetBothEnds:
		return t.s("Resets went to both ends at the same moment, each in the other end's name (frames ").frames(fd.Packets).
			s("): neither endpoint can send a reset in the other's name, one device on the path sent them all."), false, ""
	case analyze.FindIdleTimeoutReset:
		t = t.s("After ").ms(fd.Delay).s(" of silence")
		if fd.Relative {
			t = t.s(", the connection's longest (its other silences lasted at most ").ms(fd.Usual)
			if fd.RTT > 0 {
				t = t.s(", its round trip ").ms(fd.RTT)
			}
			t = t.s("),")
		}
		return t.s(" the ").s(other).s("'s packet (frame ").d(fd.Other).s(") drew a reset in the ").s(side).s("'s name (frame ").d(fd.Reset).
			s("): a NAT, firewall or load balancer on the path had most likely dropped the idle connection."), false, ""
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
		return t.s("This connection was ").s(how).s(" by a reset forged in the ").s(side).s("'s name (frame ").d(fd.Reset).s("), ").
			ms(fd.Delay).s(" after the first forged reset ").s(between).s(" (at ").clock(r.Time.Add(-fd.Delay)).s("; ").d(fd.Count).
			s(" connection").s(plural(fd.Count)).s(" with forged resets before this one): ").
			s("a residual block, the device on the path still resets every new connection ").s(still).s("."), false, ""
	case analyze.FindPostSynAckReset:
		return t.s("The connection was reset (frame ").d(fd.Reset).s(") right after the handshake, before either side sent a byte."), false, ""
	case analyze.FindClientReset:
		return t.s("The client itself aborted the connection with a RST (frame ").d(fd.Reset).s(") at the ").s(fd.Stage.String()).s(" stage."), false, ""
	case analyze.FindServerReset:
		return t.s("The server itself reset the connection (frame ").d(fd.Reset).s(") at the ").s(fd.Stage.String()).s(" stage."), false, ""
	case analyze.FindCloseBeforeBan:
		t = t.s("The server closed the connection (frame ").d(fd.Other).s(") before its SSH identification string: ")
		switch fd.Close {
		case analyze.CloseMaxStartups:
			return t.s("sshd wrote "), true, " instead of its banner: too many unauthenticated connections at once (MaxStartups)."
		case analyze.CloseNotAllowed:
			return t.s("sshd wrote "), true, " instead of its banner: MaxStartups or PerSourcePenalties (OpenSSH 9.8 and later) refused this client."
		case analyze.CloseOtherText:
			return t.s("the server wrote "), true, " instead of its banner."
		}
		return t.s("sshd ended it before sending its banner: MaxStartups, PerSourcePenalties, TCP wrappers or fail2ban on the host, or sshd crashing."), false, ""
	case analyze.FindMTUBlackhole:
		t = t.s("The ").s(side).s("'s ")
		if fd.Size[1] != fd.Size[0] {
			t = t.s("data (sent as ").d(fd.Size[0]).s(" bytes, retransmitted as ").d(fd.Size[1]).s("-byte segments)")
		} else {
			t = t.d(fd.Size[0]).s("-byte segment")
		}
		t = t.s(" went out ").d(fd.Count).s(" times (frames ").frames(fd.Packets)
		if len(fd.Packets) < fd.Count {
			t = t.s(", ...")
		}
		if fd.Silent {
			return t.s(") and was never acknowledged, and nothing from the ").s(other).s(" arrived after it, though the ").s(side).
				s("'s smaller segments before it were acknowledged: ").
				s("most likely a link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages are blocked (a path MTU black hole); or the path, or the ").
				s(other).s(", died at that very moment."), false, ""
		}
		return t.s(") and was never acknowledged, while the ").s(other).
			s("'s packets kept arriving: a link on the path has a smaller MTU and the ICMP \"fragmentation needed\" messages are blocked (a path MTU black hole)."), false, ""
	case analyze.FindNotSSH:
		return t.s("The ").s(side).s("'s first line (frame ").d(fd.Other).s(") is not an SSH identification string but "), true,
			": another protocol (HTTP, TLS, a scanner, a proxy or load balancer check) is talking on this port."
	case analyze.FindMalformedSSH:
		return t.s("The ").s(side).s("'s SSH stream is malformed from frame ").d(fd.Other).s(" on (").s(stopText(fd.Stop)).
			s("): OpenSSH drops such a connection; a broken or hostile peer, or a device rewriting the stream, sent it."), false, ""
	case analyze.FindRateLimit:
		return t.d(fd.Count).s(" earlier connection").s(plural(fd.Count)).s(" from ").addr(f.Client.Addr()).s(" to ").addrPort(f.Server).
			s(" got through, the last ").ms(fd.Delay).s(" before this one; this one was ").s(fd.Outcome.String()).s(" (frame ").d(fd.Reset).
			s("): a rate limit (firewall, IPS, MaxStartups or PerSourcePenalties) stopped it."), false, ""
	}
	return t.s(fd.ID.String()), false, ""
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
		if int(n.Side) < len(noteWords) && int(n.Stop) < len(noteWords[0]) {
			out[i] = noteWords[n.Side][n.Stop]
		} else {
			out[i] = noteText(n)
		}
	}
	return out
}

func noteText(n analyze.Note) string { return n.Side.String() + " stream: " + stopText(n.Stop) }

// noteWords is every side's note for every reason, made once: a capture
// that starts mid-stream notes it on every connection open at its start.
var noteWords = func() (w [analyze.Server + 1][analyze.StopMidstream + 1]string) {
	for s := range w {
		for r := range w[s] {
			w[s][r] = noteText(analyze.Note{Side: analyze.Side(s), Stop: analyze.StopReason(r)})
		}
	}
	return w
}()

// advice collects the causes and next steps of a flow's findings from the
// catalog, main finding first, without repeats.
func advice(fs []analyze.Finding) (causes, next []string) { return appendAdvice(nil, nil, fs) }

// appendAdvice is advice appended to causes and next (JSON lines reuse
// theirs), repeats looked for among what it appends.
func appendAdvice(causes, next []string, fs []analyze.Finding) ([]string, []string) {
	c0, n0 := len(causes), len(next)
	for i := range fs {
		causes, next = addAdvice(causes, next, c0, n0, fs[i].ID)
	}
	return causes, next
}

// adviceFor collects the causes and next steps of findings from the
// catalog, in the order given, without repeats: the one way advice reaches
// every report, and rstsniff explain.
func adviceFor(ids []analyze.FindingID) (causes, next []string) {
	for _, id := range ids {
		causes, next = addAdvice(causes, next, 0, 0, id)
	}
	return causes, next
}

// addAdvice appends one finding's causes and next steps that
// causes[c0:] and next[n0:] do not hold yet.
func addAdvice(causes, next []string, c0, n0 int, id analyze.FindingID) ([]string, []string) {
	// A handful of lines: a scan finds repeats without a map's allocations.
	seen := func(s string) bool { return slices.Contains(causes[c0:], s) || slices.Contains(next[n0:], s) }
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
