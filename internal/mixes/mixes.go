// Package mixes holds the benchmark's two mixes of connections: which lab
// captures (testdata/pcaps/NAME) are cloned how often, per thousand. The
// generator (internal/synth) and the allocation guard
// (cmd/rstsniff allocs_test.go) read the same lists.
package mixes

// Case is one lab capture and how many connections per thousand copy it.
type Case struct {
	Name   string
	Weight int
}

// Default is mostly clean logins, the failure cases mixed in.
var Default = []Case{
	{"clean", 800}, {"authfail", 60}, {"port2222", 40}, {"reject-banner", 20}, {"post-handshake", 15},
	{"refused", 15}, {"maxstartups", 10}, {"sshd-killed", 10}, {"client-abort", 10}, {"reject-near-server", 10},
	{"syn-drop", 5}, {"idle-timeout", 5},
}

// Failing makes about two thirds of the connections fail: resets forged
// and genuine, refusals, timeouts, MaxStartups drops. It measures the cost
// of verdicts, findings and their words, which the default, mostly clean
// mix hardly exercises.
var Failing = []Case{
	{"clean", 250}, {"authfail", 25}, {"port2222", 25}, {"reject-banner", 150}, {"post-handshake", 100},
	{"refused", 100}, {"maxstartups", 50}, {"sshd-killed", 50}, {"client-abort", 50}, {"reject-near-server", 75},
	{"syn-drop", 50}, {"idle-timeout", 25}, {"inject-both", 25}, {"rate-limit", 25},
}
