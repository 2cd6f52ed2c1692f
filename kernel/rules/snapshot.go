//go:build linux

package rules

import (
	"strings"
	"sync"
	"time"

	"github.com/google/nftables/expr"

	"github.com/rstsniff/rstsniff/kernel"
)

// compiled is one rule as read: its facts, and what evaluating its match
// needs.
type compiled struct {
	Rule  kernel.Rule
	exprs []expr.Any
	sets  map[string]*set
}

type ruleKey struct {
	family, table, chain string
	handle               uint64
	policy               bool
}

func keyOf(r *kernel.Rule) ruleKey {
	return ruleKey{r.Family, r.Table, r.Chain, r.Handle, r.Policy}
}

// ruleset is the rules as read, without their counters: shared by the
// snapshots of an unchanged ruleset. Immutable once made.
type ruleset struct {
	rules []compiled
	sig   string // the sets' names and elements, to tell a changed set
}

// same tells whether two reads found the same rules and sets.
func (a *ruleset) same(b *ruleset) bool {
	if a == nil || b == nil || len(a.rules) != len(b.rules) || a.sig != b.sig {
		return false
	}
	for i := range a.rules {
		x, y := &a.rules[i].Rule, &b.rules[i].Rule
		if keyOf(x) != keyOf(y) || x.Text != y.Text || x.Iptables != y.Iptables || x.Counted != y.Counted || x.Verdict != y.Verdict {
			return false
		}
	}
	return true
}

// Snapshot is the ruleset with its counters as read once. Begin and End
// bracket the read: a counter in it counts every packet before Begin and
// none after End. Err is set when the read failed (no rules then).
// Snapshots of an unchanged ruleset share its rules and keep only their
// packet counters. Read-only once made.
type Snapshot struct {
	Begin, End time.Time
	Err        error
	Why        kernel.RuleWhy
	set        *ruleset
	packets    []uint64 // by rule of set
}

// newSnapshot makes a snapshot of rules with their counters as compiled.
func newSnapshot(begin, end time.Time, rules []compiled, sig string) *Snapshot {
	s := &Snapshot{Begin: begin, End: end, set: &ruleset{rules: rules, sig: sig}, packets: make([]uint64, len(rules))}
	for i := range rules {
		s.packets[i] = rules[i].Rule.Packets
	}
	return s
}

// share makes s use prev's rules when they are the same.
func (s *Snapshot) share(prev *Snapshot) {
	if prev != nil && prev.set != nil && s.set.same(prev.set) {
		s.set = prev.set
	}
}

// len is how many rules (and policies) the snapshot holds.
func (s *Snapshot) len() int {
	if s.set == nil {
		return 0
	}
	return len(s.set.rules)
}

// at is the i-th rule with its counter as this snapshot read it.
func (s *Snapshot) at(i int) (*compiled, kernel.Rule) {
	c := &s.set.rules[i]
	r := c.Rule
	r.Packets = s.packets[i]
	return c, r
}

// Facts returns the snapshot's rules with their counters.
func (s *Snapshot) Facts() []kernel.Rule {
	out := make([]kernel.Rule, s.len())
	for i := range out {
		_, out[i] = s.at(i)
	}
	return out
}

// History keeps the snapshots taken while the capture runs and names the
// rules behind each firewall event. Safe for one writer (Add) and readers
// (Attribute) at once. Construct with NewHistory.
type History struct {
	mu      sync.Mutex
	snaps   []*Snapshot // in time order, failed reads included
	legacy  bool
	evicted bool // older snapshots were dropped
}

// keepSnaps and keepAge bound the history: older snapshots go (an event
// older than the oldest kept has no "before"). 3,000 is a minute of reads
// at the fastest rate; an unchanged ruleset costs 8 bytes a rule a read.
const (
	keepSnaps = 3000
	keepAge   = 10 * time.Minute
)

// NewHistory starts an empty history; legacy says iptables-legacy tables
// exist in the namespace (their rules are not in nftables).
func NewHistory(legacy bool) *History { return &History{legacy: legacy} }

// Add records a snapshot.
func (h *History) Add(s *Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snaps = append(h.snaps, s)
	n := 0
	for n < len(h.snaps)-1 && (len(h.snaps)-n > keepSnaps || h.snaps[n].End.Before(s.Begin.Add(-keepAge))) {
		n++
	}
	if n > 0 {
		h.snaps = append(h.snaps[:0], h.snaps[n:]...)
		h.evicted = true
	}
}

