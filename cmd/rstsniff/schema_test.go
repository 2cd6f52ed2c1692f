package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/internal/schematest"
	"github.com/rstsniff/rstsniff/report"
)

// jsonArgs reports whether a command line asks for JSON lines on standard
// output: --format json (or --format=json), for the capture commands and
// for explain and probe alike.
func jsonArgs(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--format" && i+1 < len(args) && args[i+1] == "json",
			a == "--format=json":
			return true
		}
	}
	return false
}

// checkSchema validates what a run wrote when it wrote JSON lines: every
// JSON line the suite produces goes through here (runCLI calls it, and the
// tests that call run themselves).
func checkSchema(t testing.TB, args []string, out string) {
	t.Helper()
	if jsonArgs(args) {
		schematest.Lines(t, out)
	}
}

// The schema rejects what breaks the contract: a line whose sender is not
// one of the six, a reset without sender, a field the schema does not
// know, a summary without schema_version. Each broken copy of a real line
// must fail, and the line itself pass.
func TestSchemaRejectsBrokenLines(t *testing.T) {
	pcap := "../../testdata/pcaps/server-firewall/capture.pcap"
	out, errOut, code := runCLI(t, "", "-r", pcap, "--format", "json")
	if code == exitUsage {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	flow, summary := lines[0], lines[len(lines)-1]
	if err := schematest.Validate([]byte(flow)); err != nil {
		t.Fatalf("the real line fails: %v", err)
	}
	for _, c := range []struct{ name, line, old, new string }{
		{"sender not in the contract", flow, `"sender":"server-firewall"`, `"sender":"firewall"`},
		{"reset without sender", flow, `"sender":"server-firewall",`, ``},
		{"strength misspelt", flow, `"strength":"strong"`, `"strength":"strng"`},
		{"evidence as a sentence", flow, `"evidence":[{`, `"evidence":["x",{`},
		{"evidence without text", flow, `,"text":"the server sent`, `,"txt":"the server sent`},
		{"unknown field", flow, `"type":"flow",`, `"type":"flow","surprise":1,`},
		{"time not RFC 3339", flow, `"start":"2026-`, `"start":"26-`},
		{"summary without schema_version", summary, `"schema_version":1,`, ``},
		{"schema_version 2", summary, `"schema_version":1`, `"schema_version":2`},
		{"unknown type", summary, `"type":"summary"`, `"type":"summery"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(c.line, c.old) {
				t.Fatalf("the line has no %s", c.old)
			}
			broken := strings.Replace(c.line, c.old, c.new, 1)
			if err := schematest.Validate([]byte(broken)); err == nil {
				t.Errorf("the schema accepts %s", broken[:min(len(broken), 200)])
			}
		})
	}
}

// The schema's enums are the names the analysis writes: a sender, strength,
// origin, stage or outcome added in Go and not in the schema (or the other
// way round) fails here, not in a consumer.
func TestSchemaEnumsMatchAnalysis(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "schema", "rstsniff.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	enum := func(name string) []string { return schemaEnum(t, b, name) }
	var senders, strengths, origins, stages, outcomes, blames, sources []string
	for s := analyze.Sender(0); s < analyze.NumSenders; s++ {
		senders = append(senders, s.String())
	}
	for s := analyze.StrengthNone; s <= analyze.StrengthProof; s++ {
		strengths = append(strengths, s.String())
	}
	for _, o := range []analyze.Verdict{analyze.VerdictUnknown, analyze.VerdictGenuine, analyze.VerdictForged} {
		origins = append(origins, o.Origin())
	}
	for s := analyze.Stage(0); s.String() != "unknown"; s++ {
		stages = append(stages, s.String())
	}
	stages = append(stages, "unknown")
	for _, o := range analyze.Outcomes {
		outcomes = append(outcomes, o.String())
	}
	for b := catalog.BlameUnknown; b <= catalog.BlameMiddlebox; b++ {
		blames = append(blames, b.String())
	}
	for s := catalog.SourcePackets; s <= catalog.SourceSecondCapture; s++ {
		sources = append(sources, s.String())
	}
	for _, c := range []struct {
		def  string
		want []string
	}{{"sender", senders}, {"strength", strengths}, {"origin", origins}, {"stage", stages}, {"outcome", outcomes},
		{"blame", blames}, {"source", sources}} {
		if got := enum(c.def); !sameSet(got, c.want) {
			t.Errorf("schema $defs/%s enum %v, the analysis writes %v", c.def, got, c.want)
		}
	}
	if v := schemaConst(t, b, "schema_version"); v != report.SchemaVersion {
		t.Errorf("schema $defs/schema_version is %d, report.SchemaVersion %d", v, report.SchemaVersion)
	}
}

func schemaDefs(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var s struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s.Defs
}

func schemaEnum(t *testing.T, b []byte, name string) []string {
	t.Helper()
	var d struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(schemaDefs(t, b)[name], &d); err != nil || d.Enum == nil {
		t.Fatalf("schema $defs/%s has no enum of strings: %v", name, err)
	}
	return d.Enum
}

func schemaConst(t *testing.T, b []byte, name string) int {
	t.Helper()
	var d struct {
		Const int `json:"const"`
	}
	if err := json.Unmarshal(schemaDefs(t, b)[name], &d); err != nil {
		t.Fatalf("schema $defs/%s: %v", name, err)
	}
	return d.Const
}
