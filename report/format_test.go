package report

import "testing"

// TestParseFormat: every name reads back as itself, md is markdown, and an
// output's extension names its format.
func TestParseFormat(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatJSON, FormatECS, FormatMarkdown, FormatHTML} {
		if got, ok := ParseFormat(f.String()); !ok || got != f {
			t.Errorf("%s reads as %v %v", f, got, ok)
		}
	}
	if f, ok := ParseFormat("md"); !ok || f != FormatMarkdown {
		t.Errorf("md reads as %v %v", f, ok)
	}
	for _, bad := range []string{"", "xml", "JSON", "text"} {
		if _, ok := ParseFormat(bad); ok {
			t.Errorf("%q read", bad)
		}
	}
	for path, want := range map[string]Format{"r.JSONL": FormatJSON, "a/r.md": FormatMarkdown, "r.htm": FormatHTML} {
		if f, ok := FormatOfPath(path); !ok || f != want {
			t.Errorf("%s: %v %v, want %v", path, f, ok, want)
		}
	}
	if f, ok := FormatOfPath("r.txt"); ok || f != FormatTable {
		t.Errorf("r.txt: %v %v", f, ok)
	}
}
