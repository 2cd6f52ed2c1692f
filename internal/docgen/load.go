package docgen

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// manual is a Page as a JSON file describes it (see Load).
type manual struct {
	Program  string
	Summary  string
	Commands []struct {
		Name        string
		Synopsis    []string
		Description string // a file of paragraphs
		Values      map[string][]string
		NoDefault   []string
		Args        string // "", "files", "hosts", "command"
		Examples    string // a file of lines
	}
	Sections []struct {
		Title      string
		Paragraphs []string
		Text       string // a file of paragraphs, after Paragraphs
		Items      []Item
	}
	SeeAlso []string
}

var argsByName = map[string]Args{"": ArgsNone, "files": ArgsFiles, "hosts": ArgsHosts, "command": ArgsCommand}

// Load reads a Page's structure from the JSON file name in fsys: its
// program, summary, sections (each a title, paragraphs, the paragraphs of
// a text file and a list of items), SEE ALSO, and each command's text
// (synopsis, the file of its description, the words its flags take, what
// its arguments are, the file of its examples). A description or a
// section's text file holds paragraphs between blank lines, an examples
// file one command line a line; both are named relative to name's
// directory. The commands' summaries and flag sets are the caller's to
// fill (Text finds a command's text by name), and so is the Version.
func Load(fsys fs.FS, name string) (*Page, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var m manual
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	dir := path.Dir(name)
	var ferr error
	read := func(file, sep string) []string {
		if file == "" {
			return nil
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			ferr = err
			return nil
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), sep)
	}
	p := &Page{Program: m.Program, Summary: m.Summary, SeeAlso: m.SeeAlso}
	for _, c := range m.Commands {
		args, ok := argsByName[c.Args]
		if !ok {
			return nil, fmt.Errorf("%s: command %q: unknown args %q", name, c.Name, c.Args)
		}
		p.Commands = append(p.Commands, Command{Name: c.Name, Synopsis: c.Synopsis, Description: read(c.Description, "\n\n"),
			Values: c.Values, NoDefault: c.NoDefault, Args: args, Examples: read(c.Examples, "\n")})
	}
	for _, s := range m.Sections {
		p.Sections = append(p.Sections, Section{Title: s.Title, Paragraphs: append(s.Paragraphs, read(s.Text, "\n\n")...), Items: s.Items})
	}
	return p, ferr
}

// Text is the command named name among p's Commands ("" the program
// itself), or the zero Command when there is none.
func (p *Page) Text(name string) Command {
	for _, c := range p.Commands {
		if c.Name == name {
			return c
		}
	}
	return Command{}
}
