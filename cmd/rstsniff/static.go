//go:build static

package main

// The static release build (make release) links libpcap.a, which needs a
// stub for a libsystemd function; see internal/staticlink.
import _ "github.com/rstsniff/rstsniff/internal/staticlink"
