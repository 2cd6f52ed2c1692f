//go:build linux

package rules

import (
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"

	"github.com/rstsniff/rstsniff/kernel"
)

// chainInfo is what a rule's facts need of its table and chain.
type chainInfo struct {
	family, table, chain string
	hook                 string // "" for a regular chain
	iptables             bool   // the table is iptables-nft's
}

// compile turns one rule's expressions into its facts.
func compile(ci chainInfo, handle uint64, exprs []expr.Any, udata []byte, sets map[string]*set) compiled {
	r := render(ci.family, exprs, sets)
	rule := kernel.Rule{Family: ci.family, Table: ci.table, Chain: ci.chain, Handle: handle, Hook: ci.hook,
		Verdict: r.verdict, Counted: r.counted, Packets: r.packets, Bytes: r.bytes, Partial: r.partial}
	if c, ok := userdata.GetString(udata, userdata.TypeComment); ok {
		rule.Comment = c
	}
	rule.Text = strings.Join(r.nft, " ")
	if !r.counted && !r.partial && r.stopping != "" && len(r.nft) > 0 && r.nft[len(r.nft)-1] == r.stopping {
		n := append(append(append([]string(nil), r.nft[:len(r.nft)-1]...), "counter"), r.stopping)
		rule.WithCounter = strings.Join(n, " ")
	}
	if rule.Comment != "" {
		rule.Text += " comment " + quote(rule.Comment)
		if rule.WithCounter != "" {
			rule.WithCounter += " comment " + quote(rule.Comment)
		}
	}
	if ci.iptables && r.iptOK {
		rule.Iptables = r.ipt.String(ci.chain)
	}
	rule.Owner, rule.OwnerName = owner(ci.table, ci.chain)
	if rule.Owner == kernel.OwnerFail2ban && rule.OwnerName == "" {
		// fail2ban's nftables actions keep a jail's addresses in the set
		// addr-set-<jail> (addr6-set-<jail> for IPv6).
		for _, e := range exprs {
			if l, ok := e.(*expr.Lookup); ok {
				for _, p := range []string{"addr-set-", "addr6-set-"} {
					if j, ok := strings.CutPrefix(l.SetName, p); ok {
						rule.OwnerName = j
					}
				}
			}
		}
	}
	return compiled{Rule: rule, exprs: exprs, sets: sets}
}

// policyRule is a base chain's policy as a rule of its own (handle 0).
func policyRule(ci chainInfo, drop bool) compiled {
	r := kernel.Rule{Family: ci.family, Table: ci.table, Chain: ci.chain, Hook: ci.hook, Policy: true, Verdict: kernel.VerdictAccept,
		Text: "policy accept"}
	if drop {
		r.Verdict, r.Text = kernel.VerdictDrop, "policy drop"
	}
	r.Owner, r.OwnerName = owner(ci.table, ci.chain)
	return compiled{Rule: r}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// iptablesTables are the tables iptables-nft makes, with its chain names.
var iptablesTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// isIptables tells whether a table looks like iptables-nft's: one of its
// table names in family ip or ip6, with base chains named as iptables
// names them.
func isIptables(family, table string, baseChains []string) bool {
	if family != "ip" && family != "ip6" || !iptablesTables[table] {
		return false
	}
	for _, c := range baseChains {
		switch c {
		case "INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING":
		default:
			return false
		}
	}
	return true
}

// owner names the program that manages a chain: fail2ban's chains and
// tables are f2b-*, firewalld's nftables table is inet firewalld (zone
// chains filter_IN_<zone>...), its iptables chains IN_<zone>....
func owner(table, chain string) (kernel.Owner, string) {
	if j, ok := strings.CutPrefix(chain, "f2b-"); ok {
		if j == "chain" {
			j = ""
		}
		return kernel.OwnerFail2ban, j
	}
	if strings.HasPrefix(table, "f2b-") {
		return kernel.OwnerFail2ban, ""
	}
	parts := strings.Split(chain, "_")
	zoneAt := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	dir := map[string]bool{"IN": true, "FWD": true, "FWDI": true, "FWDO": true, "OUT": true, "PRE": true, "POST": true}
	if table == "firewalld" {
		if len(parts) >= 3 && dir[parts[1]] {
			return kernel.OwnerFirewalld, zoneAt(2)
		}
		return kernel.OwnerFirewalld, ""
	}
	if len(parts) >= 2 && dir[parts[0]] && iptablesTables[table] && parts[1] != "" && strings.ToLower(parts[1]) == parts[1] {
		return kernel.OwnerFirewalld, parts[1]
	}
	return kernel.OwnerNone, ""
}
