//go:build linux

package rules

// iptables-save's syntax for the rules of the tables iptables-nft
// manages: the native expressions it translates options into, and the
// xtables compat matches and targets it keeps.

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"

	"github.com/rstsniff/rstsniff/kernel"
)

// iptRule collects iptables-save's slots in its order.
type iptRule struct {
	src, dst, in, out, proto string
	tcp                      []string // options of -m tcp / -m udp
	matches                  []string
	jump                     string
}

func (r *iptRule) String(chain string) string {
	parts := []string{"-A", chain}
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(r.src)
	add(r.dst)
	add(r.in)
	add(r.out)
	add(r.proto)
	if len(r.tcp) > 0 {
		p := strings.TrimPrefix(r.proto, "-p ")
		p = strings.TrimPrefix(p, "! -p ")
		parts = append(parts, "-m", p)
		parts = append(parts, r.tcp...)
	}
	parts = append(parts, r.matches...)
	add(r.jump)
	return strings.Join(parts, " ")
}

// iptCmp adds a comparison to the iptables-save slots; false when
// iptables has no such option.
func iptCmp(r *iptRule, rv *regVal, op expr.CmpOp, val string) bool {
	if op != expr.CmpOpEq && op != expr.CmpOpNeq {
		return false
	}
	n := neg(op)
	switch rv.field {
	case fieldSaddr4, fieldSaddr6, fieldDaddr4, fieldDaddr6:
		if !strings.Contains(val, "/") {
			if rv.full == 4 {
				val += "/32"
			} else {
				val += "/128"
			}
		}
		if rv.field == fieldSaddr4 || rv.field == fieldSaddr6 {
			r.src = n + "-s " + val
		} else {
			r.dst = n + "-d " + val
		}
	case fieldSport:
		r.tcp = append(r.tcp, n+"--sport "+val)
	case fieldDport:
		r.tcp = append(r.tcp, n+"--dport "+val)
	case fieldIifname, fieldOifname:
		v := strings.Trim(val, `"`)
		v = strings.Replace(v, "*", "+", 1)
		if rv.field == fieldIifname {
			r.in = n + "-i " + v
		} else {
			r.out = n + "-o " + v
		}
	case fieldCtState:
		if op == expr.CmpOpNeq {
			r.matches = append(r.matches, "-m conntrack --ctstate "+strings.ToUpper(val))
			return true
		}
		return false
	default:
		return false
	}
	return true
}

// iptRange adds a port range (lo:hi) to the iptables-save slots.
func iptRange(r *iptRule, rv *regVal, inv bool, lo, hi string) bool {
	n := ""
	if inv {
		n = "! "
	}
	switch rv.field {
	case fieldSport:
		r.tcp = append(r.tcp, n+"--sport "+lo+":"+hi)
	case fieldDport:
		r.tcp = append(r.tcp, n+"--dport "+lo+":"+hi)
	default:
		return false
	}
	return true
}

// iptLimit words a native limit as iptables' -m limit.
func iptLimit(l *expr.Limit) []string {
	u := unitNames[l.Unit]
	if len(u) > 3 && u != "second" {
		u = u[:3]
	} else if u == "second" {
		u = "sec"
	}
	m := []string{"-m", "limit", fmt.Sprintf("--limit %d/%s", l.Rate, u)}
	if l.Burst != 0 && l.Burst != 5 {
		m = append(m, fmt.Sprintf("--limit-burst %d", l.Burst))
	}
	return []string{strings.Join(m, " ")}
}

// infoBytes is a compat expression's info payload when no typed
// unmarshalling took it.
func infoBytes(i xt.InfoAny) []byte {
	switch v := i.(type) {
	case *xt.Unknown:
		return *v
	}
	return nil
}

var rejectWith6 = []string{"icmp6-no-route", "icmp6-adm-prohibited", "icmp6-not-neighbour", "icmp6-addr-unreachable",
	"icmp6-port-unreachable", "icmp6-echo-reply", "tcp-reset", "icmp6-policy-fail", "icmp6-reject-route"}

// rejectWith4 and rejectWith6 are the --reject-with names by enum
// ipt_reject_with and ip6t_reject_with.
var rejectWith4 = []string{"icmp-net-unreachable", "icmp-host-unreachable", "icmp-proto-unreachable", "icmp-port-unreachable",
	"icmp-echo-reply", "icmp-net-prohibited", "icmp-host-prohibited", "tcp-reset", "icmp-admin-prohibited"}

// iptTarget words an xtables target (iptables-nft's REJECT and others).
func iptTarget(name string, info xt.InfoAny, v6 bool) (kernel.Verdict, string) {
	switch name {
	case "REJECT":
		j := "-j REJECT"
		if b := infoBytes(info); len(b) >= 4 {
			w := binary.NativeEndian.Uint32(b)
			names := rejectWith4
			if v6 {
				names = rejectWith6
			}
			if int(w) < len(names) {
				j += " --reject-with " + names[w]
			}
		}
		return kernel.VerdictReject, j
	case "DROP":
		return kernel.VerdictDrop, "-j DROP"
	case "ACCEPT":
		return kernel.VerdictAccept, "-j ACCEPT"
	case "LOG", "NFLOG", "MARK", "CONNMARK":
		return kernel.VerdictNone, "-j " + name
	}
	return kernel.VerdictOther, "-j " + name
}

