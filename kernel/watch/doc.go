// Package watch runs the kernel witness during a live capture: it loads
// kernel/probe's eBPF programs in the process's network namespace, keeps
// their events in a kernel.Journal, has kernel/rules read the nftables
// ruleset again on each firewall event, and joins what the kernel said to
// each reset of the flows analyze hands over (Watcher.Attribute sets
// analyze.Reset.Kernel and analyze.Flow.Dropped).
//
// It returns facts (Started, the errors saying why a part cannot run);
// cmd/rstsniff words them. It imports no output: counting events for the
// metrics is a callback (Options.Count).
//
// Goroutines: one reads the probe's events into the journal (and pokes
// the rules' reader, which has its own) until Close; Attribute runs on the
// caller's, the sink's. Before joining a connection that ended after the
// last flush, Attribute flushes the ring buffer and waits for the reading
// goroutine to pass every event committed before (syncFor), so that an
// event still on its way is not taken for an absence.
package watch
