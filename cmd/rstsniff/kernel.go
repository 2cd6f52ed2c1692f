package main

import (
	"fmt"
	"io"

	kprobe "github.com/rstsniff/rstsniff/kernel/probe"
	"github.com/rstsniff/rstsniff/kernel/watch"
	"github.com/rstsniff/rstsniff/metrics"
	"github.com/rstsniff/rstsniff/report"
)

// startKernel starts the kernel witness (kernel/watch) unless --no-kernel,
// writing on stderr report's lines on what it watches; when it cannot, it
// writes why and returns nil, which does nothing: the capture goes on
// without. Call it before dropping privileges (-Z).
func startKernel(o *options, stderr io.Writer, m *metrics.Metrics) *watch.Watcher {
	var s report.KernelStart
	var w *watch.Watcher
	if o.noKernel {
		s.Off = true
	} else {
		var st watch.Started
		w, st, s.Err = watch.Start(watch.Options{Count: m.KernelEvent})
		if s.Err == nil {
			s.Netns, s.RulesErr = st.Netns, st.RulesErr
			s.Rules, s.Counted, s.Legacy = st.Rules.Rules, st.Rules.Counted, st.Rules.Legacy
			if st.Firewall != kprobe.FirewallNone {
				s.Firewall = st.Firewall.String()
			}
		}
	}
	for _, line := range report.KernelStartLines(s) {
		fmt.Fprintf(stderr, "rstsniff: %s\n", line)
	}
	return w
}

// kernelLosses closes the kernel witness, if any, and returns report's
// warnings on the events it lost (kernel/watch: those up to Close), for the
// input it watched.
func kernelLosses(w *watch.Watcher) []string {
	if w == nil {
		return nil
	}
	w.Close()
	full, skipped, err := w.Losses()
	return report.KernelLossWarnings(report.KernelLosses{Full: full, Skipped: skipped, Err: err})
}
