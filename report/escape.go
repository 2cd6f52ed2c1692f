package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escaping, shared by every witness: Safe makes untrusted text harmless on
// a terminal (and is the first step of every other format's escaping);
// mdText, mdLight, mdCode and mdFence keep text from becoming Markdown.
// HTML is escaped by html/template, after Safe.

// Safe makes untrusted text harmless on a terminal: control characters,
// format characters (such as bidirectional overrides) and invalid UTF-8 are
// written as Go escapes, and so is the backslash itself.
func Safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || !unicode.IsGraphic(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[s[i]>>4])
			b.WriteByte("0123456789abcdef"[s[i]&15])
		case r == '\\':
			b.WriteString(`\\`)
		case !unicode.IsGraphic(r):
			q := []byte(`\u0000`)
			if r > 0xffff {
				q = []byte(`\U00000000`)
			}
			for j, v := len(q)-1, r; q[j] != 'u' && q[j] != 'U'; j, v = j-1, v>>4 {
				q[j] = "0123456789abcdef"[v&15]
			}
			b.Write(q)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// mdLight escapes our own sentences (no text from the network in them)
// just enough that no character becomes markup: emphasis, links, code,
// tables and HTML.
func mdLight(s string) string {
	return strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "<", "\\<", "|", "\\|").Replace(s)
}

// mdCode puts untrusted text in a code span: made safe for terminals first,
// with a backtick fence longer than any run inside it, and pipes escaped in
// table cells (GFM needs that even inside code spans).
func mdCode(s string, cell bool) string {
	s = Safe(s)
	fence, run := "`", 0
	for _, c := range s {
		if c == '`' {
			run++
			if run >= len(fence) {
				fence += "`"
			}
		} else {
			run = 0
		}
	}
	if cell {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// mdText escapes rstsniff's own prose so that no character in it is taken
// as Markdown, and no more: the raw text stays readable when pasted into a
// ticket or a mail. Inline markup can start anywhere (emphasis, code,
// links, HTML, entities, strikethrough, table cells); block markup (a
// heading, a list, a quote) only at the start of the text, which is where
// the text may start a line.
func mdText(s string) string {
	s = Safe(s)
	var b strings.Builder
	for i, c := range s {
		if strings.ContainsRune("\\`*_[]<|~&", c) || i == 0 && strings.ContainsRune("#+->=", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	out := b.String()
	// "1. " or "1) " at the start is an ordered list.
	if n := len(out) - len(strings.TrimLeft(out, "0123456789")); n > 0 && n < len(out) && (out[n] == '.' || out[n] == ')') {
		out = out[:n] + "\\" + out[n:]
	}
	return out
}

// mdFence puts text in a fenced code block that no line of it can close.
func mdFence(t string) string {
	fence := "```"
	for strings.Contains(t, fence) {
		fence += "`"
	}
	return fence + "\n" + t + fence + "\n"
}
