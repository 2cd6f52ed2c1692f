package report

import (
	"os"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/sshdlog"
)

// TestServerKnowledgeInREADME ties the findings from the server's log to
// their words and to docs/server-logs.md's table.
func TestServerKnowledgeInREADME(t *testing.T) {
	readme, err := os.ReadFile("../docs/server-logs.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sshdlog.FindMaxStartups, sshdlog.FindPenalty, sshdlog.FindGraceTimeout, sshdlog.FindBan,
		sshdlog.FindAuthFailed, sshdlog.FindCrashed, sshdlog.FindResetBoth} {
		adv, ok := ServerKnowledge[id]
		if !ok || adv.Summary == "" || len(adv.Causes) == 0 || len(adv.NextSteps) == 0 {
			t.Errorf("%s: no words in ServerKnowledge", id)
		}
		if !strings.Contains(string(readme), "| `"+id+"` |") {
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
		ServerLogHTML(&html, &Run{}, sl, true), ServerLogMarkdown(&md, &Run{}, sl, true)} {
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
