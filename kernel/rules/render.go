//go:build linux

package rules

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"

	"github.com/rstsniff/rstsniff/kernel"
)

// set is what a rule's lookup needs of a set: its name and, when read,
// its elements.
type set struct {
	Name      string
	Anonymous bool
	Interval  bool
	Concat    bool
	Map       bool
	Elements  []element // nil when not read
	Read      bool
}

type element struct {
	Key         []byte
	IntervalEnd bool
}

// regVal is what the renderer knows a register holds.
type regVal struct {
	field    field
	nft      string // the left-hand side in nft syntax ("ip saddr")
	mask     []byte // a bitwise mask applied to it
	full     int    // the field's full length, for a shortened (prefix) load
	rendered bool
}

// field is a packet field the renderer and the matcher know.
type field uint8

const (
	fieldOther field = iota
	fieldSaddr4
	fieldDaddr4
	fieldSaddr6
	fieldDaddr6
	fieldSport
	fieldDport
	fieldL4proto
	fieldNfproto
	fieldIifname
	fieldOifname
	fieldCtState
)

// rendered is a rule's text in both syntaxes and what it does.
type rendered struct {
	nft      []string
	ipt      iptRule
	verdict  kernel.Verdict
	counted  bool
	packets  uint64
	bytes    uint64
	partial  bool
	iptOK    bool
	stopping string // the verdict statement, for "add a counter before it"
}

