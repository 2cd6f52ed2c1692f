//go:build linux

package rules

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/google/nftables"

	"github.com/rstsniff/rstsniff/kernel"
)

// Reader reads the ruleset of the network namespace it was opened in,
// over one netlink socket, read-only: it sends only GET requests. Not safe
// for concurrent use. Construct with Open; Close releases the socket.
type Reader struct {
	c    *nftables.Conn
	prev *Snapshot // the last good read, whose rules an unchanged ruleset shares
}

// Open opens a netlink connection to nf_tables in the calling thread's
// network namespace (netnsFd < 0) or in the namespace of netnsFd.
func Open(netnsFd int) (*Reader, error) {
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if netnsFd >= 0 {
		opts = append(opts, nftables.WithNetNSFd(netnsFd))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return &Reader{c: c}, nil
}

// Close releases the netlink socket.
func (r *Reader) Close() error { return r.c.CloseLasting() }

// maxSetElements bounds the elements read of one set (a fail2ban ban list
// can be long); a longer set is matched as "could not evaluate".
const maxSetElements = 10000

// Snapshot reads every table, chain, set and rule with its counters. A
// failed read returns a Snapshot with Err and Why set.
func (r *Reader) Snapshot() *Snapshot {
	begin := time.Now()
	rules, sig, err := r.read()
	end := time.Now()
	if err != nil {
		return &Snapshot{Begin: begin, End: end, Err: err, Why: whyOf(err)}
	}
	s := newSnapshot(begin, end, rules, sig)
	s.share(r.prev)
	r.prev = s
	return s
}

// read lists every table, chain, set (with its elements) and rule.
func (r *Reader) read() ([]compiled, string, error) {
	tables, err := r.c.ListTables()
	if err != nil {
		return nil, "", err
	}
	chains, err := r.c.ListChains()
	if err != nil {
		return nil, "", err
	}
	var out []compiled
	var sig strings.Builder
	for _, t := range tables {
		fam := familyName(t.Family)
		sets := map[string]*set{}
		if ss, err := r.c.GetSets(t); err == nil {
			for _, x := range ss {
				st := &set{Name: x.Name, Anonymous: x.Anonymous, Interval: x.Interval, Concat: x.Concatenation, Map: x.IsMap}
				fmt.Fprintf(&sig, "%s %s %s:", fam, t.Name, x.Name)
				if !x.IsMap {
					if els, err := r.c.GetSetElements(x); err == nil && len(els) <= maxSetElements {
						st.Read = true
						for _, e := range els {
							st.Elements = append(st.Elements, element{Key: e.Key, IntervalEnd: e.IntervalEnd})
							fmt.Fprintf(&sig, " %x/%v", e.Key, e.IntervalEnd)
						}
					}
				}
				sig.WriteByte('\n')
				sets[x.Name] = st
			}
		}
		var mine []*nftables.Chain
		var bases []string
		for _, c := range chains {
			if c.Table.Name == t.Name && c.Table.Family == t.Family {
				mine = append(mine, c)
				if c.Hooknum != nil {
					bases = append(bases, c.Name)
				}
			}
		}
		ipt := isIptables(fam, t.Name, bases)
		for _, c := range mine {
			ci := chainInfo{family: fam, table: t.Name, chain: c.Name, iptables: ipt}
			if c.Hooknum != nil {
				ci.hook = hookName(t.Family, *c.Hooknum)
			}
			rs, err := r.c.GetRules(t, c)
			if err != nil {
				return nil, "", err
			}
			for _, rule := range rs {
				out = append(out, compile(ci, rule.Handle, rule.Exprs, rule.UserData, sets))
			}
			if c.Hooknum != nil && c.Policy != nil {
				out = append(out, policyRule(ci, *c.Policy == nftables.ChainPolicyDrop))
			}
		}
	}
	return out, sig.String(), nil
}

func whyOf(err error) kernel.RuleWhy {
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return kernel.WhyPrivilege
	case errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, syscall.ENOENT) && strings.Contains(err.Error(), "netlink"):
		return kernel.WhyNoNftables
	}
	return kernel.WhyError
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyARP:
		return "arp"
	case nftables.TableFamilyBridge:
		return "bridge"
	case nftables.TableFamilyNetdev:
		return "netdev"
	}
	return fmt.Sprintf("family-%d", f)
}

func hookName(f nftables.TableFamily, h nftables.ChainHook) string {
	if f == nftables.TableFamilyNetdev {
		if h == 0 {
			return "ingress"
		}
		return "egress"
	}
	names := []string{"prerouting", "input", "forward", "output", "postrouting"}
	if int(h) < len(names) {
		return names[h]
	}
	return fmt.Sprintf("hook-%d", h)
}

// Legacy tells whether iptables-legacy (x_tables without nf_tables) holds
// tables in the calling thread's network namespace: their rules and
// counters are not in nftables. It reads
// /proc/thread-self/net/ip{,6}_tables_names (the thread's namespace).
func Legacy() bool {
	for _, f := range []string{"/proc/thread-self/net/ip_tables_names", "/proc/thread-self/net/ip6_tables_names"} {
		if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) != "" {
			return true
		}
	}
	return false
}
