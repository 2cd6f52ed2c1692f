package report

import "fmt"

// KernelStart is how the kernel witness of a live capture started, as facts
// (cmd/rstsniff fills it from kernel/watch, which report may not import).
type KernelStart struct {
	Off      bool   // --no-kernel
	Err      error  // it could not start; the error says why
	Netns    uint32 // the network namespace watched
	Firewall string // how the firewall's resets are watched; "" when they are not
	// The firewall's rules, read when its resets are watched.
	RulesErr       error // they will not be named
	Rules, Counted int   // rules read, and how many of them have counters
	Legacy         bool  // iptables-legacy tables exist too
}

// KernelStartLines are the lines a live capture writes on standard error
// about its kernel witness as it starts.
func KernelStartLines(s KernelStart) []string {
	switch {
	case s.Off:
		return []string{"kernel witness off (--no-kernel)"}
	case s.Err != nil:
		return []string{s.Err.Error()}
	}
	var out []string
	firewall := "not watched"
	if s.Firewall != "" {
		firewall = "by " + s.Firewall
		switch {
		case s.RulesErr != nil:
			out = append(out, fmt.Sprintf("firewall rules will not be named: %v", s.RulesErr))
		default:
			note := ""
			if s.Legacy {
				note = "; iptables-legacy tables exist too, and their rules cannot be named"
			}
			out = append(out, fmt.Sprintf("firewall rules: %d nftables rules read, %d with counters, read again on each firewall event%s", s.Rules, s.Counted, note))
		}
	}
	return append(out, fmt.Sprintf("kernel witness on: network namespace %d, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall %s", s.Netns, firewall))
}

// KernelLosses are the events the kernel witness could not deliver: Full
// for a full ring buffer, Skipped for runs the kernel skipped because the
// program was already running on that CPU. Err says the count could not be
// read.
type KernelLosses struct {
	Full, Skipped uint64
	Err           error
}

// KernelLossWarnings word the witness's losses as warnings of the input it
// watched (none when nothing was lost): a reset near a loss gets no verdict
// from an absence of events (kernel/join.go), and whoever reads the report
// should know why such a reset has no kernel word.
func KernelLossWarnings(l KernelLosses) []string {
	switch n := l.Full + l.Skipped; {
	case l.Err != nil:
		return []string{fmt.Sprintf("kernel witness: cannot tell whether events were lost (%v)", l.Err)}
	case n > 0:
		events := "events"
		if n == 1 {
			events = "event"
		}
		return []string{fmt.Sprintf("kernel witness: %d %s lost (%d for a full ring buffer, %d runs the kernel skipped as the program was already running on that CPU): resets within a second of a loss were not judged by an absence of events", n, events, l.Full, l.Skipped)}
	}
	return nil
}
