package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Markdown writes a report to attach to a ticket: the capture's facts, a
// summary table of the connections that ended abnormally, then for each
// one the verdict, the client's message, the evidence, the packets,
// findings, causes, next steps and a Wireshark filter; then the sections
// of other witnesses (more), in order. It renders on GitHub and GitLab.
// Text from the network only ever appears inside code spans, so it can
// neither break a table nor become a link or markup.
func Markdown(w io.Writer, r *Run, meta Meta, more ...Section) error {
	v := viewReport(r, meta)
	var b strings.Builder
	b.WriteString("# rstsniff report\n\n")
	b.WriteString("| | |\n|---|---|\n")
	for _, in := range v.Inputs {
		fmt.Fprintf(&b, "| Input | %s: %s, %d packets |\n", mdCode(in.Name, true), mdText(in.Format), in.Frames)
	}
	if v.Range != "" {
		fmt.Fprintf(&b, "| Time (UTC) | %s |\n", v.Range)
	}
	if v.Capture != "" {
		fmt.Fprintf(&b, "| Capture | %s |\n", v.Capture)
	}
	fmt.Fprintf(&b, "| rstsniff | %s |\n", mdText(meta.Version))
	if meta.Command != "" {
		fmt.Fprintf(&b, "| Command | %s |\n", mdCode(meta.Command, true))
	}
	fmt.Fprintf(&b, "\n%s.\n", mdText(strings.TrimSuffix(v.Summary, ".")))
	for _, wn := range v.Warnings {
		fmt.Fprintf(&b, "\n> **Warning:** %s\n", mdText(wn))
	}
	if len(v.Flows) == 0 {
		b.WriteString("\nNo connection was reset, refused or timed out, and none shows a finding.\n")
	} else {
		b.WriteString("\n## Connections that ended abnormally\n\n")
		for i := range v.Flows {
			fmt.Fprintf(&b, "- %s\n", mdLight(v.Flows[i].Line))
		}
	}
	if len(v.Rows) > 0 {
		if len(v.Flows) == 0 {
			b.WriteString("\n## Connections\n")
		}
		b.WriteString("\n| # | Time (UTC) | Client | Server | Outcome | Stage | Reset | Who sent it | Main finding |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, row := range v.Rows {
			f := row.F
			id := strconv.Itoa(f.ID)
			if f.Notable() {
				id = fmt.Sprintf("[%d](#connection-%d)", f.ID, f.ID)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", id, row.Time,
				mdCode(row.Client, true), mdCode(row.Server, true), f.Outcome, f.Stage, row.Reset, row.Who, mdCode(dash(row.Main), true))
		}
	}
	for i := range v.Flows {
		mdFlow(&b, &v.Flows[i])
	}
	if err := markdownSections(&b, more); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdFlow(b *strings.Builder, v *flowView) {
	f := v.F
	fmt.Fprintf(b, "\n## Connection %d\n\n", f.ID)
	fmt.Fprintf(b, "%s → %s, %s UTC: %s; frames %d-%d", mdCode(v.Client, false), mdCode(v.Server, false),
		v.Time, mdText(v.Ending), f.FirstPacket, f.LastPacket)
	if f.File != "" {
		fmt.Fprintf(b, " of %s", mdCode(f.File, false))
	}
	b.WriteString(".\n\n")
	fmt.Fprintf(b, "**Verdict.** %s\n\n", mdText(v.Verdict))
	if f.ClientBanner != "" || f.ServerBanner != "" {
		fmt.Fprintf(b, "Client: %s; server: %s.\n\n", mdCode(dash(f.ClientBanner), false), mdCode(dash(v.ServerText), false))
	}
	if len(v.ClientError) > 0 {
		b.WriteString("**What the OpenSSH client most likely printed:**\n\n```\n")
		for _, l := range v.ClientError {
			b.WriteString(Safe(l) + "\n")
		}
		b.WriteString("```\n\n")
	}
	for _, rw := range v.Resets {
		r := rw.R
		fmt.Fprintf(b, "**Reset, frame %d** (%s's name, %s stage, %s %d): %s\n\n", r.Packet, r.From, r.Stage, f.TTLName(), r.TTL, mdText(rw.Origin))
		for _, e := range rw.Evidence {
			fmt.Fprintf(b, "- %s\n", mdText(e))
		}
		for _, n := range rw.Notes {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
		if rw.Kernel != "" {
			fmt.Fprintf(b, "- Kernel witness: %s\n", mdText(rw.Kernel))
		}
		b.WriteString("\n")
	}
	if v.Dropped != "" {
		fmt.Fprintf(b, "**Kernel witness:** %s\n\n", mdText(v.Dropped))
	}
	if len(v.Packets) > 0 {
		b.WriteString("**Packets** (frame numbers as in Wireshark; sequence numbers relative):\n\n```\n")
		for _, l := range v.Packets {
			b.WriteString(l + "\n")
		}
		if f.LogOmitted > 0 {
			fmt.Fprintf(b, "(%d packets in the middle not kept)\n", f.LogOmitted)
		}
		b.WriteString("```\n\n")
	}
	if len(v.Findings) > 0 {
		b.WriteString("**Findings:**\n\n")
		for i := range v.Findings {
			fd := &v.Findings[i]
			fmt.Fprintf(b, "- %s (blame: %s): %s\n", mdCode(fd.ID, false), fd.Blame, mdSummary(fd))
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
	list("Likely causes", v.Causes)
	list("What to check next", v.NextSteps)
	fmt.Fprintf(b, "Wireshark display filter: %s\n", mdCode(v.Filter, false))
}

// mdSummary renders a finding's summary with the text it quotes from the
// network in a code span.
func mdSummary(fd *findingWords) string {
	if !fd.Quotes || fd.Quote == "" {
		return mdText(fd.Summary)
	}
	return mdText(fd.Pre) + mdCode(fd.Quote, false) + mdText(fd.Post)
}
