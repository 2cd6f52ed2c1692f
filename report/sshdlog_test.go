package report

import (
	"os"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// Every finding the server's log gives is in the one catalog, with its
// words, and only those are catalogued as the logs' (the README and
// docs/findings.md are tied to the catalog in package catalog).
func TestServerFindingsInCatalog(t *testing.T) {
	ids := []string{sshdlog.FindMaxStartups, sshdlog.FindPenalty, sshdlog.FindGraceTimeout, sshdlog.FindBan,
		sshdlog.FindAuthFailed, sshdlog.FindCrashed, sshdlog.FindResetBoth, sshdlog.FindSilentEarly}
	for _, id := range ids {
		e, ok := serverEntry(id)
		if !ok || e.Meaning == "" || len(e.Causes) == 0 || len(e.NextSteps) == 0 ||
			(e.Source != catalog.SourceSSHDLog && e.Source != catalog.SourceFail2banLog) {
			t.Errorf("%s: not in the catalog as a log's finding with its words (%+v)", id, e)
		}
	}
	logs := append(catalog.Of(catalog.SourceSSHDLog), catalog.Of(catalog.SourceFail2banLog)...)
	if len(logs) != len(ids) {
		t.Errorf("the catalog has %d findings from the logs, sshdlog makes %d", len(logs), len(ids))
	}
	// docs/server-logs.md's table names each too.
	doc, err := os.ReadFile("../docs/server-logs.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !strings.Contains(string(doc), "| `"+id+"` |") {
			t.Errorf("%s: not in docs/server-logs.md's table", id)
		}
	}
}

// TestServerLogEscapes: text from a log reaches no output raw.
func TestServerLogEscapes(t *testing.T) {
	lines, _, err := sshdlog.Read(strings.NewReader("Connection closed by 198.51.100.2 port 1 \x1b[31mred\u202e<script>\n"), "evil\x1b.log", sshdlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := sshdlog.Join(nil, lines, sshdlog.Options{})
	sl := &ServerLog{Result: res, Files: []ServerLogFile{{Name: "evil\x1b.log"}}}
	var term, js, html, md strings.Builder
	for _, err := range []error{ServerLogExplain(&term, &Run{}, sl, true), JSONServerLog(&js, sl, true),
		HTML(&html, &Run{}, Meta{}, ServerLogSection(&Run{}, sl, true)), Markdown(&md, &Run{}, Meta{}, ServerLogSection(&Run{}, sl, true))} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, out := range map[string]string{"table": term.String(), "json": js.String(), "html": html.String(), "markdown": md.String()} {
		if strings.ContainsAny(out, "\x1b\u202e") {
			t.Errorf("%s: a raw escape:\n%q", name, out)
		}
	}
	// <script> is text on a terminal and in a Markdown code span, not in HTML or JSON.
	if strings.Contains(html.String(), "<script>") || strings.Contains(js.String(), "<script>") {
		t.Errorf("raw markup in HTML or JSON:\n%s\n%s", html.String(), js.String())
	}
}
