package main

import (
	"bytes"
	"context"
	"io"
	"slices"
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

// TestManPage: every visible flag of every command has its entry in that
// command's part of the page, hidden ones none, and groff renders the page
// without a warning.
func TestManPage(t *testing.T) {
	man := generated(t, "--help-man")
	for _, c := range docCommands() {
		part := docgentest.Part(t, "man", man, "rstsniff", c.Name)
		c.Flags.VisitAll(func(f *pflag.Flag) {
			entry := docgentest.Entries("man", f)[0]
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
// entry in docCommands, with its text, and docCommands reads the flags
// each one parses: its flag set prints what the subcommand's --help
// prints.
func TestEveryCommandDocumented(t *testing.T) {
	docs := map[string]*pflag.FlagSet{}
	for _, c := range docCommands() {
		docs[c.Name] = c.Flags
		if len(c.Synopsis) == 0 || len(c.Description) == 0 || c.Name != "" && c.Summary == "" {
			t.Errorf("rstsniff %s: no synopsis, description or summary for the man page (docText)", c.Name)
		}
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
		docgentest.Offers(t, c.words, docgentest.BashComplete(t, script, "rstsniff", c.words...), c.want, c.not)
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
				part := docgentest.Part(t, sh, script, "rstsniff", c.Name)
				c.Flags.VisitAll(func(f *pflag.Flag) {
					entry := docgentest.Entries(sh, f)[0]
					if got := strings.Contains(part, entry); got == f.Hidden {
						t.Errorf("rstsniff %s --%s (hidden %v): in its part of the %s script %v", c.Name, f.Name, f.Hidden, sh, got)
					}
				})
			}
			docgentest.Lint(t, sh, script)
		})
	}
}
