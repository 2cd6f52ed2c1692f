// Package golden keeps rstsniff's JSON lines as two golden files, the facts
// and the words, so that rewording a sentence touches only the words and a
// changed verdict only the facts.
//
// Split takes the words out of JSON lines: every member whose key is in
// Words (evidence text, finding summaries, causes, next steps, what the
// client printed, warnings...), at any depth, goes to a words line; what is
// left, byte for byte, is the facts. Join puts them back: Join(Split(x)) is
// x byte for byte for compact JSON lines (rstsniff's), which the golden
// tests check on every run, so two goldens hold an output exactly as one did.
//
// A words line is one JSON object: where the member was (the line's number,
// from 1, then the JSON pointer of the member), the member before it in its
// object ("" when it came first) and its value as it was written:
//
//	{"at":"1/resets/0/evidence/0/text","after":"scope","value":"TTL 64 (0 hops away), but ..."}
//
// The package imports the standard library only, so any package's tests may
// use it.
package golden
