package report

import (
	"fmt"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// Input describes one capture that was read.
type Input struct {
	Name   string
	Format string
	Frames int // frames read
	// Tunnelled counts the frames whose TCP was read inside a tunnel
	// (VXLAN, Geneve, GRE, ERSPAN, IP in IP).
	Tunnelled int
	Start     time.Time
	End       time.Time
	// Stopped is when capturing stopped, if the file recorded it (pcapng
	// isb_endtime); zero otherwise.
	Stopped  time.Time
	Warnings []string
}

// Run is everything one invocation found. Flows are in order of first
// packet, input by input. A live run keeps no flows, only a Tally.
type Run struct {
	Inputs []Input
	Flows  []*analyze.Flow
	Tally  *Tally
	// Version is the rstsniff that made the run (the JSON summary says
	// it; the reports take Meta's).
	Version string
}

// Tally counts what a live run handed over, so the summary needs no flows.
type Tally struct {
	Flows    int
	Outcomes analyze.OutcomeCounts
	Resets   int
	Senders  [analyze.NumSenders]int // resets by who really sent them, suspected ones left out
	Possible int                     // resets called forged on weak evidence only (Reset.Suspected)
	Abnormal int
	Evicted  int
	Unlisted int // connections to show that the listing's limit left out
	Capture  *CaptureStats
	Recorded *RecordStats // what -w wrote (nil: no -w)
}

// CaptureStats are libpcap's counters for a live capture.
type CaptureStats struct {
	Received, Dropped, IfDropped int
}

// RecordStats say what -w (pipeline/record) wrote.
type RecordStats struct {
	Path                    string
	Flows, Packets, Omitted int
}

// Add counts one handed-over flow.
func (t *Tally) Add(f *analyze.Flow) {
	t.Flows++
	t.Outcomes.Add(f.Outcome)
	t.Resets += len(f.Resets)
	countSenders(f, &t.Senders, &t.Possible)
	if f.Notable() {
		t.Abnormal++
	}
}

// Packets returns the number of frames read over all inputs.
func (r *Run) Packets() int {
	n := 0
	for _, in := range r.Inputs {
		n += in.Frames
	}
	return n
}

// Warnings returns every input's warnings, prefixed by its name when there
// are several inputs, and the capture's own.
func (r *Run) Warnings() []string {
	out := []string{}
	if t := r.Tally; t != nil && t.Capture != nil && (t.Capture.Dropped > 0 || t.Capture.IfDropped > 0) {
		out = append(out, fmt.Sprintf("the kernel dropped %d packets and the interface %d: results may be incomplete",
			t.Capture.Dropped, t.Capture.IfDropped))
	}
	if t := r.Tally; t != nil && t.Unlisted > 0 {
		out = append(out, fmt.Sprintf("%d more connections to show were left out of this listing; --format json lists every one", t.Unlisted))
	}
	if t := r.Tally; t != nil && t.Evicted > 0 {
		out = append(out, fmt.Sprintf("%d connections reported early: more than --max-flows were open at once", t.Evicted))
	}
	for _, in := range r.Inputs {
		for _, w := range in.Warnings {
			if len(r.Inputs) > 1 {
				w = in.Name + ": " + w
			}
			out = append(out, w)
		}
	}
	return out
}

// Tunnelled returns how many frames, over all inputs, carried their TCP
// inside a tunnel.
func (r *Run) Tunnelled() int {
	n := 0
	for _, in := range r.Inputs {
		n += in.Tunnelled
	}
	return n
}

// FlowCount returns how many connections were reported.
func (r *Run) FlowCount() int {
	if r.Tally != nil {
		return r.Tally.Flows
	}
	return len(r.Flows)
}

// Outcomes counts flows by outcome.
func (r *Run) Outcomes() analyze.OutcomeCounts {
	if r.Tally != nil {
		return r.Tally.Outcomes
	}
	var c analyze.OutcomeCounts
	for _, f := range r.Flows {
		c.Add(f.Outcome)
	}
	return c
}

// Resets counts RST segments over all flows.
func (r *Run) Resets() int {
	if r.Tally != nil {
		return r.Tally.Resets
	}
	n := 0
	for _, f := range r.Flows {
		n += len(f.Resets)
	}
	return n
}

// Senders counts resets by who really sent them, leaving out those
// called forged on weak evidence only; possible counts those.
func (r *Run) Senders() (c [analyze.NumSenders]int, possible int) {
	if r.Tally != nil {
		return r.Tally.Senders, r.Tally.Possible
	}
	for _, f := range r.Flows {
		countSenders(f, &c, &possible)
	}
	return c, possible
}

// countSenders counts a flow's resets by who really sent them, those
// called forged on weak evidence alone in possible instead.
func countSenders(f *analyze.Flow, c *[analyze.NumSenders]int, possible *int) {
	for i := range f.Resets {
		if r := &f.Resets[i]; r.Suspected() {
			*possible++
		} else {
			c[r.Sender]++
		}
	}
}

// Abnormal reports whether any connection was reset, refused, unreachable
// or timed out, or shows a finding (an MTU black hole can leave one
// open): what makes the exit status 1.
func (r *Run) Abnormal() bool {
	if r.Tally != nil {
		return r.Tally.Abnormal > 0
	}
	for _, f := range r.Flows {
		if f.Notable() {
			return true
		}
	}
	return false
}
