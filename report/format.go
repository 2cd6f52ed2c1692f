package report

import (
	"path/filepath"
	"strings"
)

// Format is an output format, parsed once from --format (or -o's
// extension); each command takes some of them and words its own error
// for the others.
type Format uint8

// The formats.
const (
	FormatTable Format = iota
	FormatJSON
	FormatECS
	FormatMarkdown
	FormatHTML
)

var formatNames = [...]string{"table", "json", "ecs", "markdown", "html"}

// String is the format's name as --format takes it.
func (f Format) String() string { return formatNames[f] }

// Report reports whether the format is a whole report (Markdown or HTML):
// written at the end, drawing each connection's packets.
func (f Format) Report() bool { return f == FormatMarkdown || f == FormatHTML }

// ParseFormat reads a --format name; "md" is markdown. The caller says
// which formats its command takes and words the error.
func ParseFormat(s string) (Format, bool) {
	if s == "md" {
		return FormatMarkdown, true
	}
	for f, n := range formatNames {
		if n == s {
			return Format(f), true
		}
	}
	return 0, false
}

// FormatOfPath is the format an output's name says (.json, .md, .html);
// false when it says none.
func FormatOfPath(path string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".jsonl", ".ndjson":
		return FormatJSON, true
	case ".md", ".markdown":
		return FormatMarkdown, true
	case ".html", ".htm":
		return FormatHTML, true
	}
	return FormatTable, false
}

// ListLimit is how many connections the table or a report lists; past it
// they are counted (JSON prints every one). It bounds memory too.
func (f Format) ListLimit() int {
	if f.Report() {
		return 200
	}
	return 1000
}
