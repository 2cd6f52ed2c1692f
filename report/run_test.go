package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
	"github.com/rstsniff/rstsniff/runcmd"
)

func runFlow(outcome analyze.Outcome) *analyze.Flow {
	f := &analyze.Flow{Client: netip.MustParseAddrPort("198.51.100.2:51186"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Outcome: outcome, Stage: analyze.StageBanner}
	if outcome == analyze.OutcomeReset {
		f.Resets = []analyze.Reset{{From: analyze.Server, Stage: analyze.StageBanner, Sender: analyze.SenderPath}}
	}
	return f
}

func TestRunLinesQuiet(t *testing.T) {
	var b bytes.Buffer
	r := &RunFacts{Command: []string{"ssh", "h", "true"}, Flows: []*analyze.Flow{runFlow(analyze.OutcomeClosed)}, Via: []*runcmd.Master{nil}, Report: "r.md"}
	if err := RunLines(&b, r); err != nil || b.Len() != 0 {
		t.Errorf("a clean run printed %q (%v)", b.String(), err)
	}
}

func TestRunLinesJoined(t *testing.T) {
	said := explain.Text("kex_exchange_identification: read: Connection reset by peer")
	f := runFlow(analyze.OutcomeReset)
	r := &RunFacts{Command: []string{"scp"}, Exit: runcmd.Exit{Code: 255}, Flows: []*analyze.Flow{runFlow(analyze.OutcomeClosed), f},
		Via: []*runcmd.Master{nil, {PID: 42, Comm: "ssh", Before: true}}, Said: &said}
	r.Joined = runcmd.Join(&said, r.Flows)
	var b bytes.Buffer
	if err := RunLines(&b, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	if !strings.HasPrefix(lines[0], "rstsniff: ") || !strings.Contains(lines[0], "198.51.100.2:51186") ||
		!strings.Contains(lines[0], `through the ControlMaster "ssh" (pid 42), started before the command`) {
		t.Errorf("verdict line %q", lines[0])
	}
	if !strings.Contains(lines[1], `scp printed "kex_exchange_identification: read: Connection reset by peer" (line 1): that is the connection from port 51186 above`) {
		t.Errorf("joined line %q", lines[1])
	}
	var j bytes.Buffer
	if err := RunJSON(&j, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"run"`, `"exit":255`, `"match":"wire"`, `"client":"198.51.100.2:51186"`, `"pid":42`, `"started_before":true`} {
		if !strings.Contains(j.String(), want) {
			t.Errorf("JSON without %s: %s", want, j.String())
		}
	}
}

// TestRunHostile: what the command printed and its arguments are escaped
// in every output.
func TestRunHostile(t *testing.T) {
	said := explain.Text("ssh: connect to host \x1b[31mevil\x1b]0;x\a port 22: Connection refused")
	r := &RunFacts{Command: []string{"ssh\x1b[2J", "<script>"}, Exit: runcmd.Exit{Code: 255}, Said: &said, Joined: runcmd.Joined{Flow: -1},
		Via: []*runcmd.Master{{PID: 1, Comm: "ss\x1bh"}}, Flows: []*analyze.Flow{runFlow(analyze.OutcomeRefused)}}
	var b bytes.Buffer
	if err := RunLines(&b, r); err != nil {
		t.Fatal(err)
	}
	sec := RunSection(r)
	var md, html bytes.Buffer
	if err := Markdown(&md, &Run{}, Meta{}, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, &Run{}, Meta{}, r); err != nil {
		t.Fatal(err)
	}
	page := html.String()
	for name, s := range map[string]string{"lines": b.String(), "section": sec, "markdown": md.String(), "html": page} {
		if strings.ContainsAny(s, "\x1b\a") {
			t.Errorf("%s holds a raw escape: %q", name, s)
		}
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") || !strings.HasSuffix(page, "</pre></section>\n</body>\n</html>\n") || !strings.Contains(md.String(), "\n## The command\n") {
		t.Errorf("HTML: %s", page)
	}
}

func TestRunLinesNotFound(t *testing.T) {
	var b bytes.Buffer
	RunLines(&b, &RunFacts{Command: []string{"deploy.sh"}, Exit: runcmd.Exit{Code: 127, NotFound: true}})
	if got := b.String(); got != "rstsniff: deploy.sh: command not found (exit status 127)\n" {
		t.Errorf("%q", got)
	}
}
