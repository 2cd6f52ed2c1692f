package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/rstsniff/rstsniff/analyze"
)

// TableOptions choose what the table shows.
type TableOptions struct {
	All     bool // list every connection, not only the abnormal ones
	Explain bool // after the table, the whole reasoning for each listed connection
	// Width is the terminal's width: columns are dropped and cells
	// shortened so that the table fits, and longer lines are broken at
	// spaces. 0 means no limit (a pipe or a file).
	Width int
	// Color marks forged resets in red and firewall ones in yellow (a
	// terminal that wants colour: not NO_COLOR, not a pipe).
	Color bool
}

// Table writes one plain line per connection that ended abnormally or
// shows a finding, then a table of those (or of all connections), then a
// summary line; with Explain, the reasoning for each.
func Table(w io.Writer, r *Run, opt TableOptions) error {
	rows := listedFlows(r, opt.All) // the notable ones first
	notable := 0
	for notable < len(rows) && rows[notable].Notable() {
		notable++
	}
	date, single := oneDay(r)
	multi := len(r.Inputs) > 1
	var b strings.Builder
	if len(rows) > 0 {
		if single {
			fmt.Fprintf(&b, "%s, times in UTC\n", date)
		} else {
			b.WriteString("Times in UTC\n")
		}
	}
	for _, f := range rows[:notable] {
		b.WriteString(VerdictLine(f, !single) + "\n")
	}
	if notable > 0 {
		b.WriteString("\n")
	}
	if len(rows) > 0 {
		cols := []column{{name: "ID"}, {name: "TIME"}, {name: "CLIENT"}, {name: "SERVER"}, {name: "OUTCOME"},
			{name: "BY"}, {name: "STAGE"}, {name: "RESETS"}, {name: "FINDING"}, {name: "SERVER BANNER"}}
		if multi {
			cols = append([]column{{name: "FILE"}}, cols...)
		}
		for _, f := range rows {
			cells := []string{
				strconv.Itoa(f.ID),
				when(f.Start, !single),
				Endpoint(f.Client),
				Endpoint(f.Server),
				f.Outcome.String(),
				dash(endedBy(f)),
				f.Stage.String(),
				dash(resetCell(f)),
				dash(mainFinding(f)),
				dash(Safe(clipCell(serverText(f), 48))),
			}
			if multi {
				cells = append([]string{Safe(f.File)}, cells...)
			}
			for i := range cols {
				cols[i].cells = append(cols[i].cells, cells[i])
			}
		}
		var dropped []string
		cols, dropped = fit(cols, opt.Width)
		t := newTable(&b)
		header := make([]any, len(cols))
		for i, c := range cols {
			header[i] = c.name
		}
		t.Header(header...)
		for j := range rows {
			row := make([]any, len(cols))
			for i, c := range cols {
				row[i] = c.cells[j]
			}
			if err := t.Append(row...); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		if len(dropped) > 0 {
			fmt.Fprintf(&b, "(%s left out to fit %d columns: a wider terminal or --format json shows them)\n", strings.Join(dropped, ", "), opt.Width)
		}
	}
	b.WriteString(summaryLine(r, len(rows)))
	if opt.Explain {
		for _, f := range rows {
			if err := Explain(&b, f, multi); err != nil {
				return err
			}
		}
	}
	_, err := io.WriteString(w, paint(wrap(b.String(), opt.Width), opt.Color))
	return err
}

// column is one column of the connection table, its cells top to bottom.
type column struct {
	name  string
	cells []string
}

func (c *column) width() int {
	n := utf8.RuneCountInString(c.name)
	for _, s := range c.cells {
		n = max(n, utf8.RuneCountInString(s))
	}
	return n
}

func tableWidth(cols []column) int {
	n := 1
	for i := range cols {
		n += cols[i].width() + 3
	}
	return n
}

// fit drops columns and shortens cells until the table is at most width
// wide: the banner goes first, then long cells are shortened, then the
// columns the verdict lines above already say.
func fit(cols []column, width int) (_ []column, dropped []string) {
	if width <= 0 {
		return cols, nil
	}
	steps := []struct {
		name string
		clip int  // 0: drop the column
		cut  bool // shorten without an ellipsis (a time's milliseconds)
	}{
		{"SERVER BANNER", 0, false}, {"FILE", 16, false}, {"RESETS", 16, false}, {"FINDING", 14, false}, {"RESETS", 0, false},
		{"TIME", 8, true}, {"FILE", 10, false}, {"STAGE", 0, false}, {"FINDING", 0, false},
		{"CLIENT", 16, false}, {"SERVER", 16, false}, {"OUTCOME", 7, false}, {"CLIENT", 12, false}, {"SERVER", 12, false},
	}
	for _, st := range steps {
		if tableWidth(cols) <= width {
			break
		}
		i := slices.IndexFunc(cols, func(c column) bool { return c.name == st.name })
		if i < 0 {
			continue
		}
		if st.clip == 0 {
			dropped = append(dropped, st.name)
			cols = slices.Delete(cols, i, i+1)
			continue
		}
		for j, s := range cols[i].cells {
			if st.name == "CLIENT" || st.name == "SERVER" {
				// The port tells connections between the same hosts
				// apart: shorten the address, keep the port.
				cols[i].cells[j] = clipEndpoint(s, st.clip)
				continue
			}
			if st.cut {
				if r := []rune(s); len(r) > st.clip {
					s = string(r[:st.clip])
				}
				cols[i].cells[j] = s
				continue
			}
			cols[i].cells[j] = ellipsis(s, st.clip)
		}
	}
	return cols, dropped
}

// clipEndpoint shortens an address:port cell to n characters, the
// address first ("198.51.10…:35784"), keeping the port whole when it fits.
func clipEndpoint(s string, n int) string {
	i := strings.LastIndexByte(s, ':')
	if utf8.RuneCountInString(s) <= n || i < 0 || len(s)-i+1 >= n {
		return ellipsis(s, n)
	}
	return ellipsis(s[:i], n-(len(s)-i)) + s[i:]
}

// ellipsis shortens s to n characters, the last one "…".
func ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Wrap breaks lines longer than width at spaces, continuing them indented
// two more than the line itself. 0 leaves them alone. Help and explain
// text use it too.
func Wrap(s string, width int) string { return wrap(s, width) }

// wrap breaks lines longer than width at spaces, continuing them indented
// two more than the line itself. 0 leaves them alone.
func wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		nl := strings.HasSuffix(line, "\n")
		line = strings.TrimSuffix(line, "\n")
		indent := strings.Repeat(" ", len(line)-len(strings.TrimLeft(line, " "))+2)
		for utf8.RuneCountInString(line) > width {
			r := []rune(line)
			cut := -1
			for i := width; i > len(indent); i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			if cut < 0 { // one long word: cut it
				cut = width
			}
			b.WriteString(strings.TrimRight(string(r[:cut]), " ") + "\n")
			line = indent + strings.TrimLeft(string(r[cut:]), " ")
		}
		b.WriteString(line)
		if nl {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// paint colours the words that name a forged reset: red for the path,
// yellow for a host's firewall.
func paint(s string, color bool) string {
	if !color {
		return s
	}
	return strings.NewReplacer(
		"FORGED", "\x1b[1;31mFORGED\x1b[0m",
		"server-fw", "\x1b[33mserver-fw\x1b[0m",
		"client-fw", "\x1b[33mclient-fw\x1b[0m",
	).Replace(s)
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

func mainFinding(f *analyze.Flow) string {
	if len(f.Findings) == 0 {
		return ""
	}
	return f.Findings[0].ID.String()
}

// Explain writes the whole reasoning for one connection.
func Explain(w io.Writer, f *analyze.Flow, multi bool) error {
	_, err := io.WriteString(w, explainText(viewFlow(f), multi))
	return err
}

// explainText lays out one connection's view for the terminal.
func explainText(v flowView, multi bool) string {
	var b strings.Builder
	f := v.F
	file := ""
	if multi {
		file = " in " + Safe(f.File)
	}
	fmt.Fprintf(&b, "\nConnection %d%s, %s: %s -> %s, %s (frames %d-%d)\n", f.ID, file, clock(f.Start), v.Client, v.Server,
		v.Ending, f.FirstPacket, f.LastPacket)
	if len(v.ClientError) > 0 {
		b.WriteString("  The OpenSSH client most likely printed:\n")
		for _, l := range v.ClientError {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for _, rw := range v.Resets {
		r := rw.R
		fmt.Fprintf(&b, "  Reset frame %d at %s, in the %s's name, at the %s stage, %s %d: %s\n", r.Packet, clock(r.Time), r.From, r.Stage, f.TTLName(), r.TTL, rw.Origin)
		if rw.Kernel != "" {
			fmt.Fprintf(&b, "    Kernel witness: %s\n", rw.Kernel)
		}
		for _, e := range rw.Evidence {
			fmt.Fprintf(&b, "    - %s\n", e)
		}
		for _, n := range rw.Notes {
			fmt.Fprintf(&b, "    %s\n", n)
		}
	}
	if v.Dropped != "" {
		fmt.Fprintf(&b, "  Kernel witness: %s\n", v.Dropped)
	}
	if len(v.Findings) > 0 {
		b.WriteString("  Findings:\n")
		for _, fd := range v.Findings {
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
	list("Likely causes", v.Causes)
	list("What to check next", v.NextSteps)
	return b.String()
}

// whoSent names who really sent a reset in a few words, for report
// tables: a device on the path, a host's firewall, an endpoint, or unknown.
func whoSent(r analyze.Reset) string {
	switch s := r.Sender; {
	case r.Suspected() && s == analyze.SenderPath:
		return "possibly a device on the path (weak evidence)"
	case r.Suspected():
		return "possibly the " + r.From.String() + "'s firewall (weak evidence)"
	case s == analyze.SenderPath:
		return "a device on the path (FORGED)"
	case s == analyze.SenderClientFirewall:
		return "the client's firewall"
	case s == analyze.SenderServerFirewall:
		return "the server's firewall"
	case s == analyze.SenderClient, s == analyze.SenderServer:
		return "the " + s.String()
	}
	return "unknown"
}

func originSentence(r analyze.Reset) string {
	if r.Sender.HostFirewall() {
		return fmt.Sprintf("not sent by the %s's socket but from its distance: most likely a firewall on the %s host itself (origin: middlebox)", r.From, r.From)
	}
	switch r.Sender.Verdict() {
	case analyze.VerdictForged:
		if r.Suspected() {
			return "possibly forged by a device on the path, on weak evidence (origin: middlebox)"
		}
		return "forged by a device on the path (origin: middlebox)"
	case analyze.VerdictGenuine:
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

// resetCell lists a flow's resets: frame and who really sent it.
func resetCell(f *analyze.Flow) string {
	var parts []string
	for i := range f.Resets {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(f.Resets)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("#%d %s", f.Resets[i].Packet, senderCell(&f.Resets[i])))
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
	line := fmt.Sprintf("#%d %s", f.ID, VerdictLine(f, false))
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
	if t := r.Tally; t != nil && t.Recorded != nil {
		e := t.Recorded
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
	fmt.Fprintf(&b, "%d packets", r.Packets())
	if t := r.Tunnelled(); t > 0 {
		fmt.Fprintf(&b, " (%d of them read inside a tunnel)", t)
	}
	fmt.Fprintf(&b, ", %d SSH connection%s", n, plural(n))
	if n > 0 {
		m := r.Outcomes()
		var parts []string
		for _, o := range analyze.Outcomes {
			if m[o] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[o], o))
			}
		}
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "; %d RST%s", r.Resets(), plural(r.Resets()))
	if r.Resets() > 0 {
		b.WriteString(": " + resetSenders(r.Senders()))
	}
	unlisted := 0
	if r.Tally != nil {
		unlisted = r.Tally.Unlisted
	}
	switch hidden := n - listed - unlisted; {
	case hidden == 1 && n == 1:
		b.WriteString(" (no problem found in it; --all lists it)")
	case hidden == n && hidden > 0:
		b.WriteString(" (no problem found in any; --all lists them)")
	case hidden > 0:
		fmt.Fprintf(&b, " (%d of them without problems not listed; --all lists them)", hidden)
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
