package analyze

import (
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// An established connection past NEWKEYS: what most packets of a busy
// capture belong to.
func established(t testing.TB) (*Analyzer, func(fromServer bool, seq, ack uint32, n int, at time.Duration)) {
	a := New(Config{})
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	payload := make([]byte, 1448)
	var s decode.Segment
	frame := 0
	send := func(fromServer bool, seq, ack uint32, n int, at time.Duration) {
		frame++
		s = decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: 22, TTL: 64,
			Seq: seq, Ack: ack, Flags: PA, Payload: payload[:n], PayloadLen: n, IfIndex: -1, IPVersion: 4}
		if fromServer {
			s.Src, s.Dst, s.SrcPort, s.DstPort, s.TTL = sAddr.Addr(), cAddr.Addr(), 22, cAddr.Port(), 63
		}
		a.Packet(frame, t0.Add(at), &s)
	}
	stream := serverStream()
	client := append([]byte("SSH-2.0-OpenSSH_9.2p1\r\n"), packet(msgKexInit, kexinitBody(clientKex, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"))...)
	client = append(client, packet(msgNewKeys, nil)...)
	frame++
	a.Packet(frame, t0, &decode.Segment{Src: cAddr.Addr(), Dst: sAddr.Addr(), SrcPort: cAddr.Port(), DstPort: 22, Seq: 100, Flags: S, TTL: 64, IfIndex: -1})
	frame++
	a.Packet(frame, t0, &decode.Segment{Src: sAddr.Addr(), Dst: cAddr.Addr(), SrcPort: 22, DstPort: cAddr.Port(), Seq: 500, Ack: 101, Flags: SA, TTL: 63, IfIndex: -1})
	copy(payload, client)
	send(false, 101, 501, len(client), time.Millisecond)
	copy(payload, stream)
	send(true, 501, 101+uint32(len(client)), len(stream), 2*time.Millisecond)
	return a, send
}

// Steady state: a packet of an established, encrypted connection allocates
// nothing.
func TestSteadyStateNoAllocs(t *testing.T) {
	a, send := established(t)
	if a.Open() != 1 {
		t.Fatal("no connection")
	}
	seq, ack := uint32(101+200), uint32(501+2000)
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		i++
		send(true, ack, seq, 1448, time.Duration(i)*time.Microsecond+time.Second)
		ack += 1448
		send(false, seq, ack, 36, time.Duration(i)*time.Microsecond+time.Second)
		seq += 36
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per pair of packets in steady state, want 0", allocs)
	}
}

func BenchmarkSteadyState(b *testing.B) {
	_, send := established(b)
	seq, ack := uint32(101+200), uint32(501+2000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		send(true, ack, seq, 1448, time.Duration(i)*time.Microsecond+time.Second)
		ack += 1448
	}
}

func BenchmarkWalker(b *testing.B) {
	s := serverStream()
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		w := &walker{}
		w.feed(s)
	}
}
