package report

// SchemaVersion is the version of the JSON contract every JSON line
// carries as "schema_version": schema/rstsniff.v1.json describes version 1.
// A field added keeps the version; a field removed, renamed or given
// another meaning raises it.
const SchemaVersion = 1
