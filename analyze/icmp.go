package analyze

import (
	"net/netip"
	"syscall"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// ICMPError is an ICMP error about one of the connection's TCP segments:
// destination unreachable, time exceeded or packet too big (RFC 792,
// RFC 4443). A firewall that rejects with ICMP rather than a reset
// (firewalld's default, iptables REJECT's) and a router with no route
// both answer this way.
type ICMPError struct {
	Packet     int // frame number
	Time       time.Time
	About      Side       // whose segment it quotes; the error went back to that side
	From       netip.Addr // who sent it: the other endpoint, or a router on the path
	TTL        uint8      // of the error itself
	IPv6       bool
	Type, Code uint8
	MTU        uint32 // next-hop MTU of fragmentation needed or packet too big
	Seq        uint32 // sequence number of the quoted segment
}

// icmp files an ICMP error under the connection whose segment it quotes.
func (a *Analyzer) icmp(frame int, ts time.Time, seg *decode.Segment) uint64 {
	k := &a.key
	k.set(seg)
	f := a.flows.get(k, k.hash())
	if f == nil || f.ignored || f.candidate {
		return 0
	}
	about := Server
	if netip.AddrPortFrom(seg.Src, seg.SrcPort) == f.client {
		about = Client
	}
	// Part of the connection's story: its frames and time span include it.
	f.out.LastPacket, f.last = frame, ts.UnixNano()
	if len(f.out.ICMP) < maxICMP {
		f.out.ICMP = append(f.out.ICMP, ICMPError{Packet: frame, Time: ts, About: about, From: seg.ICMPFrom, TTL: seg.TTL,
			IPv6: seg.IPVersion == 6, Type: seg.ICMPType, Code: seg.ICMPCode, MTU: seg.ICMPMTU, Seq: seg.Seq})
	}
	return f.out.Handle
}

// PathMTU reports whether the error asks for smaller packets
// (fragmentation needed, packet too big) rather than refusing them.
func (e ICMPError) PathMTU() bool {
	if e.IPv6 {
		return e.Type == 2
	}
	return e.Type == 3 && e.Code == 4
}

// Prohibited reports whether the error says a filter refused the packet.
func (e ICMPError) Prohibited() bool {
	if e.IPv6 {
		return e.Type == 1 && (e.Code == 1 || e.Code == 5 || e.Code == 6)
	}
	return e.Type == 3 && (e.Code == 9 || e.Code == 10 || e.Code == 13)
}

// Errno is the error Linux hands a connect() the error arrives for
// (net/ipv4/icmp.c icmp_err_convert, net/ipv6/icmp.c tab_unreach); 0 when
// it does not end a connection attempt.
func (e ICMPError) Errno() syscall.Errno {
	if e.PathMTU() {
		return 0
	}
	if e.IPv6 {
		switch e.Type {
		case 1:
			codes := [...]syscall.Errno{syscall.ENETUNREACH, syscall.EACCES, syscall.EHOSTUNREACH, syscall.EHOSTUNREACH,
				syscall.ECONNREFUSED, syscall.EACCES, syscall.EACCES}
			if int(e.Code) < len(codes) {
				return codes[e.Code]
			}
			return syscall.EPROTO
		case 3:
			return syscall.EHOSTUNREACH
		}
		return 0
	}
	switch e.Type {
	case 3:
		codes := [...]syscall.Errno{syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ENOPROTOOPT, syscall.ECONNREFUSED, 0, syscall.EOPNOTSUPP,
			syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENONET, syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
			syscall.EHOSTUNREACH, syscall.EHOSTUNREACH, syscall.EHOSTUNREACH, syscall.EHOSTUNREACH}
		if int(e.Code) < len(codes) {
			return codes[e.Code]
		}
	case 11:
		return syscall.EHOSTUNREACH
	}
	return 0
}

// connectFailed reports whether an ICMP error ended the client's
// connection attempt: one about its SYN before any SYN-ACK came.
func (f *flow) connectFailed() bool {
	_, ok := firstRefusal(f.out.ICMP)
	return ok && !f.synAckSeen && f.d[0].synSeen
}

// RefusingICMP returns the ICMP error that made the outcome unreachable.
func (f *Flow) RefusingICMP() (ICMPError, bool) {
	if f.Outcome != OutcomeUnreachable {
		return ICMPError{}, false
	}
	return firstRefusal(f.ICMP)
}

// firstRefusal returns the first error about the client's segments that
// Linux reports to a connect().
func firstRefusal(es []ICMPError) (ICMPError, bool) {
	for _, e := range es {
		if e.About == Client && e.Errno() != 0 {
			return e, true
		}
	}
	return ICMPError{}, false
}
