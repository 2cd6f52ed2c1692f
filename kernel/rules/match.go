//go:build linux

package rules

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sort"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"

	"github.com/rstsniff/rstsniff/kernel"
)

// Packet is a TCP packet a firewall rule may have dropped or rejected:
// what of it is known is its addresses and ports.
type Packet struct {
	Src, Dst netip.AddrPort
}

// reg is a register's value for one packet; known false when the rule
// loads something the packet's addresses and ports do not tell.
type reg struct {
	b     []byte
	known bool
	what  string // what could not be known, for the candidate's words
}

// evaluate says whether a rule's match covers p: false when a match it
// could evaluate fails; otherwise the matches it could not evaluate.
func evaluate(family string, exprs []expr.Any, sets map[string]*set, p Packet) (bool, []string) {
	v6 := p.Src.Addr().Is6() && !p.Src.Addr().Is4In6()
	switch family {
	case "ip":
		if v6 {
			return false, nil
		}
	case "ip6":
		if !v6 {
			return false, nil
		}
	case "arp":
		return false, nil
	}
	regs := map[uint32]reg{}
	var unknown []string
	note := func(w string) {
		for _, u := range unknown {
			if u == w {
				return
			}
		}
		unknown = append(unknown, w)
	}
	for _, e := range exprs {
		switch e := e.(type) {
		case *expr.Meta:
			if e.SourceRegister {
				continue
			}
			switch e.Key {
			case expr.MetaKeyL4PROTO:
				regs[e.Register] = reg{b: []byte{6}, known: true}
			case expr.MetaKeyNFPROTO:
				nf := byte(2)
				if v6 {
					nf = 10
				}
				regs[e.Register] = reg{b: []byte{nf}, known: true}
			case expr.MetaKeyPROTOCOL:
				et := []byte{0x08, 0x00}
				if v6 {
					et = []byte{0x86, 0xdd}
				}
				regs[e.Register] = reg{b: et, known: true}
			default:
				regs[e.Register] = reg{what: "meta " + metaName(e.Key)}
			}
		case *expr.Payload:
			if e.OperationType != expr.PayloadLoad {
				continue
			}
			b, ok := load(p, v6, e.Base, e.Offset, e.Len)
			regs[e.DestRegister] = reg{b: b, known: ok, what: payloadVal(e, v6, "tcp").nft}
		case *expr.Ct:
			if !e.SourceRegister {
				regs[e.Register] = reg{what: "ct " + ctName(e.Key)}
			}
		case *expr.Bitwise:
			r := regs[e.SourceRegister]
			if r.known && len(e.Mask) == len(r.b) && len(e.Xor) == len(r.b) {
				out := make([]byte, len(r.b))
				for i := range out {
					out[i] = r.b[i]&e.Mask[i] ^ e.Xor[i]
				}
				r = reg{b: out, known: true}
			} else {
				r.known = false
			}
			regs[e.DestRegister] = r
		case *expr.Cmp:
			r := regs[e.Register]
			if !r.known || len(r.b) != len(e.Data) {
				note(orWhat(r.what))
				continue
			}
			if !cmpHolds(e.Op, bytes.Compare(r.b, e.Data)) {
				return false, nil
			}
		case *expr.Range:
			r := regs[e.Register]
			if !r.known || len(r.b) != len(e.FromData) || len(r.b) != len(e.ToData) {
				note(orWhat(r.what))
				continue
			}
			in := bytes.Compare(r.b, e.FromData) >= 0 && bytes.Compare(r.b, e.ToData) <= 0
			if in != (e.Op == expr.CmpOpEq) {
				return false, nil
			}
		case *expr.Lookup:
			r := regs[e.SourceRegister]
			s := sets[e.SetName]
			if e.IsDestRegSet {
				note("map @" + e.SetName)
				continue
			}
			if !r.known || s == nil || !s.Read || s.Concat {
				if !r.known {
					note(orWhat(r.what))
				} else {
					note("set @" + e.SetName)
				}
				continue
			}
			if s.member(r.b) == e.Invert {
				return false, nil
			}
		case *expr.Match:
			ok, known := xtMatch(e, p)
			if !known {
				note("xt match " + e.Name)
				continue
			}
			if !ok {
				return false, nil
			}
		case *expr.Limit:
			note("limit")
		case *expr.Quota:
			note("quota")
		case *expr.Connlimit:
			note("ct count")
		case *expr.Dynset:
			note("set update @" + e.SetName)
		case *expr.Counter, *expr.Log, *expr.Verdict, *expr.Reject, *expr.Target, *expr.Immediate:
		default:
			note(exprName(e))
		}
	}
	return true, unknown
}

