package report

import (
	"fmt"
	"io"
	"strings"
)

// CorrelationTable writes the comparison for a terminal.
func CorrelationTable(w io.Writer, c *Correlation) error {
	var b strings.Builder
	if r := c.Result; r != nil {
		fmt.Fprintf(&b, "%s and %s: %d connection%s in both, %d only in %s, %d only in %s\n", captureName(r, 0), captureName(r, 1),
			len(r.Pairs), plural(len(r.Pairs)), len(r.Unmatched[0]), captureName(r, 0), len(r.Unmatched[1]), captureName(r, 1))
		fmt.Fprintf(&b, "%s\n", clockText(r))
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		idx, rest := c.shown()
		for _, v := range viewPairs(r, idx, false) {
			if err := pairTable(w, &v); err != nil {
				return err
			}
		}
		if rest != "" {
			if _, err := fmt.Fprintf(w, "\n%s\n", rest); err != nil {
				return err
			}
		}
	}
	if err := jumpTables(w, c); err != nil {
		return err
	}
	b.Reset()
	if c.Result == nil && jumpCount(c) == 0 {
		b.WriteString("no jump host legs found: give two captures (client and server side) to compare, or a tcpdump -i any capture taken on a jump host\n")
	}
	for _, x := range c.warnings() {
		fmt.Fprintf(&b, "warning: %s\n", Safe(x))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func jumpTables(w io.Writer, c *Correlation) error {
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			if _, err := fmt.Fprintf(w, "\nJump host in %s:\n", Safe(cj.Capture)); err != nil {
				return err
			}
			t := newTable(w)
			t.Header("", "LEG 1: CLIENT -> JUMP HOST", "LEG 2: JUMP HOST -> TARGET")
			for i, r := range jumpRows(&j) {
				if err := t.Append([]string{"connection", "seen as", "ended"}[i], r[0], r[1]); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n", jumpSummary(&j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func pairTable(w io.Writer, v *pairView) error {
	var b strings.Builder
	p := v.P
	fmt.Fprintf(&b, "\nConnection %d: %s -> %s\n", v.N, v.Client, v.Server)
	fmt.Fprintf(&b, "  nearer the client: %s (connection %d), nearer the server: %s (connection %d); %s\n",
		v.Names[v.CS], p.Flows[v.CS].ID, v.Names[v.SS], p.Flows[v.SS].ID, v.Sides)
	fmt.Fprintf(&b, "  matched by %s (%d packets)", v.MatchedBy, p.Votes)
	if v.Hops != "" {
		fmt.Fprintf(&b, "; routers between the points: %s", v.Hops)
	}
	b.WriteString("\n")
	if v.NAT != "" {
		fmt.Fprintf(&b, "  address translation: %s\n", v.NAT)
	}
	for _, i := range []int{v.CS, v.SS} {
		fmt.Fprintf(&b, "  in %s: %s\n", v.Names[i], v.Ends[i])
	}
	fmt.Fprintf(&b, "  packets: %s\n", v.Counts)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(v.Resets) > 0 {
		t := newTable(w)
		t.Header("RST IN THE NAME OF", "FRAME IN "+clipCell(v.Names[0], 24), "FRAME IN "+clipCell(v.Names[1], 24), "PROVEN", "ONE CAPTURE SAID")
		for _, rv := range v.Resets {
			said := rv.Guessed
			if rv.Right != "-" {
				said += " (" + rv.Right + ")"
			}
			if err := t.Append(rv.From, rv.Frames[0], rv.Frames[1], rv.Verdict, said); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	b.Reset()
	for _, f := range v.Findings {
		fmt.Fprintf(&b, "  %s: %s\n", f.ID, Safe(f.Summary))
	}
	if len(v.Findings) == 0 {
		b.WriteString("  nothing happened on the path: every packet that left one point reached the other unchanged\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
