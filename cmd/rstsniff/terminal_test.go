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
}
