// Package ecscheck checks documents against the Elastic Common Schema
// definitions of the fields they use (ecs_fields.json, an extract of ECS
// v9.4.0; see README.md). Tests use it on what --format ecs writes.
package ecscheck

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

//go:embed ecs_fields.json
var fieldsJSON []byte

// Field is the definition of one ECS field.
type Field struct {
	Type      string `json:"type"`
	Array     bool   `json:"array"`
	Lowercase bool   `json:"lowercase"`
	// Allowed maps each allowed value to the event.type values expected
	// with it (event.category only); nil when any value goes.
	Allowed map[string][]string `json:"allowed"`
}

// Fields returns the definitions, by dotted name.
func Fields() (map[string]Field, error) {
	var m map[string]Field
	if err := json.Unmarshal(fieldsJSON, &m); err != nil {
		return nil, fmt.Errorf("ecscheck: ecs_fields.json: %v", err)
	}
	return m, nil
}

// Check validates one JSON document. Fields under custom (such as
// "rstsniff") are the producer's own and only listed; every other field must
// be an ECS field of the right type, array or not as ECS says, with an
// allowed value, lowercase where ECS asks it, and event.type values that
// ECS expects with the event.category values. It returns the problems
// found and the dotted names of the standard fields present.
func Check(doc []byte, custom string) (problems []string, present []string, err error) {
	fields, err := Fields()
	if err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("ecscheck: not a JSON object: %v", err)
	}
	flat := map[string]any{}
	flatten("", m, flat)
	for _, name := range sortedKeys(flat) {
		v := flat[name]
		if name == custom || strings.HasPrefix(name, custom+".") {
			continue
		}
		def, ok := fields[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not an ECS field (or missing from ecs_fields.json)", name))
			continue
		}
		present = append(present, name)
		vals := []any{v}
		if arr, isArr := v.([]any); isArr {
			if !def.Array {
				problems = append(problems, fmt.Sprintf("%s: an array, but ECS defines a single value", name))
				continue
			}
			vals = arr
		}
		for _, x := range vals {
			if p := checkValue(name, def, x); p != "" {
				problems = append(problems, p)
			}
		}
	}
	// event.type values must be among those ECS expects with the categories.
	if cats, ok := flat["event.category"].([]any); ok {
		expected := map[string]bool{}
		for _, c := range cats {
			for _, t := range fields["event.category"].Allowed[fmt.Sprint(c)] {
				expected[t] = true
			}
		}
		types, _ := flat["event.type"].([]any)
		for _, t := range types {
			if !expected[fmt.Sprint(t)] {
				problems = append(problems, fmt.Sprintf("event.type: %q is not expected with event.category %v", t, cats))
			}
		}
	}
	return problems, present, nil
}

func checkValue(name string, def Field, x any) string {
	switch def.Type {
	case "keyword", "constant_keyword", "wildcard", "match_only_text", "text":
		s, ok := x.(string)
		if !ok {
			return fmt.Sprintf("%s: %v is not a string (ECS type %s)", name, x, def.Type)
		}
		if def.Allowed != nil {
			if _, ok := def.Allowed[s]; !ok {
				allowed := sortedKeys(def.Allowed)
				return fmt.Sprintf("%s: %q is not an allowed value (%s)", name, s, strings.Join(allowed, ", "))
			}
		}
		if def.Lowercase && s != strings.ToLower(s) {
			return fmt.Sprintf("%s: %q must be lowercase", name, s)
		}
	case "long":
		n, ok := x.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: %v is not a number (ECS type long)", name, x)
		}
		if _, err := n.Int64(); err != nil {
			return fmt.Sprintf("%s: %v is not a 64-bit integer (ECS type long)", name, x)
		}
	case "ip":
		s, ok := x.(string)
		if !ok {
			return fmt.Sprintf("%s: %v is not a string (ECS type ip)", name, x)
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return fmt.Sprintf("%s: %q is not an IP address", name, s)
		}
	case "date":
		s, ok := x.(string)
		if !ok {
			return fmt.Sprintf("%s: %v is not a string (ECS type date)", name, x)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Sprintf("%s: %q is not an ISO 8601 date: %v", name, s, err)
		}
	case "boolean":
		if _, ok := x.(bool); !ok {
			return fmt.Sprintf("%s: %v is not a boolean", name, x)
		}
	default:
		return fmt.Sprintf("%s: ECS type %s is not checked by ecscheck", name, def.Type)
	}
	return ""
}

// flatten turns nested objects into dotted names; arrays and scalars are
// values.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(name, sub, out)
			continue
		}
		out[name] = v
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
