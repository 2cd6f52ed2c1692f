package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	cleanPcap = "../../testdata/pcaps/clean/capture.pcap"
	resetPcap = "../../testdata/pcaps/reject-banner/capture.pcap"
)

const icmpPcap = "../../testdata/pcaps/icmp-reject/capture.pcap"

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"clean", []string{"-r", cleanPcap}, exitOK, ""},
		{"reset", []string{"-r", resetPcap}, exitAbnormal, ""},
		{"both", []string{"-r", cleanPcap, "-r", resetPcap}, exitAbnormal, ""},
		// Still open, but its large segments never got through: a finding
		// is something abnormal too.
		{"MTU black hole", []string{"-r", "../../testdata/pcaps/mtu-blackhole/capture.pcap"}, exitAbnormal, ""},
		// The last attempt of icmp-reject: the router's ICMP error came at
		// once, and without it the lone SYN looks open, not failed.
		{"refused by ICMP", []string{"-r", icmpPcap, "port", "35794", "or", "icmp"}, exitAbnormal, ""},
		{"its ICMP filtered out", []string{"-r", icmpPcap, "port", "35794"}, exitOK, ""},
		{"no input", nil, exitUsage, "nothing to read"},
		{"bad flag", []string{"-r", cleanPcap, "--frobnicate"}, exitUsage, "unknown flag"},
		{"bad format", []string{"-r", cleanPcap, "--format", "xml"}, exitUsage, "unknown --format"},
		{"bad port", []string{"-r", cleanPcap, "--ports", "22,x"}, exitUsage, "bad port"},
		{"missing file", []string{"-r", "/nonexistent.pcap"}, exitUsage, "no such file"},
		{"not a capture", []string{"-r", "cli_test.go"}, exitUsage, "not a pcap or pcapng capture"},
		{"filter keeps the flow", []string{"-r", resetPcap, "host", "203.0.113.2", "and", "port", "22"}, exitAbnormal, ""},
		{"filter drops it", []string{"-r", resetPcap, "host", "192.0.2.99"}, exitOK, ""},
		{"bad filter", []string{"-r", cleanPcap, "hots", "203.0.113.2"}, exitUsage, "bad filter expression"},
		{"-r with -i", []string{"-r", cleanPcap, "-i", "lo"}, exitUsage, "do not go together"},
		{"metrics without -i", []string{"-r", cleanPcap, "--metrics", "127.0.0.1:0"}, exitUsage, "use it with -i"},
		{"no such interface", []string{"-i", "rstsniff-nonexistent0"}, exitUsage, `no interface "rstsniff-nonexistent0" (rstsniff -D lists them)`},
		{"stdin twice", []string{"-r", "-", "-r", "-"}, exitUsage, "only once"},
		{"correlate three", []string{"--correlate", "-r", cleanPcap, "-r", cleanPcap, "-r", cleanPcap}, exitUsage, "takes two captures"},
		{"correlate one file twice", []string{"--correlate", "-r", cleanPcap, "-r", cleanPcap}, exitUsage, "are the same file"},
		{"correlate live", []string{"--correlate", "-i", "lo"}, exitUsage, "compares capture files"},
		{"correlate -w", []string{"--correlate", "-r", cleanPcap, "-w", "/tmp/x.pcapng"}, exitUsage, "-w does not go"},
		{"correlate nothing wrong", []string{"--correlate", "-r", "../../testdata/pairs/mss-clamp/client.pcap", "-r", cleanPcap}, exitOK, ""},
		{"correlate forged", []string{"--vantage", "-r", "../../testdata/pairs/inject/client.pcap", "-r", "../../testdata/pairs/inject/server.pcap"}, exitAbnormal, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.err) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, c.code, c.err)
			}
		})
	}
}

