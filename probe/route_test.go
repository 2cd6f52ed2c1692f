package probe

import (
	"net/netip"
	"testing"
)

// TestRoute: the loopback route leaves by the interface holding 127.0.0.1,
// a named interface is kept, and the filter takes exactly the target's
// TCP and the ICMP errors sent to the local address.
func TestRoute(t *testing.T) {
	addr := netip.MustParseAddrPort("127.0.0.1:2222")
	iface, local, err := Route(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if iface != "lo" || local != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("route to %s: %s %s, want lo 127.0.0.1", addr, iface, local)
	}
	if iface, _, err := Route(addr, "eth7"); err != nil || iface != "eth7" {
		t.Errorf("named: %q %v", iface, err)
	}
	want := "(tcp and host 127.0.0.1 and port 2222) or (dst host 127.0.0.1 and (icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed or (icmp6 and ip6[40] >= 1 and ip6[40] <= 3)))"
	if got := CaptureFilter(addr, local); got != want {
		t.Errorf("filter %s", got)
	}
}
