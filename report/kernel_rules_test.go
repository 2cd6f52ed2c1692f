package report

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
)

func randomRule(rng *rand.Rand) kernel.Rule {
	str := func() string { return randomString(rng) }
	r := kernel.Rule{Family: str(), Table: str(), Chain: str(), Handle: rng.Uint64(), Verdict: kernel.Verdict(rng.Intn(7)),
		Counted: rng.Intn(2) == 0, Packets: uint64(rng.Intn(3)) * rng.Uint64(), Text: str(), Comment: str(),
		Owner: kernel.Owner(rng.Intn(3)), OwnerName: str(), Policy: rng.Intn(4) == 0, Partial: rng.Intn(3) == 0}
	if rng.Intn(2) == 0 {
		r.Hook, r.Iptables, r.WithCounter = str(), str(), str()
	}
	return r
}

func randomRules(rng *rand.Rand) *kernel.Rules {
	r := &kernel.Rules{Status: kernel.RuleStatus(rng.Intn(6)), Why: kernel.RuleWhy(rng.Intn(4)), Err: randomString(rng)}
	for range rng.Intn(3) {
		c := kernel.Candidate{Rule: randomRule(rng), Rose: uint64(rng.Intn(5)), Match: kernel.Match(rng.Intn(2))}
		if c.Match == kernel.MatchUnknown {
			c.Unevaluated = randomStrings(rng)
		}
		r.Candidates = append(r.Candidates, c)
	}
	for range rng.Intn(3) {
		r.Uncounted = append(r.Uncounted, randomRule(rng))
	}
	return r
}

// The rule objects (hostile names and texts) encode as encoding/json would.
func TestRulesEncoderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(30))
	for i := range 3000 {
		jf := randomFlow(rng)
		for j := range jf.Resets {
			w := randomWitness(rng)
			w.Rules = randomRules(rng)
			jf.Resets[j].Kernel = newJSONKernel(w)
		}
		if rng.Intn(2) == 0 {
			d := &kernel.Drops{Count: 1 + rng.Intn(20), Events: []kernel.Event{{Time: time.Time(randomTime(rng)), Kind: kernel.FirewallDropped}}}
			for range rng.Intn(3) {
				d.Rules = append(d.Rules, randomRules(rng))
			}
			jf.KernelDropped = newJSONDropped(&analyze.Flow{Dropped: d})
		}
		encodesAsEncodingJSON(t, i, &jf)
	}
}

func TestRulesSentence(t *testing.T) {
	reject := kernel.Rule{Family: "ip", Table: "filter", Chain: "f2b-sshd", Handle: 2, Verdict: kernel.VerdictReject, Counted: true,
		Text: "ip saddr 198.51.100.5 counter xt target REJECT", Iptables: "-A f2b-sshd -s 198.51.100.5/32 -p tcp -j REJECT --reject-with tcp-reset",
		Owner: kernel.OwnerFail2ban, OwnerName: "sshd"}
	uncounted := kernel.Rule{Family: "inet", Table: "lab", Chain: "input", Handle: 7, Verdict: kernel.VerdictReject,
		Text:        "ip saddr 198.51.100.7 tcp dport 22 reject with tcp reset comment \"\x1b[31mred\"",
		WithCounter: "ip saddr 198.51.100.7 tcp dport 22 counter reject with tcp reset"}
	limit := kernel.Rule{Family: "inet", Table: "lab", Chain: "input", Handle: 9, Verdict: kernel.VerdictDrop, Counted: true,
		Text: "tcp dport 22 ct state new limit rate over 5/minute counter drop"}
	for _, c := range []struct {
		name string
		r    *kernel.Rules
		want string
	}{
		{"one", &kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: reject, Rose: 1}}},
			"rule ip filter f2b-sshd handle 2 (fail2ban's, jail sshd): `ip saddr 198.51.100.5 counter xt target REJECT` (iptables: `-A f2b-sshd -s 198.51.100.5/32 -p tcp -j REJECT --reject-with tcp-reset`), its counter +1"},
		{"two", &kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: reject, Rose: 1},
			{Rule: limit, Rose: 2, Match: kernel.MatchUnknown, Unevaluated: []string{"ct state", "limit"}}}},
			"one of 2 rules whose counters rose then: ip filter f2b-sshd handle 2 (fail2ban's, jail sshd): `ip saddr 198.51.100.5 counter xt target REJECT` (iptables: `-A f2b-sshd -s 198.51.100.5/32 -p tcp -j REJECT --reject-with tcp-reset`), its counter +1; " +
				"inet lab input handle 9: `tcp dport 22 ct state new limit rate over 5/minute counter drop`, its counter +2 (its ct state, limit could not be checked against the connection)"},
		{"no counter: the command, text escaped", &kernel.Rules{Status: kernel.RulesNoneRose, Uncounted: []kernel.Rule{uncounted}},
			"no rule with a counter that drops or rejects it rose; rules without a counter that could have: inet lab input handle 7: `ip saddr 198.51.100.7 tcp dport 22 reject with tcp reset comment \"\\u001b[31mred\"`; " +
				"give it a counter to name it next time: `nft replace rule inet lab input handle 7 ip saddr 198.51.100.7 tcp dport 22 counter reject with tcp reset`"},
		{"nothing", &kernel.Rules{Status: kernel.RulesNoneRose}, "no rule with a counter that drops or rejects it rose; and no rule without one could match it"},
		{"privilege", &kernel.Rules{Status: kernel.RulesUnreadable, Why: kernel.WhyPrivilege},
			"its rule cannot be named: reading nftables needs CAP_NET_ADMIN, which rstsniff no longer held (-Z)"},
		{"legacy", &kernel.Rules{Status: kernel.RulesLegacy}, "its rule cannot be named: no nftables rule that drops or rejects it rose, and iptables-legacy tables hold rules nftables does not show (`iptables-save -c` lists their counters)"},
	} {
		if got := RulesSentence(c.r); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	// A firewall reset's kernel line carries its rule; a dropped flow's line its drops.
	f := &analyze.Flow{Client: netip.MustParseAddrPort("198.51.100.5:40000"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Resets: []analyze.Reset{{Packet: 2, From: analyze.Server, Kernel: &kernel.Witness{Sender: kernel.SenderFirewall, Basis: kernel.BasisDropInference,
			Sent: &kernel.Event{Kind: kernel.FirewallDropped}, Rules: &kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: reject, Rose: 1}}}}}},
		Dropped: &kernel.Drops{Count: 3, Events: []kernel.Event{{Time: time.Date(2026, 12, 4, 19, 3, 35, 804000000, time.UTC)}},
			Rules: []*kernel.Rules{{Status: kernel.RulesNoneRose}, {Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: limit, Rose: 1}}}}}}
	lines := strings.Join(KernelLines(f), "\n")
	for _, w := range []string{"kernel, reset frame 2: sent by this host's firewall", "; rule ip filter f2b-sshd handle 2 (fail2ban's, jail sshd)",
		"kernel: this host's firewall dropped 3 packet(s) of the connection (kfree_skb NETFILTER_DROP), the first at 19:03:35.804; rule inet lab input handle 9"} {
		if !strings.Contains(lines, w) {
			t.Errorf("kernel lines lack %q:\n%s", w, lines)
		}
	}
}

