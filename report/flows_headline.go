package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// The answer first: one plain line per broken connection, naming who
// really ended it (not the address on the packet), the stage, the frame
// and the one fact that decided it. The same phrases head the
// explanation, the Markdown and HTML sections and the live stream.

// clock is a time of day in UTC, to the millisecond.
func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// day is a date in UTC.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// stamp of a connection: its clock time, with the date when the report
// spans several days.
func when(t time.Time, withDate bool) string {
	if withDate {
		return day(t) + " " + clock(t)
	}
	return clock(t)
}

// oneDay reports whether every connection of the run started on one UTC
// day, and which.
func oneDay(r *Run) (string, bool) {
	d := ""
	for _, f := range r.Flows {
		if f.Start.IsZero() {
			continue
		}
		switch x := day(f.Start); {
		case d == "":
			d = x
		case x != d:
			return "", false
		}
	}
	return d, d != ""
}

// senderText names who really sent a reset, for sentences.
func senderText(r *analyze.Reset) string {
	if r.Suspected() {
		switch r.Sender {
		case analyze.SenderPath:
			return fmt.Sprintf("possibly forged in the %s's name by a device on the path (weak evidence)", r.From)
		default:
			return fmt.Sprintf("possibly sent in the %s's name by a firewall on the %s's own host (weak evidence)", r.From, r.From)
		}
	}
	switch r.Sender {
	case analyze.SenderPath:
		return fmt.Sprintf("FORGED in the %s's name by a device on the path", r.From)
	case analyze.SenderClientFirewall, analyze.SenderServerFirewall:
		return fmt.Sprintf("sent in the %s's name by a firewall on the %s's own host, not by its socket", r.From, r.From)
	case analyze.SenderClient, analyze.SenderServer:
		return fmt.Sprintf("sent by the %s itself", r.From)
	}
	return fmt.Sprintf("in the %s's name; who sent it cannot be told", r.From)
}

// senderCell names who really sent a reset in a word or two, for tables.
func senderCell(r *analyze.Reset) string {
	switch s := r.Sender; {
	case s == analyze.SenderPath && r.Suspected():
		return "forged?" // not FORGED: weak evidence, and no red
	case s == analyze.SenderPath:
		return "FORGED"
	case s == analyze.SenderClientFirewall, s == analyze.SenderServerFirewall:
		cell := r.From.String() + "-fw"
		if r.Suspected() {
			cell += "?"
		}
		return cell
	case s == analyze.SenderUnknown:
		return r.From.String() + "?"
	default:
		return s.String()
	}
}

// endedBy names who ended a connection, for the table's BY column: the
// real sender of the reset that ended it, or the side that closed it.
func endedBy(f *analyze.Flow) string {
	if r, ok := f.Ending(); ok {
		return senderCell(r)
	}
	if e, ok := f.RefusingICMP(); ok && f.Outcome == analyze.OutcomeUnreachable {
		return icmpSenderCell(f, e)
	}
	return f.ClosedBy.String()
}

