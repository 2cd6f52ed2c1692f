package docgen

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/rstsniff/rstsniff/internal/docgen/docgentest"
)

// testPage is a program shaped like rstsniff: files and flags of its own,
// a subcommand on a host, one that runs a command after --, one with no
// argument worth completing; and text that roff and the shells must
// escape.
func testPage() *Page {
	root := pflag.NewFlagSet("tool", pflag.ContinueOnError)
	root.SortFlags = false
	root.StringArrayP("read", "r", nil, "read `FILE`; repeatable")
	root.StringP("interface", "i", "", "capture on `IFACE`")
	root.String("format", "table", "output `FORMAT`: table or json")
	root.IntP("jobs", "j", 8, "`N` at once")
	root.String("ports", "22", "`PORTS`, comma-separated")
	root.Bool("secret", false, "hidden")
	_ = root.MarkHidden("secret")
	root.CountP("numeric", "n", "accepted, ignored")
	root.String("quote", "", `a 'quote', a [bracket]: a \backslash and "double" quotes, café`)

	probe := pflag.NewFlagSet("tool probe", pflag.ContinueOnError)
	probe.SortFlags = false
	probe.IntP("count", "c", 3, "open `N` connections")
	probe.Duration("interval", 200*time.Millisecond, "wait `D`")
	probe.Bool("locate", false, "find the hop")
	probe.StringP("write", "w", "", "keep packets in `FILE`")
	probe.String("user", "", "user `NAME` (default someone)")

	run := pflag.NewFlagSet("tool run", pflag.ContinueOnError)
	run.SortFlags = false
	run.StringP("interface", "i", "any", "capture on `IFACE`")
	run.StringP("output", "o", "", "report to `FILE`")
	run.Bool("hidden-run", false, "hidden")
	_ = run.MarkHidden("hidden-run")

	explain := pflag.NewFlagSet("tool explain", pflag.ContinueOnError)
	explain.String("format", "table", "output `FORMAT`: table or json")

	return &Page{
		Program: "tool",
		Version: `v1.2 "x"`,
		Summary: "say who reset it",
		Commands: []Command{
			{Synopsis: []string{"-r FILE [-r FILE ...] [options] [filter expression]", "-i IFACE [options]"},
				Description: []string{"reads captures.\n.TH not a request", "'not one either, nor \\fB this"},
				Flags:       root, Values: map[string][]string{"format": {"table", "json"}},
				NoDefault: []string{"jobs"}, Args: ArgsFiles,
				Examples: []string{"tool -r capture.pcap", ".dot at the start\n\nafter a blank line"}},
			{Name: "probe", Summary: "probe a server's SSH", Synopsis: []string{"[options] HOST[:PORT]"},
				Description: []string{"Opens connections."}, Flags: probe, Args: ArgsHosts,
				Examples: []string{"tool probe --locate host"}},
			{Name: "run", Summary: "run a command, say how its connections ended", Synopsis: []string{"[options] -- COMMAND [ARGS...]"},
				Flags: run, Args: ArgsCommand},
			{Name: "explain", Summary: "what ssh's message means", Synopsis: []string{"TEXT", "-"},
				Flags: explain, Values: map[string][]string{"format": {"table", "json"}}},
		},
		Sections: []Section{
			{Title: "exit status", Items: []Item{{"0", "fine"}, {"1", "not"}}},
			{Title: "FILES", Paragraphs: []string{"Some files."}, Items: []Item{{"/var/log/tool/IFACE.json", "verdicts"}}},
		},
		SeeAlso: []string{"tcpdump(8)", "pcap-filter(7)"},
	}
}

func outputs(t *testing.T, p *Page) map[string]string {
	t.Helper()
	out := map[string]string{}
	var b bytes.Buffer
	if err := WriteMan(&b, p); err != nil {
		t.Fatalf("WriteMan: %v", err)
	}
	out["man"] = b.String()
	for _, sh := range Shells {
		b.Reset()
		if err := WriteCompletion(&b, p, sh); err != nil {
			t.Fatalf("WriteCompletion %s: %v", sh, err)
		}
		out[sh] = b.String()
	}
	return out
}

