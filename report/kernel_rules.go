package report

import (
	"fmt"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
)

// RuleName words one firewall rule: its place (family, table, chain,
// handle), its owner, and its text in nft syntax, with iptables-save's
// when iptables-nft made it. Every name and text is escaped.
func RuleName(r kernel.Rule) string {
	var b strings.Builder
	if r.Policy {
		fmt.Fprintf(&b, "the policy drop of chain %s %s %s", Safe(r.Family), Safe(r.Table), Safe(r.Chain))
	} else {
		fmt.Fprintf(&b, "%s %s %s handle %d", Safe(r.Family), Safe(r.Table), Safe(r.Chain), r.Handle)
	}
	switch {
	case r.Owner == kernel.OwnerFail2ban && r.OwnerName != "":
		fmt.Fprintf(&b, " (fail2ban's, jail %s)", Safe(r.OwnerName))
	case r.Owner == kernel.OwnerFirewalld && r.OwnerName != "":
		fmt.Fprintf(&b, " (firewalld's, zone %s)", Safe(r.OwnerName))
	case r.Owner != kernel.OwnerNone:
		fmt.Fprintf(&b, " (%s's)", r.Owner)
	}
	if r.Policy {
		return b.String()
	}
	fmt.Fprintf(&b, ": `%s`", Safe(r.Text))
	if r.Iptables != "" {
		fmt.Fprintf(&b, " (iptables: `%s`)", Safe(r.Iptables))
	}
	return b.String()
}

// counterCommand is the nft command that gives a rule a counter, "" when
// its text could not be rendered whole.
func counterCommand(r kernel.Rule) string {
	if r.WithCounter == "" || r.Policy {
		return ""
	}
	return fmt.Sprintf("nft replace rule %s %s %s handle %d %s", Safe(r.Family), Safe(r.Table), Safe(r.Chain), r.Handle, Safe(r.WithCounter))
}

// RulesSentence words which firewall rule sent or dropped the packet, as
// far as the rules' counters say; "" when the ruleset was not read.
func RulesSentence(r *kernel.Rules) string {
	if r == nil || r.Status == kernel.RulesNone {
		return ""
	}
	var parts []string
	switch r.Status {
	case kernel.RulesNamed:
		var cs []string
		for _, c := range r.Candidates {
			s := fmt.Sprintf("%s, its counter +%d", RuleName(c.Rule), c.Rose)
			if c.Match == kernel.MatchUnknown {
				var u []string
				for _, x := range c.Unevaluated {
					u = append(u, Safe(x))
				}
				s += fmt.Sprintf(" (its %s could not be checked against the connection)", strings.Join(u, ", "))
			}
			cs = append(cs, s)
		}
		if len(cs) == 1 {
			parts = append(parts, "rule "+cs[0])
		} else {
			parts = append(parts, fmt.Sprintf("one of %d rules whose counters rose then: %s", len(cs), strings.Join(cs, "; ")))
		}
		if len(r.Uncounted) > 0 {
			parts = append(parts, fmt.Sprintf("%d rule(s) without a counter could match too", len(r.Uncounted)))
		}
		return strings.Join(parts, "; ")
	case kernel.RulesLegacy:
		return "its rule cannot be named: no nftables rule that drops or rejects it rose, and iptables-legacy tables hold rules nftables does not show (`iptables-save -c` lists their counters)"
	case kernel.RulesUnreadable:
		why := "the ruleset could not be read"
		switch r.Why {
		case kernel.WhyPrivilege:
			why = "reading nftables needs CAP_NET_ADMIN, which rstsniff no longer held (-Z)"
		case kernel.WhyNoNftables:
			why = "the kernel has no nf_tables"
		case kernel.WhyError:
			if r.Err != "" {
				why += ": " + Safe(r.Err)
			}
		}
		parts = append(parts, "its rule cannot be named: "+why)
	case kernel.RulesNoSnapshot:
		parts = append(parts, "its rule cannot be named: the counters were not read both before and after it")
	case kernel.RulesNoneRose:
		parts = append(parts, "no rule with a counter that drops or rejects it rose")
	}
	if len(r.Uncounted) > 0 {
		var us []string
		var cmd string
		for _, u := range r.Uncounted {
			us = append(us, RuleName(u))
			if cmd == "" {
				cmd = counterCommand(u)
			}
		}
		what := "rules without a counter that could have"
		if r.Status != kernel.RulesNoneRose {
			what = "rules that could have"
		}
		s := fmt.Sprintf("%s: %s", what, strings.Join(us, "; "))
		if cmd != "" && r.Status == kernel.RulesNoneRose {
			s += fmt.Sprintf("; give it a counter to name it next time: `%s`", cmd)
		}
		parts = append(parts, s)
	} else if r.Status == kernel.RulesNoneRose {
		parts = append(parts, "and no rule without one could match it")
	}
	return strings.Join(parts, "; ")
}

