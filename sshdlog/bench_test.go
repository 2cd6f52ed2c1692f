package sshdlog

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// BenchmarkReadJoin: a day's auth.log of 20,000 connections (five lines
// each, RFC 3339) read and joined to the 20,000 connections.
func BenchmarkReadJoin(b *testing.B) {
	const n = 20000
	var sb strings.Builder
	conns := make([]Conn, n)
	for i := range n {
		start := t0.Add(time.Duration(i) * 4 * time.Second)
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 250)}), uint16(1024+i%60000))
		conns[i] = Conn{ID: i + 1, Client: cl, Server: netip.MustParseAddrPort("203.0.113.2:22"), Start: start, End: start.Add(2 * time.Second)}
		pid := 1000 + i
		for j, msg := range []string{
			fmt.Sprintf(`Connection from %s port %d on 203.0.113.2 port 22 rdomain ""`, cl.Addr(), cl.Port()),
			"Accepted key ED25519 SHA256:x found at /k:1",
			fmt.Sprintf("Accepted publickey for root from %s port %d ssh2: ED25519 SHA256:x", cl.Addr(), cl.Port()),
			fmt.Sprintf("Received disconnect from %s port %d:11: disconnected by user", cl.Addr(), cl.Port()),
			fmt.Sprintf("Disconnected from user root %s port %d", cl.Addr(), cl.Port()),
		} {
			sb.WriteString(start.Add(time.Duration(j)*400*time.Millisecond).Format(time.RFC3339Nano) + " h sshd[" + fmt.Sprint(pid) + "]: " + msg + "\n")
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		lines, _, err := Read(strings.NewReader(text), "auth.log", ReadOptions{Near: t0})
		if err != nil {
			b.Fatal(err)
		}
		res := Join(conns, lines, Options{})
		if res.JoinedBy[ByPort] != 4*n || res.JoinedBy[ByPID] != n {
			b.Fatalf("joined %v", res.JoinedBy)
		}
	}
}
