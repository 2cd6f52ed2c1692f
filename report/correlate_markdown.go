package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CorrelationMarkdown writes the comparison as a Markdown report, then the
// sections of other witnesses (more), in order.
func CorrelationMarkdown(w io.Writer, c *Correlation, meta Meta, more ...Section) error {
	var b strings.Builder
	b.WriteString("# rstsniff: what happened between the capture points\n\n")
	for _, in := range c.Inputs {
		fmt.Fprintf(&b, "- Input: %s (%s, %d packets)\n", mdCode(in.Name, false), in.Format, in.Frames)
	}
	fmt.Fprintf(&b, "- rstsniff %s", mdText(meta.Version))
	if meta.Command != "" {
		fmt.Fprintf(&b, ": %s", mdCode(meta.Command, false))
	}
	b.WriteString("\n\n")
	if r := c.Result; r != nil {
		fmt.Fprintf(&b, "%s connection%s in both captures, %d only in the first, %d only in the second. %s.\n",
			strconv.Itoa(len(r.Pairs)), plural(len(r.Pairs)), len(r.Unmatched[0]), len(r.Unmatched[1]), mdText(capitalizeFirst(clockText(r))))
		idx, rest := c.shown()
		if rest != "" {
			fmt.Fprintf(&b, "\n%s.\n", mdText(capitalizeFirst(rest)))
		}
		for _, v := range viewPairs(r, idx, true) {
			p := v.P
			fmt.Fprintf(&b, "\n## Connection %d: %s → %s\n\n", v.N, mdCode(v.Client, false), mdCode(v.Server, false))
			fmt.Fprintf(&b, "| | %s | %s |\n|---|---|---|\n", mdCode(v.Names[v.CS], true), mdCode(v.Names[v.SS], true))
			fmt.Fprintf(&b, "| Position | nearer the client | nearer the server |\n")
			fmt.Fprintf(&b, "| Connection | %d: %s → %s | %d: %s → %s |\n", p.Flows[v.CS].ID, mdCode(Endpoint(p.Flows[v.CS].Client), true),
				mdCode(Endpoint(p.Flows[v.CS].Server), true), p.Flows[v.SS].ID, mdCode(Endpoint(p.Flows[v.SS].Client), true), mdCode(Endpoint(p.Flows[v.SS].Server), true))
			fmt.Fprintf(&b, "| Seen as | %s | %s |\n\n", mdText(v.Ends[v.CS]), mdText(v.Ends[v.SS]))
			fmt.Fprintf(&b, "Matched by %s (%d packets); %s.", mdText(v.MatchedBy), p.Votes, mdText(v.Sides))
			if v.Hops != "" {
				fmt.Fprintf(&b, " Routers between the points: %s.", mdText(v.Hops))
			}
			if v.NAT != "" {
				fmt.Fprintf(&b, " Address translation: %s.", mdText(v.NAT))
			}
			fmt.Fprintf(&b, " Packets: %s.\n\n", mdText(v.Counts))
			if len(v.Resets) > 0 {
				fmt.Fprintf(&b, "| RST in the name of | Frame in %s | Frame in %s | Proven | One capture said |\n|---|---|---|---|---|\n",
					mdCode(v.Names[0], true), mdCode(v.Names[1], true))
				for _, rv := range v.Resets {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s (%s) |\n", rv.From, rv.Frames[0], rv.Frames[1], mdText(rv.Verdict), rv.Guessed, rv.Right)
				}
				b.WriteString("\n")
			}
			if len(v.Findings) == 0 {
				b.WriteString("Nothing happened on the path: every packet that left one point reached the other unchanged.\n")
			}
			for _, f := range v.Findings {
				fmt.Fprintf(&b, "- **%s**: %s\n", f.ID, mdText(f.Summary))
			}
			var notable []packetView
			for _, pv := range v.Packets {
				if pv.Notable {
					notable = append(notable, pv)
				}
			}
			if len(notable) > 0 {
				fmt.Fprintf(&b, "\n| Time | From | Packet | Frame in %s | Frame in %s | Fate | Changed |\n|---|---|---|---|---|---|---|\n",
					mdCode(v.Names[0], true), mdCode(v.Names[1], true))
				for _, pv := range notable {
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", pv.Time, pv.From, mdCode(pv.What, true), pv.Frames[0], pv.Frames[1], pv.Fate, mdText(dash(pv.Changes)))
				}
			}
		}
	}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			fmt.Fprintf(&b, "\n## Jump host in %s\n\n| | Leg 1: client → jump host | Leg 2: jump host → target |\n|---|---|---|\n", mdCode(cj.Capture, false))
			for i, r := range jumpRows(&j) {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", []string{"Connection", "Seen as", "Ended"}[i], mdText(r[0]), mdText(r[1]))
			}
			fmt.Fprintf(&b, "\n%s\n", mdText(jumpSummary(&j)))
		}
	}
	for _, x := range c.warnings() {
		fmt.Fprintf(&b, "\nWarning: %s\n", mdText(x))
	}
	if err := markdownSections(&b, more); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