// tcpdump-style combined short flags and flags after other arguments.
func TestTcpdumpFlags(t *testing.T) {
	out, errOut, code := runCLI(t, "", "-nnr", resetPcap, "-c", "5", "--format", "json")
	if code != exitAbnormal {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"type":"summary","schema_version":1,"packets":5,`) {
		t.Errorf("-c 5 did not stop after 5 packets:\n%s", out)
	}
}

// Reading standard input (tcpdump -w - | rstsniff -r -) gives the same
// answer as reading the file, gzip-compressed or not.
func TestStdin(t *testing.T) {
	raw, err := os.ReadFile(resetPcap)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := runCLI(t, "", "-r", resetPcap, "--format", "json")
	want = strings.ReplaceAll(want, resetPcap, "-")
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	for name, in := range map[string][]byte{"plain": raw, "gzip": zb.Bytes()} {
		got, errOut, code := runCLI(t, string(in), "-r", "-", "--format", "json")
		if code != exitAbnormal {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		if name == "gzip" {
			got = strings.Replace(got, `little-endian), gzip"`, `little-endian)"`, 1)
		}
		if got != want {
			t.Errorf("%s: stdin output differs:\n%s\nwant\n%s", name, got, want)
		}
	}
}

// Several inputs: flows name their file and IDs continue across files.
func TestSeveralInputs(t *testing.T) {
	out, _, _ := runCLI(t, "", "-r", cleanPcap, "-r", resetPcap, "--format", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], `"id":1,"file":"`+cleanPcap+`"`) || !strings.Contains(lines[1], `"id":2,"file":"`+resetPcap+`"`) {
		t.Errorf("ids or files wrong:\n%s", out)
	}
	if !strings.Contains(lines[2], `"flows":2,"outcomes":{"closed":1,"reset":1}`) {
		t.Errorf("summary: %s", lines[2])
	}
	table, _, _ := runCLI(t, "", "-r", cleanPcap, "-r", resetPcap, "--all")
	if !strings.Contains(table, "| FILE") || !strings.Contains(table, "2 SSH connections: 1 reset, 1 closed") {
		t.Errorf("table:\n%s", table)
	}
}

// A capture cut in the middle still gives what it held, with a warning.
func TestTruncatedInput(t *testing.T) {
	raw, err := os.ReadFile(resetPcap)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(path, raw[:len(raw)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "", "-r", path, "--format", "json")
	if code != exitAbnormal {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"outcome":"reset"`) || !strings.Contains(out, "capture damaged or cut short after 6 packets") {
		t.Errorf("output:\n%s", out)
	}
}

// Banners are untrusted: no control or bidirectional character reaches the
// terminal from the table, and JSON escapes them.
func TestHostileBanner(t *testing.T) {
	raw, err := os.ReadFile(resetPcap)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the server's 41-byte banner in place (frame 6) with one the
	// same length full of escapes.
	evil := "SSH-2.0-\x1b[2J\x1b]0;pwn\x07\u202e<b>|x|\\\r\n"
	evil = evil[:len(evil)-2] + strings.Repeat("A", 41-len(evil)) + "\r\n"
	i := bytes.LastIndex(raw, []byte("SSH-2.0-OpenSSH_9.2p1"))
	if i < 0 || len(evil) != 41 {
		t.Fatalf("banner not found or wrong length %d", len(evil))
	}
	copy(raw[i:], evil)
	path := filepath.Join(t.TempDir(), "evil.pcap")
	os.WriteFile(path, raw, 0o644)
	table, _, _ := runCLI(t, "", "-r", path, "--all")
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		if strings.Contains(table, bad) {
			t.Errorf("table holds %q:\n%s", bad, table)
		}
	}
	if !strings.Contains(table, `SSH-2.0-\u001b[2J\u001b]0;pwn\u0007\u202e<b>|x|\\`) {
		t.Errorf("escaped banner missing:\n%s", table)
	}
	js, _, _ := runCLI(t, "", "-r", path, "--format", "json")
	if strings.ContainsAny(js, "\x1b\x07") || !strings.Contains(js, `\u001b[2J`) || strings.Contains(js, "<b>") {
		t.Errorf("json:\n%s", js)
	}
}

