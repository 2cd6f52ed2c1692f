package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (check them by eye against the scenario README)")

// scenarios lists testdata/pcaps/<scenario>/ directories.
func scenarios(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/pcaps/*/capture.pcap")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

// runCLI runs rstsniff in-process and returns stdout, stderr and the exit
// status, as main prints and returns them.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := exitStatus(run(context.Background(), args, strings.NewReader(stdin), &out, &errb), &errb)
	checkSchema(t, args, out.String())
	return out.String(), errb.String(), code
}

// scenarioArgs returns extra flags a scenario is analysed with (file "args").
func scenarioArgs(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func TestGolden(t *testing.T) {
	for _, dir := range scenarios(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			pcap := filepath.Join(dir, "capture.pcap")
			extra := scenarioArgs(dir)
			for _, g := range []struct {
				file string
				args []string
			}{
				{"golden.json", append([]string{"-r", pcap, "--format", "json"}, extra...)},
				{"golden.txt", append([]string{"-r", pcap, "--all"}, extra...)},
				{"golden-explain.txt", append([]string{"-r", pcap, "--explain"}, extra...)},
				{"golden.md", append([]string{"-r", pcap, "--format", "markdown"}, extra...)},
				{"golden.html", append([]string{"-r", pcap, "--format", "html"}, extra...)},
			} {
				out, errOut, code := runCLI(t, "", g.args...)
				if code == exitUsage {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				// The golden files name the capture relative to the repository.
				out = strings.ReplaceAll(out, pcap, "testdata/pcaps/"+name+"/capture.pcap")
				checkGolden(t, filepath.Join(dir, g.file), out)
			}
		})
	}
}

// checkGolden compares out with the golden file at path, or with -update
// writes it there.
func checkGolden(t *testing.T, path, out string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update and check the result by eye)", err)
	}
	if out != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, out, want)
	}
}

// verdict is the part of a flow that must not change between two runs of
// the same lab case: what happened, not when or on which port.
type verdict struct {
	Stage    string
	Outcome  string
	ClosedBy string
	// FirstReset is "side@stage" of the first RST, or "".
	FirstReset string
	// Origins lists every reset's origin in order, comma-separated.
	Origins string
	// Findings lists the finding IDs, sorted, comma-separated.
	Findings string
}

// verdicts reads rstsniff's JSON output into one verdict per flow.
func verdicts(t *testing.T, jsonl string) []verdict {
	t.Helper()
	return parseVerdicts(t, jsonl, false)
}

// parseVerdicts reads the verdicts of every flow; bySide writes Origins as
// the distinct origins of each side's resets ("client:endpoint;server:
// middlebox"), for cases where how many resets come is up to timing.
func parseVerdicts(t *testing.T, jsonl string, bySide bool) []verdict {
	t.Helper()
	var out []verdict
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		if head.Type != "flow" {
			continue
		}
		var f struct {
			Stage    string `json:"stage"`
			Outcome  string `json:"outcome"`
			ClosedBy string `json:"closed_by"`
			Resets   []struct {
				From   string `json:"from"`
				Stage  string `json:"stage"`
				Origin string `json:"origin"`
			} `json:"resets"`
			Findings []struct {
				ID string `json:"id"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad JSON flow %q: %v", sc.Text(), err)
		}
		v := verdict{Stage: f.Stage, Outcome: f.Outcome, ClosedBy: f.ClosedBy}
		if len(f.Resets) > 0 {
			v.FirstReset = f.Resets[0].From + "@" + f.Resets[0].Stage
		}
		var origins, ids []string
		for _, r := range f.Resets {
			origins = append(origins, r.Origin)
		}
		if bySide {
			var sides []string
			for _, side := range []string{"client", "server"} {
				var seen []string
				for _, r := range f.Resets {
					if r.From == side && !slices.Contains(seen, r.Origin) {
						seen = append(seen, r.Origin)
					}
				}
				if seen != nil {
					sort.Strings(seen)
					sides = append(sides, side+":"+strings.Join(seen, ","))
				}
			}
			origins = []string{strings.Join(sides, ";")}
		}
		for _, fd := range f.Findings {
			ids = append(ids, fd.ID)
		}
		sort.Strings(ids)
		v.Origins, v.Findings = strings.Join(origins, ","), strings.Join(ids, ",")
		out = append(out, v)
	}
	return out
}
