package schema

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// docs/json.md is what the schema says: run go generate ./schema after
// changing rstsniff.v1.json.
func TestJSONDocUpToDate(t *testing.T) {
	want, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../docs/json.md")
	if err != nil {
		t.Fatalf("%v (go generate ./schema writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/json.md is not what schema/rstsniff.v1.json says: run go generate ./schema")
	}
	// Every kind of line and every sender is documented.
	for _, s := range []string{"## flow", "## summary", "## explain", "## probe", "## pair", "## sshd_log",
		"`server-firewall`", "`path`", "### reset", "### evidence", "`sender` | [sender]", "`text`"} {
		if !strings.Contains(string(want), s) {
			t.Errorf("docs/json.md lacks %s", s)
		}
	}
}
