package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// node is the part of a JSON Schema that the documentation reads.
type node struct {
	Ref         string           `json:"$ref"`
	Type        any              `json:"type"` // a name or a list of names
	Const       any              `json:"const"`
	Enum        []any            `json:"enum"`
	Description string           `json:"description"`
	Pattern     string           `json:"pattern"`
	Properties  map[string]*node `json:"properties"`
	Required    []string         `json:"required"`
	Items       *node            `json:"items"`
	Additional  json.RawMessage  `json:"additionalProperties"`
	AllOf       []struct {
		If struct {
			Properties map[string]*node `json:"properties"`
		} `json:"if"`
	} `json:"allOf"`
	Defs map[string]*node `json:"$defs"`
}

// Markdown renders the schema as docs/json.md: each kind of line in the
// order the schema's allOf names them, then the objects they share, every
// field with its type, whether it is always present, and its description.
func Markdown() ([]byte, error) {
	var root node
	if err := json.Unmarshal(V1, &root); err != nil {
		return nil, fmt.Errorf("schema: rstsniff.v1.json: %v", err)
	}
	var kinds []string
	for _, a := range root.AllOf {
		if t := a.If.Properties["type"]; t != nil {
			kinds = append(kinds, fmt.Sprint(t.Const))
		}
	}
	g := &gen{defs: root.Defs}
	g.p("# rstsniff's JSON lines (schema version %v)\n\n", root.Defs["schema_version"].Const)
	g.p("<!-- Generated from schema/rstsniff.v1.json by `go generate ./schema`; do not edit. -->\n\n")
	g.p("%s\n\n", root.Description)
	g.p("The schema is [schema/rstsniff.v1.json](../schema/rstsniff.v1.json) (JSON Schema draft 2020-12); ")
	g.p("validate lines with any draft 2020-12 validator (the tests use github.com/santhosh-tekuri/jsonschema/v6 on every JSON line they produce). ")
	g.p("`schema_version` is %s\n\n", root.Defs["schema_version"].Description+".")
	g.p("A field marked *always* is in every line of its kind; the others are left out when empty or unknown. ")
	g.p("Strings from the network or a log (banners, log messages) are escaped by JSON only: escape them again where you display them.\n\n")
	g.p("| type | what the line is |\n|---|---|\n")
	for _, k := range kinds {
		g.p("| [`%s`](#%s) | %s |\n", k, anchor(k), cell(root.Defs[k].Description))
	}
	g.p("\n")
	for _, k := range kinds {
		g.p("## %s\n\n%s.\n\n", k, capital(root.Defs[k].Description))
		g.table(root.Defs[k])
	}
	g.p("## Shared objects\n\n")
	for _, name := range g.sharedOrder() {
		g.p("### %s\n\n%s.\n\n", name, capital(root.Defs[name].Description))
		g.table(root.Defs[name])
	}
	g.p("## Values\n\n| name | values | meaning |\n|---|---|---|\n")
	var names []string
	for name, d := range root.Defs {
		if d.Enum != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		d := root.Defs[name]
		g.p("| <a id=\"%s\"></a>%s | %s | %s |\n", anchor(name), name, values(d.Enum), cell(d.Description))
	}
	return g.b.Bytes(), nil
}

type gen struct {
	b      bytes.Buffer
	defs   map[string]*node
	shared []string // object definitions referred to, in order of first use
}

func (g *gen) p(format string, a ...any) { fmt.Fprintf(&g.b, format, a...) }

// table writes one object's fields, nested objects' fields under a dotted
// name ("packets.client", "resets[]").
func (g *gen) table(n *node) {
	g.p("| field | type | | description |\n|---|---|---|---|\n")
	g.fields("", n)
	g.p("\n")
}

func (g *gen) fields(prefix string, n *node) {
	names := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		names = append(names, k)
	}
	// Required fields in the order the schema lists them, then the rest
	// in alphabetical order: a stable page.
	order := func(k string) int {
		if i := slices.Index(n.Required, k); i >= 0 {
			return i
		}
		return len(n.Required)
	}
	sort.SliceStable(names, func(i, j int) bool {
		oi, oj := order(names[i]), order(names[j])
		if oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})
	for _, k := range names {
		f := n.Properties[k]
		always := ""
		if slices.Contains(n.Required, k) {
			always = "always"
		}
		name := prefix + k
		typ, nested := g.typeOf(f)
		g.p("| `%s` | %s | %s | %s |\n", name, typ, always, cell(g.description(f)))
		if nested != nil {
			sub := name + "."
			if nested != f && f.Items != nil {
				sub = name + "[]."
			}
			g.fields(sub, nested)
		}
	}
}

// typeOf names a field's type, with a link for a shared definition, and
// returns the object whose fields follow it inline (nil for none).
func (g *gen) typeOf(f *node) (string, *node) {
	if f.Ref != "" {
		name := strings.TrimPrefix(f.Ref, "#/$defs/")
		d := g.defs[name]
		if d.Properties != nil {
			if !slices.Contains(g.shared, name) {
				g.shared = append(g.shared, name)
			}
			return fmt.Sprintf("[%s](#%s)", name, anchor(name)), nil
		}
		if d.Enum != nil {
			return fmt.Sprintf("[%s](#%s)", name, anchor(name)), nil
		}
		t, _ := g.typeOf(d)
		return t, nil
	}
	if f.Const != nil {
		return fmt.Sprintf("`%v`", jsonText(f.Const)), nil
	}
	if f.Enum != nil {
		return "one of " + values(f.Enum), nil
	}
	t := typeNames(f.Type)
	switch {
	case f.Items != nil:
		it, nested := g.typeOf(f.Items)
		if f.Items.Properties != nil {
			return strings.Replace(t, "array", "array of objects", 1), f.Items
		}
		return strings.Replace(t, "array", "array of "+it, 1), nested
	case f.Properties != nil:
		return t, f
	case len(f.Additional) > 0 && f.Additional[0] == '{':
		var a node
		if json.Unmarshal(f.Additional, &a) == nil {
			at, _ := g.typeOf(&a)
			return "object of " + at, nil
		}
	}
	return t, nil
}

// description is a field's own, or else that of what it refers to.
func (g *gen) description(f *node) string {
	if f.Description != "" {
		return f.Description
	}
	if f.Ref != "" {
		return g.defs[strings.TrimPrefix(f.Ref, "#/$defs/")].Description
	}
	return ""
}

// sharedOrder lists the shared object definitions, those referred to by
// shared ones included, in order of first use.
func (g *gen) sharedOrder() []string {
	var out []string
	for i := 0; i < len(g.shared); i++ {
		name := g.shared[i]
		out = append(out, name)
		var walk func(n *node)
		walk = func(n *node) {
			if n == nil {
				return
			}
			if n.Ref != "" {
				g.typeOf(n)
			}
			walk(n.Items)
			keys := make([]string, 0, len(n.Properties))
			for k := range n.Properties {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(n.Properties[k])
			}
		}
		walk(g.defs[name])
	}
	return out
}

func typeNames(t any) string {
	switch v := t.(type) {
	case string:
		return v
	case []any:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, " or ")
	}
	return "any"
}

func values(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = "`" + jsonText(v) + "`"
	}
	return strings.Join(s, ", ")
}

func jsonText(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// anchor is the id GitHub gives a heading.
func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
}
