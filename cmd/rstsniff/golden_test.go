package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/internal/golden"
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

// Golden files hold every output of every committed capture in two kinds
// (docs/lab.md): the facts, golden-facts.json (the JSON lines without their
// sentences), and the words, golden-words.json (those sentences) and the
// table, --explain, Markdown and HTML. Each test runs subtests "facts" and
// "words" per capture: rewording a sentence fails only "words", a changed
// verdict "facts". -update rewrites both kinds.

func TestGolden(t *testing.T) {
	for _, dir := range scenarios(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			pcap := filepath.Join(dir, "capture.pcap")
			extra := scenarioArgs(dir)
			args := func(a ...string) []string { return append(append([]string{"-r", pcap}, a...), extra...) }
			goldenRun{
				dir: dir, prefix: "golden",
				json: args("--format", "json"),
				words: []goldenOutput{
					{"golden.txt", args("--all")},
					{"golden-explain.txt", args("--explain")},
					{"golden.md", args("--format", "markdown")},
					{"golden.html", args("--format", "html")},
				},
				// The golden files name the capture relative to the repository.
				fix: func(out string) string { return strings.ReplaceAll(out, pcap, "testdata/pcaps/"+name+"/capture.pcap") },
			}.check(t)
		})
	}
}

// TestPairsGolden: every format of --correlate on the committed two-sided
// captures, read against each case's README.md.
func TestPairsGolden(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/pairs/*/client.txt")
	if len(dirs) == 0 {
		t.Fatal("no two-sided captures")
	}
	for _, d := range dirs {
		dir := filepath.Dir(d)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var files []string
			for _, f := range pairFiles(dir) {
				files = append(files, "-r", f)
			}
			args := func(format string) []string { return append([]string{"--correlate", "--format", format}, files...) }
			goldenRun{
				dir: dir, prefix: "golden",
				json: args("json"),
				words: []goldenOutput{
					{"golden.txt", args("table")}, {"golden.md", args("markdown")}, {"golden.html", args("html")},
				},
				fix: func(out string) string { return strings.ReplaceAll(out, "../../testdata/", "testdata/") },
			}.check(t)
		})
	}
}

// TestServerLogGolden: each format on two committed lab runs with their
// server logs, read against testdata/sshdlog/README.md: a forged reset at
// the banner with an RFC 3339 syslog log, MaxStartups with an sshd -E log,
// and three resets before the banner that sshd wrote nothing about.
func TestServerLogGolden(t *testing.T) {
	for _, c := range []struct{ dir, log string }{
		{"verbose-syslog/reject-banner", "sshd.log.rfc3339"},
		{"verbose-E/maxstartups", "sshd.log"},
		{"verbose-syslog/early-reset", "sshd.log.rfc3339"},
	} {
		dir := filepath.Join(sampleDir, c.dir)
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			// Relative paths, so the output names the files the same anywhere.
			args := func(format string) []string {
				return []string{"-r", filepath.Join(dir, "capture.pcap"), "--sshd-log", filepath.Join(dir, c.log), "--format", format, "--all"}
			}
			goldenRun{
				dir: dir, prefix: "golden-sshdlog",
				json: args("json"),
				words: []goldenOutput{
					{"golden-sshdlog.txt", args("table")}, {"golden-sshdlog.md", args("markdown")}, {"golden-sshdlog.html", args("html")},
				},
			}.check(t)
		})
	}
}

// goldenRun is every golden output of one capture.
type goldenRun struct {
	dir    string
	prefix string         // of the JSON output's two files: prefix-facts.json, prefix-words.json
	json   []string       // the arguments of the JSON output
	words  []goldenOutput // the outputs that are all words
	fix    func(string) string
}

// goldenOutput is one output and the golden file that holds it.
type goldenOutput struct {
	file string
	args []string
}

// check runs the outputs and compares them with their golden files:
// subtest "facts" the JSON output's facts, subtest "words" its words and
// every other output. The facts and words must give the JSON output back
// byte for byte (golden.Join), so the two files check it as strictly as
// one would.
func (g goldenRun) check(t *testing.T) {
	t.Helper()
	run := func(t *testing.T, args []string) string {
		t.Helper()
		out, errOut, code := runCLI(t, "", args...)
		if code == exitUsage {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if g.fix != nil {
			out = g.fix(out)
		}
		return out
	}
	out := run(t, g.json)
	facts, words, err := golden.Split(out)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := golden.Join(facts, words); err != nil || back != out {
		t.Fatalf("the JSON output's facts and words do not give it back (%v): internal/golden lost something", err)
	}
	t.Run("facts", func(t *testing.T) {
		checkGolden(t, filepath.Join(g.dir, g.prefix+"-facts.json"), facts)
	})
	t.Run("words", func(t *testing.T) {
		checkGolden(t, filepath.Join(g.dir, g.prefix+"-words.json"), words)
		for _, o := range g.words {
			checkGolden(t, filepath.Join(g.dir, o.file), run(t, o.args))
		}
	})
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
		t.Errorf("%s differs (go test -run %s -update rewrites it):\n--- got\n%s\n--- want\n%s", path, strings.Split(t.Name(), "/")[0], out, want)
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
	for _, f := range jsonFlows(t, jsonl) {
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
