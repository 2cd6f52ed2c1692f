package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sync"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/correlate"
)

// threeLanes is the HTML drawing of one matched connection: the client-side
// capture on the left, the path in the middle, the server-side capture on
// the right. A packet that crossed is an arrow from lane to lane; one lost
// on the path stops in the middle; one made on the path starts there.
type threeLanes struct {
	Height  int
	Arrows  []svgArrow
	Marks   []svgMark
	Omitted int
}

type svgMark struct{ X, Y int }

func lanes(v pairView) threeLanes {
	var l threeLanes
	rows := v.Packets
	if len(rows) > maxRows*2 {
		l.Omitted = len(rows) - maxRows*2
		rows = rows[:maxRows*2]
	}
	l.Omitted += v.PacketsOmitted
	for i, pv := range rows {
		y := topMargin + i*rowHeight + rowHeight/2
		from, to := laneClient, laneServer
		if pv.fromSide == analyze.Server {
			from, to = laneServer, laneClient
		}
		a := svgArrow{Y: y, X1: from, X2: to, Class: "pkt"}
		switch pv.fate {
		case correlate.Dropped:
			a.X2, a.Class = laneMiddle, "rst"
			l.Marks = append(l.Marks, svgMark{laneMiddle, y})
		case correlate.Injected:
			a.X1, a.Class = laneMiddle, "forged"
		case correlate.Unseen, correlate.Resegmented:
			a.Class = "faint"
		}
		if pv.Changes != "" {
			a.Class = "changed"
		}
		if pv.rst && a.Class == "pkt" {
			a.Class = "rstok"
		}
		a.Label = fmt.Sprintf("%s %s  #%s / #%s  %s", pv.Time, pv.What, pv.Frames[0], pv.Frames[1], pv.Fate)
		if pv.Changes != "" {
			a.Label += ": " + pv.Changes
		}
		dir := 1
		if a.X2 < a.X1 {
			dir = -1
		}
		a.Head = fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, a.Y, a.X2-9*dir, a.Y-5, a.X2-9*dir, a.Y+5)
		l.Arrows = append(l.Arrows, a)
	}
	l.Height = topMargin + len(rows)*rowHeight + 30
	return l
}

type corrPage struct {
	Meta     Meta
	Inputs   []Input
	Head     string
	Clock    string
	Pairs    []pairView
	Rest     string
	Jumps    []htmlJump
	Warnings []string
	More     []template.HTML // the other witnesses' sections
}

type htmlJump struct {
	Capture string
	Rows    [][2]string
	Summary string
}

// CorrelationHTML writes the comparison as one self-contained page with a
// three-lane diagram per connection, then the sections of other witnesses
// (more), in order.
func CorrelationHTML(w io.Writer, c *Correlation, meta Meta, more ...Section) error {
	page := corrPage{Meta: meta, Inputs: c.Inputs, Warnings: c.warnings()}
	for _, cj := range c.Jumps {
		for _, j := range cj.Jumps {
			page.Jumps = append(page.Jumps, htmlJump{cj.Capture, jumpRows(&j), jumpSummary(&j)})
		}
	}
	if r := c.Result; r != nil {
		page.Head = fmt.Sprintf("%d connection%s in both captures, %d only in %s, %d only in %s.", len(r.Pairs), plural(len(r.Pairs)),
			len(r.Unmatched[0]), r.Captures[0].Name, len(r.Unmatched[1]), r.Captures[1].Name)
		page.Clock = capitalizeFirst(clockText(r)) + "."
		idx, rest := c.shown()
		page.Pairs = viewPairs(r, idx, true)
		if rest != "" {
			page.Rest = capitalizeFirst(rest) + "."
		}
	}
	var err error
	if page.More, err = htmlSections(more); err != nil {
		return err
	}
	return corrTmpl().Execute(w, page)
}

// correlateHTML is the page after htmlHead; its {{css}} is htmlCSS, then
// correlateCSS.
//
//go:embed templates/correlate.html
var correlateHTML string

//go:embed templates/correlate.css
var correlateCSS string

var corrTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("correlation").Funcs(pageFuncs(template.FuncMap{
		"css":      func() template.CSS { return template.CSS(htmlCSS + correlateCSS) },
		"name":     func(v pairView, i int) string { return v.Names[i] },
		"rowNames": func() []string { return []string{"Connection", "Seen as", "Ended"} },
	})).Parse(htmlHead + correlateHTML))
})