// TestToolsAccept: groff renders the man page without a warning, each
// shell parses its script, and the same Page gives the same bytes.
func TestToolsAccept(t *testing.T) {
	first := outputs(t, testPage())
	again := outputs(t, testPage())
	for what, doc := range first {
		t.Run(what, func(t *testing.T) {
			if doc != again[what] {
				t.Errorf("two runs differ")
			}
			docgentest.Lint(t, what, doc)
		})
	}
}

// TestEveryFlagEverywhere: each visible flag of each command is in that
// command's part of all four outputs, a hidden one in none; a flag added
// to a subcommand's set appears in all four too.
func TestEveryFlagEverywhere(t *testing.T) {
	p := testPage()
	p.Commands[1].Flags.String("added-late", "", "a flag added to probe's set")
	for what, doc := range outputs(t, p) {
		for _, c := range p.Commands {
			part := docgentest.Part(t, what, doc, p.Program, c.Name)
			c.Flags.VisitAll(func(f *pflag.Flag) {
				for _, e := range docgentest.Entries(what, f) {
					if found := strings.Contains(part, e); found == f.Hidden {
						t.Errorf("%s, %s: --%s (hidden %v) in its part %v (looked for %q)", what, c.title(p), f.Name, f.Hidden, found, e)
					}
				}
			})
		}
		if !strings.Contains(doc, "added-late") && !strings.Contains(doc, `added\-late`) {
			t.Errorf("%s: no --added-late", what)
		}
	}
}

