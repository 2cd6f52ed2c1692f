// Package schema holds the JSON Schema (draft 2020-12) of every JSON line
// rstsniff writes: rstsniff.v1.json, the contract that SIEMs, CI jobs and
// scripts read rstsniff by. Each line carries "schema_version"
// (report.SchemaVersion); the tests validate every JSON line the suite
// produces against this file (internal/schematest), and docs/json.md is
// generated from it (Markdown; go generate ./schema).
//
// It needs nothing but the standard library.
package schema

import _ "embed"

//go:generate go run ./gendoc -o ../docs/json.md

// V1 is the schema of version 1, as committed.
//
//go:embed rstsniff.v1.json
var V1 []byte

// ID is the schema's $id, the name validators know it by.
const ID = "https://github.com/rstsniff/rstsniff/schema/rstsniff.v1.json"
