package analyze

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"

	"github.com/rstsniff/rstsniff/decode"
)

// Zeek's vocabulary for connections, so users can pivot to conn.log: the
// conn_state summary and the history letters
// (scripts/base/protocols/conn/main.zeek). rstsniff's client is Zeek's
// originator.

// zeekEndpoint is Zeek's TCP endpoint state.
type zeekEndpoint uint8

const (
	zInactive zeekEndpoint = iota
	zSynSent
	zSynAckSent
	zPartial
	zEstablished
	zClosed
	zReset
)

// zeekHist collects history letters in order.
type zeekHist struct {
	letters []byte    // in buf while it fits (newFlow points it there)
	buf     [16]byte  // room for a clean connection's letters, ShADadFf
	seen    [2]uint32 // letters already recorded, by side
	scaled  [2][3]int // counts of T, W and G, recorded at 1, 10, 100, ...
}

const histFlipped = '^'

func zeekHistory(f *flow, from Side, seg *decode.Segment) {
	h := &f.hist
	if len(h.letters) == 0 && f.firstSent == Server && h.seen[0] == 0 && h.seen[1] == 0 {
		h.letters = append(h.letters, histFlipped)
	}
	i := from.index()
	add := func(c byte) {
		bit := uint32(1) << (c - 'A')
		if h.seen[i]&bit != 0 {
			return
		}
		h.seen[i] |= bit
		if from == Server {
			c += 'a' - 'A'
		}
		h.letters = append(h.letters, c)
	}
	fl := seg.Flags
	switch {
	case fl.Has(decode.SYN | decode.ACK):
		add('H')
	case fl.Has(decode.SYN):
		add('S')
	}
	if fl.Has(decode.FIN) {
		add('F')
	}
	if fl.Has(decode.RST) {
		add('R')
	}
	if seg.PayloadLen > 0 && !fl.Has(decode.RST) {
		add('D')
		d := &f.d[i]
		if d.seqSet && seqDiff(seg.Seq+uint32(seg.PayloadLen), d.nxt) <= 0 {
			f.scaledHistory(from, 'T', 0)
		}
	} else if fl.Has(decode.ACK) && fl&(decode.SYN|decode.FIN|decode.RST) == 0 {
		add('A')
	}
	if seg.Window == 0 && !fl.Has(decode.SYN) && !fl.Has(decode.RST) {
		f.scaledHistory(from, 'W', 1)
	}
}

// scaledHistory records letters that may repeat: the 1st, 10th, 100th ...
// occurrence adds the letter again.
func (f *flow) scaledHistory(from Side, c byte, slot int) {
	h := &f.hist
	i := from.index()
	h.scaled[i][slot]++
	n := h.scaled[i][slot]
	for n%10 == 0 {
		n /= 10
	}
	if n != 1 {
		return
	}
	if from == Server {
		c += 'a' - 'A'
	}
	h.letters = append(h.letters, c)
}

func (f *flow) history() string {
	for i := range f.d {
		if f.d[i].s.gaps > 0 {
			f.scaledHistory([2]Side{Client, Server}[i], 'G', 2)
		}
	}
	return string(f.hist.letters)
}

// zeekState moves the sender's endpoint state after a segment.
func (f *flow) zeekState(from Side, seg *decode.Segment) {
	e := &f.d[from.index()].zeek
	fl := seg.Flags
	switch {
	case fl.Has(decode.RST):
		*e = zReset
	case *e == zReset:
	case fl.Has(decode.FIN):
		*e = zClosed
	case *e == zClosed:
	case fl.Has(decode.SYN | decode.ACK):
		if *e == zInactive {
			*e = zSynAckSent
		}
	case fl.Has(decode.SYN):
		if *e == zInactive {
			*e = zSynSent
		}
	case *e == zInactive:
		*e = zPartial
	}
	if f.established {
		for i := range f.d {
			if z := &f.d[i].zeek; *z == zSynSent || *z == zSynAckSent {
				*z = zEstablished
			}
		}
	}
}

// connState is Zeek's conn_state() for TCP.
func (f *flow) connState() string {
	os, rs := f.d[0].zeek, f.d[1].zeek
	oInactive := os == zInactive || os == zPartial
	rInactive := rs == zInactive || rs == zPartial
	switch {
	case rs == zReset:
		if os == zSynSent || os == zSynAckSent || (os == zReset && f.out.Bytes[0] == 0 && f.out.Bytes[1] == 0) {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case os == zReset:
		if rInactive {
			if onlySYNs(f.hist.letters) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == zClosed && os == zClosed:
		return "SF"
	case os == zClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == zClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == zSynSent && rs == zInactive:
		return "S0"
	case os == zEstablished && rs == zEstablished:
		return "S1"
	}
	return "OTH"
}

// onlySYNs matches Zeek's /^?S[^HAFGIJKLMNOPQRSTUVWXYZ]*$/ on the history.
func onlySYNs(h []byte) bool {
	if len(h) > 0 && h[0] == histFlipped {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for _, c := range h[1:] {
		if c == 'A' || c == 'F' || c == 'G' || c == 'H' || (c >= 'I' && c <= 'Z') {
			return false
		}
	}
	return true
}

// communityID computes Community ID v1 for a TCP flow with seed 0
// (https://github.com/corelight/community-id-spec).
func communityID(a, b netip.AddrPort) string {
	aa, ba := a.Addr().Unmap(), b.Addr().Unmap()
	pa, pb := a.Port(), b.Port()
	if c := aa.Compare(ba); c > 0 || (c == 0 && pa > pb) {
		aa, ba, pa, pb = ba, aa, pb, pa
	}
	// Hashed and encoded on the stack: one allocation, the result.
	var in [2 + 16 + 16 + 2 + 4]byte // seed 0, addresses, TCP and padding, ports
	n := 2
	for _, a := range [2]netip.Addr{aa, ba} { // as AsSlice has them
		if a.Is4() {
			b := a.As4()
			n += copy(in[n:], b[:])
		} else {
			b := a.As16()
			n += copy(in[n:], b[:])
		}
	}
	in[n] = 6
	n += 2
	binary.BigEndian.PutUint16(in[n:], pa)
	binary.BigEndian.PutUint16(in[n+2:], pb)
	sum := sha1.Sum(in[:n+4])
	var out [2 + 28]byte
	copy(out[:], "1:")
	base64.StdEncoding.Encode(out[2:], sum[:])
	return string(out[:])
}