// DropsSentence words what the kernel said about a connection's packets
// its firewall dropped, "" for none.
func DropsSentence(d *kernel.Drops) string {
	if d == nil || d.Count == 0 {
		return ""
	}
	s := fmt.Sprintf("this host's firewall dropped %d packet(s) of the connection (kfree_skb NETFILTER_DROP), the first at %s", d.Count, clock(d.Events[0].Time))
	// The rules of the first event whose rules were named, else the first's.
	var best *kernel.Rules
	for _, r := range d.Rules {
		if r != nil && (best == nil || r.Status == kernel.RulesNamed && best.Status != kernel.RulesNamed) {
			best = r
		}
	}
	if w := RulesSentence(best); w != "" {
		s += "; " + w
	}
	return s
}

// jsonRule is one firewall rule in JSON.
type jsonRule struct {
	Family      string   `json:"family"`
	Table       string   `json:"table"`
	Chain       string   `json:"chain"`
	Handle      uint64   `json:"handle"`
	Hook        string   `json:"hook,omitempty"`
	Verdict     string   `json:"verdict"`
	Counted     bool     `json:"counted"`
	Packets     uint64   `json:"packets,omitempty"`
	Rose        uint64   `json:"rose,omitempty"`
	Match       string   `json:"match,omitempty"`
	Unevaluated []string `json:"unevaluated,omitempty"`
	Nft         string   `json:"nft"`
	Iptables    string   `json:"iptables,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	Owner       string   `json:"owner,omitempty"`
	OwnerName   string   `json:"owner_name,omitempty"`
	Policy      bool     `json:"policy,omitempty"`
	AddCounter  string   `json:"add_counter,omitempty"`
}

// jsonRules is the "rule" member of a reset's "kernel" object.
type jsonRules struct {
	Status     string     `json:"status"`
	Candidates []jsonRule `json:"candidates,omitempty"`
	Uncounted  []jsonRule `json:"uncounted,omitempty"`
	Why        string     `json:"why,omitempty"`
	Summary    string     `json:"summary"`
}

func newJSONRule(r kernel.Rule) jsonRule {
	j := jsonRule{Family: r.Family, Table: r.Table, Chain: r.Chain, Handle: r.Handle, Hook: r.Hook, Verdict: r.Verdict.String(),
		Counted: r.Counted, Packets: r.Packets, Nft: r.Text, Iptables: r.Iptables, Comment: r.Comment, Policy: r.Policy}
	if r.Owner != kernel.OwnerNone {
		j.Owner, j.OwnerName = r.Owner.String(), r.OwnerName
	}
	if !r.Counted {
		j.AddCounter = counterCommand(r)
	}
	return j
}

func newJSONRules(r *kernel.Rules) *jsonRules {
	if r == nil || r.Status == kernel.RulesNone {
		return nil
	}
	j := &jsonRules{Status: r.Status.String(), Summary: RulesSentence(r)}
	if r.Why != kernel.WhyNone {
		j.Why = r.Why.String()
	}
	for _, c := range r.Candidates {
		jr := newJSONRule(c.Rule)
		jr.Rose, jr.Match, jr.Unevaluated = c.Rose, c.Match.String(), c.Unevaluated
		j.Candidates = append(j.Candidates, jr)
	}
	for _, u := range r.Uncounted {
		j.Uncounted = append(j.Uncounted, newJSONRule(u))
	}
	return j
}

// appendRules writes r as the member k of o.
func appendRules(o *jsonObject, k string, r *jsonRules) {
	o.open(k)
	o.str("status", r.Status)
	list := func(name string, rs []jsonRule) {
		if len(rs) == 0 {
			return
		}
		o.objects(name, false, len(rs), func(i int) {
			x := &rs[i]
			o.str("family", x.Family)
			o.str("table", x.Table)
			o.str("chain", x.Chain)
			o.uint("handle", x.Handle)
			o.strOmit("hook", x.Hook)
			o.str("verdict", x.Verdict)
			o.bool("counted", x.Counted)
			if x.Packets != 0 {
				o.uint("packets", x.Packets)
			}
			if x.Rose != 0 {
				o.uint("rose", x.Rose)
			}
			o.strOmit("match", x.Match)
			if len(x.Unevaluated) > 0 {
				o.strs("unevaluated", x.Unevaluated)
			}
			o.str("nft", x.Nft)
			o.strOmit("iptables", x.Iptables)
			o.strOmit("comment", x.Comment)
			o.strOmit("owner", x.Owner)
			o.strOmit("owner_name", x.OwnerName)
			if x.Policy {
				o.bool("policy", true)
			}
			o.strOmit("add_counter", x.AddCounter)
		})
	}
	list("candidates", r.Candidates)
	list("uncounted", r.Uncounted)
	o.strOmit("why", r.Why)
	o.str("summary", r.Summary)
	o.close()
}

// jsonDropped is a flow's "kernel_dropped" member: packets of it this
// host's firewall dropped with no reset answering them.
type jsonDropped struct {
	Count   int        `json:"count"`
	First   jsonTime   `json:"first"`
	Rule    *jsonRules `json:"rule,omitempty"`
	Summary string     `json:"summary"`
}

func newJSONDropped(f *analyze.Flow) *jsonDropped {
	d := f.Dropped
	if d == nil || d.Count == 0 {
		return nil
	}
	j := &jsonDropped{Count: d.Count, First: jsonTime(d.Events[0].Time), Summary: DropsSentence(d)}
	for _, r := range d.Rules {
		if r != nil && (j.Rule == nil || r.Status == kernel.RulesNamed && j.Rule.Status != kernel.RulesNamed.String()) {
			j.Rule = newJSONRules(r)
		}
	}
	return j
}

func appendDropped(o *jsonObject, d *jsonDropped) {
	o.open("kernel_dropped")
	o.int("count", int64(d.Count))
	o.time("first", d.First)
	if d.Rule != nil {
		appendRules(o, "rule", d.Rule)
	}
	o.str("summary", d.Summary)
	o.close()
}

// ruleTag is the verdict line's short name of the firewall rule(s) the
// kernel witness named for the connection, "" when none was named:
// "rule ip filter INPUT handle 6" or "rule inet lab input handle 3 or 4".
func ruleTag(f *analyze.Flow) string {
	var named *kernel.Rules
	for i := range f.Resets {
		if w := f.Resets[i].Kernel; w != nil && w.Rules != nil && w.Rules.Status == kernel.RulesNamed {
			named = w.Rules
			break
		}
	}
	if named == nil && f.Dropped != nil {
		for _, r := range f.Dropped.Rules {
			if r != nil && r.Status == kernel.RulesNamed {
				named = r
				break
			}
		}
	}
	if named == nil || len(named.Candidates) == 0 {
		return ""
	}
	c := named.Candidates[0].Rule
	s := fmt.Sprintf("rule %s %s %s handle %d", Safe(c.Family), Safe(c.Table), Safe(c.Chain), c.Handle)
	for _, o := range named.Candidates[1:] {
		if o.Rule.Family == c.Family && o.Rule.Table == c.Table && o.Rule.Chain == c.Chain {
			s += fmt.Sprintf(" or %d", o.Rule.Handle)
		} else {
			s += fmt.Sprintf(" or %s %s %s handle %d", Safe(o.Rule.Family), Safe(o.Rule.Table), Safe(o.Rule.Chain), o.Rule.Handle)
		}
	}
	if len(named.Candidates) == 1 && c.Owner == kernel.OwnerFail2ban && c.OwnerName != "" {
		s += ", fail2ban jail " + Safe(c.OwnerName)
	} else if len(named.Candidates) == 1 && c.Owner == kernel.OwnerFirewalld && c.OwnerName != "" {
		s += ", firewalld zone " + Safe(c.OwnerName)
	}
	return s
}