// The hostile-banner lab capture (a server whose text line and banner are
// full of terminal escapes, HTML and Markdown) in every output format:
// nothing from the network may reach a terminal raw, break a table, become
// a link or markup, or run in the HTML page.
func TestHostileReports(t *testing.T) {
	pcap := "../../testdata/pcaps/hostile-banner/capture.pcap"
	raw := []string{"\x1b", "\x07", "\u202e"}
	out := map[string]string{}
	for _, f := range []string{"table", "json", "markdown", "html"} {
		s, errOut, code := runCLI(t, "", "-r", pcap, "--format", f, "--all", "--explain")
		if f == "markdown" || f == "html" {
			s, errOut, code = runCLI(t, "", "-r", pcap, "--format", f)
		}
		if code == exitUsage {
			t.Fatalf("%s: %s", f, errOut)
		}
		for _, r := range raw {
			if strings.Contains(s, r) {
				t.Errorf("%s output holds %q raw", f, r)
			}
		}
		out[f] = s
	}
	if !strings.Contains(out["table"], `SSH-2.0-Evil\u001b]0;owned\u0007<script>`) {
		t.Errorf("table: escaped banner missing:\n%s", out["table"])
	}
	if strings.Contains(out["json"], "<script>") || !strings.Contains(out["json"], `\u003cscript\u003e`) {
		t.Errorf("json: markup not escaped")
	}
	// Markdown: outside code spans there is no markup from the network.
	md := out["markdown"]
	if !strings.Contains(md, "SSH-2.0-Evil") {
		t.Fatalf("markdown lacks the banner:\n%s", md)
	}
	prose := codeSpans.ReplaceAllString(md, "")
	for _, bad := range []string{"<script", "<img", "](http", "](javascript", "**bold**", "Evil"} {
		if strings.Contains(prose, bad) {
			t.Errorf("markdown: %q outside a code span", bad)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| [") && strings.Count(codeSpans.ReplaceAllString(line, ""), "|") != 10 {
			t.Errorf("markdown: a table row has the wrong number of cells: %s", line)
		}
	}
	// HTML: escaped text, no element or URL from the network, a strict CSP.
	h := out["html"]
	for _, bad := range []string{"<script", "<img", "<iframe", "onerror=\""} {
		if strings.Contains(strings.ToLower(h), bad) {
			t.Errorf("html holds %q", bad)
		}
	}
	// The only links are anchors within the page.
	for _, m := range regexp.MustCompile(`(?i)\b(href|src|action)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(h, -1) {
		if !strings.HasPrefix(m[2], "#") {
			t.Errorf("html: %s=%q", m[1], m[2])
		}
	}
	if !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(h, `content="default-src 'none';`) {
		t.Errorf("html: banner not escaped or CSP missing")
	}
}

// codeSpans matches Markdown code spans of any fence length.
var codeSpans = regexp.MustCompile("(`+)[^`](?:.*?[^`])?(?:`+)")

// Several files read at once print exactly what reading them one by one
// prints, and write the same evidence.
func TestParallelSameAsSerial(t *testing.T) {
	var args []string
	for _, c := range []string{"reject-banner", "clean", "rate-limit", "inject-both", "maxstartups", "ipv6-forensics"} {
		args = append(args, "-r", "../../testdata/pcaps/"+c+"/capture.pcap")
	}
	for _, format := range []string{"json", "table"} {
		dir := t.TempDir()
		serial, _, c1 := runCLI(t, "", append(args, "--format", format, "--all", "-j", "1", "-w", filepath.Join(dir, "s.pcapng"))...)
		parallel, _, c2 := runCLI(t, "", append(args, "--format", format, "--all", "-j", "4", "-w", filepath.Join(dir, "p.pcapng"))...)
		if c1 != c2 || serial != parallel {
			t.Errorf("%s: serial (exit %d) and parallel (exit %d) differ:\n%s\n---\n%s", format, c1, c2, serial, parallel)
		}
		a, _, _ := runCLI(t, "", "-r", filepath.Join(dir, "s.pcapng"), "--format", "json")
		b, _, _ := runCLI(t, "", "-r", filepath.Join(dir, "p.pcapng"), "--format", "json")
		if strings.Count(a, `"type":"flow"`) != strings.Count(b, `"type":"flow"`) || strings.Count(a, `"type":"flow"`) < 5 {
			t.Errorf("%s: evidence differs: %d and %d flows", format, strings.Count(a, `"type":"flow"`), strings.Count(b, `"type":"flow"`))
		}
	}
}

// --version and --help are answered before anything else is checked or
// opened, on standard output, and exit 0. The version names the Go
// toolchain the binary was built with (and its VCS revision when built
// from a checkout with VCS stamping).
func TestVersionAndHelp(t *testing.T) {
	for _, c := range []struct {
		name           string
		args           []string
		stdout, stderr string // substrings
	}{
		{"version", []string{"--version"}, ", go1.", ""},
		{"version before -o", []string{"--version", "-o", "/nonexistent/dir/out"}, ", go1.", ""},
		{"version with nothing to read", []string{"--version", "--format", "xml"}, ", go1.", ""},
		{"help", []string{"-h", "--format", "xml"}, "usage: rstsniff [-r] FILE", ""},
		{"help says the exit status", []string{"--help"}, "Exit status: 0 when", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", c.args...)
			if code != exitOK || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) || (c.stderr == "" && errOut != "") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

// run's error carries the exit status; main prints its message, if any,
// on one line.
func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"nil", nil, exitOK, ""},
		{"abnormal", exitWith(exitAbnormal, nil), exitAbnormal, ""},
		{"plain error", errors.New("-o: permission denied"), exitUsage, "rstsniff: -o: permission denied\n"},
		{"silent usage", exitWith(exitUsage, nil), exitUsage, ""},
		{"wrapped", fmt.Errorf("reading: %w", exitWith(exitAbnormal, errors.New("cut short"))), exitAbnormal, "rstsniff: cut short\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			if got := exitStatus(c.err, &b); got != c.code || b.String() != c.stderr {
				t.Errorf("exit %d, printed %q; want %d, %q", got, b.String(), c.code, c.stderr)
			}
		})
	}
}

