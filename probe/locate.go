package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Trigger is what draws the reset that Locate repeats with a limited TTL.
type Trigger uint8

const (
	TriggerSYN     Trigger = iota // the SYN itself is reset
	TriggerBanner                 // the client's identification string is reset
	TriggerKexInit                // the client's KEXINIT is reset
)

func (t Trigger) String() string {
	switch t {
	case TriggerSYN:
		return "syn"
	case TriggerKexInit:
		return "kexinit"
	}
	return "banner"
}

// Answer is what one TTL-limited trigger drew.
type Answer uint8

const (
	AnswerNone         Answer = iota // nothing within the wait
	AnswerTimeExceeded               // an ICMP time-exceeded from a router (Hop.From)
	AnswerReset                      // a RST
	AnswerServer                     // the server answered (SYN-ACK or its next data): past every device that resets
	AnswerUnreachable                // an ICMP destination unreachable (Hop.From)
)

var answerNames = [...]string{"none", "time-exceeded", "reset", "server", "unreachable"}

func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return "unknown"
}

// Hop is the answer to the trigger sent with one TTL.
type Hop struct {
	TTL    int
	Answer Answer
	From   netip.Addr // the ICMP sender, when Answer is an ICMP error
}

// Location is what Locate found. ResetTTL is the smallest TTL whose
// trigger drew the reset (0: none did); the device that forges it sits at
// hop ResetTTL-1 (Hops[ResetTTL-2].From, the last router that answered
// the TTL before) or on the link after it. A router forwarding with
// iptables REJECT answers a TTL that ends at it with time-exceeded before
// its FORWARD rules see the packet, so it shows as that last hop.
type Location struct {
	Trigger  Trigger
	Hops     []Hop
	ResetTTL int
	// ServerTTL is the smallest TTL at which the server answered (0: never).
	ServerTTL int
}

// Hop returns the last hop before the reset and whether there is one (a
// reset at TTL 1 comes from this host's own side of the first link).
func (l *Location) LastHop() (Hop, bool) {
	if l.ResetTTL < 2 || l.ResetTTL-2 >= len(l.Hops) {
		return Hop{}, false
	}
	return l.Hops[l.ResetTTL-2], true
}

// LocateConfig bounds Locate.
type LocateConfig struct {
	MaxTTL int           // 16 unless set
	Wait   time.Duration // per TTL; 2 s unless set
}

// Locate repeats the trigger with TTL 1, 2, ... until the reset or the
// server answers, collecting ICMP time-exceeded replies on a raw socket
// (CAP_NET_RAW). Each TTL uses a fresh connection.
func Locate(ctx context.Context, addr netip.AddrPort, trig Trigger, cfg LocateConfig) (*Location, error) {
	if cfg.MaxTTL <= 0 {
		cfg.MaxTTL = 16
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Second
	}
	l, err := listenICMP(addr.Addr().Is6())
	if err != nil {
		return nil, err
	}
	defer l.close()
	loc := &Location{Trigger: trig}
	for ttl := 1; ttl <= cfg.MaxTTL && ctx.Err() == nil; ttl++ {
		var h Hop
		if trig == TriggerSYN {
			h = locateSYN(ctx, addr, ttl, cfg.Wait, l)
		} else {
			h, err = locateContent(ctx, addr, trig, ttl, cfg.Wait, l)
			if errors.Is(err, errBannerReset) {
				// The banner itself draws the reset now: locate that.
				loc.Trigger, trig = TriggerBanner, TriggerBanner
				h, err = locateContent(ctx, addr, trig, ttl, cfg.Wait, l)
			}
			if err != nil {
				return loc, err
			}
		}
		loc.Hops = append(loc.Hops, h)
		switch h.Answer {
		case AnswerReset:
			loc.ResetTTL = ttl
			return loc, nil
		case AnswerServer:
			loc.ServerTTL = ttl
			return loc, nil
		case AnswerUnreachable:
			return loc, nil
		}
		// ICMP rate limits on routers (one per second per peer, with a
		// small burst): leave them room.
		time.Sleep(200 * time.Millisecond)
	}
	return loc, ctx.Err()
}

// locateSYN sends a SYN with the TTL (connect), then classes the answer.
func locateSYN(ctx context.Context, addr netip.AddrPort, ttl int, wait time.Duration, l *icmpListener) Hop {
	h := Hop{TTL: ttl}
	type res struct {
		conn  net.Conn
		local netip.AddrPort
		err   error
	}
	ch := make(chan res, 1)
	go func() {
		conn, local, err := Dial(ctx, addr, ttl, 0, wait)
		ch <- res{conn, local, err}
	}()
	r := <-ch
	if r.conn != nil {
		r.conn.Close()
		h.Answer = AnswerServer
		return h
	}
	kind, _ := classify(r.err)
	switch kind {
	case ErrRefused:
		h.Answer = AnswerReset
	case ErrUnreachable:
		// The kernel ends a connect on time-exceeded (EHOSTUNREACH); the
		// raw socket saw who sent it.
		if from, ans, ok := l.take(r.local.Port(), 500*time.Millisecond); ok {
			h.From, h.Answer = from, ans
		} else {
			h.Answer = AnswerTimeExceeded
		}
	default:
		if from, ans, ok := l.take(r.local.Port(), 0); ok {
			h.From, h.Answer = from, ans
		}
	}
	return h
}

