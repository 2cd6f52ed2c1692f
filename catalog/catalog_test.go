package catalog

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The table is whole: unique IDs of the stable form, every entry with its
// meaning, causes and next steps, each witness's findings together.
func TestCatalogWhole(t *testing.T) {
	seen := map[string]bool{}
	// The two logs are one witness's findings here: the server's.
	group := func(s Source) Source {
		if s == SourceFail2banLog {
			return SourceSSHDLog
		}
		return s
	}
	last := Source(0)
	for i, e := range All() {
		if !regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`).MatchString(e.Name) || seen[e.Name] {
			t.Errorf("%q: not a stable ID, or twice", e.Name)
		}
		seen[e.Name] = true
		if e.Rank != i+1 || e.Meaning == "" || len(e.Causes) == 0 || len(e.NextSteps) == 0 {
			t.Errorf("%s: rank %d, or no meaning, causes or next steps", e.Name, e.Rank)
		}
		if group(e.Source) < last {
			t.Errorf("%s: a %s finding after the %s ones", e.Name, e.Source, last)
		}
		last = group(e.Source)
		if got, ok := Lookup(e.Name); !ok || got.Rank != e.Rank {
			t.Errorf("Lookup(%s) = %+v, %v", e.Name, got, ok)
		}
	}
	if _, ok := Lookup("no-such-finding"); ok {
		t.Error("Lookup finds an ID that is not there")
	}
}

// docs/findings.md is what the catalog says (go generate ./catalog), and
// README ties to the catalog: it links docs/findings.md or lists every ID
// in a table, and its own findings table, when it has one, lists the
// packets' findings exactly, in rank order.
func TestCatalogMatchesDocsAndREADME(t *testing.T) {
	doc, err := os.ReadFile("../docs/findings.md")
	if err != nil {
		t.Fatalf("%v (go generate ./catalog writes it)", err)
	}
	if !bytes.Equal(doc, Markdown()) {
		t.Error("docs/findings.md is not what the catalog says: run go generate ./catalog")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := func(s string) []string {
		var out []string
		for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	listed := map[string]bool{}
	for _, id := range rows(string(readme)) {
		listed[id] = true
	}
	if !strings.Contains(string(readme), "docs/findings.md") {
		for _, e := range All() {
			if !listed[e.Name] {
				t.Errorf("README neither links docs/findings.md nor lists %s", e.Name)
			}
		}
	}
	if sec := regexp.MustCompile("(?s)\n## Findings\n(.*?)\n## ").FindStringSubmatch(string(readme)); sec != nil {
		got := rows(sec[1])
		var want []string
		for _, e := range Of(SourcePackets) {
			want = append(want, e.Name)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("README's Findings table lists\n%v\nthe catalog's findings from the packets are\n%v", got, want)
		}
	}
	// No README table row names a finding-like ID the catalog lacks.
	for _, id := range rows(string(readme)) {
		if _, ok := Lookup(id); !ok && (strings.HasPrefix(id, "sshd-") || strings.HasSuffix(id, "-on-path")) {
			t.Errorf("README lists %s, which is not in the catalog", id)
		}
	}
}
