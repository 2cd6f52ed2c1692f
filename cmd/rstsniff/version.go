package main

import "github.com/rstsniff/rstsniff/internal/buildinfo"

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// versionText is what --version says (internal/buildinfo).
func versionText() string { return buildinfo.Text(version) }

// reportVersion is the version reports and the JSON summary name.
func reportVersion() string { return buildinfo.Report(version) }
