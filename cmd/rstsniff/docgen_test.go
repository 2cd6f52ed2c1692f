package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/internal/docgen"
	"github.com/rstsniff/rstsniff/internal/docgen/docgentest"
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

// manPart is the part of the man page that documents one command: OPTIONS
// for rstsniff itself, its subsection under COMMANDS for a subcommand.
func manPart(t *testing.T, man, name string) string {
	t.Helper()
	start, end := "\n.SH OPTIONS\n", "\n.SH "
	if name != "" {
		start, end = "\n.SS rstsniff "+name+"\n", "\n.S"
	}
	_, part, ok := strings.Cut(man, start)
	if !ok {
		t.Fatalf("the man page has no %q", strings.TrimSpace(start))
	}
	part, _, _ = strings.Cut(part, end)
	return part
}

// TestManPage: every visible flag of every command has its entry in that
// command's part of the page, hidden ones none, and groff renders the page
// without a warning.
func TestManPage(t *testing.T) {
	man := generated(t, "--help-man")
	for _, c := range docCommands() {
		part := manPart(t, man, c.Name)
		c.Flags.VisitAll(func(f *pflag.Flag) {
			entry := `\fB\-\-` + strings.ReplaceAll(f.Name, "-", `\-`) + `\fR`
			if f.Shorthand != "" {
				entry = `\fB\-` + f.Shorthand + `\fR, ` + entry
			}
			if got := strings.Contains(part, entry); got == f.Hidden {
				t.Errorf("rstsniff %s --%s (hidden %v): entry in its part of the man page %v", c.Name, f.Name, f.Hidden, got)
			}
		})
	}
	if !strings.Contains(man, `.TH RSTSNIFF 1 "" "rstsniff `+version+`"`) {
		t.Errorf("the title does not name the version %q:\n%s", version, man[:200])
	}
	docgentest.Lint(t, "man", man)
}

// TestEveryCommandDocumented: each subcommand --help's usage names has its
// entry in docCommands, and docCommands reads the flags each one parses:
// its flag set prints what the subcommand's --help prints.
func TestEveryCommandDocumented(t *testing.T) {
	docs := map[string]*pflag.FlagSet{}
	for _, c := range docCommands() {
		docs[c.Name] = c.Flags
	}
	var names []string
	for _, line := range strings.Split(usageLines, "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "usage:"))
		if len(f) > 1 && f[0] == "rstsniff" && !strings.HasPrefix(f[1], "-") && !strings.HasPrefix(f[1], "[") {
			names = append(names, f[1])
		}
	}
	if len(names) == 0 {
		t.Fatalf("no subcommand in the usage lines:\n%s", usageLines)
	}
	for _, name := range names {
		fs := docs[name]
		if fs == nil {
			t.Errorf("rstsniff %s: not in docCommands", name)
			continue
		}
		var out, errb bytes.Buffer
		_ = run(context.Background(), []string{name, "--help"}, nil, &out, &errb)
		help := out.String() + errb.String() // run prints its help on standard error
		if !strings.HasSuffix(help, fs.FlagUsagesWrapped(helpWidth(&out))) && !strings.HasSuffix(help, fs.FlagUsages()) {
			t.Errorf("rstsniff %s: the flags it documents are not those its --help prints:\n%s\n--- documented:\n%s", name, help, fs.FlagUsages())
		}
	}
	if got := docCommands()[0].Flags.FlagUsages(); got != theFlags(t).FlagUsages() {
		t.Errorf("rstsniff's own flags differ from parseFlags'")
	}
}

// TestCompletionFormats: the values the completions offer for --format
// are those each command accepts, and rstsniff's are named in its help.
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
	accepts := map[string]func(format string) error{
		"probe": func(f string) error {
			_, err := parseProbeFlags([]string{"--format", f, "host"}, io.Discard)
			return err
		},
		"run": func(f string) error {
			_, err := parseRunFlags([]string{"--format", f, "--", "true"}, io.Discard)
			return err
		},
		"explain": func(f string) error {
			var errb bytes.Buffer
			if runExplain(context.Background(), []string{"--format", f, "Connection reset by peer"}, nil, io.Discard, &errb) == exitUsage {
				return &usageError{errb.String()}
			}
			return nil
		},
	}
	for _, c := range docCommands()[1:] {
		for _, f := range append(slices.Clone(c.Values["format"]), "yaml") {
			err := accepts[c.Name](f)
			if (err == nil) != (f != "yaml") {
				t.Errorf("rstsniff %s --format %s: %v", c.Name, f, err)
			}
		}
	}
}

