package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// On a real terminal (a pty from script(1), sized with stty) of 80 and
// 120 columns, no line of the default output or of --explain is wider than
// the terminal, for every bundled capture; forged resets are red on a
// terminal, and there is no colour with NO_COLOR or on a pipe.
func TestTerminalFits(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("needs script(1)")
	}
	bin := buildRstsniff(t)
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	red := "\x1b[1;31mFORGED"
	sawRed := false
	for _, dir := range scenarios(t) {
		pcap := filepath.Join(dir, "capture.pcap")
		extra := strings.Join(scenarioArgs(dir), " ")
		for _, cols := range []int{80, 120} {
			for _, mode := range []string{"--all", "--explain"} {
				cmd := exec.Command(script, "-qefc", "unset COLUMNS LINES; stty cols "+strconv.Itoa(cols)+" rows 50; "+bin+" -r "+pcap+" "+extra+" "+mode+"; true", "/dev/null")
				cmd.Env = append(os.Environ(), "COLUMNS=", "NO_COLOR=", "TERM=xterm")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("script: %v\n%s", err, out)
				}
				for _, line := range strings.Split(strings.ReplaceAll(string(out), "\r", ""), "\n") {
					if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > cols {
						t.Errorf("%s %s at %d columns: a line of %d: %q", filepath.Base(dir), mode, cols, n, line)
					}
				}
				if strings.Contains(string(out), red) {
					sawRed = true
				}
			}
		}
		// NO_COLOR on a terminal, and a pipe: no escape at all.
		cmd := exec.Command(script, "-qefc", bin+" -r "+pcap+" "+extra+"; true", "/dev/null")
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=xterm")
		if out, _ := cmd.CombinedOutput(); strings.Contains(string(out), "\x1b[") {
			t.Errorf("%s: colour with NO_COLOR set: %q", filepath.Base(dir), out)
		}
		out, _ := exec.Command(bin, append([]string{"-r", pcap}, scenarioArgs(dir)...)...).Output()
		if strings.Contains(string(out), "\x1b[") {
			t.Errorf("%s: colour on a pipe: %q", filepath.Base(dir), out)
		}
	}
	if !sawRed {
		t.Error("no forged reset was painted red on a terminal")
	}
	// Help, the subcommands' help and explain fit the terminal too
	// (issue 27, item 5).
	for _, cols := range []int{80, 120} {
		for _, args := range []string{"--help", "probe --help", "explain --help",
			"explain 'kex_exchange_identification: read: Connection reset by peer'",
			"explain 'client_loop: send disconnect: Broken pipe'", "explain 'Connection reset by peer'",
			"explain - < ../../testdata/explain/vvv/maxstartups.txt"} {
			cmd := exec.Command(script, "-qefc", "unset COLUMNS LINES; stty cols "+strconv.Itoa(cols)+" rows 50; "+bin+" "+args+"; true", "/dev/null")
			cmd.Env = append(os.Environ(), "COLUMNS=", "TERM=xterm")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("script: %v\n%s", err, out)
			}
			if len(out) < 200 {
				t.Errorf("%s: no output: %q", args, out)
			}
			for _, line := range strings.Split(strings.ReplaceAll(string(out), "\r", ""), "\n") {
				if n := utf8.RuneCountInString(line); n > cols {
					t.Errorf("%s at %d columns: a line of %d: %q", args, cols, n, line)
				}
			}
		}
	}
	// The reports name the revision the binary was built from, as
	// --version does (issue 27, item 8).
	v, _ := exec.Command(bin, "--version").Output()
	if m := regexp.MustCompile(`\(revision ([0-9a-f]{12})`).FindSubmatch(v); m != nil {
		md, _ := exec.Command(bin, "-r", filepath.Join(scenarios(t)[0], "capture.pcap"), "--format", "md").Output()
		js, _ := exec.Command(bin, "-r", filepath.Join(scenarios(t)[0], "capture.pcap"), "--format", "json").Output()
		for _, out := range [][]byte{md, js} {
			if !strings.Contains(string(out), "revision "+string(m[1])) {
				t.Errorf("--version says %q; the report does not name that revision:\n%.600s", v, out)
			}
		}
	} else {
		t.Logf("--version %q names no revision (built outside git)", v)
	}
}
