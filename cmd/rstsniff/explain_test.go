package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
)

// adviceBlock returns the bullets under "  TITLE:" in an explanation.
func adviceBlock(text, title string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case l == "  "+title+":":
			in = true
		case in && strings.HasPrefix(l, "    - "):
			out = append(out, strings.TrimPrefix(l, "    - "))
		case in:
			in = false
		}
	}
	return out
}

var errorLine = regexp.MustCompile(`(?m)^(?:ssh: connect|kex_exchange|client_loop|Connection to ).*$`)

// TestExplainSameWords: for a lab capture, the likely causes --explain
// gives for its main finding are given, word for word and in the same
// layout, by rstsniff explain on the message ssh printed in that run. The
// next steps differ: --explain's read the capture, explain's need none
// (TestExplainAdviceShort), but explain gives some.
func TestExplainSameWords(t *testing.T) {
	for _, name := range []string{"refused", "reject-banner", "maxstartups", "idle-timeout", "server-firewall", "syn-drop", "post-handshake"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("../../testdata/pcaps", name)
			args := append([]string{"-r", filepath.Join(dir, "capture.pcap"), "--format", "json"}, scenarioArgs(dir)...)
			js, errOut, code := runCLI(t, "", args...)
			if code == exitUsage {
				t.Fatalf("rstsniff: %s", errOut)
			}
			var main string
			for _, f := range jsonFlows(t, js) {
				if len(f.Findings) > 0 {
					main = f.Findings[0].ID
					break
				}
			}
			if main == "" {
				t.Fatal("no finding in the capture")
			}
			capText, _, _ := runCLI(t, "", append([]string{"-r", filepath.Join(dir, "capture.pcap"), "--explain"}, scenarioArgs(dir)...)...)
			client, err := os.ReadFile(filepath.Join(dir, "client.txt"))
			if err != nil {
				t.Fatal(err)
			}
			msg := errorLine.FindString(string(client))
			text, errOut, code := runCLI(t, "", "explain", msg)
			if code != exitOK {
				t.Fatalf("explain %q: exit %d: %s", msg, code, errOut)
			}
			// explain names each ranked cause by its findings, and words it
			// with the catalog's causes of the cause's first finding: the
			// capture's main finding is among them, and its group's words
			// are explain's.
			r := explain.Text(msg)
			group := -1
			for _, c := range r.Causes {
				if slices.Contains(findingNamesOf(c.Findings), main) {
					group = int(c.Findings[0])
				}
			}
			if group < 0 {
				t.Fatalf("explain %q does not rank %s: %v", msg, main, r.Causes)
			}
			capID, ok := analyze.FindingByName(main)
			if !ok {
				t.Fatalf("finding %q is not in the catalog", main)
			}
			head := analyze.FindingID(group)
			for _, w := range capID.Entry().Causes {
				if !slices.Contains(adviceBlock(capText, "Likely causes"), w) {
					t.Errorf("--explain lacks the cause %q of %s", w, main)
				}
			}
			for _, w := range capID.Entry().NextSteps {
				if !slices.Contains(adviceBlock(capText, "What to check next"), w) {
					t.Errorf("--explain lacks the next step %q of %s", w, main)
				}
			}
			fromText := adviceBlock(text, "Likely causes")
			for _, w := range head.Entry().Causes[:1] {
				if !slices.Contains(fromText, w) {
					t.Errorf("explain %q lacks the cause %q of %s:\n%s", msg, w, head, text)
				}
			}
			if len(adviceBlock(text, "What to check next")) == 0 {
				t.Errorf("explain %q gives nothing to check:\n%s", msg, text)
			}
		})
	}
}

func TestExplainCLI(t *testing.T) {
	// One message as separate words, as a shell passes it unquoted.
	out, _, code := runCLI(t, "", "explain", "ssh:", "connect", "to", "host", "203.0.113.2", "port", "2222:", "Connection", "refused")
	if code != exitOK || !strings.Contains(out, "rstsniff probe 203.0.113.2:2222") || !strings.Contains(out, "tcp port 2222") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// A log on standard input, JSON out.
	log := "debug1: Connecting to db1 [203.0.113.9] port 22.\ndebug1: Connection established.\n" +
		"debug1: Local version string SSH-2.0-OpenSSH_9.2p1\nkex_exchange_identification: read: Connection reset by peer\n" +
		"Connection reset by 203.0.113.9 port 22\n"
	out, errOut, code := runCLI(t, log, "explain", "--format", "json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var j struct {
		Stage, Wire, Host, Addr string
		Port                    int
		Causes                  []struct{ Findings []string }
		Capture                 struct{ Probe string }
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if j.Stage != "ident-sent" || j.Wire != "reset" || j.Addr != "203.0.113.9" || j.Port != 22 || j.Capture.Probe != "rstsniff probe 203.0.113.9:22" || len(j.Causes) == 0 {
		t.Errorf("got %+v", j)
	}
	// Nothing known: exit 1, a one-line answer.
	out, _, code = runCLI(t, "", "explain", "hello world")
	if code != exitAbnormal || strings.Count(out, "\n") != 1 {
		t.Errorf("exit %d: %q", code, out)
	}
	// Bad usage: exit 2 with a one-line error, no panic.
	for _, args := range [][]string{{"explain"}, {"explain", "--format", "xml", "x"}, {"explain", "--bogus"}} {
		_, errOut, code := runCLI(t, "", args...)
		if code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

// TestExplainHostile: text from a log is never obeyed: terminal escapes are
// shown escaped, and a host that is not an address or a name never reaches
// the shell commands.
func TestExplainHostile(t *testing.T) {
	msg := "Connection reset by $(rm\x1b[31m) port 22\nkex_exchange_identification: read: Connection reset by peer"
	out, _, _ := runCLI(t, msg, "explain", "-")
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("raw escape in output:\n%q", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "tcpdump") || strings.Contains(l, "probe") {
			if strings.Contains(l, "$(") {
				t.Errorf("untrusted host in a command: %q", l)
			}
		}
	}
	js, _, _ := runCLI(t, msg, "explain", "--format", "json", "-")
	if strings.ContainsRune(js, 0x1b) || !json.Valid([]byte(js)) {
		t.Errorf("JSON: %q", js)
	}
}

func findingNamesOf(ids []analyze.FindingID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}