func orWhat(w string) string {
	if w == "" {
		return "a value"
	}
	return w
}

func cmpHolds(op expr.CmpOp, c int) bool {
	switch op {
	case expr.CmpOpEq:
		return c == 0
	case expr.CmpOpNeq:
		return c != 0
	case expr.CmpOpLt:
		return c < 0
	case expr.CmpOpLte:
		return c <= 0
	case expr.CmpOpGt:
		return c > 0
	case expr.CmpOpGte:
		return c >= 0
	}
	return false
}

// load reads the bytes a payload expression loads from p: the protocol,
// addresses and ports are known, every other header byte is not.
func load(p Packet, v6 bool, base expr.PayloadBase, off, n uint32) ([]byte, bool) {
	var hdr []byte
	var known [][2]uint32
	switch base {
	case expr.PayloadBaseNetworkHeader:
		if v6 {
			hdr = make([]byte, 40)
			hdr[6] = 6
			s, d := p.Src.Addr().As16(), p.Dst.Addr().As16()
			copy(hdr[8:], s[:])
			copy(hdr[24:], d[:])
			known = [][2]uint32{{6, 7}, {8, 40}}
		} else {
			hdr = make([]byte, 20)
			hdr[9] = 6
			s, d := p.Src.Addr().Unmap().As4(), p.Dst.Addr().Unmap().As4()
			copy(hdr[12:], s[:])
			copy(hdr[16:], d[:])
			known = [][2]uint32{{9, 10}, {12, 20}}
		}
	case expr.PayloadBaseTransportHeader:
		hdr = make([]byte, 4)
		binary.BigEndian.PutUint16(hdr[0:], p.Src.Port())
		binary.BigEndian.PutUint16(hdr[2:], p.Dst.Port())
		known = [][2]uint32{{0, 4}}
	default:
		return nil, false
	}
	for _, k := range known {
		if off >= k[0] && off+n <= k[1] {
			return append([]byte(nil), hdr[off:off+n]...), true
		}
	}
	return nil, false
}

// member tells whether key is in the set: exact for a plain set; for an
// interval set, the nearest element at or below key must open an interval.
func (s *set) member(key []byte) bool {
	if !s.Interval {
		for _, e := range s.Elements {
			if bytes.Equal(e.Key, key) {
				return true
			}
		}
		return false
	}
	els := append([]element(nil), s.Elements...)
	sort.Slice(els, func(i, j int) bool { return bytes.Compare(els[i].Key, els[j].Key) < 0 })
	in := false
	for _, e := range els {
		if len(e.Key) != len(key) {
			continue
		}
		if bytes.Compare(e.Key, key) > 0 {
			break
		}
		in = !e.IntervalEnd
	}
	return in
}

// xtMatch evaluates the compat matches whose verdict follows from the
// packet's ports alone (multiport, tcp); known false for the others
// (recent, conntrack, limit...), except comment, which always holds.
func xtMatch(m *expr.Match, p Packet) (ok, known bool) {
	switch m.Name {
	case "comment":
		return true, true
	case "multiport":
		mp, good := multiport(infoBytes(m.Info))
		if !good {
			return false, false
		}
		in := func(port uint16) bool {
			for _, r := range mp.ranges {
				if port >= r[0] && port <= r[1] {
					return true
				}
			}
			return false
		}
		var hit bool
		switch mp.flags {
		case 0:
			hit = in(p.Src.Port())
		case 1:
			hit = in(p.Dst.Port())
		default:
			hit = in(p.Src.Port()) || in(p.Dst.Port())
		}
		return hit != mp.invert, true
	case "tcp":
		t, good := m.Info.(*xt.Tcp)
		if !good || t.Option != 0 || t.FlagsMask != 0 {
			return false, false
		}
		sp, dp := p.Src.Port(), p.Dst.Port()
		s := sp >= t.SrcPorts[0] && sp <= t.SrcPorts[1]
		d := dp >= t.DstPorts[0] && dp <= t.DstPorts[1]
		if t.InvFlags&0x01 != 0 { // XT_TCP_INV_SRCPT
			s = !s
		}
		if t.InvFlags&0x02 != 0 { // XT_TCP_INV_DSTPT
			d = !d
		}
		return s && d, true
	}
	return false, false
}

// ruleMatch says how a rule's match relates to p.
func ruleMatch(c *compiled, p Packet) (covers bool, m kernel.Match, unknown []string) {
	ok, unknown := evaluate(c.Rule.Family, c.exprs, c.sets, p)
	if !ok {
		return false, 0, nil
	}
	if len(unknown) > 0 {
		return true, kernel.MatchUnknown, unknown
	}
	return true, kernel.MatchCovers, nil
}
