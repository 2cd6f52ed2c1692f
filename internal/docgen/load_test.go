package docgen

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"h/man.json": {Data: []byte(`{"Program": "p", "Summary": "s",
			"Commands": [{"Name": "", "Synopsis": ["FILE"], "Description": "d.txt", "Args": "files", "Examples": "e.txt"},
				{"Name": "go", "Values": {"format": ["a", "b"]}, "Args": "hosts"}],
			"Sections": [{"Title": "T", "Paragraphs": ["first"], "Text": "d.txt", "Items": [{"Term": "0", "Text": "ok"}]}],
			"SeeAlso": ["x(1)"]}`)},
		"h/d.txt": {Data: []byte("one\nline\n\ntwo\n")},
		"h/e.txt": {Data: []byte("p -a\np -b\n")},
	}
	p, err := Load(fsys, "h/man.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &Page{Program: "p", Summary: "s", SeeAlso: []string{"x(1)"},
		Commands: []Command{
			{Synopsis: []string{"FILE"}, Description: []string{"one\nline", "two"}, Args: ArgsFiles, Examples: []string{"p -a", "p -b"}},
			{Name: "go", Values: map[string][]string{"format": {"a", "b"}}, Args: ArgsHosts},
		},
		Sections: []Section{{Title: "T", Paragraphs: []string{"first", "one\nline", "two"}, Items: []Item{{"0", "ok"}}}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Load = %+v\nwant %+v", p, want)
	}
	if got := p.Text("go").Args; got != ArgsHosts {
		t.Errorf("Text(go).Args = %v", got)
	}
	if got := p.Text("nope"); !reflect.DeepEqual(got, Command{}) {
		t.Errorf("Text(nope) = %+v, want the zero Command", got)
	}
	for _, bad := range []string{`{"Commands": [{"Args": "dirs"}]}`, `{"Program": "p", "Typo": 1}`, `{"Commands": [{"Description": "missing.txt"}]}`} {
		fsys["h/man.json"] = &fstest.MapFile{Data: []byte(bad)}
		if _, err := Load(fsys, "h/man.json"); err == nil {
			t.Errorf("Load(%s): no error", bad)
		}
	}
}
