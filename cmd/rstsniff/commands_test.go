package main

import (
	"context"
	"strings"
	"testing"
)

// TestCommands: every command in the table has a summary and a flag set
// with --help, the names are unique, and "rstsniff help NAME" shows that
// command's help.
func TestCommands(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range commandTable() {
		if (c.name == "") != (i == 0) || seen[c.name] {
			t.Errorf("command %d: name %q (only the first has none, each once)", i, c.name)
		}
		seen[c.name] = true
		fs := c.flags()
		if c.summary == "" || fs == nil || fs.Lookup("help") == nil || c.run == nil {
			t.Errorf("command %q: summary %q, flags %v, run set %v", c.name, c.summary, fs, c.run != nil)
		}
		if c.name == "" {
			continue
		}
		var out, errb strings.Builder
		err := run(context.Background(), []string{"help", c.name}, strings.NewReader(""), &out, &errb)
		if err != nil || !strings.Contains(out.String()+errb.String(), "usage: rstsniff "+c.name) {
			t.Errorf("help %s: %v\n%s%s", c.name, err, out.String(), errb.String())
		}
	}
}
