package docgen

import (
	"fmt"
	"io"
	"strings"
)

// WriteMan writes the man page (section 1, roff for groff's man macros):
// NAME, SYNOPSIS (every command's), DESCRIPTION, OPTIONS (the program's
// flags), COMMANDS (each subcommand with its synopsis, description, flags
// and examples), the Page's Sections, EXAMPLES (the program's) and SEE
// ALSO.
func WriteMan(w io.Writer, p *Page) error {
	return write(w, p, func(b *strings.Builder) {
		root := &p.Commands[0]
		fmt.Fprintf(b, ".TH %s 1 \"\" \"%s\" \"User Commands\"\n", roffArg(strings.ToUpper(p.Program)), roffArg(p.Program+" "+p.Version))
		b.WriteString(".nh\n") // no hyphenation: flags and paths stay whole to search and paste
		fmt.Fprintf(b, ".SH NAME\n%s \\- %s\n", roff(p.Program), roff(p.Summary))

		b.WriteString(".SH SYNOPSIS\n")
		first := true
		for i := range p.Commands {
			c := &p.Commands[i]
			for _, line := range c.Synopsis {
				if !first {
					b.WriteString(".br\n")
				}
				first = false
				fmt.Fprintf(b, ".B %s\n%s\n", roffArg(c.title(p)), placeholders(line))
			}
		}

		b.WriteString(".SH DESCRIPTION\n")
		paragraphs(b, root.Description)
		if subs := p.subcommands(); len(subs) > 0 {
			b.WriteString(".PP\nSubcommands, each described under COMMANDS below:\n")
			for _, c := range subs {
				fmt.Fprintf(b, ".TP\n.B %s\n%s\n", roffArg(c.title(p)), text(c.Summary))
			}
		}

		if fl := root.flags(); len(fl) > 0 {
			b.WriteString(".SH OPTIONS\n")
			manFlags(b, fl)
		}

		if subs := p.subcommands(); len(subs) > 0 {
			b.WriteString(".SH COMMANDS\n")
			for i := range subs {
				c := &subs[i]
				fmt.Fprintf(b, ".SS %s\n", roffArg(c.title(p)))
				for j, line := range c.Synopsis {
					if j > 0 {
						b.WriteString(".br\n")
					}
					fmt.Fprintf(b, ".B %s\n%s\n", roffArg(c.title(p)), placeholders(line))
				}
				if len(c.Synopsis) > 0 {
					b.WriteString(".PP\n")
				}
				paragraphs(b, c.Description)
				if fl := c.flags(); len(fl) > 0 {
					b.WriteString(".PP\nOptions:\n")
					manFlags(b, fl)
				}
				if len(c.Examples) > 0 {
					b.WriteString(".PP\nExamples:\n.RS\n")
					examples(b, c.Examples)
					b.WriteString(".RE\n")
				}
			}
		}

		for _, s := range p.Sections {
			fmt.Fprintf(b, ".SH %s\n", roffArg(strings.ToUpper(s.Title)))
			paragraphs(b, s.Paragraphs)
			for _, it := range s.Items {
				fmt.Fprintf(b, ".TP\n%s\n%s\n", placeholders(it.Term), text(it.Text))
			}
		}
		if len(root.Examples) > 0 {
			b.WriteString(".SH EXAMPLES\n")
			examples(b, root.Examples)
		}
		if len(p.SeeAlso) > 0 {
			b.WriteString(".SH SEE ALSO\n" + roff(strings.Join(p.SeeAlso, ", ")) + "\n")
		}
	})
}

// manFlags writes flags as a tagged list: "-r, --read FILE", then the
// usage and the default.
func manFlags(b *strings.Builder, flags []flag) {
	for _, f := range flags {
		b.WriteString(".TP\n")
		if f.short != "" {
			fmt.Fprintf(b, `\fB\-%s\fR, `, roff(f.short))
		}
		fmt.Fprintf(b, `\fB\-\-%s\fR`, roff(f.long))
		if f.arg != "" {
			fmt.Fprintf(b, ` \fI%s\fR`, roff(f.arg))
		}
		b.WriteString("\n" + text(f.usage))
		if f.def != "" {
			fmt.Fprintf(b, " (default: %s)", roff(f.def))
		}
		b.WriteString("\n")
	}
}

// paragraphs writes paragraphs of plain text, .PP between them.
func paragraphs(b *strings.Builder, ps []string) {
	first := true
	for _, p := range ps {
		t := text(p)
		if t == "" {
			continue
		}
		if !first {
			b.WriteString(".PP\n")
		}
		first = false
		b.WriteString(t + "\n")
	}
}

// examples writes command lines as they are typed, unfilled.
func examples(b *strings.Builder, ex []string) {
	b.WriteString(".nf\n")
	for _, e := range ex {
		for _, line := range strings.Split(e, "\n") {
			if line == "" {
				b.WriteString(".sp\n") // a blank line would be one too, but not in every formatter
				continue
			}
			b.WriteString(roff(line) + "\n")
		}
	}
	b.WriteString(".fi\n")
}

// text is a paragraph of plain text for roff: its white space made single
// spaces (so no line of it can start a request), escaped.
func text(s string) string {
	return roff(strings.Join(strings.Fields(s), " "))
}

// roff escapes text for a man page: backslashes, hyphens (so they stay
// ASCII minus signs for searching and pasting), characters outside ASCII
// as groff's \[uXXXX] (whatever the input encoding groff assumes), control
// characters as spaces, and a leading period or apostrophe that roff
// would take for a request.
func roff(s string) string { return lineStart(escape(s)) }

// escape is roff without the care for the start of a line: for a part of
// one.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\t':
			b.WriteRune(r)
		case r < ' ' || r == 0x7f:
			b.WriteByte(' ')
		case r > 0x7f:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineStart keeps an escaped line from being read as a request.
func lineStart(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

// roffArg is roff for a macro's argument, between double quotes or not:
// its double quotes become \(dq.
func roffArg(s string) string {
	return strings.ReplaceAll(roff(s), `"`, `\(dq`)
}

// placeholders is text with its words in capitals (FILE, HOST[:PORT])
// set in italics: a synopsis or a term. A capital after a hyphen is a
// flag (-D), not a placeholder.
func placeholders(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		word := isPlaceholderByte(s[i])
		for j < len(s) && isPlaceholderByte(s[j]) == word {
			j++
		}
		if w := s[i:j]; word && isPlaceholder(w) && (i == 0 || s[i-1] != '-') {
			b.WriteString(`\fI` + w + `\fR`)
		} else {
			b.WriteString(escape(w))
		}
		i = j
	}
	return lineStart(b.String())
}

func isPlaceholderByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// isPlaceholder: two characters or more, capitals, digits and _, a letter
// among them.
func isPlaceholder(w string) bool {
	if len(w) < 2 {
		return false
	}
	letter := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9' || c == '_':
		default:
			return false
		}
	}
	return letter
}
