// Package docgentest checks docgen's outputs with the tools that read
// them, for tests: groff for the man page, each shell's -n for its
// completion. A missing tool skips the test, except in CI (CI set), where
// make lab-deps installs them.
package docgentest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// NeedTool returns a tool's path; missing, the test is skipped, or fails
// in CI.
func NeedTool(t testing.TB, name string) string {
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

// Lint fails the test when the tool that reads doc complains: what is
// "man" (groff -man -Tutf8 -ww -z: any warning) or a shell, "bash", "zsh"
// or "fish" (its -n: the script does not parse).
func Lint(t testing.TB, what, doc string) {
	t.Helper()
	var cmd *exec.Cmd
	if what == "man" {
		cmd = exec.Command(NeedTool(t, "groff"), "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = strings.NewReader(doc)
	} else {
		f := filepath.Join(t.TempDir(), "completion."+what)
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(NeedTool(t, what), "-n", f)
	}
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("%s: %v\n%s", cmd, err, out)
	}
}

// Part is the part of a docgen output that belongs to one command (""
// for the program itself): of the man page, the OPTIONS section or the
// command's subsection under COMMANDS; of the bash script, the words the
// command's function offers for an option, spaced; of the zsh script, the
// command's function; of the fish script, the lines of the command's
// flags.
func Part(t testing.TB, what, doc, program, command string) string {
	t.Helper()
	fn := "\n" + funcName(program) + "() {\n"
	if command != "" {
		fn = "\n" + funcName(program+"_"+command) + "() {\n"
	}
	var start, end string
	switch what {
	case "man":
		start, end = "\n.SH OPTIONS\n", "\n.SH "
		if command != "" {
			start, end = "\n.SS "+program+" "+command+"\n", "\n.S"
		}
	case "bash", "zsh":
		start, end = fn, "\n}\n"
	case "fish":
		var lines []string
		for _, l := range strings.Split(doc, "\n") {
			if strings.Contains(l, "__fish"+funcName(program)+"_in '"+command+"' flags") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	default:
		t.Fatalf("docgentest: no output %q", what)
	}
	_, part, ok := strings.Cut(doc, start)
	if !ok {
		t.Fatalf("%s: no %q", what, strings.TrimSpace(start))
	}
	part, _, _ = strings.Cut(part, end)
	if what == "bash" {
		_, words, ok := strings.Cut(part, "if [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W \"")
		if !ok {
			t.Fatalf("bash: no option words in %s", strings.TrimSpace(fn))
		}
		words, _, _ = strings.Cut(words, "\"")
		return " " + words + " "
	}
	return part
}

// Entries are the forms a flag takes in its command's Part of an output.
func Entries(what string, f *pflag.Flag) []string {
	switch what {
	case "man":
		e := `\fB\-\-` + strings.ReplaceAll(f.Name, "-", `\-`) + `\fR`
		if f.Shorthand != "" {
			e = `\fB\-` + f.Shorthand + `\fR, ` + e
		}
		return []string{e}
	case "bash":
		e := []string{" --" + f.Name + " "}
		if f.Shorthand != "" {
			e = append(e, " -"+f.Shorthand+" ")
		}
		return e
	case "zsh":
		return []string{"--" + f.Name + "["}
	case "fish":
		return []string{" -l " + f.Name + " "}
	}
	return nil
}

// funcName is a shell function's name for a program or command, as docgen
// makes it.
func funcName(s string) string {
	return "_" + strings.NewReplacer("-", "_", ".", "_", "+", "_").Replace(s)
}

// BashComplete runs a bash completion script's function for program on
// a command line whose last word is the one being completed, and returns
// what it offers.
func BashComplete(t testing.TB, script, program string, words ...string) []string {
	t.Helper()
	var w strings.Builder
	for _, x := range words {
		w.WriteString(" '" + x + "'")
	}
	prog := fmt.Sprintf("%s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n%s\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n",
		script, w.String(), len(words)-1, funcName(program))
	out, err := exec.Command(NeedTool(t, "bash"), "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// Offers fails the test when got lacks a word of want or has one of not.
func Offers(t testing.TB, line any, got, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%q: no %q in %v", line, w, got)
		}
	}
	for _, w := range not {
		if slices.Contains(got, w) {
			t.Errorf("%q: %q offered in %v", line, w, got)
		}
	}
}
