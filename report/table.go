package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/rstsniff/rstsniff/analyze"
)

// TableOptions choose what the table shows.
type TableOptions struct {
	All     bool // list every connection, not only the abnormal ones
	Explain bool // after the table, the whole reasoning for each listed connection
}

// Table writes connections that ended abnormally or show a finding first
// (or all of them), one line each, then a summary line.
func Table(w io.Writer, r *Run, opt TableOptions) error {
	var rows []*analyze.Flow
	for _, f := range r.Flows {
		if f.Notable() {
			rows = append(rows, f)
		}
	}
	if opt.All {
		for _, f := range r.Flows {
			if !f.Notable() {
				rows = append(rows, f)
			}
		}
	}
	t0, _ := timeRange(r)
	multi := len(r.Inputs) > 1
	if len(rows) > 0 {
		t := newTable(w)
		header := []any{"ID", "START", "CLIENT", "SERVER", "OUTCOME", "BY", "STAGE", "RESETS", "FINDING", "SERVER BANNER"}
		if multi {
			header = append([]any{"FILE"}, header...)
		}
		t.Header(header...)
		for _, f := range rows {
			row := []any{
				f.ID,
				fmt.Sprintf("+%.3fs", f.Start.Sub(t0).Seconds()),
				Endpoint(f.Client),
				Endpoint(f.Server),
				f.Outcome.String(),
				dash(f.ClosedBy.String()),
				f.Stage.String(),
				dash(resetCell(f)),
				dash(mainFinding(f)),
				dash(Safe(clipCell(serverText(f), 48))),
			}
			if multi {
				row = append([]any{Safe(f.File)}, row...)
			}
			if err := t.Append(row...); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, summaryLine(r, len(rows))); err != nil {
		return err
	}
	if opt.Explain {
		for _, f := range rows {
			if err := Explain(w, f, multi); err != nil {
				return err
			}
		}
	}
	return nil
}

// newTable is an ASCII table as rstsniff draws them: headers as given
// (tablewriter would upper-case and reflow them), no wrapping, left aligned.
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
}

// originWord says in the table who really sent a reset.
func originWord(r analyze.Reset) string {
	switch {
	case r.Beside:
		return "HOST-FW"
	case r.Origin == analyze.OriginMiddlebox:
		return "FORGED"
	case r.Origin == analyze.OriginEndpoint:
		return "genuine"
	}
	return "origin?"
}

func mainFinding(f *analyze.Flow) string {
	if len(f.Findings) == 0 {
		return ""
	}
	return f.Findings[0].ID
}

// Explain writes the whole reasoning for one connection.
func Explain(w io.Writer, f *analyze.Flow, multi bool) error {
	var b strings.Builder
	file := ""
	if multi {
		file = " in " + Safe(f.File)
	}
	fmt.Fprintf(&b, "\nConnection %d%s: %s -> %s, %s", f.ID, file, Endpoint(f.Client), Endpoint(f.Server), f.Outcome)
	if f.ClosedBy != analyze.SideNone {
		fmt.Fprintf(&b, " by the %s", f.ClosedBy)
	}
	fmt.Fprintf(&b, " at the %s stage (frames %d-%d)\n", f.Stage, f.FirstPacket, f.LastPacket)
	if f.ClientError != "" {
		b.WriteString("  The OpenSSH client most likely printed:\n")
		for _, l := range strings.Split(f.ClientError, "\n") {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for _, r := range f.Resets {
		fmt.Fprintf(&b, "  Reset frame %d, in the %s's name, at the %s stage, %s %d: %s\n", r.Packet, r.From, r.Stage, f.TTLName(), r.TTL, originSentence(r))
		if k := KernelSentence(r.Kernel); k != "" {
			fmt.Fprintf(&b, "    Kernel witness: %s\n", k)
		}
		for _, e := range r.Evidence {
			fmt.Fprintf(&b, "    - %s\n", e)
		}
	}
	if len(f.Findings) > 0 {
		b.WriteString("  Findings:\n")
		for _, fd := range f.Findings {
			fmt.Fprintf(&b, "    %s (blame: %s): %s\n", fd.ID, fd.Blame, Safe(fd.Summary))
		}
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "  %s:\n", title)
		for _, it := range items {
			fmt.Fprintf(&b, "    - %s\n", it)
		}
	}
	list("Likely causes", f.Causes)
	list("What to check next", f.NextSteps)
	_, err := io.WriteString(w, b.String())
	return err
}

// whoSent names a reset's origin in one or two words: middlebox,
// endpoint, unknown, or "server's firewall" for one from the claimed
// sender's own distance that its socket did not send.
func whoSent(r analyze.Reset) string {
	if r.Beside {
		return r.From.String() + "'s firewall"
	}
	return r.Origin.String()
}

func originSentence(r analyze.Reset) string {
	if r.Beside {
		return fmt.Sprintf("not sent by the %s's socket but from its distance: most likely a firewall on the %s host itself (origin: middlebox)", r.From, r.From)
	}
	switch r.Origin {
	case analyze.OriginMiddlebox:
		return "forged by a device on the path (origin: middlebox)"
	case analyze.OriginEndpoint:
		return fmt.Sprintf("sent by the %s itself (origin: endpoint)", r.From)
	}
	return "not enough evidence to say who sent it (origin: unknown)"
}

// ttlShort is tcpdump's word for a packet's hops left: "ttl" in IPv4,
// "hlim" (hop limit) in IPv6.
func ttlShort(f *analyze.Flow) string {
	if f.Client.Addr().Is4() {
		return "ttl"
	}
	return "hlim"
}

// resetCell lists a flow's resets: frame, claimed side, stage and TTL.
func resetCell(f *analyze.Flow) string {
	var parts []string
	ttl := ttlShort(f)
	for i, rs := range f.Resets {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(f.Resets)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("#%d %s@%s %s %d %s", rs.Packet, rs.From, rs.Stage, ttl, rs.TTL, originWord(rs)))
	}
	return strings.Join(parts, ", ")
}

