// Package schematest validates JSON lines against the committed schema
// (schema/rstsniff.v1.json) with a real JSON Schema validator. Every test
// that runs rstsniff with --format json hands its output to Lines, so every
// JSON line the suite produces is held to the contract.
package schematest

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rstsniff/rstsniff/schema"
)

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.V1))
	if err != nil {
		return nil, fmt.Errorf("schematest: schema/rstsniff.v1.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schema.ID, doc); err != nil {
		return nil, err
	}
	return c.Compile(schema.ID)
})

// Validate checks one JSON line against the schema and returns what is
// wrong with it, or nil.
func Validate(line []byte) error {
	sch, err := compiled()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	return sch.Validate(v)
}

// Lines validates every non-empty line of out (JSON lines) and fails the
// test for each line that breaks the schema. It returns how many lines it
// checked.
func Lines(t testing.TB, out string) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		if err := Validate(line); err != nil {
			show := string(line)
			if len(show) > 300 {
				show = show[:300] + "..."
			}
			t.Errorf("JSON line %d breaks schema/rstsniff.v1.json: %v\nline: %s", n, err, show)
		}
	}
	return n
}