func TestManPage(t *testing.T) {
	man := outputs(t, testPage())["man"]
	for _, want := range []string{
		".TH TOOL 1 \"\" \"tool v1.2 \\(dqx\\(dq\" \"User Commands\"\n",
		".SH NAME\ntool \\- say who reset it\n",
		".B tool\n\\-r \\fIFILE\\fR [\\-r \\fIFILE\\fR ...] [options] [filter expression]\n.br\n.B tool\n\\-i \\fIIFACE\\fR [options]\n.br\n.B tool probe\n[options] \\fIHOST\\fR[:\\fIPORT\\fR]\n",
		"\\fB\\-j\\fR, \\fB\\-\\-jobs\\fR \\fIN\\fR\nN at once\n", // no default: the machine's
		"\\fB\\-\\-ports\\fR \\fIPORTS\\fR\nPORTS, comma\\-separated (default: 22)\n",
		"\\fB\\-c\\fR, \\fB\\-\\-count\\fR \\fIN\\fR\nopen N connections (default: 3)\n",
		"\\fB\\-\\-interval\\fR \\fID\\fR\nwait D (default: 200ms)\n",
		"reads captures. .TH not a request\n.PP\n\\&'not one either, nor \\efB this\n",
		"caf\\[u00E9]",
		".nf\ntool \\-r capture.pcap\n\\&.dot at the start\n.sp\nafter a blank line\n.fi\n",
		".SH EXIT STATUS\n.TP\n0\nfine\n",
		".TP\n/var/log/tool/\\fIIFACE\\fR.json\nverdicts\n",
		".SH SEE ALSO\ntcpdump(8), pcap\\-filter(7)\n",
		".TP\n.B tool probe\nprobe a server's SSH\n",
	} {
		if !strings.Contains(man, want) {
			t.Errorf("no %q in\n%s", want, man)
		}
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a-b`:        `a\-b`,
		`.TH x`:      `\&.TH x`,
		`'x`:         `\&'x`,
		`back\slash`: `back\eslash`,
		"é\x01":      `\[u00E9] `,
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"-D FILE":          `\-D \fIFILE\fR`,
		"HOST[:PORT]":      `\fIHOST\fR[:\fIPORT\fR]`,
		"-- COMMAND ARGS":  `\-\- \fICOMMAND\fR \fIARGS\fR`,
		".x A":             `\&.x A`,
		"/run/X1.json é":   `/run/\fIX1\fR.json \[u00E9]`,
		"-Zfoo USER_NAME2": `\-Zfoo \fIUSER_NAME2\fR`,
	} {
		if got := placeholders(in); got != want {
			t.Errorf("placeholders(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBashCompletes(t *testing.T) {
	script := outputs(t, testPage())["bash"]
	for _, c := range []struct {
		words     []string
		want, not []string
	}{
		{[]string{"tool", ""}, []string{"probe", "run", "explain"}, []string{"--read"}},
		{[]string{"tool", "pr"}, []string{"probe"}, []string{"run"}},
		{[]string{"tool", "-"}, []string{"--read", "--format", "-r"}, []string{"--count", "--secret"}},
		{[]string{"tool", "--format", ""}, []string{"table", "json"}, []string{"--read"}},
		{[]string{"tool", "-i", "l"}, []string{"lo"}, nil},
		{[]string{"tool", "probe", "--"}, []string{"--count", "--locate", "--user"}, []string{"--read", "--format"}},
		{[]string{"tool", "probe", "-c", ""}, nil, []string{"--count"}},
		{[]string{"tool", "probe", "--locate", "localh"}, []string{"localhost"}, nil},
		{[]string{"tool", "run", "--"}, []string{"--interface", "--output"}, []string{"--hidden-run", "--count"}},
		{[]string{"tool", "run", "-i", "any", "--", "ba"}, []string{"bash"}, []string{"--output"}},
		{[]string{"tool", "run", "--", "ssh", "--"}, nil, []string{"--output"}},
		{[]string{"tool", "explain", "--format", ""}, []string{"table", "json"}, nil},
		{[]string{"tool", "-r", "probe", "--"}, []string{"--read"}, []string{"--count"}}, // a file named probe
	} {
		docgentest.Offers(t, c.words, docgentest.BashComplete(t, script, "tool", c.words...), c.want, c.not)
	}
}

// TestFishCompletes asks fish itself (complete -C) what it offers.
func TestFishCompletes(t *testing.T) {
	fish := docgentest.NeedTool(t, "fish")
	script := outputs(t, testPage())["fish"]
	f := t.TempDir() + "/tool.fish"
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line      string
		want, not []string
	}{
		{"tool ", []string{"probe", "run", "explain"}, nil},
		{"tool --", []string{"--read", "--format"}, []string{"--count", "--secret"}},
		{"tool probe --", []string{"--count", "--locate"}, []string{"--read"}},
		{"tool explain --format ", []string{"table", "json"}, nil},
		{"tool run --", []string{"--interface", "--output"}, []string{"--hidden-run"}},
		{"tool run -- ", nil, []string{"--output", "probe"}},
	} {
		out, err := exec.Command(fish, "--no-config", "-c", "source "+f+"; complete -C '"+c.line+"'").CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(string(out), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		docgentest.Offers(t, c.line, got, c.want, c.not)
	}
}

// TestRefused: a name that would break a script is an error, and nothing
// is written.
func TestRefused(t *testing.T) {
	for name, spoil := range map[string]func(*Page){
		"program":         func(p *Page) { p.Program = "to ol" },
		"no root":         func(p *Page) { p.Commands = p.Commands[1:] },
		"subcommand":      func(p *Page) { p.Commands[1].Name = "pro;be" },
		"repeated":        func(p *Page) { p.Commands[2].Name = "probe" },
		"same function":   func(p *Page) { p.Commands[1].Name, p.Commands[2].Name = "a-b", "a_b" },
		"flag":            func(p *Page) { p.Commands[1].Flags.Bool("a'b", false, "") },
		"value":           func(p *Page) { p.Commands[0].Values["format"] = []string{"$(x)"} },
		"values, no flag": func(p *Page) { p.Commands[1].Values = map[string][]string{"nope": {"a"}} },
	} {
		p := testPage()
		spoil(p)
		var b bytes.Buffer
		if err := WriteMan(&b, p); err == nil || b.Len() > 0 {
			t.Errorf("%s: WriteMan wrote %d bytes, err %v", name, b.Len(), err)
		}
		for _, sh := range Shells {
			if err := WriteCompletion(io.Discard, p, sh); err == nil {
				t.Errorf("%s: %s completion accepted", name, sh)
			}
		}
	}
	if err := WriteCompletion(io.Discard, testPage(), "tcsh"); err == nil {
		t.Error("tcsh accepted")
	}
}
