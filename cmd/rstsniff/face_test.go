package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 27: the rough edges a new user meets on the command line. Each
// case is one of the items.

// leftovers lists the files in dir whose name holds ".tmp-": a
// temporary output left behind.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// Item 1: -o naming a directory is a one-line error with exit 2, for a
// clean capture and for one with a reset, and nothing is left beside it
// or in its parent.
func TestOutputDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "reports")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pcap := range []string{cleanPcap, resetPcap} {
		out, errOut, code := runCLI(t, "", "-o", dir, "-r", pcap)
		if code != exitUsage || !strings.Contains(errOut, "-o "+dir+" is a directory") || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", pcap, code, out, errOut)
		}
		if l := append(leftovers(t, parent), leftovers(t, dir)...); len(l) > 0 {
			t.Errorf("%s: left %v", pcap, l)
		}
	}
	// A report that cannot be renamed into place: internal/atomicfile's
	// TestCommitOverDirectory.
}

// Item 2: several captures without -r, and a capture followed by a filter.
func TestCapturesWithoutR(t *testing.T) {
	both, _, code := runCLI(t, "", "-r", cleanPcap, "-r", resetPcap, "--all", "--format", "json")
	if code != exitAbnormal {
		t.Fatalf("-r -r: exit %d", code)
	}
	out, errOut, code := runCLI(t, "", cleanPcap, resetPcap, "--all", "--format", "json")
	if code != exitAbnormal || out != both {
		t.Errorf("two files without -r: exit %d, %s\n%s", code, errOut, out)
	}
	out, errOut, code = runCLI(t, "", resetPcap, "host", "192.0.2.99")
	if code != exitOK || errOut != "" {
		t.Errorf("file then filter: exit %d, %q %q", code, out, errOut)
	}
	_, errOut, code = runCLI(t, "", "/nonexistent/x.pcap")
	if code != exitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing capture by name: exit %d, %q", code, errOut)
	}
}

// Item 10: each bad path or value names what the user gave, in one line
// with exit 2; help and version as words.
func TestBadPathsNamed(t *testing.T) {
	tmp := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"-r directory", []string{"-r", tmp}, "-r " + tmp + " is a directory"},
		{"-o in no directory", []string{"-o", "/nonexistent/dir/r.html", "-r", cleanPcap}, "-o /nonexistent/dir/r.html: directory /nonexistent/dir: no such file or directory"},
		{"--log-tz alone", []string{"--log-tz", "Mars/Base", "-r", cleanPcap}, "--log-tz Mars/Base: unknown time zone"},
		{"--sshd-log missing", []string{"--sshd-log", "/nonexistent", "-r", cleanPcap}, "--sshd-log /nonexistent: no such file or directory"},
		{"--fail2ban-log missing", []string{"--fail2ban-log", "/nonexistent", "-r", cleanPcap}, "--fail2ban-log /nonexistent: no such file or directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", c.args...)
			first, _, _ := strings.Cut(errOut, "\n")
			if code != exitUsage || out != "" || !strings.Contains(first, c.want) || strings.Contains(errOut, ".tmp-") {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, c.want)
			}
		})
	}
	if l := leftovers(t, tmp); len(l) > 0 {
		t.Errorf("left %v", l)
	}
	for _, c := range []struct{ args []string }{{[]string{"help"}}, {[]string{"help", "probe"}}, {[]string{"help", "explain"}}} {
		out, errOut, code := runCLI(t, "", c.args...)
		if code != exitOK || !strings.HasPrefix(out, "usage: rstsniff") || errOut != "" {
			t.Errorf("%v: exit %d, %q, %q", c.args, code, out, errOut)
		}
	}
	out, errOut, code := runCLI(t, "", "version")
	if code != exitOK || !strings.HasPrefix(out, "rstsniff ") || errOut != "" {
		t.Errorf("version: exit %d, %q, %q", code, out, errOut)
	}
}

