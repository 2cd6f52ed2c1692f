package main

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/kernel/probe"
)

// rlRule is a rule as JSON names it.
type rlRule struct {
	Family      string   `json:"family"`
	Table       string   `json:"table"`
	Chain       string   `json:"chain"`
	Handle      uint64   `json:"handle"`
	Verdict     string   `json:"verdict"`
	Counted     bool     `json:"counted"`
	Rose        uint64   `json:"rose"`
	Match       string   `json:"match"`
	Unevaluated []string `json:"unevaluated"`
	Nft         string   `json:"nft"`
	Iptables    string   `json:"iptables"`
	Comment     string   `json:"comment"`
	Owner       string   `json:"owner"`
	OwnerName   string   `json:"owner_name"`
	AddCounter  string   `json:"add_counter"`
}

type rlRules struct {
	Status     string   `json:"status"`
	Why        string   `json:"why"`
	Candidates []rlRule `json:"candidates"`
	Uncounted  []rlRule `json:"uncounted"`
	Summary    string   `json:"summary"`
}

// TestFirewallRules runs the lab's firewall-rules case: rstsniff live in
// the server's namespace while iptables-nft and nft rules reject or drop
// chosen client addresses. The expectations come from truth.txt, the
// rules lab.sh wrote for each address, not from rstsniff.
// RSTSNIFF_RULES_LAB_OUT=DIR checks an earlier run's output instead.
func TestFirewallRules(t *testing.T) {
	out := os.Getenv("RSTSNIFF_RULES_LAB_OUT")
	if out == "" {
		needLab(t, "nft")
		p, err := probe.Open(probe.Options{})
		if err != nil {
			t.Skipf("%v", err)
		}
		fwOn := p.Firewall != probe.FirewallNone
		p.Close()
		if !fwOn {
			t.Skip("the kernel witness does not watch netfilter on this kernel")
		}
		bin := buildRstsniff(t)
		out = keptDir(t, "rstsniff-rules-")
		os.Chmod(out, 0o755)
		cmd := exec.Command("bash", "../../testdata/lab/lab.sh", out, "firewall-rules")
		cmd.Env = append(os.Environ(), "RSTSNIFF="+bin)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("lab.sh firewall-rules: %v\n%s", err, b)
		}
	}
	dir := filepath.Join(out, "firewall-rules")
	before, err1 := os.ReadFile(filepath.Join(dir, "ruleset-before.txt"))
	after, err2 := os.ReadFile(filepath.Join(dir, "ruleset-after.txt"))
	if err1 != nil || err2 != nil || len(before) == 0 {
		t.Fatalf("ruleset listings: %v %v", err1, err2)
	}
	if string(before) != string(after) {
		t.Errorf("the ruleset changed during the capture:\n%s\n---\n%s", before, after)
	}
	truth := map[string]string{}
	tb, err := os.ReadFile(filepath.Join(dir, "truth.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(tb)), "\n") {
		a, rule, _ := strings.Cut(l, " ")
		truth[a] = rule
	}
	b, err := os.ReadFile(filepath.Join(dir, "server.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	flows := jsonFlows(t, string(b))
	sort.SliceStable(flows, func(i, j int) bool { return flows[i].Start.Before(flows[j].Start) })
	// 5 single steps, .8 and .9 at once, .6 four times, fifty at once.
	if len(flows) != 5+2+4+50 {
		t.Errorf("%d flows, want %d", len(flows), 5+2+4+50)
	}
	seen := map[string]int{}
	named := 0
	for _, f := range flows {
		ap, err := netip.ParseAddrPort(f.Client)
		if err != nil {
			t.Fatalf("client %q: %v", f.Client, err)
		}
		addr := ap.Addr().String()
		seen[addr]++
		want, ok := truth[addr]
		if !ok {
			t.Errorf("flow from %s: no such client in the lab", addr)
			continue
		}
		// The rules the kernel named for this flow, by reset or by drop.
		var got []*rlRules
		for _, r := range f.Resets {
			if r.From == "server" && r.Kernel != nil && r.Kernel.Rule != nil {
				got = append(got, r.Kernel.Rule)
			}
		}
		if f.Dropped != nil && f.Dropped.Rule != nil {
			got = append(got, f.Dropped.Rule)
		}
		fields := strings.Fields(want)
		if want == "none" || addr == "198.51.100.6" && seen[addr] <= 2 {
			if len(got) > 0 || f.Dropped != nil {
				t.Errorf("%s (connection %d): the lab's firewall let it through, yet rules were named: %+v", addr, seen[addr], got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s (connection %d): %d rule attributions, want 1 (the lab's %q); resets %+v dropped %+v", addr, seen[addr], len(got), want, f.Resets, f.Dropped)
			continue
		}
		g := got[0]
		table, chain, verdict := fields[0], fields[1], fields[2]
		if strings.Contains(want, "uncounted") {
			// The rule has no counter: no candidate, the rule listed
			// among those that could have, with the nft command.
			if g.Status != "none-rose" || len(g.Candidates) != 0 || !hasRule(g.Uncounted, table, chain, verdict) {
				t.Errorf("%s: status %s, candidates %+v, uncounted %+v; want no candidate and the uncounted %s", addr, g.Status, g.Candidates, g.Uncounted, want)
			}
			for _, u := range g.Uncounted {
				if u.Table == table && !strings.HasPrefix(u.AddCounter, "nft replace rule inet lab input handle ") {
					t.Errorf("%s: add_counter %q", addr, u.AddCounter)
				}
			}
			continue
		}
		if g.Status != "named" || !hasRule(g.Candidates, table, chain, verdict) {
			t.Errorf("%s (connection %d): status %s candidates %+v; want %s (%s)", addr, seen[addr], g.Status, g.Candidates, want, g.Summary)
			continue
		}
		named++
		for _, c := range g.Candidates {
			if c.Rose == 0 || !c.Counted {
				t.Errorf("%s: candidate %+v did not rise", addr, c)
			}
			// None invented: another candidate is allowed only where the
			// lab wrote a second rule covering the address (.8: .8-.9's drop).
			if c.Table == table && c.Chain == chain && c.Verdict == verdict {
				continue
			}
			if !(addr == "198.51.100.8" && c.Table == "lab" && c.Verdict == "drop") {
				t.Errorf("%s: invented candidate %+v (the lab's rule: %s)", addr, c, want)
			}
		}
		for _, c := range g.Candidates {
			switch addr {
			case "198.51.100.3":
				if c.Iptables != "-A INPUT -s 198.51.100.3/32 -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset" {
					t.Errorf("%s: iptables %q", addr, c.Iptables)
				}
			case "198.51.100.4":
				if c.Iptables != "-A INPUT -s 198.51.100.4/32 -j DROP" {
					t.Errorf("%s: iptables %q", addr, c.Iptables)
				}
			case "198.51.100.5":
				if c.Owner != "fail2ban" || c.OwnerName != "sshd" {
					t.Errorf("%s: owner %q %q, want fail2ban's jail sshd", addr, c.Owner, c.OwnerName)
				}
			case "198.51.100.6":
				if !strings.Contains(c.Iptables, "-m recent --update --seconds 60 --hitcount 3 --name ssh") || c.Match != "unknown" {
					t.Errorf("%s: iptables %q match %s: want the recent rule, its match not evaluated", addr, c.Iptables, c.Match)
				}
			case "198.51.100.8":
				if c.Verdict == "reject" && (c.Comment != "lab: eight" || c.Nft != `ip saddr 198.51.100.8 tcp dport 22 counter reject with tcp reset comment "lab: eight"`) {
					t.Errorf("%s: comment %q nft %q", addr, c.Comment, c.Nft)
				}
			}
		}
	}
	for a := range truth {
		if seen[a] == 0 {
			t.Errorf("no flow from %s", a)
		}
	}
	t.Logf("%d flows, %d with the lab's rule named", len(flows), named)
}

func hasRule(rs []rlRule, table, chain, verdict string) bool {
	for _, r := range rs {
		if r.Table == table && r.Chain == chain && r.Verdict == verdict {
			return true
		}
	}
	return false
}