var l4names = map[byte]string{1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp", 132: "sctp", 33: "dccp", 136: "udplite"}

// render turns a rule's expressions into nft and iptables-save text.
// family is the table's ("ip", "ip6", "inet", ...); v6 tells a payload
// load of an inet table apart once a meta nfproto said which.
func render(family string, exprs []expr.Any, sets map[string]*set) rendered {
	var out rendered
	out.iptOK = true
	regs := map[uint32]*regVal{}
	v6 := family == "ip6"
	l4 := ""
	pending := "" // the upper end of a range written as two comparisons
	for i, e := range exprs {
		switch e := e.(type) {
		case *expr.Meta:
			if e.SourceRegister {
				out.nft = append(out.nft, "meta set")
				out.partial, out.iptOK = true, false
				continue
			}
			rv := &regVal{}
			switch e.Key {
			case expr.MetaKeyL4PROTO:
				rv.field, rv.nft = fieldL4proto, "meta l4proto"
			case expr.MetaKeyNFPROTO:
				rv.field, rv.nft = fieldNfproto, "meta nfproto"
			case expr.MetaKeyIIFNAME:
				rv.field, rv.nft = fieldIifname, "iifname"
			case expr.MetaKeyOIFNAME:
				rv.field, rv.nft = fieldOifname, "oifname"
			default:
				rv.nft = "meta " + metaName(e.Key)
			}
			regs[e.Register] = rv
		case *expr.Payload:
			if e.OperationType != expr.PayloadLoad {
				out.nft = append(out.nft, "payload set")
				out.partial, out.iptOK = true, false
				continue
			}
			regs[e.DestRegister] = payloadVal(e, v6, l4)
		case *expr.Ct:
			if e.SourceRegister {
				out.nft = append(out.nft, "ct set")
				out.partial, out.iptOK = true, false
				continue
			}
			rv := &regVal{nft: "ct " + ctName(e.Key)}
			if e.Key == expr.CtKeySTATE {
				rv.field = fieldCtState
			}
			regs[e.Register] = rv
		case *expr.Bitwise:
			if rv, ok := regs[e.SourceRegister]; ok {
				c := *rv
				c.mask = append([]byte(nil), e.Mask...)
				regs[e.DestRegister] = &c
			}
		case *expr.Cmp:
			rv := regs[e.Register]
			if rv == nil {
				out.nft = append(out.nft, "<cmp>")
				out.partial, out.iptOK = true, false
				continue
			}
			// nft leaves out the dependency "meta l4proto tcp" before a
			// tcp field, and "meta nfproto ipv4" before an ip field.
			switch rv.field {
			case fieldL4proto:
				if len(e.Data) == 1 {
					l4 = l4names[e.Data[0]]
					out.ipt.proto = neg(e.Op) + "-p " + orNum(l4, e.Data[0])
					if e.Op == expr.CmpOpEq && impliedLater(exprs[i+1:], expr.PayloadBaseTransportHeader) && (l4 == "tcp" || l4 == "udp") {
						continue
					}
				}
			case fieldNfproto:
				if len(e.Data) == 1 {
					v6 = e.Data[0] == 10
					if e.Op == expr.CmpOpEq && impliedLater(exprs[i+1:], expr.PayloadBaseNetworkHeader) {
						continue
					}
				}
			}
			val := formatValue(rv, e.Data)
			// nft writes a range "a-b" of a prefix-less field as >= a, <= b.
			if e.Op == expr.CmpOpGte && i+1 < len(exprs) {
				if hi, ok := exprs[i+1].(*expr.Cmp); ok && hi.Op == expr.CmpOpLte && hi.Register == e.Register {
					pending = formatValue(rv, hi.Data)
					out.nft = append(out.nft, rv.nft+" "+val+"-"+pending)
					if !iptRange(&out.ipt, rv, false, val, pending) {
						out.iptOK = false
					}
					continue
				}
			}
			if pending != "" && e.Op == expr.CmpOpLte {
				pending = ""
				continue
			}
			op := opWord(e.Op)
			if rv.field == fieldCtState && len(rv.mask) > 0 && allZero(e.Data) {
				// A flag test: (state & mask) != 0 is "ct state new".
				op = map[expr.CmpOp]string{expr.CmpOpNeq: "", expr.CmpOpEq: "!="}[e.Op]
			}
			out.nft = append(out.nft, words(rv.nft, op, val))
			if !iptCmp(&out.ipt, rv, e.Op, val) && rv.field != fieldL4proto && rv.field != fieldNfproto {
				out.iptOK = false
			}
		case *expr.Range:
			rv := regs[e.Register]
			if rv == nil {
				out.nft = append(out.nft, "<range>")
				out.partial, out.iptOK = true, false
				continue
			}
			lo, hi := formatValue(rv, e.FromData), formatValue(rv, e.ToData)
			op := ""
			if e.Op == expr.CmpOpNeq {
				op = "!= "
			}
			out.nft = append(out.nft, rv.nft+" "+op+lo+"-"+hi)
			if !iptRange(&out.ipt, rv, e.Op == expr.CmpOpNeq, lo, hi) {
				out.iptOK = false
			}
		case *expr.Lookup:
			rv := regs[e.SourceRegister]
			s := sets[e.SetName]
			name := "@" + e.SetName
			if s != nil && s.Anonymous && s.Read && rv != nil && !s.Interval && !s.Concat {
				var vs []string
				els := append([]element(nil), s.Elements...)
				sort.Slice(els, func(i, j int) bool { return bytes.Compare(els[i].Key, els[j].Key) < 0 })
				for _, el := range els {
					vs = append(vs, formatValue(rv, el.Key))
				}
				name = "{ " + strings.Join(vs, ", ") + " }"
			}
			op := ""
			if e.Invert {
				op = "!= "
			}
			lhs := "<lookup>"
			if rv != nil {
				lhs = rv.nft
			}
			if e.IsDestRegSet {
				out.nft = append(out.nft, lhs+" map "+name)
				out.partial = true
			} else {
				out.nft = append(out.nft, lhs+" "+op+name)
			}
			out.iptOK = false
		case *expr.Counter:
			out.counted, out.packets, out.bytes = true, e.Packets, e.Bytes
			out.nft = append(out.nft, "counter")
		case *expr.Limit:
			out.nft = append(out.nft, limitText(e))
			out.ipt.matches = append(out.ipt.matches, iptLimit(e)...)
		case *expr.Log:
			out.nft = append(out.nft, "log")
			out.ipt.jump = "-j LOG"
		case *expr.Verdict:
			v, nft, ipt := verdictText(e)
			out.verdict, out.stopping = v, nft
			out.nft = append(out.nft, nft)
			out.ipt.jump = ipt
		case *expr.Reject:
			out.verdict = kernel.VerdictReject
			out.stopping = rejectText(family, v6, e)
			out.nft = append(out.nft, out.stopping)
			out.ipt.jump = "-j REJECT"
			if e.Type == 1 {
				out.ipt.jump += " --reject-with tcp-reset"
			}
		case *expr.Match:
			out.nft = append(out.nft, "xt match "+e.Name)
			m, ok := iptMatch(e.Name, e.Info)
			out.ipt.matches = append(out.ipt.matches, m...)
			if !ok {
				out.iptOK = false
			}
		case *expr.Target:
			out.nft = append(out.nft, "xt target "+e.Name)
			v, j := iptTarget(e.Name, e.Info, family == "ip6" || v6)
			out.verdict, out.stopping = v, "xt target "+e.Name
			out.ipt.jump = j
		default:
			out.nft = append(out.nft, "<"+exprName(e)+">")
			out.partial, out.iptOK = true, false
		}
	}
	return out
}

// impliedLater: a later payload load of that base makes the dependency
// implicit in nft's output.
func impliedLater(rest []expr.Any, base expr.PayloadBase) bool {
	for _, e := range rest {
		if p, ok := e.(*expr.Payload); ok && p.Base == base && p.OperationType == expr.PayloadLoad {
			return true
		}
		if _, ok := e.(*expr.Cmp); !ok {
			if _, ok := e.(*expr.Payload); !ok {
				if _, ok := e.(*expr.Meta); !ok {
					return false
				}
			}
		}
	}
	return false
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// words joins the non-empty parts with spaces.
func words(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func exprName(e expr.Any) string {
	s := fmt.Sprintf("%T", e)
	s = strings.TrimPrefix(s, "*expr.")
	return strings.ToLower(s)
}

func neg(op expr.CmpOp) string {
	if op == expr.CmpOpNeq {
		return "! "
	}
	return ""
}

func orNum(name string, b byte) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(int(b))
}

func opWord(op expr.CmpOp) string {
	switch op {
	case expr.CmpOpNeq:
		return "!="
	case expr.CmpOpLt:
		return "<"
	case expr.CmpOpLte:
		return "<="
	case expr.CmpOpGt:
		return ">"
	case expr.CmpOpGte:
		return ">="
	}
	return ""
}

func metaName(k expr.MetaKey) string {
	switch k {
	case expr.MetaKeyLEN:
		return "length"
	case expr.MetaKeyPROTOCOL:
		return "protocol"
	case expr.MetaKeyMARK:
		return "mark"
	case expr.MetaKeyIIF:
		return "iif"
	case expr.MetaKeyOIF:
		return "oif"
	case expr.MetaKeySKUID:
		return "skuid"
	case expr.MetaKeySKGID:
		return "skgid"
	case expr.MetaKeyPKTTYPE:
		return "pkttype"
	case expr.MetaKeyIIFTYPE:
		return "iiftype"
	case expr.MetaKeyCGROUP:
		return "cgroup"
	}
	return "key " + strconv.Itoa(int(k))
}

func ctName(k expr.CtKey) string {
	switch k {
	case expr.CtKeySTATE:
		return "state"
	case expr.CtKeyDIRECTION:
		return "direction"
	case expr.CtKeySTATUS:
		return "status"
	case expr.CtKeyMARK:
		return "mark"
	case expr.CtKeyZONE:
		return "zone"
	}
	return "key " + strconv.Itoa(int(k))
}

// payloadVal names a payload load: the fields of IPv4, IPv6, TCP and UDP
// headers that SSH connections are matched by, raw offsets otherwise.
func payloadVal(p *expr.Payload, v6 bool, l4 string) *regVal {
	off, n := p.Offset, p.Len
	rv := &regVal{}
	switch p.Base {
	case expr.PayloadBaseNetworkHeader:
		switch {
		case !v6 && off == 12 && n >= 1 && n <= 4:
			rv.field, rv.nft, rv.full = fieldSaddr4, "ip saddr", 4
		case !v6 && off == 16 && n >= 1 && n <= 4:
			rv.field, rv.nft, rv.full = fieldDaddr4, "ip daddr", 4
		case !v6 && off == 9 && n == 1:
			rv.field, rv.nft = fieldL4proto, "ip protocol"
		case v6 && off == 8 && n >= 1 && n <= 16:
			rv.field, rv.nft, rv.full = fieldSaddr6, "ip6 saddr", 16
		case v6 && off == 24 && n >= 1 && n <= 16:
			rv.field, rv.nft, rv.full = fieldDaddr6, "ip6 daddr", 16
		case v6 && off == 6 && n == 1:
			rv.field, rv.nft = fieldL4proto, "ip6 nexthdr"
		default:
			rv.nft = fmt.Sprintf("@nh,%d,%d", off*8, n*8)
		}
	case expr.PayloadBaseTransportHeader:
		proto := l4
		if proto != "tcp" && proto != "udp" {
			proto = "th"
		}
		switch {
		case off == 0 && n == 2:
			rv.field, rv.nft = fieldSport, proto+" sport"
		case off == 2 && n == 2:
			rv.field, rv.nft = fieldDport, proto+" dport"
		default:
			rv.nft = fmt.Sprintf("@th,%d,%d", off*8, n*8)
		}
	default:
		rv.nft = fmt.Sprintf("@ll,%d,%d", off*8, n*8)
	}
	return rv
}

// formatValue writes a register's compared data as nft does.
func formatValue(rv *regVal, data []byte) string {
	switch rv.field {
	case fieldSaddr4, fieldDaddr4, fieldSaddr6, fieldDaddr6:
		full := make([]byte, rv.full)
		copy(full, data)
		a, _ := netip.AddrFromSlice(full)
		bits := len(data) * 8
		if len(rv.mask) > 0 {
			bits = 0
			for _, m := range rv.mask {
				for k := 7; k >= 0 && m&(1<<k) != 0; k-- {
					bits++
				}
				if m != 0xff {
					break
				}
			}
		}
		if bits < rv.full*8 {
			return netip.PrefixFrom(a, bits).Masked().String()
		}
		return a.String()
	case fieldSport, fieldDport:
		if len(data) == 2 {
			return strconv.Itoa(int(binary.BigEndian.Uint16(data)))
		}
	case fieldL4proto:
		if len(data) == 1 {
			return orNum(l4names[data[0]], data[0])
		}
	case fieldNfproto:
		if len(data) == 1 {
			switch data[0] {
			case 2:
				return "ipv4"
			case 10:
				return "ipv6"
			}
		}
	case fieldIifname, fieldOifname:
		s := strings.TrimRight(string(data), "\x00")
		if len(data) > 0 && data[len(data)-1] != 0 {
			s += "*"
		}
		return strconv.Quote(s)
	case fieldCtState:
		if len(rv.mask) == 4 {
			return ctStates(binary.NativeEndian.Uint32(rv.mask))
		}
	}
	return "0x" + fmt.Sprintf("%x", data)
}

var ctStateNames = []struct {
	bit  uint32
	name string
}{{1, "invalid"}, {2, "established"}, {4, "related"}, {8, "new"}, {64, "untracked"}}

func ctStates(mask uint32) string {
	var ns []string
	for _, s := range ctStateNames {
		if mask&s.bit != 0 {
			ns = append(ns, s.name)
		}
	}
	return strings.Join(ns, ",")
}

var unitNames = map[expr.LimitTime]string{expr.LimitTimeSecond: "second", expr.LimitTimeMinute: "minute",
	expr.LimitTimeHour: "hour", expr.LimitTimeDay: "day", expr.LimitTimeWeek: "week"}

func limitText(l *expr.Limit) string {
	s := "limit rate "
	if l.Over {
		s += "over "
	}
	u := unitNames[l.Unit]
	if l.Type == expr.LimitTypePktBytes {
		s += fmt.Sprintf("%d bytes/%s", l.Rate, u)
	} else {
		s += fmt.Sprintf("%d/%s", l.Rate, u)
	}
	if l.Burst != 0 && l.Burst != 5 {
		s += fmt.Sprintf(" burst %d packets", l.Burst)
	}
	return s
}

func verdictText(v *expr.Verdict) (kernel.Verdict, string, string) {
	switch v.Kind {
	case expr.VerdictAccept:
		return kernel.VerdictAccept, "accept", "-j ACCEPT"
	case expr.VerdictDrop:
		return kernel.VerdictDrop, "drop", "-j DROP"
	case expr.VerdictReturn:
		return kernel.VerdictReturn, "return", "-j RETURN"
	case expr.VerdictJump:
		return kernel.VerdictJump, "jump " + v.Chain, "-j " + v.Chain
	case expr.VerdictGoto:
		return kernel.VerdictJump, "goto " + v.Chain, "-g " + v.Chain
	case expr.VerdictContinue:
		return kernel.VerdictNone, "continue", ""
	case expr.VerdictQueue:
		return kernel.VerdictOther, "queue", "-j NFQUEUE"
	}
	return kernel.VerdictOther, fmt.Sprintf("verdict %d", v.Kind), ""
}

var icmpCodes = map[uint8]string{0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable", 3: "port-unreachable",
	9: "net-prohibited", 10: "host-prohibited", 13: "admin-prohibited"}
var icmp6Codes = map[uint8]string{0: "no-route", 1: "admin-prohibited", 3: "addr-unreachable", 4: "port-unreachable",
	5: "policy-fail", 6: "reject-route"}
var icmpxCodes = map[uint8]string{0: "no-route", 1: "port-unreachable", 2: "host-unreachable", 3: "admin-prohibited"}

func rejectText(family string, v6 bool, r *expr.Reject) string {
	switch r.Type {
	case 1: // NFT_REJECT_TCP_RST
		return "reject with tcp reset"
	case 2: // NFT_REJECT_ICMPX_UNREACH
		return "reject with icmpx type " + orCode(icmpxCodes, r.Code)
	}
	if family == "ip6" || v6 {
		return "reject with icmpv6 type " + orCode(icmp6Codes, r.Code)
	}
	return "reject with icmp type " + orCode(icmpCodes, r.Code)
}

func orCode(m map[uint8]string, c uint8) string {
	if s, ok := m[c]; ok {
		return s
	}
	return strconv.Itoa(int(c))
}
