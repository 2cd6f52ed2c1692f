//go:build linux

package probe

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rstsniff/rstsniff/kernel"
)

// forgeRST sends, from a raw socket, a RST from src to dst with sequence
// number seq: a reset no TCP socket and no firewall of this host made.
func forgeRST(t *testing.T, src, dst netip.AddrPort, seq uint32) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	p := make([]byte, 40)
	p[0], p[8], p[9] = 0x45, 64, unix.IPPROTO_TCP
	binary.BigEndian.PutUint16(p[2:], 40)
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(p[12:], s4[:])
	copy(p[16:], d4[:])
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12], tcp[13] = 5<<4, 0x04 // RST
	sum := uint32(0)
	for i := 12; i < 20; i += 2 { // pseudo-header: addresses
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	sum += unix.IPPROTO_TCP + 20
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(tcp[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(tcp[16:], ^uint16(sum))
	if err := unix.Sendto(fd, p, 0, &unix.SockaddrInet4{Addr: d4}); err != nil {
		t.Fatal(err)
	}
}

// TestForgedResetIsNotTheHosts: a reset in the server's name that a raw
// socket forged with the exact sequence number is accepted by the client's
// socket, and "not sent by this host"; the server's genuine reset that
// follows (SO_LINGER 0) is the stack's, and no socket accepted it.
func TestForgedResetIsNotTheHosts(t *testing.T) {
	needRoot(t)
	ns := newNetns(t)
	stop, p := collect(t, Options{Netns: ns.inode})
	if p.Firewall == FirewallNone {
		t.Skip("netfilter is not watched: absence proves nothing")
	}
	srv := ap("127.0.0.1:2206")
	var cli netip.AddrPort
	var forgedAt, genuineAt time.Time
	ns.do(func() {
		ln, err := net.Listen("tcp", srv.String())
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", srv.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		cli = netip.AddrPortFrom(srv.Addr(), localPort(c))
		// The server's next sequence number, read in repair mode: the
		// forged reset is exact, so the client's socket accepts it.
		var next int
		raw, _ := s.(*net.TCPConn).SyscallConn()
		raw.Control(func(fd uintptr) {
			if err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_REPAIR, 1); err != nil {
				return
			}
			defer unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_REPAIR, 0)
			const tcpSendQueue = 2 // TCP_SEND_QUEUE, linux/tcp.h
			if err = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_REPAIR_QUEUE, tcpSendQueue); err != nil {
				return
			}
			next, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUEUE_SEQ)
		})
		if err != nil {
			t.Fatalf("TCP_REPAIR: %v", err)
		}
		forgedAt = time.Now()
		forgeRST(t, srv, cli, uint32(next))
		time.Sleep(50 * time.Millisecond)
		s.(*net.TCPConn).SetLinger(0)
		s.Close()
		genuineAt = time.Now()
		time.Sleep(50 * time.Millisecond)
	})
	evs := stop()
	j := kernel.NewJournal(kernel.JournalOptions{Netns: ns.inode, Start: p.Start, Lost: p.Lost, Firewall: true,
		Local: func(a netip.Addr) bool { return a == srv.Addr() }})
	for _, e := range evs {
		j.Add(e)
	}
	ws := j.AttributeAll([]kernel.Query{{Src: srv, Dst: cli, Time: forgedAt}, {Src: srv, Dst: cli, Time: genuineAt}})
	if w := ws[0]; w == nil || w.Sender != kernel.SenderNotHost || w.Received == nil {
		t.Errorf("forged reset: %+v, want not sent by this host, accepted by the client's socket", w)
	}
	if w := ws[1]; w == nil || w.Sender != kernel.SenderStack || w.Sent.Reason != kernel.ReasonState || !w.NotAccepted {
		t.Errorf("genuine reset: %+v, want the stack's TCP_STATE, found no socket (the forgery had closed it)", w)
	}
}
