package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runLabRun is the "run" JSON line of a report (-o NAME.json).
type runLabRun struct {
	Exit    int    `json:"exit"`
	Method  string `json:"attribution"`
	Flows   int    `json:"flows"`
	Others  int    `json:"others_left_out"`
	Masters []struct {
		Client string `json:"client"`
		PID    int    `json:"pid"`
		Before bool   `json:"started_before"`
	} `json:"via_master"`
	Said *struct {
		Kind   string `json:"kind"`
		Match  string `json:"match"`
		Client string `json:"client"`
	} `json:"printed"`
}

// TestRunLab: rstsniff run around the real ssh, scp and sftp in the lab
// (lab.sh runs). What each case must show is what lab.sh set up: which
// connection it broke and how, written from its configuration.
func TestRunLab(t *testing.T) {
	needLab(t, "nsenter", "setpriv", "setcap", "scp", "sftp")
	bin := buildRstsniff(t)
	out := keptDir(t, "rstsniff-run-")
	cmd := exec.Command("bash", "../../testdata/lab/lab.sh", out, "runs")
	cmd.Env = append(os.Environ(), "RSTSNIFF="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab.sh runs: %v\n%s", err, b)
	}
	read := func(t *testing.T, c, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, c, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	exit := func(t *testing.T, c, name string) int {
		t.Helper()
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(read(t, c, name+".exit")), "exit "))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	runLine := func(t *testing.T, report string) runLabRun {
		t.Helper()
		for _, l := range strings.Split(report, "\n") {
			if strings.Contains(l, `"type":"run"`) {
				var r runLabRun
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatal(err)
				}
				return r
			}
		}
		t.Fatalf("no run line in the report:\n%s", report)
		return runLabRun{}
	}
	// rstsniffLines are rstsniff's own lines on standard error.
	rstsniffLines := func(errText string) []string {
		var out []string
		for _, l := range strings.Split(errText, "\n") {
			if strings.HasPrefix(l, "rstsniff: ") && !strings.HasPrefix(l, "rstsniff: report written") {
				out = append(out, l)
			}
		}
		return out
	}

	// The router forges a reset for the client's banner: each client
	// fails with 255 and its own message; rstsniff adds the forged reset
	// and joins the message to it; the report has the one connection.
	t.Run("reject-banner", func(t *testing.T) {
		for _, name := range []string{"ssh", "scp", "sftp"} {
			errText := read(t, "run-reject-banner", name+".err")
			report := read(t, "run-reject-banner", name+".json")
			if c := exit(t, "run-reject-banner", name); c != 255 {
				t.Errorf("%s: exit %d, want 255 (the client's); stderr:\n%s", name, c, errText)
			}
			if !regexp.MustCompile(`(?m)^(kex_exchange_identification: read: Connection reset by peer|Connection reset by 203\.0\.113\.2 port 22)\r?$`).MatchString(errText) {
				t.Errorf("%s: the client's own message is not on stderr:\n%s", name, errText)
			}
			checkProbeFlows(t, parseVerdicts(t, report, false), [][]verdict{labTruth["reject-banner"].flows[0]})
			// The third witness: the client's kernel accepted the forged reset.
			if !strings.Contains(report, `"kernel":{`) || !strings.Contains(report, `"received":true`) {
				t.Errorf("%s: the report holds no kernel witness of the reset the client's socket received", name)
			}
			r := runLine(t, report)
			if r.Method != "cgroup" || r.Flows != 1 || r.Said == nil || r.Said.Match != "wire" {
				t.Errorf("%s: run %+v, want the cgroup's one connection joined to the message by its wire meaning", name, r)
			}
			lines := rstsniffLines(errText)
			if len(lines) != 2 || r.Said == nil || !strings.Contains(lines[0], r.Said.Client) || !strings.Contains(lines[1], "printed") {
				t.Errorf("%s: rstsniff's lines %q, want the verdict of %v then the message joined to it", name, lines, r.Said)
			}
		}
		// The report's other formats: the verdict and the command's section.
		for _, f := range []string{"ssh.md", "ssh.html"} {
			doc := read(t, "run-reject-banner", f)
			if !strings.Contains(doc, "The command") || !strings.Contains(doc, "kex_exchange_identification") || !strings.Contains(doc, "203.0.113.2") {
				t.Errorf("%s lacks the command's section or the connection:\n%s", f, doc)
			}
		}
		// -w: the packets of the one connection, readable by -r.
		got, errOut, code := runCLI(t, "", "-r", filepath.Join(out, "run-reject-banner", "ssh.pcapng"), "--format", "json")
		if code == exitUsage {
			t.Fatalf("-r the -w file: %s", errOut)
		}
		checkProbeFlows(t, parseVerdicts(t, got, false), [][]verdict{labTruth["reject-banner"].flows[0]})
	})

	// MaxStartups 1 with another (earlier, idle) connection holding the
	// slot: sshd ends ssh's connection before its banner.
	t.Run("maxstartups", func(t *testing.T) {
		report := read(t, "run-maxstartups", "ssh.json")
		if c := exit(t, "run-maxstartups", "ssh"); c != 255 {
			t.Errorf("exit %d, want 255", c)
		}
		ms := labTruth["maxstartups"].flows
		checkProbeFlows(t, parseVerdicts(t, report, false), ms[len(ms)-1:])
		if lines := rstsniffLines(read(t, "run-maxstartups", "ssh.err")); len(lines) < 1 {
			t.Errorf("no verdict on stderr")
		}
	})

	// Port 2222, named by ssh -p, has no listener: refused.
	t.Run("refused", func(t *testing.T) {
		report := read(t, "run-refused", "ssh.json")
		if c := exit(t, "run-refused", "ssh"); c != 255 {
			t.Errorf("exit %d, want 255", c)
		}
		checkProbeFlows(t, parseVerdicts(t, report, false), [][]verdict{probeRefused})
		if !strings.Contains(report, `"server":"203.0.113.2:2222"`) {
			t.Errorf("the connection to port 2222 is not in the report")
		}
		if r := runLine(t, report); r.Said == nil || r.Said.Kind != "connect" || r.Said.Match != "wire" {
			t.Errorf("run %+v, want ssh's connect message joined to the refused connection", r)
		}
	})

	// Clean runs: 0, nothing of rstsniff's own on stderr.
	t.Run("clean", func(t *testing.T) {
		for _, name := range []string{"ssh", "scp"} {
			if c := exit(t, "run-clean", name); c != 0 {
				t.Errorf("%s: exit %d", name, c)
			}
			if lines := rstsniffLines(read(t, "run-clean", name+".err")); len(lines) != 0 {
				t.Errorf("%s: rstsniff printed %q on a clean run", name, lines)
			}
			report := read(t, "run-clean", name+".json")
			if r := runLine(t, report); r.Flows != 1 {
				t.Errorf("%s: %d connections, want 1", name, r.Flows)
			}
			checkProbeFlows(t, parseVerdicts(t, report, false), [][]verdict{{{"session", "closed", "client", "", "", ""}, {"session", "closed", "server", "", "", ""}}})
		}
		if got := read(t, "run-clean", "ssh.out"); got != "hello\n" {
			t.Errorf("the command's standard output %q", got)
		}
	})

	// Another process's connection, reset at the same time, is left out.
	t.Run("other", func(t *testing.T) {
		if !strings.Contains(read(t, "run-other", "client.txt"), "other exit 255") {
			t.Fatalf("the other process was not reset: %s", read(t, "run-other", "client.txt"))
		}
		if c := exit(t, "run-other", "ssh"); c != 0 {
			t.Errorf("exit %d, want 0", c)
		}
		if lines := rstsniffLines(read(t, "run-other", "ssh.err")); len(lines) != 0 {
			t.Errorf("rstsniff printed %q about another process's connection", lines)
		}
		report := read(t, "run-other", "ssh.json")
		if r := runLine(t, report); r.Flows != 1 || r.Others < 1 {
			t.Errorf("run %+v, want 1 connection and the other left out", r)
		}
		if strings.Contains(report, "198.51.100.3") {
			t.Errorf("the other process's connection (198.51.100.3) is in the report")
		}
	})

	// A ControlMaster started before: the command's connection is the
	// master's, said so; the router's resets break it.
	t.Run("mux", func(t *testing.T) {
		if c := exit(t, "run-mux", "clean"); c != 0 {
			t.Errorf("clean: exit %d", c)
		}
		if lines := rstsniffLines(read(t, "run-mux", "clean.err")); len(lines) != 0 {
			t.Errorf("clean: rstsniff printed %q", lines)
		}
		for _, name := range []string{"clean", "broken"} {
			r := runLine(t, read(t, "run-mux", name+".json"))
			if len(r.Masters) != 1 || !r.Masters[0].Before || r.Masters[0].PID == 0 {
				t.Errorf("%s: run %+v, want the one connection through a master started before", name, r)
			}
		}
		if c := exit(t, "run-mux", "broken"); c != 255 {
			t.Errorf("broken: exit %d, want 255", c)
		}
		lines := rstsniffLines(read(t, "run-mux", "broken.err"))
		if len(lines) < 1 || !strings.Contains(lines[0], "ControlMaster") || !strings.Contains(lines[0], "started before the command") {
			t.Errorf("broken: rstsniff's lines %q, want the master's connection, said so", lines)
		}
		v := parseVerdicts(t, read(t, "run-mux", "broken.json"), false)
		if len(v) != 1 || v[0].Outcome != "reset" || !strings.Contains(v[0].Origins, "middlebox") {
			t.Errorf("broken: %+v, want the master's connection reset by the router (middlebox)", v)
		}
	})

	// An unprivileged user in the binary's group, with the capabilities
	// on the binary: the capture and the ancestry attribution work.
	t.Run("group", func(t *testing.T) {
		errText := read(t, "run-group", "group.err")
		if c := exit(t, "run-group", "group"); c != 255 {
			t.Errorf("exit %d, want 255; stderr:\n%s", c, errText)
		}
		report := read(t, "run-group", "group.json")
		checkProbeFlows(t, parseVerdicts(t, report, false), [][]verdict{labTruth["reject-banner"].flows[0]})
		if r := runLine(t, report); r.Method != "ancestry" || r.Said == nil || r.Said.Match != "wire" {
			t.Errorf("run %+v, want the ancestry attribution and the message joined", r)
		}
		if g := read(t, "run-group", "getcap.txt"); !strings.Contains(g, "cap_net_admin,cap_net_raw,cap_perfmon,cap_bpf=ep") || !strings.Contains(g, "root:64999 750") {
			t.Errorf("getcap: %s", read(t, "run-group", "getcap.txt"))
		}
		if c := exit(t, "run-group", "nogroup"); c != 126 {
			t.Errorf("outside the group: exit %d, want 126 (permission denied)", c)
		}
	})

	// Both routers drop their ICMP "fragmentation needed" on a 576-byte
	// link: ssh's KEXINIT never arrives; timeout 4 ends ssh (124).
	t.Run("mtu-blackhole", func(t *testing.T) {
		if c := exit(t, "run-mtu-blackhole", "ssh"); c != 124 {
			t.Errorf("exit %d, want timeout's 124", c)
		}
		checkProbeFlows(t, parseVerdicts(t, read(t, "run-mtu-blackhole", "ssh.json"), false), probeTruth["probe-mtu-blackhole"].flows[:1])
		lines := rstsniffLines(read(t, "run-mtu-blackhole", "ssh.err"))
		if len(lines) < 1 || !strings.Contains(lines[0], "[mtu-blackhole]") {
			t.Errorf("rstsniff's lines %q, want the black hole's verdict", lines)
		}
	})

	t.Run("missing", func(t *testing.T) {
		if c := exit(t, "run-missing", "missing"); c != 127 {
			t.Errorf("exit %d, want 127", c)
		}
		if !strings.Contains(read(t, "run-missing", "missing.err"), "rstsniff-lab-no-such-command: command not found") {
			t.Errorf("stderr: %s", read(t, "run-missing", "missing.err"))
		}
	})

	// SIGINT to rstsniff alone reaches ssh, which ends at once (ssh exits
	// 255 on SIGINT) instead of after the remote sleep 30.
	t.Run("sigint", func(t *testing.T) {
		if c := exit(t, "run-sigint", "sigint"); c != 255 {
			t.Errorf("exit %d, want ssh's 255", c)
		}
		m := regexp.MustCompile(`after (\d+) s`).FindStringSubmatch(read(t, "run-sigint", "client.txt"))
		if m == nil {
			t.Fatalf("client.txt: %s", read(t, "run-sigint", "client.txt"))
		}
		if n, _ := strconv.Atoi(m[1]); n > 10 {
			t.Errorf("ssh ended %d s after SIGINT: not forwarded", n)
		}
	})
}
