package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// Markdown writes a report to attach to a ticket: the capture's facts, a
// summary table of the connections that ended abnormally, then for each
// one the verdict, the client's message, the evidence, the packets,
// findings, causes, next steps and a Wireshark filter. It renders on GitHub
// and GitLab. Text from the network only ever appears inside code spans, so
// it can neither break a table nor become a link or markup.
func Markdown(w io.Writer, r *Run, meta Meta) error {
	var b strings.Builder
	b.WriteString("# rstsniff report\n\n")
	b.WriteString("| | |\n|---|---|\n")
	for _, in := range r.Inputs {
		fmt.Fprintf(&b, "| Input | %s: %s, %d packets |\n", mdCode(in.Name, true), mdText(in.Format), in.Frames)
	}
	if a, z := timeRange(r); !a.IsZero() {
		fmt.Fprintf(&b, "| Time (UTC) | %s to %s |\n", a.UTC().Format(TimeFormat), z.UTC().Format(TimeFormat))
	}
	if t := r.Tally; t != nil && t.Capture != nil {
		fmt.Fprintf(&b, "| Capture | %d received by filter, %d dropped by the kernel, %d by the interface |\n", t.Capture.Received, t.Capture.Dropped, t.Capture.IfDropped)
	}
	fmt.Fprintf(&b, "| rstsniff | %s |\n", mdText(meta.Version))
	if meta.Command != "" {
		fmt.Fprintf(&b, "| Command | %s |\n", mdCode(meta.Command, true))
	}
	fmt.Fprintf(&b, "\n%s.\n", mdText(strings.TrimSuffix(summaryText(r, meta.All), ".")))
	for _, wn := range r.Warnings() {
		fmt.Fprintf(&b, "\n> **Warning:** %s\n", mdText(wn))
	}
	flows := notableFlows(r)
	if len(flows) == 0 {
		b.WriteString("\nNo connection was reset, refused or timed out, and none shows a finding.\n")
	} else {
		b.WriteString("\n## Connections that ended abnormally\n\n")
		for _, f := range flows {
			fmt.Fprintf(&b, "- %s\n", mdLight(VerdictLine(f, true)))
		}
	}
	if listed := listedFlows(r, meta.All); len(listed) > 0 {
		if len(flows) == 0 {
			b.WriteString("\n## Connections\n")
		}
		b.WriteString("\n| # | Time (UTC) | Client | Server | Outcome | Stage | Reset | Who sent it | Main finding |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, f := range listed {
			reset, who := endingCells(f)
			id := strconv.Itoa(f.ID)
			if f.Notable() {
				id = fmt.Sprintf("[%d](#connection-%d)", f.ID, f.ID)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id, when(f.Start, true),
				mdCode(Endpoint(f.Client), true), mdCode(Endpoint(f.Server), true), f.Outcome, f.Stage, reset, who, mdCode(dash(mainFinding(f)), true))
		}
	}
	for _, f := range flows {
		mdFlow(&b, f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdFlow(b *strings.Builder, f *analyze.Flow) {
	fmt.Fprintf(b, "\n## Connection %d\n\n", f.ID)
	fmt.Fprintf(b, "%s → %s, %s UTC: %s; frames %d-%d", mdCode(Endpoint(f.Client), false), mdCode(Endpoint(f.Server), false),
		when(f.Start, true), mdText(ending(f)), f.FirstPacket, f.LastPacket)
	if f.File != "" {
		fmt.Fprintf(b, " of %s", mdCode(f.File, false))
	}
	b.WriteString(".\n\n")
	fmt.Fprintf(b, "**Verdict.** %s\n\n", mdText(verdict(f)))
	if f.ClientBanner != "" || f.ServerBanner != "" {
		fmt.Fprintf(b, "Client: %s; server: %s.\n\n", mdCode(dash(f.ClientBanner), false), mdCode(dash(serverText(f)), false))
	}
	if ce := clientError(f); ce != "" {
		b.WriteString("**What the OpenSSH client most likely printed:**\n\n```\n")
		for _, l := range strings.Split(ce, "\n") {
			b.WriteString(Safe(l) + "\n")
		}
		b.WriteString("```\n\n")
	}
	for i := range f.Resets {
		r := &f.Resets[i]
		fmt.Fprintf(b, "**Reset, frame %d** (%s's name, %s stage, %s %d): %s\n\n", r.Packet, r.From, r.Stage, f.TTLName(), r.TTL, mdText(originSentence(*r)))
		for _, e := range evidenceTexts(f, r, len(r.Evidence)) {
			fmt.Fprintf(b, "- %s\n", mdText(e))
		}
		for _, n := range verdictNotes(r) {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
		if k := KernelSentence(r.Kernel); k != "" {
			fmt.Fprintf(b, "- Kernel witness: %s\n", mdText(k))
		}
		b.WriteString("\n")
	}
	if d := DropsSentence(f.Dropped); d != "" {
		fmt.Fprintf(b, "**Kernel witness:** %s\n\n", mdText(d))
	}
	if lines := packetLines(f); len(lines) > 0 {
		b.WriteString("**Packets** (frame numbers as in Wireshark; sequence numbers relative):\n\n```\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if f.LogOmitted > 0 {
			fmt.Fprintf(b, "(%d packets in the middle not kept)\n", f.LogOmitted)
		}
		b.WriteString("```\n\n")
	}
	if len(f.Findings) > 0 {
		b.WriteString("**Findings:**\n\n")
		for i := range f.Findings {
			fd := &f.Findings[i]
			fmt.Fprintf(b, "- %s (blame: %s): %s\n", mdCode(fd.ID.String(), false), fd.Blame, mdSummary(f, fd))
		}
		b.WriteString("\n")
	}
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(b, "**%s:**\n\n", title)
		for _, it := range items {
			fmt.Fprintf(b, "- %s\n", mdText(it))
		}
		b.WriteString("\n")
	}
	causes, next := advice(f.Findings)
	list("Likely causes", causes)
	list("What to check next", next)
	fmt.Fprintf(b, "Wireshark display filter: %s\n", mdCode(wiresharkFilter(f), false))
}

// mdSummary renders a finding's summary with the text it quotes from the
// network in a code span.
func mdSummary(f *analyze.Flow, fd *analyze.Finding) string {
	pre, quotes, post := summaryParts(f, fd)
	if !quotes || fd.Quote == "" {
		return mdText(summary(f, fd))
	}
	return mdText(pre) + mdCode(fd.Quote, false) + mdText(post)
}

// mdLight escapes our own sentences (no text from the network in them)
// just enough that no character becomes markup: emphasis, links, code,
// tables and HTML.
func mdLight(s string) string {
	return strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "<", "\\<", "|", "\\|").Replace(s)
}

// mdCode puts untrusted text in a code span: made safe for terminals first,
// with a backtick fence longer than any run inside it, and pipes escaped in
// table cells (GFM needs that even inside code spans).
func mdCode(s string, cell bool) string {
	s = Safe(s)
	fence, run := "`", 0
	for _, c := range s {
		if c == '`' {
			run++
			if run >= len(fence) {
				fence += "`"
			}
		} else {
			run = 0
		}
	}
	if cell {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// mdText escapes rstsniff's own prose so that no character in it is taken
// as Markdown, and no more: the raw text stays readable when pasted into a
// ticket or a mail. Inline markup can start anywhere (emphasis, code,
// links, HTML, entities, strikethrough, table cells); block markup (a
// heading, a list, a quote) only at the start of the text, which is where
// the text may start a line.
func mdText(s string) string {
	s = Safe(s)
	var b strings.Builder
	for i, c := range s {
		if strings.ContainsRune("\\`*_[]<|~&", c) || i == 0 && strings.ContainsRune("#+->=", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	out := b.String()
	// "1. " or "1) " at the start is an ordered list.
	if n := len(out) - len(strings.TrimLeft(out, "0123456789")); n > 0 && n < len(out) && (out[n] == '.' || out[n] == ')') {
		out = out[:n] + "\\" + out[n:]
	}
	return out
}