// decisiveText words the one fact that decided a reset's verdict, briefly.
func decisiveText(f *analyze.Flow, r *analyze.Reset) string {
	e, ok := r.Decisive()
	if !ok {
		return ""
	}
	side, other, ttl := r.From, r.From.Other(), f.TTLName()
	switch e.Signal {
	case analyze.SigSenderKeptSending:
		s := fmt.Sprintf("the %s kept sending", side)
		if r.Sender.HostFirewall() {
			s += fmt.Sprintf(", yet the reset came from its own distance (%s %d)", ttl, r.TTL)
		}
		return s
	case analyze.SigBothEnds:
		return "resets went toward both ends at once"
	case analyze.SigBurst:
		return fmt.Sprintf("%d resets with %d different sequence numbers", e.Count, e.Seqs)
	case analyze.SigChallengeACK:
		return fmt.Sprintf("the %s answered with a challenge ACK", other)
	case analyze.SigReceiverIgnored:
		return fmt.Sprintf("the %s ignored it", other)
	case analyze.SigOutOfWindow:
		return "its sequence number is out of window"
	case analyze.SigTimestampForeign:
		return fmt.Sprintf("its timestamp is not the %s's clock", side)
	case analyze.SigTooSoon:
		return fmt.Sprintf("it came sooner than the %s could answer", side)
	case analyze.SigTTLDistance, analyze.SigTTLUnlike:
		return fmt.Sprintf("%s %d, the %s's packets arrive with %s", ttl, r.TTL, side, baselineText(e.Baseline))
	case analyze.SigTimestampContinues:
		return fmt.Sprintf("it carries the %s's timestamp clock", side)
	case analyze.SigIPIDContinues:
		return fmt.Sprintf("its IP ID continues the %s's", side)
	case analyze.SigFlowLabel:
		return fmt.Sprintf("it carries the %s's flow label", side)
	case analyze.SigTTLMatch:
		return fmt.Sprintf("its %s matches the %s's other packets", ttl, side)
	case analyze.SigExactSeq:
		return fmt.Sprintf("exactly the %s's next sequence number", side)
	case analyze.SigRefusedSYNForm:
		return "the form a stack gives a refused SYN"
	case analyze.SigStackReply:
		return fmt.Sprintf("it answers the %s's frame %d as the %s's stack does", other, e.Frames[0], side)
	}
	return ""
}

// ending says how a connection ended, naming who really ended it.
func ending(f *analyze.Flow) string {
	st := f.Stage
	switch f.Outcome {
	case analyze.OutcomeRefused:
		if r, ok := f.Ending(); ok && r.ForgedSurely() {
			return "refused: the reset that answered the SYN was " + senderText(r)
		}
		return "refused: the SYN was answered by a reset from the server"
	case analyze.OutcomeUnreachable:
		if e, ok := f.RefusingICMP(); ok {
			return fmt.Sprintf("unreachable: the SYN was answered by %s from %s", icmpWhat(e), icmpSender(f, e))
		}
		return "unreachable"
	case analyze.OutcomeReset:
		if r, ok := f.Ending(); ok {
			return fmt.Sprintf("reset during the %s stage: %s", st, senderText(r))
		}
		return fmt.Sprintf("reset during the %s stage", st)
	case analyze.OutcomeTimeout:
		if st == analyze.StageHandshake && f.Packets[1] > 0 {
			return "timed out in the handshake: the server answered the SYN, and the client never completed the handshake"
		}
		if st == analyze.StageHandshake {
			return "timed out: the SYN was never answered"
		}
		return fmt.Sprintf("timed out during the %s stage: what one side sent was never answered", st)
	case analyze.OutcomeClosed:
		return fmt.Sprintf("closed by the %s during the %s stage", f.ClosedBy, st)
	}
	return fmt.Sprintf("still open during the %s stage when the capture ended", st)
}

// matchesText names the published fingerprints a reset matches, with
// their sources: "matches gfw-triple (net4people/bbs#285 ...)".
func matchesText(r *analyze.Reset) string {
	var parts []string
	for _, p := range r.Fingerprints {
		e := p.Entry()
		parts = append(parts, fmt.Sprintf("%s (%s)", e.Name, e.Source))
	}
	if parts == nil {
		return ""
	}
	return "matches " + strings.Join(parts, " and ")
}

