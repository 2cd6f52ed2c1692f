package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"sync"
)

// HTML writes the report as one self-contained page: no script, font or
// style from elsewhere, a Content-Security-Policy that forbids them, and per
// connection an SVG ladder diagram; then the sections of other witnesses
// (more), in order. html/template escapes everything that came off the
// network.
func HTML(w io.Writer, r *Run, meta Meta, more ...Section) error {
	v := viewReport(r, meta)
	page := htmlPage{reportView: v}
	for i := range v.Flows {
		page.Flows = append(page.Flows, htmlFlow{flowView: &v.Flows[i], Ladder: ladder(v.Flows[i].F)})
	}
	var err error
	if page.More, err = htmlSections(more); err != nil {
		return err
	}
	return htmlTmpl().Execute(w, page)
}

// htmlPage is the report's view with a ladder per connection explained.
type htmlPage struct {
	reportView
	Flows []htmlFlow
	More  []template.HTML // the other witnesses' sections
}

type htmlFlow struct {
	*flowView
	Ladder svgLadder
}

// reportHTML is the body of the report page (htmlTmpl); the style sheet
// is spliced in at "/* htmlCSS */" before parsing, outside html/template's
// escaping, as it is our own text.
//
//go:embed templates/report.html
var reportHTML string

var htmlTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(pageFuncs(nil)).Parse(htmlHead + strings.Replace(reportHTML, "/* htmlCSS */", htmlCSS, 1)))
})