// Item 5: subcommand help goes to standard output like --help, within 80
// columns on a pipe; a bad subcommand flag is one line and a pointer to
// the help, as for the main command.
func TestSubcommandHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"probe", "--help"}, {"explain", "--help"}, {"explain", "-h"}} {
		out, errOut, code := runCLI(t, "", args...)
		if code != exitOK || errOut != "" || !strings.HasPrefix(out, "usage: rstsniff") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		for _, l := range strings.Split(out, "\n") {
			if len([]rune(l)) > 80 {
				t.Errorf("%v: a line of %d: %q", args, len([]rune(l)), l)
			}
		}
	}
	for _, args := range [][]string{{"probe", "--bogus"}, {"explain", "--bogus"}, {"--bogus"}} {
		out, errOut, code := runCLI(t, "", args...)
		if code != exitUsage || out != "" || strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, "--help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// Item 3: the bare texts people paste most are explained, with the
// capture to make next; "lost connection" says what it means.
func TestExplainBareTexts(t *testing.T) {
	for _, msg := range []string{"Connection reset by peer", "Broken pipe", "Connection closed by remote host",
		"Failed to connect to new control master", "lost connection"} {
		out, errOut, code := runCLI(t, "", "explain", msg)
		if code != exitOK || strings.Contains(out, "No OpenSSH error message recognised") || strings.Contains(out, "On the wire: .") ||
			!strings.Contains(out, "What to capture:") || !strings.Contains(out, "tcpdump") {
			t.Errorf("%q: exit %d, %s\n%s", msg, code, errOut, out)
		}
	}
	// Nothing at all: a hint of what explain reads.
	out, _, code := runCLI(t, "", "explain", "hello world")
	if code != exitAbnormal || !strings.Contains(out, "ssh -v") {
		t.Errorf("hello world: exit %d, %q", code, out)
	}
}

// Item 4: at most 12 lines of advice, none repeated, none that needs a
// capture or a report the user does not have.
func TestExplainAdviceShort(t *testing.T) {
	for _, msg := range []string{"kex_exchange_identification: read: Connection reset by peer",
		"kex_exchange_identification: Connection closed by remote host", "client_loop: send disconnect: Broken pipe",
		"ssh: connect to host 192.0.2.7 port 22: Connection timed out", "Connection reset by 192.0.2.7 port 22",
		"Connection reset by peer", "mux_client_request_session: read from master failed: Broken pipe"} {
		out, _, _ := runCLI(t, "", "explain", msg)
		causes, next := adviceBlock(out, "Likely causes"), adviceBlock(out, "What to check next")
		all := append(causes, next...)
		if len(all) == 0 || len(all) > 12 {
			t.Errorf("%q: %d lines of advice:\n%s", msg, len(all), out)
		}
		seen := map[string]bool{}
		for _, a := range all {
			if seen[a] {
				t.Errorf("%q: %q twice", msg, a)
			}
			seen[a] = true
			for _, w := range []string{"this report", "frame", "the reset's evidence", "the finding says", "the burst"} {
				if strings.Contains(a, w) {
					t.Errorf("%q: %q needs what the user has not got (%q)", msg, a, w)
				}
			}
		}
		for _, l := range next {
			if strings.Contains(strings.ToLower(l), "maxstartups") && strings.Count(strings.Join(next, "\n"), "journalctl") > 1 {
				t.Errorf("%q: journalctl advised twice", msg)
			}
		}
	}
}

// Item 11: a placeholder host from a pasted log never goes into the
// suggested commands.
func TestExplainPlaceholderHost(t *testing.T) {
	for _, h := range []string{"x.x.x.x", "10.x.x.x", "xxx.xxx.xxx.xxx", "HOST", "<server>"} {
		out, _, _ := runCLI(t, "", "explain", "ssh: connect to host "+h+" port 22: Connection timed out")
		for _, l := range strings.Split(out, "\n") {
			if (strings.Contains(l, "tcpdump") || strings.Contains(l, "probe") || strings.Contains(l, "nc -vz")) && strings.Contains(l, h) && h != "HOST" {
				t.Errorf("%s in a command: %q", h, l)
			}
		}
	}
	out, _, _ := runCLI(t, "", "explain", "ssh: connect to host db1.example.org port 2222: Connection timed out")
	if !strings.Contains(out, "rstsniff probe db1.example.org:2222") {
		t.Errorf("a real name lost:\n%s", out)
	}
}

// Item 14: the head of a working ssh -v log is not called a failure.
func TestExplainPartialLog(t *testing.T) {
	b, err := os.ReadFile("../../testdata/explain/stage/partial-ok.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, string(b), "explain", "-")
	if code != exitOK || !strings.Contains(out, "nothing failed") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "sshd's log") && strings.Contains(l, "reset") {
			t.Errorf("a reset where nothing shows one: %q", l)
		}
	}
}