// serverText is the server's identification string, or the first text line
// it sent instead.
func serverText(f *analyze.Flow) string {
	if f.ServerBanner != "" {
		return f.ServerBanner
	}
	if len(f.PreBanner) > 0 {
		return `"` + f.PreBanner[0] + `"`
	}
	return ""
}

func clipCell(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// StreamLine writes one connection's verdict as a single line, for a live
// capture, and its explanation after it when explain is set.
func StreamLine(w io.Writer, f *analyze.Flow, explain bool) error {
	line := fmt.Sprintf("%s #%d %s -> %s %s", f.End.UTC().Format("15:04:05.000"), f.ID, Endpoint(f.Client), Endpoint(f.Server), f.Outcome)
	if f.ClosedBy != analyze.SideNone {
		line += " by " + f.ClosedBy.String()
	}
	line += " at " + f.Stage.String()
	if rc := resetCell(f); rc != "" {
		line += " | " + rc
	}
	if mf := mainFinding(f); mf != "" {
		line += " | " + mf
	}
	if st := serverText(f); st != "" {
		line += " | " + Safe(clipCell(st, 60))
	}
	if _, err := io.WriteString(w, line+"\n"); err != nil {
		return err
	}
	for _, k := range KernelLines(f) {
		if _, err := io.WriteString(w, "  "+k+"\n"); err != nil {
			return err
		}
	}
	if explain && f.Notable() {
		return Explain(w, f, false)
	}
	return nil
}

// Summary writes the summary line and warnings alone (a live capture has
// streamed its connections already).
func Summary(w io.Writer, r *Run) error {
	s := summaryLine(r, r.FlowCount())
	if t := r.Tally; t != nil && t.Capture != nil {
		s = fmt.Sprintf("%d packets captured, %d received by filter, %d dropped by kernel, %d by interface\n", r.Packets(), t.Capture.Received, t.Capture.Dropped, t.Capture.IfDropped) + s
	}
	if t := r.Tally; t != nil && t.Evidence != nil {
		e := t.Evidence
		s += fmt.Sprintf("evidence: %d packets of %d connections written to %s", e.Packets, e.Flows, Safe(e.Path))
		if e.Omitted > 0 {
			s += fmt.Sprintf(" (%d left out by the per-connection bound)", e.Omitted)
		}
		s += "\n"
	}
	_, err := io.WriteString(w, s)
	return err
}

func summaryLine(r *Run, listed int) string {
	var b strings.Builder
	n := r.FlowCount()
	fmt.Fprintf(&b, "%d packets, %d SSH connection%s", r.Packets(), n, plural(n))
	if n > 0 {
		m := r.Outcomes()
		var parts []string
		for _, o := range analyze.Outcomes {
			if k := o.String(); m[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
			}
		}
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "; %d RST%s", r.Resets(), plural(r.Resets()))
	unlisted := 0
	if r.Tally != nil {
		unlisted = r.Tally.Unlisted
	}
	if hidden := n - listed - unlisted; hidden > 0 {
		fmt.Fprintf(&b, " (%d more without problems, --all lists them)", hidden)
	}
	b.WriteString("\n")
	for _, w := range r.Warnings() {
		b.WriteString("warning: " + Safe(w) + "\n")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
