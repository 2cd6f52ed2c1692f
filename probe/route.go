package probe

import (
	"fmt"
	"net"
	"net/netip"
)

// Route finds the interface (and local address) the route to addr leaves
// by, unless one is named; "any" when no interface holds the local
// address. No packet is sent: it is a route lookup.
func Route(addr netip.AddrPort, named string) (string, netip.Addr, error) {
	u, err := net.Dial("udp", addr.String()) // no packet is sent: only a route lookup
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("no route to %s: %v", addr.Addr(), err)
	}
	local := u.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
	u.Close()
	if named != "" {
		return named, local, nil
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "", local, err
	}
	for _, ifc := range ifs {
		as, _ := ifc.Addrs()
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == local {
				return ifc.Name, local, nil
			}
		}
	}
	return "any", local, nil
}

// CaptureFilter is the pcap-filter(7) expression of the probe's own
// packets: exactly the probe's server and port, plus the ICMP errors sent
// to this host's local address.
func CaptureFilter(addr netip.AddrPort, local netip.Addr) string {
	return fmt.Sprintf("(tcp and host %s and port %d) or (dst host %s and (%s))", addr.Addr(), addr.Port(), local, icmpErrors)
}

// icmpErrors: ICMP destination unreachable and time exceeded, ICMPv6
// destination unreachable, packet too big and time exceeded.
const icmpErrors = "icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed or (icmp6 and ip6[40] >= 1 and ip6[40] <= 3)"
