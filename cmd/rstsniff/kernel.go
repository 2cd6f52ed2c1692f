package main

import (
	"fmt"
	"io"

	kprobe "github.com/rstsniff/rstsniff/kernel/probe"
	"github.com/rstsniff/rstsniff/kernel/watch"
	"github.com/rstsniff/rstsniff/metrics"
)

// startKernel starts the kernel witness (kernel/watch) unless --no-kernel,
// saying on stderr what it watches; when it cannot, it writes one line
// saying why and returns nil, which does nothing: the capture goes on
// without. Call it before dropping privileges (-Z).
func startKernel(o *options, stderr io.Writer, m *metrics.Metrics) *watch.Watcher {
	if o.noKernel {
		fmt.Fprintf(stderr, "rstsniff: kernel witness off (--no-kernel)\n")
		return nil
	}
	w, st, err := watch.Start(watch.Options{Count: m.KernelEvent})
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return nil
	}
	switch {
	case st.RulesErr != nil:
		fmt.Fprintf(stderr, "rstsniff: firewall rules will not be named: %v\n", st.RulesErr)
	case st.Firewall != kprobe.FirewallNone: // watched: the rules were read
		note := ""
		if st.Rules.Legacy {
			note = "; iptables-legacy tables exist too, and their rules cannot be named"
		}
		fmt.Fprintf(stderr, "rstsniff: firewall rules: %d nftables rules read, %d with counters, read again on each firewall event%s\n", st.Rules.Rules, st.Rules.Counted, note)
	}
	fmt.Fprintf(stderr, "rstsniff: kernel witness on: network namespace %d, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall by %s\n", st.Netns, st.Firewall)
	return w
}

// stopKernel closes the kernel witness and, when it lost events, says so
// on stderr: a reset within a second of a loss was not judged by an
// absence of events (kernel/join.go), and the user should know why such a
// reset has no kernel word.
func stopKernel(w *watch.Watcher, stderr io.Writer) {
	if w == nil {
		return
	}
	w.Close()
	if line := lossLine(w.Losses()); line != "" {
		fmt.Fprintln(stderr, line)
	}
}

// lossLine is stopKernel's line on the witness's losses, "" when none.
func lossLine(full, skipped uint64, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("rstsniff: kernel witness: cannot tell whether events were lost (%v)", err)
	case full+skipped > 0:
		events := "events"
		if full+skipped == 1 {
			events = "event"
		}
		return fmt.Sprintf("rstsniff: kernel witness: %d %s lost (%d for a full ring buffer, %d runs the kernel skipped as the program was already running on that CPU): resets near a loss were not judged by an absence of events", full+skipped, events, full, skipped)
	}
	return ""
}
