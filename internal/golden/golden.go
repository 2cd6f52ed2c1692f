package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Words names the members that hold sentences report/ or the command
// composed from facts: their values go to the words golden.
var Words = map[string]bool{
	"text":             true, // a reset's evidence, worded
	"summary":          true, // a finding's, a jump's or the server log's summary
	"causes":           true,
	"next_steps":       true,
	"client_error":     true, // what the OpenSSH client printed, as rstsniff words it
	"what":             true, // an ICMP error, worded
	"connect_error":    true, // what connect() said to it
	"verdict":          true, // a compared reset's verdict
	"matched_by":       true, // how two captures' connections were paired
	"sides_decided_by": true, // which capture is nearer the client, and why
	"changes":          true, // a modified packet's changes
	"nat":              true,
	"notes":            true,
	"warnings":         true,
}

// wordLine is one line of a words golden.
type wordLine struct {
	At    string          `json:"at"`
	After string          `json:"after"`
	Value json.RawMessage `json:"value"`
}

func (w wordLine) encode(b *strings.Builder) {
	b.WriteString(`{"at":`)
	b.WriteString(strconv.Quote(w.At))
	b.WriteString(`,"after":`)
	b.WriteString(strconv.Quote(w.After))
	b.WriteString(`,"value":`)
	b.Write(w.Value)
	b.WriteString("}\n")
}

// Split returns the facts and the words of jsonl, JSON lines each ending
// in a newline. Lines that are not JSON objects are an error.
func Split(jsonl string) (facts, words string, err error) {
	var f, w strings.Builder
	for i, line := range strings.SplitAfter(jsonl, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if body == "" {
			f.WriteString(line)
			continue
		}
		if body[0] != '{' {
			return "", "", fmt.Errorf("golden: line %d is not a JSON object: %.40q", i+1, body)
		}
		var ws []wordLine
		out, err := split([]byte(body), strconv.Itoa(i+1), &ws)
		if err != nil {
			return "", "", fmt.Errorf("golden: line %d: %w", i+1, err)
		}
		f.Write(out)
		f.WriteString(line[len(body):])
		for _, x := range ws {
			x.encode(&w)
		}
	}
	return f.String(), w.String(), nil
}

// split writes raw without its words, which it appends to ws.
func split(raw []byte, at string, ws *[]wordLine) ([]byte, error) {
	switch raw[0] {
	case '{':
		ms, err := members(raw)
		if err != nil {
			return nil, err
		}
		var facts []member
		prev := ""
		for _, m := range ms {
			place := at + "/" + m.key
			if Words[m.key] {
				*ws = append(*ws, wordLine{place, prev, m.val})
			} else {
				if m.val, err = split(m.val, place, ws); err != nil {
					return nil, err
				}
				facts = append(facts, m)
			}
			prev = m.key
		}
		return object(facts), nil
	case '[':
		return eachElement(raw, at, func(e []byte, place string) ([]byte, error) { return split(e, place, ws) })
	}
	return raw, nil
}

// Join puts the words back into the facts: the inverse of Split. A words
// line whose place the facts do not have, or that no place takes, is an
// error.
func Join(facts, words string) (string, error) {
	byObject := map[string][]wordLine{} // by the JSON pointer of the object holding them
	n := 0
	for i, l := range strings.Split(strings.TrimSuffix(words, "\n"), "\n") {
		if l == "" {
			continue
		}
		var w wordLine
		if err := json.Unmarshal([]byte(l), &w); err != nil {
			return "", fmt.Errorf("golden: words line %d: %w", i+1, err)
		}
		k := strings.LastIndexByte(w.At, '/')
		if k < 0 {
			return "", fmt.Errorf("golden: words line %d: bad place %q", i+1, w.At)
		}
		byObject[w.At[:k]] = append(byObject[w.At[:k]], w)
		n++
	}
	var out strings.Builder
	used := 0
	for i, line := range strings.SplitAfter(facts, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if body == "" {
			out.WriteString(line)
			continue
		}
		v, err := join([]byte(body), strconv.Itoa(i+1), byObject, &used)
		if err != nil {
			return "", fmt.Errorf("golden: facts line %d: %w", i+1, err)
		}
		out.Write(v)
		out.WriteString(line[len(body):])
	}
	if used != n {
		return "", fmt.Errorf("golden: %d of %d words lines have no place in the facts", n-used, n)
	}
	return out.String(), nil
}

func join(raw []byte, at string, byObject map[string][]wordLine, used *int) ([]byte, error) {
	switch raw[0] {
	case '{':
		ms, err := members(raw)
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if ms[i].val, err = join(ms[i].val, at+"/"+ms[i].key, byObject, used); err != nil {
				return nil, err
			}
		}
		for _, w := range byObject[at] {
			pos := 0
			if w.After != "" {
				pos = slices.IndexFunc(ms, func(m member) bool { return m.key == w.After }) + 1
				if pos == 0 {
					return nil, fmt.Errorf("%s: no member %q to follow", w.At, w.After)
				}
			}
			ms = slices.Insert(ms, pos, member{w.At[len(at)+1:], w.Value})
			*used++
		}
		return object(ms), nil
	case '[':
		return eachElement(raw, at, func(e []byte, place string) ([]byte, error) { return join(e, place, byObject, used) })
	}
	return raw, nil
}

// eachElement returns the JSON array raw with every element rewritten by
// fn, which is told the element's place.
func eachElement(raw []byte, at string, fn func(elem []byte, place string) ([]byte, error)) ([]byte, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range elems {
		v, err := fn(e, at+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// object writes members as a compact JSON object, in order.
func object(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

type member struct {
	key string
	val json.RawMessage
}

// members reads an object's members in order, each value as written.
func members(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		ms = append(ms, member{tok.(string), v})
	}
	return ms, nil
}

// Read returns the JSON lines that prefix+"-facts.json" and
// prefix+"-words.json" hold together, as rstsniff wrote them.
func Read(prefix string) (string, error) {
	facts, err := os.ReadFile(prefix + "-facts.json")
	if err != nil {
		return "", err
	}
	words, err := os.ReadFile(prefix + "-words.json")
	if err != nil {
		return "", err
	}
	return Join(string(facts), string(words))
}
