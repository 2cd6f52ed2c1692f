package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// theFlags is the flag set rstsniff parses its command line with.
func theFlags(t *testing.T) *pflag.FlagSet {
	t.Helper()
	o, err := parseFlags([]string{"--help-man"}, io.Discard)
	if err != nil || o == nil || o.flags == nil {
		t.Fatalf("parseFlags --help-man: %v", err)
	}
	return o.flags
}

func generated(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := exitStatus(run(context.Background(), args, nil, &out, &errb), &errb); code != exitOK {
		t.Fatalf("rstsniff %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// needTool returns a tool's path; missing, the test is skipped, except in
// CI, where make lab-deps installs it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s in CI: make lab-deps installs it", name)
		}
		t.Skipf("no %s", name)
	}
	return p
}

// TestManPage: every visible flag has its entry, hidden ones none, and
// groff renders the page without a warning.
func TestManPage(t *testing.T) {
	man := generated(t, "--help-man")
	theFlags(t).VisitAll(func(f *pflag.Flag) {
		entry := `\fB\-\-` + strings.ReplaceAll(f.Name, "-", `\-`) + `\fR`
		if got := strings.Contains(man, entry); got == f.Hidden {
			t.Errorf("--%s (hidden %v): entry in the man page %v", f.Name, f.Hidden, got)
		}
	})
	if !strings.Contains(man, `.TH RSTSNIFF 1 "" "rstsniff `+version+`"`) {
		t.Errorf("the title does not name the version %q:\n%s", version, man[:200])
	}
	groff := needTool(t, "groff")
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(man)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a-b`:        `a\-b`,
		`.TH x`:      `\&.TH x`,
		`'x`:         `\&'x`,
		`back\slash`: `back\eslash`,
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCompletionFormats: the formats the completions offer are the ones
// --format accepts and its help names.
func TestCompletionFormats(t *testing.T) {
	usage := theFlags(t).Lookup("format").Usage
	for _, f := range formats {
		if _, err := parseFlags([]string{"-r", "x.pcap", "--format", f}, io.Discard); err != nil {
			t.Errorf("completion offers --format %s, which parseFlags refuses: %v", f, err)
		}
		if !strings.Contains(usage, f) {
			t.Errorf("--format's help does not name %s: %q", f, usage)
		}
	}
	if _, err := parseFlags([]string{"-r", "x.pcap", "--format", "yaml"}, io.Discard); err == nil {
		t.Error("--format yaml accepted")
	}
}

// TestBashCompletion loads the script in bash and completes as a user would.
func TestBashCompletion(t *testing.T) {
	script := generated(t, "--completion", "bash")
	bash := needTool(t, "bash")
	for _, c := range []struct {
		words []string
		want  []string
		not   []string
	}{
		{[]string{"rstsniff", "--fo"}, []string{"--format"}, []string{"--read"}},
		{[]string{"rstsniff", "--format", ""}, formats, []string{"--read"}},
		{[]string{"rstsniff", "-i", "l"}, []string{"lo"}, nil},
		{[]string{"rstsniff", "--completion", ""}, shells, nil},
		{[]string{"rstsniff", "--help-"}, nil, []string{"--help-man"}}, // hidden
		{[]string{"rstsniff", "--ports", ""}, nil, []string{"--read"}},
	} {
		var words strings.Builder
		for _, w := range c.words {
			words.WriteString(" '" + w + "'")
		}
		prog := script + "\nCOMP_WORDS=(" + words.String() + ")\nCOMP_CWORD=" + itoa(len(c.words)-1) +
			"\n_rstsniff\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		got := strings.Fields(string(out))
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%v: no %q in %v", c.words, w, got)
			}
		}
		for _, w := range c.not {
			if slices.Contains(got, w) {
				t.Errorf("%v: %q offered in %v", c.words, w, got)
			}
		}
	}
}

// TestZshFishCompletion: the scripts parse in their shells.
func TestZshFishCompletion(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			script := generated(t, "--completion", sh)
			if !strings.Contains(script, "--format") && !strings.Contains(script, "-l format") {
				t.Errorf("no --format in the %s script", sh)
			}
			path := needTool(t, sh)
			f := t.TempDir() + "/rstsniff." + sh
			if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