// openPty returns the two ends of a new pseudo-terminal (Linux), or skips.
func openPty(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// Item 13: -r - on a terminal says what it wants at once instead of
// waiting; explain - on a terminal says how to end the paste, and Ctrl-C
// (the context) ends the wait.
func TestStdinTerminal(t *testing.T) {
	_, tty := openPty(t)
	var out, errb strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- exitStatus(run(context.Background(), []string{"-r", "-"}, tty, &out, &errb), &errb)
	}()
	select {
	case code := <-done:
		if code != exitUsage || !strings.Contains(errb.String(), "standard input, which is a terminal") {
			t.Errorf("-r - on a terminal: exit %d, %q", code, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("-r - on a terminal waits silently")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var eout, eerr syncBuffer
	go func() {
		done <- exitStatus(run(ctx, []string{"explain", "-"}, tty, &eout, &eerr), &eerr)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(eerr.String(), "Ctrl-D") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(eerr.String(), "Ctrl-D") {
		t.Errorf("explain - on a terminal says nothing: %q", eerr.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != exitUsage {
			t.Errorf("explain - interrupted: exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("explain - ignores Ctrl-C")
	}
}

// syncBuffer is a strings.Builder safe to read while run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// overflowing renders an HTML page in headless Chromium, 1100 pixels wide,
// and returns how many of its pre blocks and tables are wider than their
// box or than the page (need a horizontal scroll bar).
func overflowing(t *testing.T, page string) int {
	t.Helper()
	browser := chromium(t)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	// The report forbids scripts (its CSP): the copy measured here drops
	// that line and adds the measuring script.
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`)
	html := csp.ReplaceAllString(string(b), "") + `<script>
var w = document.documentElement.clientWidth, n = 0;
document.querySelectorAll("pre, table").forEach(function (e) {
  if (e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > w + 1) n++;
});
document.body.setAttribute("data-overflow", String(n));
</script>`
	measured := filepath.Join(t.TempDir(), "measured.html")
	if err := os.WriteFile(measured, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--window-size=1100,1400", "--dump-dom", "file://"+measured)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`data-overflow="(\d+)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("chromium did not measure the page:\n%.2000s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// Item 15: the HTML report's long ICMP packet lines wrap, and the
// comparison page's tables fit with long capture paths: nothing needs a
// horizontal scroll bar.
func TestHTMLNoSideScroll(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "icmp.html")
	if _, errOut, code := runCLI(t, "", "-r", icmpPcap, "-o", page); code == exitUsage {
		t.Fatal(errOut)
	}
	if n := overflowing(t, page); n > 0 {
		t.Errorf("icmp-reject report: %d blocks wider than the page", n)
	}
	long := filepath.Join(dir, strings.Repeat("captures-taken-on-the-jump-host-", 4), strings.Repeat("x", 60))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, side := range []string{"client", "server"} {
		b, err := os.ReadFile("../../testdata/pairs/reject-banner/" + side + ".pcap")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(long, side+"-side-capture-with-a-long-descriptive-name.pcap")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, "-r", p)
	}
	page = filepath.Join(dir, "pair.html")
	if _, errOut, code := runCLI(t, "", append([]string{"--correlate", "-o", page}, inputs...)...); code == exitUsage {
		t.Fatal(errOut)
	}
	if n := overflowing(t, page); n > 0 {
		t.Errorf("comparison page: %d blocks wider than the page", n)
	}
}

// Item 6: a connection refused by ICMP names who sent the error in the
// table's BY column and the Markdown's "Who sent it", as its verdict line
// does: the server for the first three, a router for the last.
func TestICMPSenderCells(t *testing.T) {
	out, _, _ := runCLI(t, "", "-r", icmpPcap)
	var by []string
	for _, l := range strings.Split(out, "\n") {
		if c := strings.Split(l, "|"); len(c) > 6 && strings.TrimSpace(c[5]) == "unreachable" {
			by = append(by, strings.TrimSpace(c[6]))
		}
	}
	if strings.Join(by, " ") != "server server server router" {
		t.Errorf("BY cells %q:\n%s", by, out)
	}
	md, _, _ := runCLI(t, "", "-r", icmpPcap, "--format", "md")
	var who []string
	for _, l := range strings.Split(md, "\n") {
		if c := strings.Split(l, " | "); len(c) == 9 && c[4] == "unreachable" {
			who = append(who, c[7])
		}
	}
	if len(who) != 4 || !strings.Contains(who[0], "203.0.113.2, the server itself") || !strings.Contains(who[3], "198.51.100.1, a router or firewall on the path") {
		t.Errorf("Who sent it %q", who)
	}
}

// Item 7: at 80 columns, client cells between the same hosts stay apart
// (the port is kept), and the columns left out are named.
func TestNarrowTableSaysWhatItDrops(t *testing.T) {
	t.Setenv("COLUMNS", "80")
	out, _, _ := runCLI(t, "", "-r", icmpPcap)
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if c := strings.Split(l, "|"); len(c) > 4 && strings.Contains(l, "unreachable") {
			cell := strings.TrimSpace(c[3])
			if seen[cell] {
				t.Errorf("two client cells read %q:\n%s", cell, out)
			}
			seen[cell] = true
		}
	}
	if !strings.Contains(out, "left out to fit 80 columns") || !strings.Contains(out, "SERVER BANNER") {
		t.Errorf("dropped columns not named:\n%s", out)
	}
}

// Item 8: the JSON summary says which rstsniff wrote it, as the reports do.
func TestJSONSummaryVersion(t *testing.T) {
	out, _, _ := runCLI(t, "", "-r", cleanPcap, "--format", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"type":"summary"`) || !strings.Contains(last, `"version":"`+reportVersion()+`"`) {
		t.Errorf("summary %s", last)
	}
}

// Item 9: a capture with one good connection does not read as two.
func TestSummaryOneConnection(t *testing.T) {
	out, _, _ := runCLI(t, "", "-r", cleanPcap)
	if strings.Contains(out, "more") || !strings.Contains(out, "1 SSH connection: 1 closed; 0 RSTs (no problem found in it; --all lists it)") {
		t.Errorf("%q", out)
	}
}

// Item 12: the raw Markdown escapes only what would become markup: no
// escaped parentheses, hyphens, dots or hashes in rstsniff's own words.
func TestMarkdownReadableRaw(t *testing.T) {
	for _, pcap := range []string{resetPcap, icmpPcap, "../../testdata/pcaps/maxstartups/capture.pcap"} {
		md, _, _ := runCLI(t, "", "-r", pcap, "--format", "md")
		for _, esc := range []string{`\(`, `\)`, `\-`, `\.`, `\#`, `\+`, `\!`, `\{`} {
			if i := strings.Index(md, esc); i >= 0 {
				t.Errorf("%s: %q in %q", filepath.Base(filepath.Dir(pcap)), esc, md[max(0, i-60):min(len(md), i+60)])
			}
		}
	}
}

// Item 8: the version reports name is the release's, or the revision the
// binary was built from, as --version says it (without the toolchain;
// the cases: internal/buildinfo's TestReport).
func TestReportVersion(t *testing.T) {
	md, _, _ := runCLI(t, "", "-r", cleanPcap, "--format", "md")
	if !strings.Contains(md, "| rstsniff | "+reportVersion()+" |") {
		t.Errorf("the Markdown report does not name %q:\n%.400s", reportVersion(), md)
	}
}
