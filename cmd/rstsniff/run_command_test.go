package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "give the command to run after --"},
		{[]string{"run", "--format", "xml", "--", "true"}, `unknown --format "xml"`},
		{[]string{"run", "-w", "-", "--", "true"}, "standard output is the command's"},
		{[]string{"run", "--ports", "22,x", "--", "true"}, `bad port "x"`},
		{[]string{"run", "--linger", "soon", "--", "true"}, "--linger takes a duration"},
	}
	for _, c := range cases {
		_, errOut, code := runCLI(t, "", c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestRunNoCapture: when the capture cannot start, one line says so and
// the command runs all the same, its status and output passed through;
// --require-capture makes it an error and the command does not run.
func TestRunNoCapture(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	out, errOut, code := runCLI(t, "in", "run", "-i", "rstsniff-no-such-iface", "-o", report, "--", "sh", "-c", "cat; echo ' out'; echo 'Connection closed by 203.0.113.2 port 22' >&2; exit 3")
	if code != 3 || out != "in out\n" {
		t.Errorf("exit %d, stdout %q; want 3 and the command's output", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "rstsniff: no capture (") || lines[1] != "Connection closed by 203.0.113.2 port 22" {
		t.Errorf("stderr:\n%s", errOut)
	}
	if !strings.Contains(errOut, "without a capture rstsniff cannot tell which") {
		t.Errorf("the message is not read:\n%s", errOut)
	}
	b, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(b), `"type":"run"`) || !strings.Contains(string(b), `"no_capture":`) {
		t.Errorf("report %q, %v", b, err)
	}

	out, errOut, code = runCLI(t, "", "run", "--require-capture", "-i", "rstsniff-no-such-iface", "--", "echo", "ran")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "--require-capture") {
		t.Errorf("--require-capture: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// An output that cannot be written stops rstsniff before the command runs.
	for _, flag := range []string{"-o", "-w"} {
		out, errOut, code = runCLI(t, "", "run", "-i", "rstsniff-no-such-iface", flag, filepath.Join(dir, "no-such-dir", "x"), "--", "echo", "ran")
		if code != exitUsage || out != "" || !strings.Contains(errOut, flag+": ") {
			t.Errorf("%s into a missing directory: exit %d, stdout %q, stderr %q", flag, code, out, errOut)
		}
	}

	_, errOut, code = runCLI(t, "", "run", "-i", "rstsniff-no-such-iface", "--", "rstsniff-no-such-command")
	if code != 127 || !strings.Contains(errOut, "rstsniff-no-such-command: command not found") {
		t.Errorf("missing command: exit %d, stderr %q", code, errOut)
	}
}

// TestRunQuiet: a command that succeeds leaves rstsniff silent (as root the
// capture is on; otherwise the one no-capture line is all).
func TestRunQuiet(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the capture needs root")
	}
	out, errOut, code := runCLI(t, "", "run", "--no-kernel", "--linger", "50ms", "--", "echo", "deployed")
	if code != 0 || out != "deployed\n" || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, the output, nothing", code, out, errOut)
	}
}
