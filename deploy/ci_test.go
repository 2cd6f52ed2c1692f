package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitlabScript reads the script lines of the .rstsniff job template: the
// single-quoted items under "  script:".
func gitlabScript(t *testing.T, yml string) []string {
	t.Helper()
	var lines []string
	in := false
	for _, l := range strings.Split(yml, "\n") {
		switch {
		case l == "  script:":
			in = true
		case in && strings.HasPrefix(l, "    - '") && strings.HasSuffix(l, "'"):
			lines = append(lines, strings.ReplaceAll(l[len("    - '"):len(l)-1], "''", "'"))
		case in:
			in = false
		}
	}
	if len(lines) == 0 {
		t.Fatal("no script lines in the GitLab template")
	}
	return lines
}

// actionScript reads the composite action's "run: |" block.
func actionScript(t *testing.T, yml string) string {
	t.Helper()
	var b strings.Builder
	indent := -1
	for _, l := range strings.Split(yml, "\n") {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case indent < 0 && trimmed == "run: |":
			indent = len(l) - len(trimmed) + 2
		case indent >= 0 && (trimmed == "" || len(l)-len(trimmed) >= indent):
			if len(l) >= indent {
				b.WriteString(l[indent:])
			}
			b.WriteString("\n")
		case indent >= 0:
			return b.String()
		}
	}
	if b.Len() == 0 {
		t.Fatal("no run block in the action")
	}
	return b.String()
}

// buildBinary builds rstsniff for the CI tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rstsniff")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rstsniff")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ciCase is one command a CI step runs: its status must come out as the
// step's, a failure must leave the report, and rstsniff's own lines must
// read ssh's message.
var ciCases = []struct {
	name    string
	command string
	exit    int
	said    bool // rstsniff joins or reads the message: a line with "printed"
}{
	{"fails", `echo 'kex_exchange_identification: read: Connection reset by peer' >&2; exit 255`, 255, true},
	{"passes", `echo deployed`, 0, false},
}

func runCI(t *testing.T, shell []string, script string, env []string) (int, string) {
	t.Helper()
	cmd := exec.Command(shell[0], append(shell[1:], script)...)
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, errb.String()
}

// TestCITemplates executes the GitLab job template's script lines and the
// GitHub composite action's run block as the runners would, with rstsniff
// built from this tree.
func TestCITemplates(t *testing.T) {
	root := repoRoot(t)
	gl, err := os.ReadFile(filepath.Join(root, "deploy/ci/rstsniff.gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	gh, err := os.ReadFile(filepath.Join(root, "deploy/ci/github/action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"when: on_failure", "- $RSTSNIFF_REPORT", "- $RSTSNIFF_PACKETS"} {
		if !strings.Contains(string(gl), want) {
			t.Errorf("GitLab template without %q", want)
		}
	}
	for _, want := range []string{"using: composite", "if: failure()", "actions/upload-artifact@v4"} {
		if !strings.Contains(string(gh), want) {
			t.Errorf("action without %q", want)
		}
	}
	bin := buildBinary(t)
	templates := []struct {
		name   string
		shell  []string
		script string
	}{
		// GitLab runs each line in one shell, stopping at the first that fails.
		{"gitlab", []string{"sh", "-e", "-c"}, strings.Join(gitlabScript(t, string(gl)), "\n")},
		// Actions run the block with bash -e {0}.
		{"github", []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"}, actionScript(t, string(gh))},
	}
	for _, tpl := range templates {
		for _, c := range ciCases {
			t.Run(tpl.name+"/"+c.name, func(t *testing.T) {
				if tpl.name == "github" && os.Geteuid() != 0 {
					t.Skip("the action's sudo path needs a runner with sudo")
				}
				dir := t.TempDir()
				report := filepath.Join(dir, "rstsniff-report.md")
				env := []string{"RSTSNIFF=" + bin, "RSTSNIFF_COMMAND=" + c.command, "RSTSNIFF_OPTS=--no-kernel --linger 100ms",
					"RSTSNIFF_REPORT=" + report, "RSTSNIFF_PACKETS=" + filepath.Join(dir, "rstsniff-packets.pcapng")}
				code, errText := runCI(t, tpl.shell, tpl.script, env)
				if code != c.exit {
					t.Errorf("exit %d, want the command's %d; stderr:\n%s", code, c.exit, errText)
				}
				md, err := os.ReadFile(report)
				if err != nil {
					t.Fatalf("no report: %v; stderr:\n%s", err, errText)
				}
				if !strings.Contains(string(md), "## The command") {
					t.Errorf("the report has no section on the command:\n%s", md)
				}
				if got := strings.Contains(errText, "rstsniff: sh printed") || strings.Contains(errText, "rstsniff: bash printed") || strings.Contains(errText, "printed \"kex_exchange_identification"); got != c.said {
					t.Errorf("message read: %v, want %v; stderr:\n%s", got, c.said, errText)
				}
			})
		}
	}
}

// TestCIActionAsUser executes the action's run block as a runner user that
// is not root (nobody), with a stand-in sudo that drops its options and
// runs the rest as it is: the sudo branch's command line must hold
// together (rstsniff, then the command back as the user), and the step's
// status be the command's. Without privileges there is no capture: the
// one line says so.
func TestCIActionAsUser(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv")
	}
	gh, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/ci/github/action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "rstsniff-ci-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "rstsniff")
	if b, err := os.ReadFile(buildBinary(t)); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatal(err)
	}
	// The stand-in: sudo [--preserve-env=...] [-u USER] [--] CMD...
	sudo := "#!/bin/sh\nwhile :; do case $1 in --preserve-env=*) shift ;; -u) shift 2 ;; --) shift; break ;; *) break ;; esac; done\necho \"sudo: $*\" >>\"$SUDO_LOG\"\nexec \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(sudo), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(script, []byte(actionScript(t, string(gh))), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
		"bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + dir, "SUDO_LOG=" + filepath.Join(dir, "sudo.log"),
		"RSTSNIFF=" + bin, "RSTSNIFF_COMMAND=echo 'Connection closed by 203.0.113.2 port 22' >&2; exit 255",
		"RSTSNIFF_OPTS=--linger 0", "RSTSNIFF_REPORT=" + filepath.Join(dir, "r.md"), "RSTSNIFF_PACKETS=" + filepath.Join(dir, "p.pcapng")}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 255 {
		t.Fatalf("step: %v, want exit status 255; stderr:\n%s", err, errb.String())
	}
	log, _ := os.ReadFile(filepath.Join(dir, "sudo.log"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "sudo: "+bin+" run --linger 0 -o ") || lines[1] != "sudo: bash -c "+"echo 'Connection closed by 203.0.113.2 port 22' >&2; exit 255" {
		t.Errorf("sudo ran %q, want rstsniff run, then the command as the user", lines)
	}
	if !strings.Contains(errb.String(), "rstsniff: no capture (") || !strings.Contains(errb.String(), "Connection closed by 203.0.113.2 port 22") {
		t.Errorf("stderr:\n%s", errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "r.md")); err != nil {
		t.Errorf("no report: %v", err)
	}
}
