package docgen

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Page is a program's manual: the program itself, its subcommands, and the
// sections that follow them. The zero value has no program name and is
// refused by every writer.
type Page struct {
	Program string // the command's name, as typed: "rstsniff"
	Version string // in the man page's title line
	Summary string // the NAME line after the dash
	// Commands[0] is the program itself (Name ""); the others are its
	// subcommands, typed as the first argument, in the order shown.
	Commands []Command
	// Sections follow OPTIONS and COMMANDS in the man page (OUTPUT, EXIT
	// STATUS, FILES...); the program's examples and SEE ALSO follow them.
	Sections []Section
	SeeAlso  []string // "tcpdump(8)"
}

// Command is the program or one of its subcommands.
type Command struct {
	Name    string // "" for the program itself, else the subcommand's word
	Summary string // one line, for the completions' menus and the command list
	// Synopsis lines, each after the program's (and subcommand's) name:
	// "[options] HOST[:PORT]".
	Synopsis    []string
	Description []string       // paragraphs of plain text
	Flags       *pflag.FlagSet // visited for every visible flag; nil: none
	// Values lists the words a flag's value takes, by the flag's long
	// name (--format's formats), for the completions.
	Values map[string][]string
	// NoDefault names the flags whose default depends on the machine
	// (a CPU count): the man page does not print it.
	NoDefault []string
	Args      Args     // what the positional arguments are
	Examples  []string // command lines, verbatim
}

// Args is what a command's positional arguments are, for the completions.
type Args int

const (
	ArgsNone    Args = iota // no positional argument worth completing
	ArgsFiles               // file names
	ArgsHosts               // a host name
	ArgsCommand             // after --, a command and its arguments
)

// Section is a man page section of plain text: paragraphs, then a list of
// terms, each with its text (an exit status and its meaning, a path and
// what it holds).
type Section struct {
	Title      string // in capitals: "EXIT STATUS"
	Paragraphs []string
	Items      []Item
}

// Item is one term of a Section's list.
type Item struct{ Term, Text string }

// flag is one visible flag as the generators see it.
type flag struct {
	long, short string
	arg         string // the value's placeholder (FILE, IFACE...), "" for a switch
	usage       string // with the placeholder unquoted
	def         string // a default worth showing, or ""
	repeatable  bool   // may be given more than once (-r FILE -r FILE, -nn)
	values      []string
}

// valueKind says how a shell completes a flag's value.
type valueKind int

const (
	valueOwn   valueKind = iota // a value of its own (a number, an address): nothing to offer
	valueFile                   // a path
	valueIface                  // a network interface
	valueUser                   // a local user
	valueWords                  // one of the flag's Values
)

// kind is how a flag's value is completed: its Values when the command
// lists them, else by its placeholder (FILE, IFACE, USER).
func (f flag) kind() valueKind {
	if len(f.values) > 0 {
		return valueWords
	}
	switch f.arg {
	case "FILE":
		return valueFile
	case "IFACE":
		return valueIface
	case "USER":
		return valueUser
	}
	return valueOwn
}

// flags returns the command's visible flags in the order its flag set
// visits them.
func (c *Command) flags() []flag {
	var out []flag
	if c.Flags == nil {
		return nil
	}
	c.Flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		d := flag{long: f.Name, short: f.Shorthand, usage: usage, values: c.Values[f.Name]}
		if f.NoOptDefVal == "" {
			d.arg = arg
		}
		switch f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			if !slices.Contains(c.NoDefault, f.Name) {
				d.def = f.DefValue
			}
		}
		switch f.Value.Type() {
		case "stringArray", "stringSlice", "count":
			d.repeatable = true
		}
		out = append(out, d)
	})
	return out
}

// subcommands returns the Page's commands after the program itself.
func (p *Page) subcommands() []Command {
	if len(p.Commands) < 2 {
		return nil
	}
	return p.Commands[1:]
}

// word is what may stand unquoted in a shell script: a command's or a
// flag's name, a value word.
var word = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)

// check refuses a Page whose names would break a script or a man page.
func (p *Page) check() error {
	switch {
	case !word.MatchString(p.Program):
		return fmt.Errorf("docgen: program name %q: want letters, digits, - or _", p.Program)
	case len(p.Commands) == 0 || p.Commands[0].Name != "":
		return fmt.Errorf("docgen: %s: the first command must be the program itself (no name)", p.Program)
	}
	seen := map[string]bool{}
	for i, c := range p.Commands {
		fn := ident(p.Program, c.Name) // a-b and a_b would share a shell function
		if i > 0 && (!word.MatchString(c.Name) || seen[fn]) {
			return fmt.Errorf("docgen: %s: subcommand name %q: empty, repeated or not a plain word", p.Program, c.Name)
		}
		seen[fn] = true
		for _, f := range c.flags() {
			if !word.MatchString(f.long) || f.short != "" && !word.MatchString(f.short) {
				return fmt.Errorf("docgen: %s: flag %q: not a plain word", c.title(p), f.long)
			}
			for _, v := range f.values {
				if !word.MatchString(v) {
					return fmt.Errorf("docgen: %s: --%s value %q: not a plain word", c.title(p), f.long, v)
				}
			}
		}
		for name := range c.Values {
			if c.Flags == nil || c.Flags.Lookup(name) == nil {
				return fmt.Errorf("docgen: %s: values for --%s, which it does not have", c.title(p), name)
			}
		}
	}
	return nil
}

// title is the command as typed: "rstsniff" or "rstsniff probe".
func (c *Command) title(p *Page) string {
	if c.Name == "" {
		return p.Program
	}
	return p.Program + " " + c.Name
}

// ident is a name made fit for a shell function's: "_rstsniff_probe".
func ident(parts ...string) string {
	return "_" + strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '+' {
			return '_'
		}
		return r
	}, strings.Join(parts, "_"))
}

// firstClause is a usage text cut at its first colon or parenthesis, short
// enough for a completion menu.
func firstClause(s string) string {
	if i := strings.IndexAny(s, ":("); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// Shells are the shells WriteCompletion writes for.
var Shells = []string{"bash", "zsh", "fish"}

// WriteCompletion writes the completion script for shell, one of Shells.
func WriteCompletion(w io.Writer, p *Page, shell string) error {
	switch shell {
	case "bash":
		return WriteBash(w, p)
	case "zsh":
		return WriteZsh(w, p)
	case "fish":
		return WriteFish(w, p)
	}
	return fmt.Errorf("docgen: no completion for shell %q: want bash, zsh or fish", shell)
}

// write checks the Page, builds the document in full, then writes it:
// a Page refused writes nothing.
func write(w io.Writer, p *Page, build func(*strings.Builder)) error {
	if err := p.check(); err != nil {
		return err
	}
	var b strings.Builder
	build(&b)
	_, err := io.WriteString(w, b.String())
	return err
}
