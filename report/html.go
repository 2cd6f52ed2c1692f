package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/decode"
)

// HTML writes the report as one self-contained page: no script, font or
// style from elsewhere, a Content-Security-Policy that forbids them, and per
// connection an SVG ladder diagram. html/template escapes everything that
// came off the network.
func HTML(w io.Writer, r *Run, meta Meta) error {
	start, end := timeRange(r)
	page := htmlPage{Meta: meta, Summary: summaryText(r), Warnings: r.Warnings(), Inputs: r.Inputs}
	if !start.IsZero() {
		page.Range = start.UTC().Format(TimeFormat) + " to " + end.UTC().Format(TimeFormat)
	}
	if t := r.Tally; t != nil && t.Capture != nil {
		page.Capture = fmt.Sprintf("%d received by filter, %d dropped by the kernel, %d by the interface", t.Capture.Received, t.Capture.Dropped, t.Capture.IfDropped)
	}
	for _, f := range notableFlows(r) {
		hf := htmlFlow{F: f, Verdict: verdict(f), Filter: wiresharkFilter(f), Ladder: ladder(f), Server: serverText(f)}
		if ce := clientError(f); ce != "" {
			hf.ClientError = strings.Split(ce, "\n")
		}
		for i := range f.Resets {
			r := &f.Resets[i]
			hf.Resets = append(hf.Resets, htmlReset{R: *r, Evidence: evidenceTexts(f, r, len(r.Evidence))})
		}
		for i := range f.Findings {
			fd := &f.Findings[i]
			hf.Findings = append(hf.Findings, htmlFinding{ID: fd.ID.String(), Blame: fd.Blame.String(), Summary: summary(f, fd)})
		}
		hf.Causes, hf.NextSteps = advice(f.Findings)
		for _, p := range evidenceRecords(f) {
			hf.Packets = append(hf.Packets, packetLine(f, p, f.Start))
		}
		page.Flows = append(page.Flows, hf)
	}
	return htmlTmpl.Execute(w, page)
}

type htmlPage struct {
	Meta     Meta
	Inputs   []Input
	Range    string
	Capture  string
	Summary  string
	Warnings []string
	Flows    []htmlFlow
}

type htmlFlow struct {
	F           *analyze.Flow
	Verdict     string
	ClientError []string
	Server      string
	Packets     []string
	Filter      string
	Ladder      svgLadder
	Resets      []htmlReset
	Findings    []htmlFinding
	Causes      []string
	NextSteps   []string
}

type htmlReset struct {
	R        analyze.Reset
	Evidence []string
}

type htmlFinding struct {
	ID, Blame, Summary string
}

// Geometry of the ladder diagram.
const (
	svgWidth   = 900
	laneClient = 230
	laneMiddle = 480
	laneServer = 730
	rowHeight  = 26
	topMargin  = 56
	maxRows    = 80
)

// svgLadder is the drawing data for one connection.
type svgLadder struct {
	Height  int
	Middle  bool // a middlebox lane: some reset was forged
	Bands   []svgBand
	Arrows  []svgArrow
	Omitted int
	Copies  int
}

type svgBand struct {
	Y, H  int
	Stage string
	Fill  string
}

type svgArrow struct {
	Y, X1, X2 int
	Label     string
	Class     string // pkt, rst, forged
	Head      string // the arrowhead's polygon points
}

var stageFill = map[string]string{
	"handshake": "#e8eef7", "banner": "#e6f2e6", "kexinit": "#f7f0e1", "kex": "#f4e6f0",
	"auth": "#e6f0f4", "session": "#eef4e4", "unknown": "#eeeeee",
}

