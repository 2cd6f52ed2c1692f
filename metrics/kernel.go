package metrics

import "github.com/rstsniff/rstsniff/kernel"

// KernelEvent counts a reset this host's kernel witnessed it send: by the
// stack's reason, or REJECT for a netfilter rule (seen by fentry, or a
// drop the join tied to a reset leaving the host). Other events are not
// resets this host sent and are not counted.
func (m *Metrics) KernelEvent(e *kernel.Event) {
	if m == nil {
		return
	}
	switch e.Kind {
	case kernel.StackSent:
		m.kernel.WithLabelValues(e.Reason.String()).Inc()
	case kernel.FirewallSent:
		m.kernel.WithLabelValues("REJECT").Inc()
	}
}
