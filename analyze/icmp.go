package analyze

import (
	"fmt"
	"net/netip"
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

// maxICMP bounds the errors kept per connection.
const maxICMP = 8

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

var (
	icmp4Unreach = [...]string{"network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
		"fragmentation needed", "source route failed", "destination network unknown", "destination host unknown",
		"source host isolated", "network administratively prohibited", "host administratively prohibited",
		"network unreachable for TOS", "host unreachable for TOS", "communication administratively prohibited",
		"host precedence violation", "precedence cutoff in effect"}
	icmp6Unreach = [...]string{"no route to destination", "communication with destination administratively prohibited",
		"beyond scope of source address", "address unreachable", "port unreachable",
		"source address failed ingress/egress policy", "reject route to destination"}
)

// What names the error as the RFCs do, with its type and code.
func (e ICMPError) What() string {
	name := ""
	switch {
	case !e.IPv6 && e.Type == 3 && int(e.Code) < len(icmp4Unreach):
		name = "destination unreachable, " + icmp4Unreach[e.Code]
	case !e.IPv6 && e.Type == 3:
		name = "destination unreachable"
	case !e.IPv6 && e.Type == 11 && e.Code == 0:
		name = "time exceeded, TTL expired in transit"
	case !e.IPv6 && e.Type == 11:
		name = "time exceeded"
	case e.IPv6 && e.Type == 1 && int(e.Code) < len(icmp6Unreach):
		name = "destination unreachable, " + icmp6Unreach[e.Code]
	case e.IPv6 && e.Type == 1:
		name = "destination unreachable"
	case e.IPv6 && e.Type == 2:
		name = "packet too big"
	case e.IPv6 && e.Type == 3 && e.Code == 0:
		name = "time exceeded, hop limit expired in transit"
	case e.IPv6:
		name = "time exceeded"
	}
	proto := "ICMP"
	if e.IPv6 {
		proto = "ICMPv6"
	}
	s := fmt.Sprintf("%s %s (type %d code %d)", proto, name, e.Type, e.Code)
	if e.PathMTU() && e.MTU > 0 {
		s += fmt.Sprintf(", next-hop MTU %d", e.MTU)
	}
	return s
}

// Errno is the error Linux hands a connect() the error arrives for
// (net/ipv4/icmp.c icmp_err_convert, net/ipv6/icmp.c tab_unreach), as
// strerror words it; "" when it does not end a connection attempt.
func (e ICMPError) Errno() string {
	const (
		netUnreach  = "Network is unreachable"
		hostUnreach = "No route to host"
		refused     = "Connection refused"
		denied      = "Permission denied"
	)
	if e.PathMTU() {
		return ""
	}
	if e.IPv6 {
		switch e.Type {
		case 1:
			codes := [...]string{netUnreach, denied, hostUnreach, hostUnreach, refused, denied, denied}
			if int(e.Code) < len(codes) {
				return codes[e.Code]
			}
			return "Protocol error"
		case 3:
			return hostUnreach
		}
		return ""
	}
	switch e.Type {
	case 3:
		codes := [...]string{netUnreach, hostUnreach, "Protocol not available", refused, "", "Operation not supported",
			netUnreach, "Host is down", "Machine is not on the network", netUnreach, hostUnreach, netUnreach,
			hostUnreach, hostUnreach, hostUnreach, hostUnreach}
		if int(e.Code) < len(codes) {
			return codes[e.Code]
		}
	case 11:
		return hostUnreach
	}
	return ""
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
		if e.About == Client && e.Errno() != "" {
			return e, true
		}
	}
	return ICMPError{}, false
}