// ladder lays out the connection's packets: client and server lanes, a
// middlebox lane where a reset was forged, one arrow per packet labelled
// with relative time, flags, length and TTL, and the SSH stages as bands.
func ladder(f *analyze.Flow) svgLadder {
	forged := map[int]bool{}
	for _, r := range f.Resets {
		if r.Forger == analyze.ForgerPath { // a host's firewall is drawn at the host
			forged[r.Packet] = true
		}
	}
	l := svgLadder{Middle: len(forged) > 0}
	var recs []analyze.PacketRecord
	for _, p := range f.Log {
		if p.Dup {
			l.Copies++ // the same packet seen at a second capture point
			continue
		}
		recs = append(recs, p)
	}
	if len(recs) > maxRows {
		l.Omitted = len(recs) - maxRows + f.LogOmitted
		recs = recs[:maxRows]
	} else {
		l.Omitted = f.LogOmitted
	}
	for i, p := range recs {
		y := topMargin + i*rowHeight + rowHeight/2
		a := svgArrow{Y: y, X1: laneClient, X2: laneServer, Class: "pkt"}
		if p.From == analyze.Server {
			a.X1, a.X2 = laneServer, laneClient
		}
		if p.Flags.Has(decode.RST) {
			a.Class = "rst"
			if forged[p.Frame] {
				a.Class = "forged"
				a.X1 = laneMiddle
			}
		}
		a.Label = fmt.Sprintf("#%d +%.1f ms [%s] len %d %s %d", p.Frame, float64(p.Time.Sub(f.Start).Microseconds())/1000, p.Flags, p.Len, ttlShort(f), p.TTL)
		if a.Class == "forged" {
			a.Label += " FORGED"
		}
		if p.Banner {
			a.Label += " banner"
		}
		dir := 1
		if a.X2 < a.X1 {
			dir = -1
		}
		a.Head = fmt.Sprintf("%d,%d %d,%d %d,%d", a.X2, a.Y, a.X2-9*dir, a.Y-5, a.X2-9*dir, a.Y+5)
		l.Arrows = append(l.Arrows, a)
		st := p.Stage.String()
		if n := len(l.Bands); n > 0 && l.Bands[n-1].Stage == st {
			l.Bands[n-1].H += rowHeight
		} else {
			l.Bands = append(l.Bands, svgBand{Y: topMargin + i*rowHeight, H: rowHeight, Stage: st, Fill: stageFill[st]})
		}
	}
	l.Height = topMargin + len(recs)*rowHeight + 30
	return l
}

