package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
)

// What the Markdown and HTML reports share: the facts about the run, a
// verdict in plain words for each connection, the packets that prove it
// and a Wireshark filter. Text from the network is returned as is; each
// format escapes it its own way.

// Meta describes the invocation for the report header.
type Meta struct {
	Version string
	Command string
	All     bool // --all: list every connection, not only the abnormal ones
}

// verdict says in plain words, with numbers, how a connection ended and who
// really sent the reset that ended it.
func verdict(f *analyze.Flow) string {
	var b strings.Builder
	srv := f.Server.Addr().String()
	switch f.Outcome {
	case analyze.OutcomeRefused:
		fmt.Fprintf(&b, "The client's SYN was answered by a reset: the connection was refused.")
	case analyze.OutcomeUnreachable:
		if e, ok := f.RefusingICMP(); ok {
			fmt.Fprintf(&b, "The client's SYN was answered in frame %d by %s from %s: its kernel gave up the connection (%s).",
				e.Packet, icmpWhat(e), icmpSender(f, e), errnoText(e.Errno()))
		}
	case analyze.OutcomeTimeout:
		fmt.Fprintf(&b, "The connection timed out at the %s stage: what one side sent was never answered.", f.Stage)
	case analyze.OutcomeClosed:
		fmt.Fprintf(&b, "The %s closed the connection at the %s stage.", f.ClosedBy, f.Stage)
	case analyze.OutcomeOpen:
		fmt.Fprintf(&b, "The connection was still open at the %s stage when the capture ended.", f.Stage)
	}
	if len(f.Resets) > 0 {
		r := f.Resets[0]
		addr := srv
		if r.From == analyze.Client {
			addr = f.Client.Addr().String()
		}
		lead := "The reset"
		if f.Outcome == analyze.OutcomeReset {
			lead = "The reset that ended this connection"
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s (frame %d, at the %s stage) carries the %s's address %s", lead, r.Packet, r.Stage, r.From, addr)
		switch {
		case r.Sender.HostFirewall():
			fmt.Fprintf(&b, ", but its socket did not send it: %s. It came from the %s's own distance (%s %d), so most likely from a firewall on the %s host itself.",
				strings.Join(evidenceTexts(f, &r, r.ForgedEvidence()), "; "), r.From, f.TTLName(), r.TTL, r.From)
		case r.Suspected():
			fmt.Fprintf(&b, ", and a device on the path possibly forged it, on weak evidence: %s.", strings.Join(evidenceTexts(f, &r, r.ForgedEvidence()), "; "))
		case r.Sender.Forged():
			fmt.Fprintf(&b, ", but a device on the path forged it: %s.", strings.Join(evidenceTexts(f, &r, r.ForgedEvidence()), "; "))
		case r.Sender.Genuine():
			fmt.Fprintf(&b, ", and the %s itself sent it: %s.", r.From, strings.Join(evidenceTexts(f, &r, len(r.Evidence)), "; "))
		default:
			b.WriteString(", and there is not enough evidence to say whether it or a device on the path sent it.")
		}
		if n := len(f.Resets) - 1; n > 0 {
			fmt.Fprintf(&b, " %d more reset%s followed.", n, plural(n))
		}
	}
	return b.String()
}

// icmpSender names who sent an ICMP error: the other endpoint itself, or
// a device on the path by its address.
func icmpSender(f *analyze.Flow, e analyze.ICMPError) string {
	switch e.From {
	case f.Server.Addr():
		return e.From.String() + ", the server itself"
	case f.Client.Addr():
		return e.From.String() + ", the client itself"
	}
	return e.From.String() + ", a router or firewall on the path"
}

// wiresharkFilter opens exactly this connection in Wireshark.
func wiresharkFilter(f *analyze.Flow) string {
	ip := "ip.addr"
	if f.Client.Addr().Is6() {
		ip = "ipv6.addr"
	}
	return fmt.Sprintf("%s==%s && %s==%s && tcp.port==%d && tcp.port==%d", ip, f.Client.Addr(), ip, f.Server.Addr(), f.Client.Port(), f.Server.Port())
}

// evidenceRecords picks the packets worth showing: the handshake, every
// packet a reset or finding names, and two on each side of those.
func evidenceRecords(f *analyze.Flow) []analyze.PacketRecord {
	want := map[int]bool{}
	for _, r := range f.Resets {
		want[r.Packet] = true
	}
	for _, fd := range f.Findings {
		for _, p := range fd.Packets {
			want[p] = true
		}
	}
	var out []analyze.PacketRecord
	for i, p := range f.Log {
		keep := i < 3 || len(f.Log) <= 12
		for j := max(0, i-2); j <= min(len(f.Log)-1, i+2) && !keep; j++ {
			keep = want[f.Log[j].Frame]
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

// packetLines renders the packets worth showing (evidenceRecords) and every
// ICMP error about the connection, in frame order.
func packetLines(f *analyze.Flow) []string {
	var out []string
	recs, errs := evidenceRecords(f), f.ICMP
	for len(recs) > 0 || len(errs) > 0 {
		if len(errs) > 0 && (len(recs) == 0 || errs[0].Packet < recs[0].Frame) {
			out = append(out, icmpLine(f, errs[0], f.Start))
			errs = errs[1:]
			continue
		}
		out = append(out, packetLine(f, recs[0], f.Start))
		recs = recs[1:]
	}
	return out
}

// icmpLine renders an ICMP error about the connection like packetLine.
func icmpLine(f *analyze.Flow, e analyze.ICMPError, t0 time.Time) string {
	to := f.Client.Addr()
	if e.About == analyze.Server {
		to = f.Server.Addr()
	}
	return fmt.Sprintf("#%-4d +%-9s %s > %s: %s, about the %s's segment, %s %d", e.Packet, seconds(e.Time.Sub(t0)), e.From, to, icmpWhat(e), e.About, icmpTTLName(e), e.TTL)
}

// packetLine renders a packet the way tcpdump would, with its frame number.
func packetLine(f *analyze.Flow, p analyze.PacketRecord, t0 time.Time) string {
	src, dst := f.Client, f.Server
	if p.From == analyze.Server {
		src, dst = dst, src
	}
	s := fmt.Sprintf("#%-4d +%-9s %s > %s: Flags [%s], seq %d", p.Frame, seconds(p.Time.Sub(t0)), Endpoint(src), Endpoint(dst), p.Flags, p.Seq)
	if p.Len > 0 {
		s += fmt.Sprintf(":%d", p.Seq+uint32(p.Len))
	}
	if p.Flags.Has(decode.ACK) {
		s += fmt.Sprintf(", ack %d", p.Ack)
	}
	s += fmt.Sprintf(", win %d, length %d, %s %d", p.Window, p.Len, ttlShort(f), p.TTL)
	if p.Banner {
		s += ", SSH banner"
	}
	if p.Dup {
		s += ", copy from another interface"
	}
	return s
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) + "s" }

// endingCells are the report tables' "Reset" and "Who sent it" cells: the
// reset that ended the connection and who really sent it, or the side
// that closed it.
func endingCells(f *analyze.Flow) (reset, who string) {
	if rs, ok := f.Ending(); ok {
		return fmt.Sprintf("frame %d, %s's name", rs.Packet, rs.From), whoSent(*rs)
	}
	if e, ok := f.RefusingICMP(); ok && f.Outcome == analyze.OutcomeUnreachable {
		return "-", icmpSender(f, e) + " (ICMP)"
	}
	if f.ClosedBy != analyze.SideNone {
		return "-", f.ClosedBy.String()
	}
	return "-", "-"
}

// listedFlows are the connections a report's table lists: the notable
// ones, then (with --all) the others.
func listedFlows(r *Run, all bool) []*analyze.Flow {
	out := notableFlows(r)
	if all {
		for _, f := range r.Flows {
			if !f.Notable() {
				out = append(out, f)
			}
		}
	}
	return out
}

// notableFlows are the connections a report explains.
func notableFlows(r *Run) []*analyze.Flow {
	var out []*analyze.Flow
	for _, f := range r.Flows {
		if f.Notable() {
			out = append(out, f)
		}
	}
	return out
}

// summaryText is the report's one-line summary without warnings.
func summaryText(r *Run, all bool) string {
	s := summaryLine(r, len(listedFlows(r, all)))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] // warnings are listed apart
	}
	return s
}

func timeRange(r *Run) (time.Time, time.Time) {
	var a, b time.Time
	for _, in := range r.Inputs {
		if !in.Start.IsZero() && (a.IsZero() || in.Start.Before(a)) {
			a = in.Start
		}
		if in.End.After(b) {
			b = in.End
		}
	}
	return a, b
}
