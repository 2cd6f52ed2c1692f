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