// Markdown and HTML carry the rule too, for a firewall reset and for a
// connection whose packets were dropped.
func TestRulesInDocuments(t *testing.T) {
	rule := kernel.Rule{Family: "ip", Table: "filter", Chain: "INPUT", Handle: 7, Verdict: kernel.VerdictDrop, Counted: true,
		Text: "ip saddr 198.51.100.4 counter drop", Iptables: "-A INPUT -s 198.51.100.4/32 -j DROP"}
	named := &kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: rule, Rose: 1}}}
	reset := &analyze.Flow{ID: 1, Client: netip.MustParseAddrPort("198.51.100.3:40000"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Outcome: analyze.OutcomeRefused, Resets: []analyze.Reset{{Packet: 2, From: analyze.Server, Kernel: &kernel.Witness{Sender: kernel.SenderFirewall,
			Basis: kernel.BasisDropInference, Sent: &kernel.Event{Kind: kernel.FirewallDropped}, Rules: named}}}}
	dropped := &analyze.Flow{ID: 2, Client: netip.MustParseAddrPort("198.51.100.4:40000"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Outcome: analyze.OutcomeTimeout, Dropped: &kernel.Drops{Count: 2, Events: []kernel.Event{{Kind: kernel.FirewallDropped}}, Rules: []*kernel.Rules{named}}}
	run := &Run{Flows: []*analyze.Flow{reset, dropped}}
	var md, html strings.Builder
	if err := Markdown(&md, run, Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, run, Meta{}); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"markdown": md.String(), "html": html.String()} {
		if n := strings.Count(doc, "handle 7:"); n != 2 {
			t.Errorf("%s: the rule named %d times, want 2 (the reset, the drops):\n%s", name, n, doc)
		}
	}
}

func TestRuleTag(t *testing.T) {
	f2b := kernel.Rule{Family: "ip", Table: "filter", Chain: "f2b-sshd", Handle: 2, Owner: kernel.OwnerFail2ban, OwnerName: "sshd"}
	a := kernel.Rule{Family: "inet", Table: "lab", Chain: "input", Handle: 3}
	b := kernel.Rule{Family: "inet", Table: "lab", Chain: "input", Handle: 4}
	w := func(rs *kernel.Rules) []analyze.Reset {
		return []analyze.Reset{{Kernel: &kernel.Witness{Sender: kernel.SenderFirewall, Rules: rs}}}
	}
	for _, c := range []struct {
		f    *analyze.Flow
		want string
	}{
		{&analyze.Flow{Resets: w(&kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: f2b}}})}, "rule ip filter f2b-sshd handle 2, fail2ban jail sshd"},
		{&analyze.Flow{Resets: w(&kernel.Rules{Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: a}, {Rule: b}}})}, "rule inet lab input handle 3 or 4"},
		{&analyze.Flow{Resets: w(&kernel.Rules{Status: kernel.RulesNoneRose, Uncounted: []kernel.Rule{a}})}, ""},
		{&analyze.Flow{Dropped: &kernel.Drops{Count: 1, Rules: []*kernel.Rules{nil, {Status: kernel.RulesNamed, Candidates: []kernel.Candidate{{Rule: b}}}}}}, "rule inet lab input handle 4"},
		{&analyze.Flow{}, ""},
	} {
		if got := ruleTag(c.f); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		if line := VerdictLine(c.f, false); c.want != "" && !strings.HasSuffix(line, " {"+c.want+"}") {
			t.Errorf("verdict line %q lacks {%s}", line, c.want)
		}
	}
}