// because is the frame and the fact a connection's verdict rests on.
func because(f *analyze.Flow) string {
	if r, ok := f.Ending(); ok {
		s := "frame " + strconv.Itoa(r.Packet)
		if d := decisiveText(f, r); d != "" {
			s += "; " + d
		}
		if m := matchesText(r); m != "" {
			s += "; " + m
		}
		return s
	}
	if len(f.Findings) == 0 {
		return ""
	}
	fd := &f.Findings[0]
	switch fd.ID {
	case analyze.FindCloseBeforeBan:
		switch fd.Close {
		case analyze.CloseMaxStartups:
			return fmt.Sprintf("frame %d; sshd refused it before its banner: MaxStartups", fd.Other)
		case analyze.CloseNotAllowed:
			return fmt.Sprintf("frame %d; sshd refused it before its banner: MaxStartups or PerSourcePenalties", fd.Other)
		}
		return fmt.Sprintf("frame %d; the server closed before its banner", fd.Other)
	case analyze.FindForgedResetIgnored:
		return fmt.Sprintf("frame %d; a reset forged in the %s's name was ignored and the connection went on", fd.Reset, fd.Side)
	case analyze.FindMTUBlackhole:
		if fd.Silent {
			return fmt.Sprintf("frame %d; a %d-byte segment sent %d times was never acknowledged and nothing came back: likely a path MTU black hole, or the path died then", fd.Packets[0], fd.Size[0], fd.Count)
		}
		return fmt.Sprintf("frame %d; a %d-byte segment sent %d times was never acknowledged: path MTU black hole", fd.Packets[0], fd.Size[0], fd.Count)
	case analyze.FindSynTimeout:
		return fmt.Sprintf("frames %d-%d; %d SYN%s over %s", fd.Packets[0], fd.Packets[1], fd.Count, plural(fd.Count), ms(fd.Delay))
	case analyze.FindOneDirection:
		return fmt.Sprintf("only the %s's packets are in the capture", fd.Side.Other())
	case analyze.FindICMPUnreachable:
		return fmt.Sprintf("frame %d; %s", fd.ICMP.Packet, errnoText(fd.ICMP.Errno()))
	case analyze.FindNotSSH:
		return fmt.Sprintf("frame %d; the %s does not speak SSH", fd.Other, fd.Side)
	case analyze.FindMalformedSSH:
		return fmt.Sprintf("frame %d; the %s's SSH stream is malformed", fd.Other, fd.Side)
	}
	return fd.ID.String()
}

// VerdictLine says in one line what happened to an abnormal connection:
//
//	06:17:41.410 198.51.100.2:51186 -> 203.0.113.2:22 reset during the banner stage: FORGED in the server's name by a device on the path (frame 5; the server kept sending)
func VerdictLine(f *analyze.Flow, withDate bool) string {
	s := fmt.Sprintf("%s %s -> %s %s", when(f.Start, withDate), Endpoint(f.Client), Endpoint(f.Server), ending(f))
	if b := because(f); b != "" {
		s += " (" + b + ")"
	}
	if len(f.Findings) > 0 {
		s += " [" + f.Findings[0].ID.String() + "]"
	}
	if t := ruleTag(f); t != "" {
		s += " {" + t + "}"
	}
	return s
}

// resetSenders counts resets by who really sent them, in a phrase:
// "1 forged on the path, 1 from the client"; those called forged on weak
// evidence (possible) are counted apart.
func resetSenders(c [analyze.NumSenders]int, possible int) string {
	words := [analyze.NumSenders]string{
		analyze.SenderUnknown:        "of unknown origin",
		analyze.SenderClient:         "from the client",
		analyze.SenderServer:         "from the server",
		analyze.SenderPath:           "forged on the path",
		analyze.SenderClientFirewall: "from the client's firewall",
		analyze.SenderServerFirewall: "from the server's firewall",
	}
	var parts []string
	for _, s := range []analyze.Sender{analyze.SenderPath, analyze.SenderServerFirewall, analyze.SenderClientFirewall,
		analyze.SenderServer, analyze.SenderClient, analyze.SenderUnknown} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], words[s]))
		}
		if s == analyze.SenderClientFirewall && possible > 0 {
			parts = append(parts, fmt.Sprintf("%d possibly forged (weak evidence)", possible))
		}
	}
	return strings.Join(parts, ", ")
}

// icmpSenderCell names who sent the ICMP error that refused a connection,
// in a word, as the verdict line does at length (icmpSender).
func icmpSenderCell(f *analyze.Flow, e analyze.ICMPError) string {
	switch e.From {
	case f.Server.Addr():
		return "server"
	case f.Client.Addr():
		return "client"
	}
	return "router"
}