// htmlHead opens every HTML page: no script, font or style from elsewhere,
// and a Content-Security-Policy that forbids them.
const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
`

// htmlCSS styles every HTML page and its diagrams.
const htmlCSS = `body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 980px; color: #1d2430; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ccd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccd; padding: 3px 8px; text-align: left; vertical-align: top; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; } pre { background: #f6f7f9; padding: 8px; overflow-x: auto; }
.verdict { background: #fff8e6; border-left: 4px solid #e0a000; padding: 8px 12px; }
.warn { color: #a33; }
svg.ladder { display: block; background: #f3f7fc; border: 1px solid #ccd; margin: 12px 0; max-width: 100%; height: auto; }
svg .lane { stroke: #445; stroke-width: 2; } svg .lanename { font: bold 13px sans-serif; fill: #223; }
svg .pkt { stroke: #2b5fa8; stroke-width: 1.5; } svg .rst { stroke: #c62828; stroke-width: 2.5; } svg .forged { stroke: #c62828; stroke-width: 3; stroke-dasharray: 6 3; }
svg text.label { font: 11px ui-monospace, monospace; fill: #223; paint-order: stroke; stroke: #f3f7fc; stroke-width: 4px; stroke-linejoin: round; } svg text.stage { font: italic 11px sans-serif; fill: #556; }
@media print { svg.ladder { break-inside: avoid; } body { margin: 0; } }
`

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"endpoint": func(f *analyze.Flow, server bool) string {
		if server {
			return Endpoint(f.Server)
		}
		return Endpoint(f.Client)
	},
	"safe":   Safe,
	"main":   mainFinding,
	"origin": originSentence,
	"who":    whoSent,
	"mid":    func(a, b int) int { return (a + b) / 2 },
	"width":  func() int { return svgWidth },
	"laneX": func(n string) int {
		return map[string]int{"client": laneClient, "middle": laneMiddle, "server": laneServer}[n]
	},
}).Parse(htmlHead + `<title>rstsniff report</title>
<style>
` + htmlCSS + `</style>
</head>
<body>
<h1>rstsniff report</h1>
<table>
{{range .Inputs}}<tr><th>Input</th><td><code>{{safe .Name}}</code>: {{.Format}}, {{.Frames}} packets</td></tr>
{{end}}{{if .Range}}<tr><th>Time (UTC)</th><td>{{.Range}}</td></tr>{{end}}
{{if .Capture}}<tr><th>Capture</th><td>{{.Capture}}</td></tr>{{end}}
<tr><th>rstsniff</th><td>{{.Meta.Version}}</td></tr>
{{if .Meta.Command}}<tr><th>Command</th><td><code>{{safe .Meta.Command}}</code></td></tr>{{end}}
</table>
<p>{{.Summary}}</p>
{{range .Warnings}}<p class="warn">Warning: {{safe .}}</p>{{end}}
{{if .Flows}}
<h2>Connections that ended abnormally</h2>
<table>
<tr><th>#</th><th>Client</th><th>Server</th><th>Outcome</th><th>Stage</th><th>Reset</th><th>Who sent it</th><th>Main finding</th></tr>
{{range .Flows}}{{$f := .F}}<tr><td><a href="#connection-{{$f.ID}}">{{$f.ID}}</a></td><td><code>{{endpoint $f false}}</code></td><td><code>{{endpoint $f true}}</code></td><td>{{$f.Outcome}}</td><td>{{$f.Stage}}</td>
<td>{{if $f.Resets}}{{with index $f.Resets 0}}frame {{.Packet}}, {{.From}}'s name{{end}}{{else}}-{{end}}</td>
<td>{{if $f.Resets}}{{with index $f.Resets 0}}{{who .}}{{end}}{{else}}-{{end}}</td><td><code>{{main $f}}</code></td></tr>
{{end}}</table>
{{else}}<p>No connection was reset, refused or timed out, and none shows a finding.</p>{{end}}
{{range .Flows}}{{$f := .F}}
<h2 id="connection-{{$f.ID}}">Connection {{$f.ID}}: <code>{{endpoint $f false}}</code> → <code>{{endpoint $f true}}</code></h2>
<p>{{$f.Outcome}}{{if $f.ClosedBy.String}} by the {{$f.ClosedBy}}{{end}} at the {{$f.Stage}} stage, frames {{$f.FirstPacket}}-{{$f.LastPacket}}{{if $f.File}} of <code>{{safe $f.File}}</code>{{end}}.
{{if or $f.ClientBanner .Server}}Client: <code>{{if $f.ClientBanner}}{{safe $f.ClientBanner}}{{else}}-{{end}}</code>; server: <code>{{if .Server}}{{safe .Server}}{{else}}-{{end}}</code>.{{end}}</p>
<p class="verdict"><b>Verdict.</b> {{safe .Verdict}}</p>
{{with .Ladder}}<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{.Height}}" viewBox="0 0 {{width}} {{.Height}}" role="img" aria-label="packet ladder diagram">
{{range .Bands}}<rect x="0" y="{{.Y}}" width="{{width}}" height="{{.H}}" fill="{{.Fill}}"/><text class="stage" x="8" y="{{.Y}}" dy="14">{{.Stage}}</text>
{{end}}<text class="lanename" x="{{laneX "client"}}" y="22" text-anchor="middle">client</text>
{{if .Middle}}<text class="lanename" x="{{laneX "middle"}}" y="22" text-anchor="middle">middlebox</text><line class="lane" x1="{{laneX "middle"}}" y1="32" x2="{{laneX "middle"}}" y2="{{.Height}}" stroke-dasharray="4 4"/>{{end}}
<text class="lanename" x="{{laneX "server"}}" y="22" text-anchor="middle">server</text>
<line class="lane" x1="{{laneX "client"}}" y1="32" x2="{{laneX "client"}}" y2="{{.Height}}"/><line class="lane" x1="{{laneX "server"}}" y1="32" x2="{{laneX "server"}}" y2="{{.Height}}"/>
{{range .Arrows}}<line class="{{.Class}}" x1="{{.X1}}" y1="{{.Y}}" x2="{{.X2}}" y2="{{.Y}}"/><polygon points="{{.Head}}" fill="{{if eq .Class "pkt"}}#2b5fa8{{else}}#c62828{{end}}"/><text class="label" x="{{mid .X1 .X2}}" y="{{.Y}}" dy="-4" text-anchor="middle">{{.Label}}</text>
{{end}}{{if or .Omitted .Copies}}<text class="stage" x="8" y="{{.Height}}" dy="-8">{{if .Omitted}}{{.Omitted}} more packets not drawn. {{end}}{{if .Copies}}{{.Copies}} copies of packets seen on a second interface not drawn.{{end}}</text>{{end}}
</svg>{{end}}
{{if .ClientError}}<p><b>What the OpenSSH client most likely printed:</b></p><pre>{{range .ClientError}}{{safe .}}
{{end}}</pre>{{end}}
{{range .Resets}}<p><b>Reset, frame {{.R.Packet}}</b> ({{.R.From}}'s name, {{.R.Stage}} stage, {{$f.TTLName}} {{.R.TTL}}): {{origin .R}}</p>
<ul>{{range .Evidence}}<li>{{safe .}}</li>{{end}}</ul>
{{end}}{{if .Packets}}<p><b>Packets</b> (frame numbers as in Wireshark; sequence numbers relative):</p><pre>{{range .Packets}}{{.}}
{{end}}</pre>{{end}}
{{if .Findings}}<p><b>Findings:</b></p><ul>{{range .Findings}}<li><code>{{.ID}}</code> (blame: {{.Blame}}): {{safe .Summary}}</li>{{end}}</ul>{{end}}
{{if .Causes}}<p><b>Likely causes:</b></p><ul>{{range .Causes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .NextSteps}}<p><b>What to check next:</b></p><ul>{{range .NextSteps}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p>Wireshark display filter: <code>{{.Filter}}</code></p>
{{end}}
</body>
</html>
`))