// locateContent connects with the system's TTL, reads the server's
// identification string, sets the TTL and sends the trigger: the client's
// identification string, or (for TriggerKexInit) that at the normal TTL,
// the server's KEXINIT read, then at TTL ttl a KEXINIT and a key exchange
// init the server answers. A RST, a time-exceeded or the server's own data
// answers. The connection is then aborted (SO_LINGER 0) with the TTL
// restored, so the server forgets it at once.
func locateContent(ctx context.Context, addr netip.AddrPort, trig Trigger, ttl int, wait time.Duration, l *icmpListener) (Hop, error) {
	h := Hop{TTL: ttl}
	conn, local, err := Dial(ctx, addr, 0, 0, wait)
	if err != nil {
		return h, fmt.Errorf("connecting for TTL %d: %v", ttl, err)
	}
	tc := conn.(*net.TCPConn)
	defer func() {
		_ = setConnTTL(tc, addr.Addr().Is6(), 64)
		_ = tc.SetLinger(0)
		tc.Close()
	}()
	// Read the server's identification string first (it may come in
	// several segments), so that only the trigger's answer is left.
	_ = tc.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	var got []byte
	for !containsLine(got) {
		n, err := tc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || len(got) > 16<<10 {
			return h, fmt.Errorf("the server sent no identification string at TTL %d: %v", ttl, err)
		}
	}
	trigger := []byte(DefaultVersion + "\r\n")
	if trig == TriggerKexInit {
		if _, err := tc.Write(trigger); err != nil {
			return h, err
		}
		// The rest of the server's first packet (its KEXINIT), so that
		// only the answer to ours is left.
		for !firstPacketIn(got) {
			n, err := tc.Read(buf)
			got = append(got, buf[:n]...)
			if kind, _ := classify(err); kind == ErrReset {
				return h, errBannerReset
			}
			if err != nil || len(got) > 64<<10 {
				return h, fmt.Errorf("the server sent no KEXINIT at TTL %d: %v", ttl, err)
			}
		}
		trigger = kexTrigger()
	}
	if err := setConnTTL(tc, addr.Addr().Is6(), ttl); err != nil {
		return h, err
	}
	if _, err := tc.Write(trigger); err != nil {
		return h, err
	}
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	_ = tc.SetReadDeadline(time.Now().Add(wait))
	go func() {
		n, err := tc.Read(buf)
		ch <- res{n, err}
	}()
	deadline := time.Now().Add(wait)
	for {
		select {
		case r := <-ch:
			if r.n > 0 {
				h.Answer = AnswerServer
				return h, nil
			}
			if kind, _ := classify(r.err); kind == ErrReset {
				h.Answer = AnswerReset
				return h, nil
			}
			// Timeout or close: what the raw socket saw, if anything.
			if from, ans, ok := l.take(local.Port(), 0); ok {
				h.From, h.Answer = from, ans
			}
			return h, nil
		case <-time.After(50 * time.Millisecond):
			// A time-exceeded does not end an established connection: act
			// on it when it comes, and tell the reader to stop.
			if from, ans, ok := l.take(local.Port(), 0); ok {
				h.From, h.Answer = from, ans
				_ = tc.SetReadDeadline(time.Now())
				<-ch
				return h, nil
			}
			if time.Now().After(deadline.Add(time.Second)) {
				return h, nil
			}
		}
	}
}

func containsLine(b []byte) bool {
	for i := 0; i+4 <= len(b); i++ {
		if string(b[i:i+4]) == "SSH-" {
			for _, c := range b[i:] {
				if c == '\n' {
					return true
				}
			}
			return false
		}
	}
	return false
}

func setConnTTL(c *net.TCPConn, v6 bool, ttl int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = SetTTL(int(fd), v6, ttl) }); err != nil {
		return err
	}
	return serr
}

// icmpListener reads ICMP errors on a raw socket and files them by the
// local TCP port of the packet they quote.
type icmpListener struct {
	c    *icmp.PacketConn
	v6   bool
	mu   sync.Mutex
	got  map[uint16]icmpSeen
	done chan struct{}
}

type icmpSeen struct {
	from netip.Addr
	ans  Answer
}

// ErrNoRawSocket means Locate lacks CAP_NET_RAW.
var ErrNoRawSocket = errors.New("--locate reads ICMP time-exceeded replies on a raw socket: it needs root or CAP_NET_RAW")

