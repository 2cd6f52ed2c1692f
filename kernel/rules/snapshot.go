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

// Snapshot is the ruleset with its counters as read once. Begin and End
// bracket the read: a counter in it counts every packet before Begin and
// none after End. Err is set when the read failed (Rules then empty).
// Read-only once made.
type Snapshot struct {
	Begin, End time.Time
	Rules      []compiled
	Err        error
	Why        kernel.RuleWhy
}

// Facts returns the snapshot's rules.
func (s *Snapshot) Facts() []kernel.Rule {
	out := make([]kernel.Rule, len(s.Rules))
	for i := range s.Rules {
		out[i] = s.Rules[i].Rule
	}
	return out
}

// History keeps the snapshots taken while the capture runs and names the
// rules behind each firewall event. Safe for one writer (Add) and readers
// (Attribute) at once. Construct with NewHistory.
type History struct {
	mu     sync.Mutex
	snaps  []*Snapshot // in time order, failed reads included
	legacy bool
}

// keepSnaps bounds the history: older snapshots go (an event older than
// the oldest kept has no "before").
const keepSnaps = 4096

// NewHistory starts an empty history; legacy says iptables-legacy tables
// exist in the namespace (their rules are not in nftables).
func NewHistory(legacy bool) *History { return &History{legacy: legacy} }

// Add records a snapshot.
func (h *History) Add(s *Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snaps = append(h.snaps, s)
	if len(h.snaps) > keepSnaps {
		h.snaps = append(h.snaps[:0], h.snaps[len(h.snaps)-keepSnaps:]...)
	}
}

// Len is how many snapshots the history holds.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.snaps)
}

// margin keeps a snapshot read within this of an event off either side
// of it: the event's time comes from the kernel's monotonic clock turned
// into wall time, with an error far below this.
const margin = time.Millisecond

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
		return nil
	}
	if after == nil {
		// What could have, from the rules as last read.
		out.Uncounted = covering(before, p, false)
		if failed != nil {
			out.Status, out.Why, out.Err = kernel.RulesUnreadable, failed.Why, errText(failed)
		} else {
			out.Status = kernel.RulesNoSnapshot
		}
		return out
	}
	prev := map[ruleKey]*compiled{}
	for i := range before.Rules {
		prev[keyOf(&before.Rules[i].Rule)] = &before.Rules[i]
	}
	for i := range after.Rules {
		c := &after.Rules[i]
		r := &c.Rule
		if !r.Verdict.Stops() || r.Policy {
			continue
		}
		covers, m, unknown := ruleMatch(c, p)
		if !covers {
			continue
		}
		if !r.Counted {
			out.Uncounted = append(out.Uncounted, *r)
			continue
		}
		b, ok := prev[keyOf(r)]
		if !ok || !b.Rule.Counted || r.Packets <= b.Rule.Packets {
			continue
		}
		out.Candidates = append(out.Candidates, kernel.Candidate{Rule: *r, Rose: r.Packets - b.Rule.Packets, Match: m, Unevaluated: unknown})
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
func covering(s *Snapshot, p Packet, counted bool) []kernel.Rule {
	var out []kernel.Rule
	for i := range s.Rules {
		c := &s.Rules[i]
		if !c.Rule.Verdict.Stops() || c.Rule.Policy {
			continue
		}
		if ok, _, _ := ruleMatch(c, p); ok {
			out = append(out, c.Rule)
		}
	}
	return out
}

// policies lists the base chains whose policy drops, of the families that
// see p: when no rule rose, the packet may have fallen through to one.
func policies(s *Snapshot, p Packet) []kernel.Rule {
	var out []kernel.Rule
	for i := range s.Rules {
		c := &s.Rules[i]
		if !c.Rule.Policy || !c.Rule.Verdict.Stops() {
			continue
		}
		if ok, _ := evaluate(c.Rule.Family, nil, nil, p); ok {
			out = append(out, c.Rule)
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
