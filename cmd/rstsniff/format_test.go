package main

import "testing"

// TestParseFormat: every name reads back as itself, md is markdown, and an
// output's extension names its format.
func TestParseFormat(t *testing.T) {
	for _, f := range []format{formatTable, formatJSON, formatECS, formatMarkdown, formatHTML} {
		if got, ok := parseFormat(f.String()); !ok || got != f {
			t.Errorf("%s reads as %v %v", f, got, ok)
		}
	}
	if f, ok := parseFormat("md"); !ok || f != formatMarkdown {
		t.Errorf("md reads as %v %v", f, ok)
	}
	for _, bad := range []string{"", "xml", "JSON", "text"} {
		if _, ok := parseFormat(bad); ok {
			t.Errorf("%q read", bad)
		}
	}
	for path, want := range map[string]format{"r.JSONL": formatJSON, "a/r.md": formatMarkdown, "r.htm": formatHTML} {
		if f, ok := formatOfPath(path); !ok || f != want {
			t.Errorf("%s: %v %v, want %v", path, f, ok, want)
		}
	}
	if f, ok := formatOfPath("r.txt"); ok || f != formatTable {
		t.Errorf("r.txt: %v %v", f, ok)
	}
}