// Len is how many snapshots the history holds.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.snaps)
}

// Margin keeps a snapshot read within this of an event off either side
// of it: the event's time comes from the kernel's monotonic clock turned
// into wall time, with an error far below this.
const Margin = time.Millisecond

const margin = Margin

// PacketOf is the packet a firewall event is about: FirewallDropped and
// FirewallSent events carry the reset's addresses (the packet's reversed).
func PacketOf(e *kernel.Event) Packet { return Packet{Src: e.Dst, Dst: e.Src} }

// Attribute names the rules behind one firewall event: the rules whose
// packet counter rose between the last good snapshot read before the event
// and the first read after it, whose verdict drops or rejects, and whose
// match covers the event's packet (or could not be evaluated). Nil for an
// event that is not a firewall's or comes before the first snapshot.
func (h *History) Attribute(e *kernel.Event) *kernel.Rules {
	if e == nil || e.Kind != kernel.FirewallDropped && e.Kind != kernel.FirewallSent {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var before, after, failed *Snapshot
	for _, s := range h.snaps {
		if s.Err != nil {
			if !s.Begin.Before(e.Time) {
				failed = s
			}
			continue
		}
		if s.End.Before(e.Time.Add(-margin)) {
			before = s
		} else if after == nil && s.Begin.After(e.Time.Add(margin)) {
			after = s
		}
	}
	p := PacketOf(e)
	out := &kernel.Rules{}
	if before == nil && after == nil {
		if failed == nil {
			return nil
		}
		out.Status, out.Why, out.Err = kernel.RulesUnreadable, failed.Why, errText(failed)
		return out
	}
	if before == nil {
		if h.evicted && after != nil {
			// The reads before it are no longer kept.
			out.Status = kernel.RulesNoSnapshot
			return out
		}
		return nil
	}
	if after == nil {
		// What could have, from the rules as last read.
		out.Uncounted = covering(before, p)
		if failed != nil {
			out.Status, out.Why, out.Err = kernel.RulesUnreadable, failed.Why, errText(failed)
		} else {
			out.Status = kernel.RulesNoSnapshot
		}
		return out
	}
	prev := map[ruleKey]uint64{}
	for i := 0; i < before.len(); i++ {
		if _, r := before.at(i); r.Counted {
			prev[keyOf(&r)] = r.Packets
		}
	}
	for i := 0; i < after.len(); i++ {
		c, r := after.at(i)
		if !r.Verdict.Stops() || r.Policy {
			continue
		}
		covers, m, unknown := ruleMatch(c, p)
		if !covers {
			continue
		}
		if !r.Counted {
			out.Uncounted = append(out.Uncounted, r)
			continue
		}
		b, ok := prev[keyOf(&r)]
		if !ok || r.Packets <= b {
			continue
		}
		out.Candidates = append(out.Candidates, kernel.Candidate{Rule: r, Rose: r.Packets - b, Match: m, Unevaluated: unknown})
	}
	switch {
	case len(out.Candidates) > 0:
		out.Status = kernel.RulesNamed
	case h.legacy:
		out.Status = kernel.RulesLegacy
	default:
		out.Status = kernel.RulesNoneRose
		out.Uncounted = append(out.Uncounted, policies(after, p)...)
	}
	return out
}

// covering lists the drop/reject rules of s whose match could cover p.
func covering(s *Snapshot, p Packet) []kernel.Rule {
	var out []kernel.Rule
	for i := 0; i < s.len(); i++ {
		c, r := s.at(i)
		if !r.Verdict.Stops() || r.Policy {
			continue
		}
		if ok, _, _ := ruleMatch(c, p); ok {
			out = append(out, r)
		}
	}
	return out
}

// policies lists the base chains whose policy drops, of the families that
// see p: when no rule rose, the packet may have fallen through to one.
func policies(s *Snapshot, p Packet) []kernel.Rule {
	var out []kernel.Rule
	for i := 0; i < s.len(); i++ {
		_, r := s.at(i)
		if !r.Policy || !r.Verdict.Stops() {
			continue
		}
		if ok, _ := evaluate(r.Family, nil, nil, p); ok {
			out = append(out, r)
		}
	}
	return out
}

func errText(s *Snapshot) string {
	if s.Why != kernel.WhyError || s.Err == nil {
		return ""
	}
	return strings.TrimSpace(s.Err.Error())
}
