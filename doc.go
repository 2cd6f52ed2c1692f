// Package rstsniff is the module root; the tool is cmd/rstsniff. See
// ARCHITECTURE.md for how capture, decode, analyze and report fit together.
package rstsniff