// The command line as people type it: a lone capture file is read (as
// tcpdump users expect), the output's name sets the format, md means
// markdown, each bad value is named in one line with a pointer to --help,
// and --correlate with nothing to compare is an error.
func TestFlagsAsPeopleType(t *testing.T) {
	pcap := "../../testdata/pcaps/reject-banner/capture.pcap"
	out, _, code := runCLI(t, "", pcap)
	if code != exitAbnormal || !strings.Contains(out, "FORGED") {
		t.Errorf("a lone capture file: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	for ext, want := range map[string]string{".json": `{"type":"flow"`, ".md": "# rstsniff report", ".html": "<!DOCTYPE html>", ".txt": "times in UTC"} {
		path := filepath.Join(dir, "report"+ext)
		runCLI(t, "", "-r", pcap, "-o", path)
		if b, _ := os.ReadFile(path); !strings.Contains(string(b), want) {
			t.Errorf("-o report%s: %.80q, want %q", ext, b, want)
		}
	}
	if out, _, _ := runCLI(t, "", "-r", pcap, "--format", "md"); !strings.HasPrefix(out, "# rstsniff report") {
		t.Errorf("--format md: %.80q", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", pcap, "-c", "abc"}, `-c takes a whole number, not "abc"`},
		{[]string{"-r", pcap, "-j", "0"}, "-j 0: at least one file"},
		{[]string{"-r", pcap, "--max-flows", "0"}, "--max-flows 0: at least one connection"},
		{[]string{"-r", pcap, "--grace", "soon"}, `--grace takes a duration such as 30s`},
		{[]string{"--correlate", "-r", pcap}, "holds no jump host's two legs"},
	} {
		_, errOut, code := runCLI(t, "", c.args...)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != exitUsage || len(lines) != 2 || !strings.Contains(lines[0], c.want) || lines[1] != "see rstsniff --help" {
			t.Errorf("%v: exit %d, stderr %q; want %q and a pointer to --help", c.args, code, errOut, c.want)
		}
	}
}

// probe passes --sshd-log to the analysis of its own packets: the server's
// log is read and joined as with -r (here it names another connection, so
// it joins none and says so). Needs capture rights (root) and loopback.
func TestProbeWithServerLog(t *testing.T) {
	if os.Geteuid() != 0 || testing.Short() {
		t.Skip("probe captures its packets: needs root")
	}
	log := filepath.Join(t.TempDir(), "sshd.log")
	os.WriteFile(log, []byte("Connection from 127.0.0.1 port 40000 on 127.0.0.1 port 1 rdomain \"\"\n"), 0o644)
	out, errOut, code := runCLI(t, "", "probe", "--count", "1", "--timeout", "3s", "--sshd-log", log, "127.0.0.1:1")
	if code != exitAbnormal || !strings.Contains(out, "Server log "+log) || !strings.Contains(out, "Joined 0 of 1 lines") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}
