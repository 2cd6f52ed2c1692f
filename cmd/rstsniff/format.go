package main

import (
	"path/filepath"
	"strings"
)

// format is an output format, parsed once from --format (or -o's
// extension); each subcommand takes some of them.
type format uint8

const (
	formatTable format = iota
	formatJSON
	formatECS
	formatMarkdown
	formatHTML
)

var formatNames = [...]string{"table", "json", "ecs", "markdown", "html"}

// String is the format's name as --format takes it.
func (f format) String() string { return formatNames[f] }

// report reports whether the format is a whole report (Markdown or HTML):
// written at the end, drawing each connection's packets.
func (f format) report() bool { return f == formatMarkdown || f == formatHTML }

// parseFormat reads a --format name; "md" is markdown. The caller says
// which formats its command takes and words the error.
func parseFormat(s string) (format, bool) {
	if s == "md" {
		return formatMarkdown, true
	}
	for f, n := range formatNames {
		if n == s {
			return format(f), true
		}
	}
	return 0, false
}

// formatOfPath is the format an output's name says (.json, .md, .html);
// false when it says none.
func formatOfPath(path string) (format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".jsonl", ".ndjson":
		return formatJSON, true
	case ".md", ".markdown":
		return formatMarkdown, true
	case ".html", ".htm":
		return formatHTML, true
	}
	return formatTable, false
}
