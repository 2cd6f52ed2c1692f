package analyze

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// packet frames an SSH binary packet (RFC 4253 §6) without MAC.
func packet(msg byte, body []byte) []byte {
	payload := append([]byte{msg}, body...)
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	p := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	p = append(p, byte(pad))
	p = append(p, payload...)
	return append(p, make([]byte, pad)...)
}

func nameList(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

// kexinitBody is the KEXINIT OpenSSH 9.2 sends, trimmed.
func kexinitBody(kex, hostkey, cipher, mac string) []byte {
	b := make([]byte, 16) // cookie
	for _, l := range []string{kex, hostkey, cipher, cipher, mac, mac, "none,zlib@openssh.com", "none,zlib@openssh.com", "", ""} {
		b = append(b, nameList(l)...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

const (
	clientKex = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,ext-info-c"
	serverKex = "curve25519-sha256,diffie-hellman-group14-sha256,kex-strict-s-v00@openssh.com"
)

// serverStream is what an OpenSSH server sends: a pre-banner line, its
// identification string, KEXINIT, the ECDH reply, NEWKEYS, then ciphertext.
func serverStream() []byte {
	var s []byte
	s = append(s, "Welcome to the lab\r\n"...)
	s = append(s, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n"...)
	s = append(s, packet(msgKexInit, kexinitBody(serverKex, "rsa-sha2-512,ssh-ed25519", "aes128-ctr,chacha20-poly1305@openssh.com", "hmac-sha2-256,umac-64-etm@openssh.com"))...)
	s = append(s, packet(31, make([]byte, 300))...)
	s = append(s, packet(msgNewKeys, nil)...)
	return append(s, []byte(strings.Repeat("\x8f", 120))...)
}

type walkResult struct {
	Banner    string
	PreBanner []string
	Kex       []string
	HostKey   []string
	SawKex    bool
	NewKeys   bool
	EncBytes  int64
	State     walkState
	Packets   int
	Truncated bool
	Ciphers   []string
}

func resultOf(w *walker) walkResult {
	r := walkResult{Banner: w.banner, PreBanner: w.preBanner, SawKex: w.sawKexMsg, NewKeys: w.newKeys,
		EncBytes: w.encBytes, State: w.state, Packets: w.packets}
	if w.kexinit != nil {
		r.Kex, r.HostKey, r.Truncated = w.kexinit.Kex(), w.kexinit.HostKey(), w.kexinit.Truncated
		r.Ciphers = w.kexinit.CiphersC2S()
	}
	return r
}

func TestWalkerWhole(t *testing.T) {
	w := &walker{}
	w.feed(serverStream())
	got := resultOf(w)
	if got.Banner != "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10" || len(got.PreBanner) != 1 || got.PreBanner[0] != "Welcome to the lab" {
		t.Errorf("banner %q pre-banner %q", got.Banner, got.PreBanner)
	}
	if !reflect.DeepEqual(got.Kex, strings.Split(serverKex, ",")) || got.Truncated {
		t.Errorf("kex %q truncated %v", got.Kex, got.Truncated)
	}
	if !got.SawKex || !got.NewKeys || got.State != walkEncrypted || got.EncBytes != 120 || got.Packets != 3 {
		t.Errorf("progress %+v", got)
	}
}

// The same stream split at every byte, and fed one byte at a time, walks
// to the same place.
func TestWalkerSplits(t *testing.T) {
	s := serverStream()
	ref := &walker{}
	ref.feed(s)
	want := resultOf(ref)
	for i := 0; i <= len(s); i++ {
		w := &walker{}
		w.feed(s[:i])
		w.feed(s[i:])
		if got := resultOf(w); !reflect.DeepEqual(got, want) {
			t.Fatalf("split at %d: %+v, want %+v", i, got, want)
		}
	}
	w := &walker{}
	for i := range s {
		w.feed(s[i : i+1])
	}
	if got := resultOf(w); !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: %+v, want %+v", got, want)
	}
}

// Segments delivered through the reassembler out of order, duplicated and
// overlapping give the walker the same bytes exactly once.
func TestStreamReorder(t *testing.T) {
	s := serverStream()
	ref := &walker{}
	ref.feed(s)
	want := resultOf(ref)
	const isn = 0xfffffff0 // sequence numbers wrap inside the stream
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 300; trial++ {
		type seg struct {
			off, n int
		}
		var segs []seg
		for off := 0; off < len(s); {
			n := 1 + rng.Intn(90)
			if off+n > len(s) {
				n = len(s) - off
			}
			segs = append(segs, seg{off, n})
			off += n
		}
		// Retransmissions, some overlapping their neighbours.
		for i := 0; i < 1+rng.Intn(6); i++ {
			a := segs[rng.Intn(len(segs))]
			ext := rng.Intn(40)
			if a.off+a.n+ext > len(s) {
				ext = len(s) - a.off - a.n
			}
			segs = append(segs, seg{a.off, a.n + ext})
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		w := &walker{}
		var st stream
		st.start(isn + 1)
		for _, g := range segs {
			st.add(isn+1+uint32(g.off), s[g.off:g.off+g.n], g.n, w)
		}
		if got := resultOf(w); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: %+v, want %+v", trial, got, want)
		}
		if st.pendingBytes != 0 || len(st.pending) != 0 || st.gaps != 0 {
			t.Fatalf("trial %d: %d bytes still pending, %d gaps", trial, st.pendingBytes, st.gaps)
		}
	}
}

// A hole that is never filled stops the walker at the end, and a segment
// cut by the snapshot length counts as a hole.
func TestStreamHole(t *testing.T) {
	s := serverStream()
	w := &walker{}
	var st stream
	st.start(1)
	st.add(1, s[:30], 30, w)
	st.add(61, s[60:], len(s)-60, w)
	if w.banner != "" {
		t.Fatalf("walker went past a hole: %q", w.banner)
	}
	st.flush(w)
	if w.state != walkStopped || st.missing != 30 || st.gaps != 1 {
		t.Errorf("state %d missing %d gaps %d", w.state, st.missing, st.gaps)
	}

	w, st = &walker{}, stream{}
	st.start(1)
	st.add(1, s[:10], 100, w) // 100 bytes on the wire, 10 captured
	if w.state != walkStopped || st.missing != 90 || st.next != 101 {
		t.Errorf("snaplen: state %d missing %d next %d", w.state, st.missing, st.next)
	}
}

func TestWalkerHostile(t *testing.T) {
	cases := []struct {
		name   string
		client bool
		in     []byte
		why    StopReason
	}{
		{"huge packet_length", false, append([]byte("SSH-2.0-x\r\n"), 0xff, 0xff, 0xff, 0xff, 4, 20), StopMalformedPacket},
		{"long line", false, []byte(strings.Repeat("a", maxLineLen+1)), StopLongLine},
		{"client text first", true, []byte("GET / HTTP/1.1\r\n"), StopNotSSH},
		{"binary first", false, []byte{0x16, 0x03, 0x01, 0x00, 0xa5}, StopNotSSH},
		{"ssh-1", false, []byte("SSH-1.5-old\n"), StopSSH1},
		{"too many lines", false, []byte(strings.Repeat("x\r\n", maxPreBannerLines+1)), StopTooManyLines},
	}
	for _, c := range cases {
		w := &walker{isClient: c.client}
		w.feed(c.in)
		w.feed([]byte("SSH-2.0-late\r\n"))
		if w.state != walkStopped || w.stopWhy != c.why {
			t.Errorf("%s: state %d %v, want stopped %v", c.name, w.state, w.stopWhy, c.why)
		}
		if len(w.preBanner) > keptPreBanner || len(w.line) > maxLineLen {
			t.Errorf("%s: kept %d lines, %d line bytes", c.name, len(w.preBanner), len(w.line))
		}
	}
	// A KEXINIT larger than what is kept is parsed as far as it goes.
	huge := packet(msgKexInit, kexinitBody(strings.Repeat("k,", 40000)+"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"))
	w := &walker{}
	w.feed(append([]byte("SSH-2.0-x\r\n"), huge...))
	if w.kexinit == nil || !w.kexinit.Truncated || w.state != walkBinary {
		t.Errorf("huge kexinit: %+v state %d", w.kexinit, w.state)
	}
}

func TestNegotiateAndHASSH(t *testing.T) {
	c := parseKexInit(kexinitBody(clientKex, "ssh-ed25519", "chacha20-poly1305@openssh.com,aes128-ctr", "umac-64-etm@openssh.com,hmac-sha2-256"), false)
	s := parseKexInit(kexinitBody(serverKex, "rsa-sha2-512,ssh-ed25519", "aes128-ctr,chacha20-poly1305@openssh.com", "hmac-sha2-256,umac-64-etm@openssh.com"), false)
	if got := negotiated(c, s, listKex); got != "curve25519-sha256" {
		t.Errorf("kex %q", got)
	}
	if got := negotiated(c, s, listEncC2S); got != "chacha20-poly1305@openssh.com" {
		t.Errorf("cipher %q: the client's preference wins", got)
	}
	if got := negotiate([]byte("a"), []byte("b")); got != "" {
		t.Errorf("no common algorithm gave %q", got)
	}
	// HASSH is md5("kex;ciphers;macs;compression") of the client's lists.
	if got := c.HASSH(true); got != md5hex(clientKex+";chacha20-poly1305@openssh.com,aes128-ctr;umac-64-etm@openssh.com,hmac-sha2-256;none,zlib@openssh.com") {
		t.Errorf("hassh %s", got)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Connections whose KEXINITs differ only in the cookie share one copy, and
// the copy does not alias the capture's buffer it was parsed from.
func TestKexInitShared(t *testing.T) {
	tab := newKexTable()
	a := kexinitBody(clientKex, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256")
	b := kexinitBody(clientKex, "ssh-ed25519", "aes128-ctr", "hmac-sha2-256")
	b[0] = 0xaa // another cookie
	c := kexinitBody(clientKex, "ssh-ed25519", "aes256-ctr", "hmac-sha2-256")
	ka, kb, kc := tab.intern(a, false), tab.intern(b, false), tab.intern(c, false)
	if ka != kb {
		t.Error("two KEXINITs differing only in the cookie are kept twice")
	}
	if ka == kc {
		t.Error("KEXINITs with different ciphers share one copy")
	}
	if kt := tab.intern(a, true); kt == ka || !kt.Truncated {
		t.Error("a truncated KEXINIT is confused with a whole one")
	}
	want := ka.HASSH(true)
	for i := range a {
		a[i] = 0 // the capture's buffer is reused for the next packet
	}
	if got := ka.HASSH(true); got != want || ka.Kex()[0] != "sntrup761x25519-sha512@openssh.com" {
		t.Errorf("kept KEXINIT changed with the buffer it came from: %s", got)
	}
	if fresh := parseKexInit(b, false); fresh.computeHASSH(true) != want {
		t.Errorf("cached HASSH %s, computed %s", want, fresh.computeHASSH(true))
	}
	s := tab.intern(kexinitBody(serverKex, "ssh-ed25519", "chacha20-poly1305@openssh.com,aes256-ctr", "hmac-sha2-256"), false)
	first, again := tab.negotiated(kc, s), tab.negotiated(kc, s)
	if first != again || first.Cipher != "aes256-ctr" || first.Kex != "curve25519-sha256" || first.compS2C != "none" {
		t.Errorf("negotiated %+v then %+v", first, again)
	}
	if len(tab.algs) != 1 {
		t.Errorf("negotiation cached %d times, want once", len(tab.algs))
	}
}

// Identification strings are kept once per distinct string, up to the
// table's bound, and are right past it.
func TestBannersShared(t *testing.T) {
	tab := newKexTable()
	a, b := &walker{kexs: tab}, &walker{kexs: tab}
	a.feed([]byte("SSH-2.0-OpenSSH_9.2p1 Debian\r\n"))
	b.feed([]byte("SSH-2.0-OpenSSH_9.2p1 Debian\r\n"))
	if a.banner != "SSH-2.0-OpenSSH_9.2p1 Debian" || unsafe.StringData(a.banner) != unsafe.StringData(b.banner) {
		t.Errorf("banners %q and %q are not one string", a.banner, b.banner)
	}
	for i := range maxKexShared + 10 {
		w := &walker{kexs: tab}
		want := fmt.Sprintf("SSH-2.0-x%d", i)
		w.feed([]byte(want + "\n"))
		if w.banner != want {
			t.Fatalf("banner %q, want %q", w.banner, want)
		}
	}
	if len(tab.banners) != maxKexShared {
		t.Errorf("%d banners kept, bound %d", len(tab.banners), maxKexShared)
	}
}