// TestBashCompletion loads the script in bash and completes as a user would.
func TestBashCompletion(t *testing.T) {
	script := generated(t, "--completion", "bash")
	bash := docgentest.NeedTool(t, "bash")
	for _, c := range []struct {
		words []string
		want  []string
		not   []string
	}{
		{[]string{"rstsniff", "--fo"}, []string{"--format"}, []string{"--read"}},
		{[]string{"rstsniff", "--format", ""}, formats, []string{"--read"}},
		{[]string{"rstsniff", "-i", "l"}, []string{"lo"}, nil},
		{[]string{"rstsniff", "--completion", ""}, docgen.Shells, nil},
		{[]string{"rstsniff", "--help-"}, nil, []string{"--help-man"}}, // hidden
		{[]string{"rstsniff", "--ports", ""}, nil, []string{"--read"}},
		{[]string{"rstsniff", "pro"}, []string{"probe"}, nil},
		{[]string{"rstsniff", "probe", "--lo"}, []string{"--locate"}, nil},
		{[]string{"rstsniff", "probe", "--format", ""}, []string{"markdown"}, []string{"ecs"}},
		{[]string{"rstsniff", "explain", "--format", ""}, []string{"json"}, []string{"html"}},
		{[]string{"rstsniff", "run", "--"}, []string{"--linger", "--require-capture"}, []string{"--no-cgroup", "--read"}},
		{[]string{"rstsniff", "-"}, []string{"--correlate", "-j"}, []string{"--locate"}},
	} {
		var words strings.Builder
		for _, w := range c.words {
			words.WriteString(" '" + w + "'")
		}
		prog := script + "\nCOMP_WORDS=(" + words.String() + ")\nCOMP_CWORD=" + strconv.Itoa(len(c.words)-1) +
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

// TestCompletions: every visible flag of every command is in each shell's
// script, in the part for that command (a function for bash and zsh, a
// condition for fish); a hidden one is in none; and the shell parses it.
func TestCompletions(t *testing.T) {
	for _, sh := range docgen.Shells {
		t.Run(sh, func(t *testing.T) {
			script := generated(t, "--completion", sh)
			for _, c := range docCommands() {
				part := completionPart(t, sh, script, c.Name)
				c.Flags.VisitAll(func(f *pflag.Flag) {
					entry := map[string]string{"bash": " --" + f.Name + " ", "zsh": "--" + f.Name + "[", "fish": " -l " + f.Name + " "}[sh]
					if got := strings.Contains(part, entry); got == f.Hidden {
						t.Errorf("rstsniff %s --%s (hidden %v): in its part of the %s script %v", c.Name, f.Name, f.Hidden, sh, got)
					}
				})
			}
			docgentest.Lint(t, sh, script)
		})
	}
}

// completionPart is the part of a completion script for one command: for
// bash the words it offers for an option (spaced), for zsh its function,
// for fish the lines of its flags.
func completionPart(t *testing.T, sh, script, name string) string {
	t.Helper()
	fn := "\n_rstsniff() {\n"
	if name != "" {
		fn = "\n_rstsniff_" + name + "() {\n"
	}
	switch sh {
	case "fish":
		var lines []string
		for _, l := range strings.Split(script, "\n") {
			if strings.Contains(l, "__fish_rstsniff_in '"+name+"' flags") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	case "bash":
		_, part, ok := strings.Cut(script, fn)
		_, words, ok2 := strings.Cut(part, "if [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W \"")
		if !ok || !ok2 {
			t.Fatalf("bash: no flag words for %q", name)
		}
		words, _, _ = strings.Cut(words, "\"")
		return " " + words + " "
	}
	_, part, ok := strings.Cut(script, fn)
	if !ok {
		t.Fatalf("%s: no %q", sh, strings.TrimSpace(fn))
	}
	part, _, _ = strings.Cut(part, "\n}\n")
	return part
}