func listenICMP(v6 bool) (*icmpListener, error) {
	network, laddr := "ip4:icmp", "0.0.0.0"
	if v6 {
		network, laddr = "ip6:ipv6-icmp", "::"
	}
	c, err := icmp.ListenPacket(network, laddr)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, ErrNoRawSocket
		}
		return nil, err
	}
	l := &icmpListener{c: c, v6: v6, got: map[uint16]icmpSeen{}, done: make(chan struct{})}
	go l.loop()
	return l, nil
}

func (l *icmpListener) close() {
	l.c.Close()
	<-l.done
}

func (l *icmpListener) loop() {
	defer close(l.done)
	buf := make([]byte, 1500)
	proto := 1
	if l.v6 {
		proto = 58
	}
	for {
		n, peer, err := l.c.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil {
			continue
		}
		var quoted []byte
		ans := AnswerTimeExceeded
		switch b := m.Body.(type) {
		case *icmp.TimeExceeded:
			quoted = b.Data
		case *icmp.DstUnreach:
			quoted, ans = b.Data, AnswerUnreachable
		default:
			continue
		}
		if m.Type != ipv4.ICMPTypeTimeExceeded && m.Type != ipv6.ICMPTypeTimeExceeded &&
			m.Type != ipv4.ICMPTypeDestinationUnreachable && m.Type != ipv6.ICMPTypeDestinationUnreachable {
			continue
		}
		port, ok := quotedSourcePort(quoted, l.v6)
		if !ok {
			continue
		}
		from, ok := addrOf(peer)
		if !ok {
			continue
		}
		l.mu.Lock()
		if _, seen := l.got[port]; !seen {
			l.got[port] = icmpSeen{from, ans}
		}
		l.mu.Unlock()
	}
}

// take returns (and forgets) the ICMP error about local port, waiting up
// to wait for it.
func (l *icmpListener) take(port uint16, wait time.Duration) (netip.Addr, Answer, bool) {
	deadline := time.Now().Add(wait)
	for {
		l.mu.Lock()
		s, ok := l.got[port]
		delete(l.got, port)
		l.mu.Unlock()
		if ok {
			return s.from, s.ans, true
		}
		if !time.Now().Before(deadline) {
			return netip.Addr{}, AnswerNone, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quotedSourcePort reads the TCP source port from the datagram an ICMP
// error quotes (its IP header, then at least 8 bytes of TCP).
func quotedSourcePort(b []byte, v6 bool) (uint16, bool) {
	if v6 {
		if len(b) < 40+2 || b[0]>>4 != 6 || b[6] != 6 { // next header TCP, no extension headers
			return 0, false
		}
		return binary.BigEndian.Uint16(b[40:]), true
	}
	if len(b) < 20 || b[0]>>4 != 4 || b[9] != 6 {
		return 0, false
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < 20 || len(b) < ihl+2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(b[ihl:]), true
}

func addrOf(a net.Addr) (netip.Addr, bool) {
	switch v := a.(type) {
	case *net.IPAddr:
		ip, ok := netip.AddrFromSlice(v.IP)
		return ip.Unmap(), ok
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(v.IP)
		return ip.Unmap(), ok
	}
	return netip.Addr{}, false
}

// errBannerReset: the banner, sent at the normal TTL before a KEXINIT
// trigger, was reset.
var errBannerReset = errors.New("the banner was reset")

// firstPacketIn reports whether b holds the identification line and a
// whole binary packet after it.
func firstPacketIn(b []byte) bool {
	i := bytes.Index(b, []byte("SSH-"))
	if i < 0 {
		return false
	}
	j := bytes.IndexByte(b[i:], '\n')
	if j < 0 {
		return false
	}
	rest := b[i+j+1:]
	if len(rest) < 4 {
		return false
	}
	return len(rest) >= 4+int(binary.BigEndian.Uint32(rest))
}

// kexTrigger is a cleartext KEXINIT (curve25519-sha256 only, common host
// key and cipher names) and an SSH_MSG_KEX_ECDH_INIT, which a server that
// takes the KEXINIT answers with its key exchange reply.
func kexTrigger() []byte {
	p := []byte{20}
	cookie := make([]byte, 16)
	_, _ = rand.Read(cookie)
	p = append(p, cookie...)
	for _, l := range []string{
		"curve25519-sha256,curve25519-sha256@libssh.org",
		"ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
		"aes128-ctr,aes256-ctr", "aes128-ctr,aes256-ctr",
		"hmac-sha2-256,hmac-sha2-512", "hmac-sha2-256,hmac-sha2-512",
		"none", "none", "", "",
	} {
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	q := make([]byte, 32)
	_, _ = rand.Read(q)
	ecdh := binary.BigEndian.AppendUint32([]byte{30}, 32)
	return append(sshPacket(p), sshPacket(append(ecdh, q...))...)
}

// sshPacket frames a cleartext payload (RFC 4253 §6): length, padding
// length, payload, 4 to 11 bytes of padding to a multiple of 8.
func sshPacket(payload []byte) []byte {
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	b = append(b, byte(pad))
	b = append(b, payload...)
	return append(b, make([]byte, pad)...)
}
