package catalog

import (
	"fmt"
	"strings"
)

// Markdown renders the catalog as docs/findings.md: one table of every
// finding in rank order, then each finding's causes and next steps.
func Markdown() []byte {
	var b strings.Builder
	b.WriteString("# Findings\n\n")
	b.WriteString("<!-- Generated from catalog/catalog.go by `go generate ./catalog`; do not edit. -->\n\n")
	b.WriteString("Every finding rstsniff makes, whatever the witness: one capture's packets, sshd's and fail2ban's logs ")
	b.WriteString("(`--sshd-log`, `--fail2ban-log`), or a second capture of the same connections (`--correlate`). ")
	b.WriteString("The IDs never change; scripts match on them. In JSON a finding is `id`, `source` (the witness), ")
	b.WriteString("`blame` (`client`, `server`, `network`, `middlebox` or `unknown`) and what it rests on: frames, or log lines ")
	b.WriteString("([json.md](json.md)). The table is in rank order: when a connection shows several findings, the one ")
	b.WriteString("higher up is its main finding. The blame given is the usual one; a finding may carry another ")
	b.WriteString("(a refusal forged on the path blames the middlebox).\n\n")
	b.WriteString("| rank | ID | source | usual blame | meaning | evidence | lab case |\n|---|---|---|---|---|---|---|\n")
	for _, e := range All() {
		fmt.Fprintf(&b, "| %d | [`%s`](#%s) | %s | %s | %s | %s | %s |\n", e.Rank, e.Name, e.Name, e.Source, e.Blame,
			cell(e.Meaning), cell(e.Evidence), cell(e.Lab))
	}
	b.WriteString("\n## Causes and next steps\n")
	for _, e := range All() {
		fmt.Fprintf(&b, "\n### %s\n\n%s.\n\nLikely causes:\n\n", e.Name, capital(strings.TrimSuffix(e.Meaning, ".")))
		for _, c := range e.Causes {
			fmt.Fprintf(&b, "- %s\n", c)
		}
		b.WriteString("\nWhat to check next:\n\n")
		for _, c := range e.NextSteps {
			fmt.Fprintf(&b, "- %s\n", c)
		}
	}
	return []byte(b.String())
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
