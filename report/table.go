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
	All bool // list every connection, not only the abnormal ones
}

// Table writes connections that ended abnormally first (or all of them),
// one line each, then a summary line.
func Table(w io.Writer, r *Run, opt TableOptions) error {
	var rows []*analyze.Flow
	for _, f := range r.Flows {
		if f.Outcome.Abnormal() {
			rows = append(rows, f)
		}
	}
	if opt.All {
		for _, f := range r.Flows {
			if !f.Outcome.Abnormal() {
				rows = append(rows, f)
			}
		}
	}
	t0 := r.start()
	multi := len(r.Inputs) > 1
	if len(rows) > 0 {
		t := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithEastAsian(tw.Off),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
			tablewriter.WithHeaderAlignment(tw.AlignLeft),
			tablewriter.WithRowAlignment(tw.AlignLeft),
		)
		header := []any{"ID", "START", "CLIENT", "SERVER", "OUTCOME", "BY", "STAGE", "RESETS", "SERVER BANNER"}
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
	_, err := io.WriteString(w, summaryLine(r, len(rows)))
	return err
}

// resetCell lists a flow's resets: frame, claimed side, stage and TTL.
func resetCell(f *analyze.Flow) string {
	var parts []string
	for i, rs := range f.Resets {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(f.Resets)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("#%d %s@%s ttl %d", rs.Packet, rs.From, rs.Stage, rs.TTL))
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

func summaryLine(r *Run, listed int) string {
	var b strings.Builder
	n := len(r.Flows)
	fmt.Fprintf(&b, "%d packets, %d SSH connection%s", r.Packets(), n, plural(n))
	if n > 0 {
		m := r.Outcomes()
		var parts []string
		for _, k := range []string{"reset", "refused", "timeout", "closed", "open"} {
			if m[k] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
			}
		}
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "; %d RST%s", r.Resets(), plural(r.Resets()))
	if hidden := n - listed; hidden > 0 {
		fmt.Fprintf(&b, " (%d ended normally, --all lists them)", hidden)
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