// iptMatch words the xtables matches iptables-nft keeps as compat
// expressions; ok false when it cannot.
func iptMatch(name string, info xt.InfoAny) ([]string, bool) {
	b := infoBytes(info)
	switch name {
	case "comment":
		var c string
		if cm, ok := info.(*xt.Comment); ok {
			c = string(*cm)
		} else {
			c = strings.TrimRight(string(b), "\x00")
		}
		return []string{"-m comment --comment " + strconv.Quote(c)}, true
	case "recent":
		// struct xt_recent_mtinfo: seconds, hit_count (u32), check_set,
		// invert (u8), name[200], side (u8).
		if len(b) < 211 {
			break
		}
		secs, hits := binary.NativeEndian.Uint32(b[0:]), binary.NativeEndian.Uint32(b[4:])
		set, inv := b[8], b[9]
		nm, _, _ := strings.Cut(string(b[10:210]), "\x00")
		s := []string{"-m recent"}
		op := map[byte]string{1: "--rcheck", 2: "--set", 4: "--update", 8: "--remove"}
		for _, bit := range []byte{2, 1, 4, 8} {
			if set&bit != 0 {
				w := op[bit]
				if inv != 0 {
					w = "! " + w
				}
				s = append(s, w)
			}
		}
		if secs != 0 {
			s = append(s, fmt.Sprintf("--seconds %d", secs))
		}
		if hits != 0 {
			s = append(s, fmt.Sprintf("--hitcount %d", hits))
		}
		if set&16 != 0 {
			s = append(s, "--rttl")
		}
		s = append(s, "--name "+nm)
		if b[210] == 1 { // XT_RECENT_DEST
			s = append(s, "--mask 255.255.255.255 --rdest")
		} else {
			s = append(s, "--mask 255.255.255.255 --rsource")
		}
		return []string{strings.Join(s, " ")}, true
	case "multiport":
		if p, ok := multiport(b); ok {
			w := "--dports"
			switch p.flags {
			case 0:
				w = "--sports"
			case 2:
				w = "--ports"
			}
			var ps []string
			for _, r := range p.ranges {
				if r[0] == r[1] {
					ps = append(ps, strconv.Itoa(int(r[0])))
				} else {
					ps = append(ps, fmt.Sprintf("%d:%d", r[0], r[1]))
				}
			}
			n := ""
			if p.invert {
				n = "! "
			}
			return []string{"-m multiport " + n + w + " " + strings.Join(ps, ",")}, true
		}
	case "conntrack":
		if st, ok := conntrackState(info); ok {
			return []string{"-m conntrack --ctstate " + strings.ToUpper(ctStates(uint32(st)))}, true
		}
	case "state":
		if len(b) >= 4 {
			return []string{"-m state --state " + strings.ToUpper(ctStates(binary.NativeEndian.Uint32(b)))}, true
		}
	}
	return []string{"-m " + name}, false
}

type multiportInfo struct {
	flags  uint8 // 0 source, 1 destination, 2 either
	ranges [][2]uint16
	invert bool
}

// multiport reads struct xt_multiport_v1: flags, count (u8), ports[15]
// (u16), pflags[15] (u8), invert (u8).
func multiport(b []byte) (multiportInfo, bool) {
	if len(b) < 2+30+15+1 {
		return multiportInfo{}, false
	}
	m := multiportInfo{flags: b[0], invert: b[2+30+15] != 0}
	n := int(b[1])
	if n > 15 {
		return multiportInfo{}, false
	}
	for i := 0; i < n; i++ {
		p := binary.NativeEndian.Uint16(b[2+2*i:])
		if b[32+i] != 0 && i+1 < n {
			m.ranges = append(m.ranges, [2]uint16{p, binary.NativeEndian.Uint16(b[2+2*(i+1):])})
			i++
			continue
		}
		m.ranges = append(m.ranges, [2]uint16{p, p})
	}
	return m, true
}

// conntrackState is an xt_conntrack match's state mask when it matches
// the state and nothing else.
func conntrackState(info xt.InfoAny) (uint16, bool) {
	var base *xt.ConntrackMtinfoBase
	var st uint16
	switch c := info.(type) {
	case *xt.ConntrackMtinfo1:
		base, st = &c.ConntrackMtinfoBase, uint16(c.StateMask)
	case *xt.ConntrackMtinfo2:
		base, st = &c.ConntrackMtinfoBase, c.StateMask
	case *xt.ConntrackMtinfo3:
		base, st = &c.ConntrackMtinfoBase, c.StateMask
	default:
		return 0, false
	}
	if base.MatchFlags&^uint16(xt.ConntrackStateAlias) != uint16(xt.ConntrackState) || base.InvertFlags != 0 {
		return 0, false
	}
	return st, true
}
