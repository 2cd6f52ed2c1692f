package probe

import (
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func listen(t *testing.T) (net.Listener, netip.AddrPort) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).AddrPort()
}

// sshServer serves x/crypto/ssh connections that never authenticate;
// it records the size of the largest public key offered.
func sshServer(t *testing.T, publickey bool) (netip.AddrPort, ssh.PublicKey, *atomic.Int64) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	var largest atomic.Int64
	cfg := &ssh.ServerConfig{ServerVersion: "SSH-2.0-probe_test_server"}
	if publickey {
		cfg.PublicKeyCallback = func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if n := int64(len(k.Marshal())); n > largest.Load() {
				largest.Store(n)
			}
			return nil, errors.New("no")
		}
	} else {
		cfg.PasswordCallback = func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, errors.New("no") }
	}
	cfg.AddHostKey(signer)
	l, addr := listen(t)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				ssh.NewServerConn(c, cfg)
				c.Close()
			}()
		}
	}()
	return addr, signer.PublicKey(), &largest
}

func TestOneEveryStep(t *testing.T) {
	addr, hostKey, largest := sshServer(t, true)
	r := One(context.Background(), 1, addr, Config{Timeout: 5 * time.Second})
	if r.Reached != StepDone || r.Err != ErrNone {
		t.Fatalf("reached %s, error %s (%s)", r.Reached, r.Err, r.ErrText)
	}
	if r.Banner != "SSH-2.0-probe_test_server" || r.HostKey != ssh.FingerprintSHA256(hostKey) || r.HostKeyType != "ssh-ed25519" {
		t.Errorf("server facts: %+v", r)
	}
	if !slices.Contains(r.AuthMethods, "publickey") || r.Kex == "" || r.Cipher == "" || len(r.HASSH) != 32 || len(r.HASSHServer) != 32 {
		t.Errorf("algorithms, methods, HASSH: %+v", r)
	}
	// The server saw the large key: the large packet went out and came
	// through, bigger than an Ethernet MSS.
	if n := largest.Load(); n < 1460 || int(n) != r.LargeSent {
		t.Errorf("the server saw a key of %d bytes, the probe says it sent %d", n, r.LargeSent)
	}
	if !r.Local.Addr().IsLoopback() || r.Local.Port() == 0 {
		t.Errorf("local address %s", r.Local)
	}
}

func TestOneNoPublickey(t *testing.T) {
	addr, _, _ := sshServer(t, false)
	r := One(context.Background(), 1, addr, Config{Timeout: 5 * time.Second})
	if r.Reached != StepDone || !r.LargeSkipped || r.LargeSent != 0 || !slices.Equal(r.AuthMethods, []string{"password"}) {
		t.Errorf("%+v", r)
	}
}

func TestOneRefused(t *testing.T) {
	l, addr := listen(t)
	l.Close()
	r := One(context.Background(), 1, addr, Config{Timeout: 2 * time.Second})
	if r.Reached != StepNone || r.Err != ErrRefused || r.Local.Port() == 0 {
		t.Errorf("%+v", r)
	}
}

// serveRaw runs fn on each accepted connection.
func serveRaw(t *testing.T, fn func(c *net.TCPConn)) netip.AddrPort {
	l, addr := listen(t)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go fn(c.(*net.TCPConn))
		}
	}()
	return addr
}

func TestOneReset(t *testing.T) {
	addr := serveRaw(t, func(c *net.TCPConn) {
		buf := make([]byte, 100)
		c.Read(buf) // the client's banner
		c.SetLinger(0)
		c.Close()
	})
	r := One(context.Background(), 1, addr, Config{Timeout: 2 * time.Second})
	if r.Reached != StepTCP || r.Err != ErrReset {
		t.Errorf("%+v", r)
	}
}

func TestOneMaxStartups(t *testing.T) {
	addr := serveRaw(t, func(c *net.TCPConn) {
		c.Write([]byte("Exceeded MaxStartups\r\n"))
		c.Close()
	})
	r := One(context.Background(), 1, addr, Config{Timeout: 2 * time.Second})
	if r.Reached != StepTCP || (r.Err != ErrClosed && r.Err != ErrReset) || !slices.Equal(r.PreBanner, []string{"Exceeded MaxStartups"}) {
		t.Errorf("%+v", r)
	}
}

func TestOneStalls(t *testing.T) {
	addr := serveRaw(t, func(c *net.TCPConn) {
		c.Write([]byte("SSH-2.0-silent\r\n"))
		time.Sleep(3 * time.Second)
		c.Close()
	})
	r := One(context.Background(), 1, addr, Config{Timeout: 300 * time.Millisecond})
	if r.Reached != StepBanner || r.Err != ErrTimeout || !r.Stalled() || r.Banner != "SSH-2.0-silent" {
		t.Errorf("%+v", r)
	}
}

func TestRunParallel(t *testing.T) {
	addr, _, _ := sshServer(t, true)
	rs := Run(context.Background(), addr, 4, 2, 10*time.Millisecond, Config{Timeout: 5 * time.Second}, nil)
	if len(rs) != 4 {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.N != i+1 || r.Reached != StepDone {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in   string
		host string
		port uint16
		bad  bool
	}{
		{"example.org", "example.org", 22, false},
		{"example.org:2222", "example.org", 2222, false},
		{"192.0.2.1", "192.0.2.1", 22, false},
		{"192.0.2.1:22", "192.0.2.1", 22, false},
		{"2001:db8::2", "2001:db8::2", 22, false},
		{"[2001:db8::2]", "2001:db8::2", 22, false},
		{"[2001:db8::2]:2222", "2001:db8::2", 2222, false},
		{"host:0", "", 0, true},
		{"host:70000", "", 0, true},
		{"host:ssh", "", 0, true},
		{":22", "", 0, true},
		{"[2001:db8::2", "", 0, true},
		{"2001:db8::2]", "", 0, true},
		{"[2001:db8::2]x", "", 0, true},
		{"", "", 0, true},
	} {
		h, p, err := ParseTarget(c.in)
		if (err != nil) != c.bad || h != c.host || p != c.port {
			t.Errorf("ParseTarget(%q) = %q, %d, %v", c.in, h, p, err)
		}
	}
}

func nameList(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func TestKexinitHASSH(t *testing.T) {
	p := append([]byte{msgKexInit}, make([]byte, 16)...)
	for _, s := range []string{"kex1,kex2", "hk", "c-c2s", "c-s2c", "m-c2s", "m-s2c", "none", "zlib"} {
		p = nameList(p, s)
	}
	sum := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	if got, want := kexinitHASSH(p, true), sum("kex1,kex2;c-s2c;m-s2c;zlib"); got != want {
		t.Errorf("server HASSH %s, want %s", got, want)
	}
	if got, want := kexinitHASSH(p, false), sum("kex1,kex2;c-c2s;m-c2s;none"); got != want {
		t.Errorf("client HASSH %s, want %s", got, want)
	}
	for i := range p {
		kexinitHASSH(p[:i], true) // cut anywhere: no panic
	}
}

func TestQuotedSourcePort(t *testing.T) {
	v4 := make([]byte, 28)
	v4[0], v4[9] = 0x45, 6
	binary.BigEndian.PutUint16(v4[20:], 40001)
	if p, ok := quotedSourcePort(v4, false); !ok || p != 40001 {
		t.Errorf("IPv4: %d %v", p, ok)
	}
	v6 := make([]byte, 48)
	v6[0], v6[6] = 0x60, 6
	binary.BigEndian.PutUint16(v6[40:], 40002)
	if p, ok := quotedSourcePort(v6, true); !ok || p != 40002 {
		t.Errorf("IPv6: %d %v", p, ok)
	}
	for i := range v4 {
		quotedSourcePort(v4[:i], false)
	}
	v4[9] = 17 // UDP: not ours
	if _, ok := quotedSourcePort(v4, false); ok {
		t.Error("a UDP datagram taken for TCP")
	}
}

// TestKexTrigger: the KEXINIT and key exchange init that --locate sends
// are well formed: an SSH server answers them with its key exchange reply.
func TestKexTrigger(t *testing.T) {
	addr, _, _ := sshServer(t, true)
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte(DefaultVersion + "\r\n"))
	var got []byte
	buf := make([]byte, 4096)
	for !firstPacketIn(got) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if _, err := c.Write(kexTrigger()); err != nil {
		t.Fatal(err)
	}
	// The server's next packet: SSH_MSG_KEX_ECDH_REPLY (31).
	var next []byte
	for len(next) < 6 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no answer to the trigger: %v", err)
		}
		next = append(next, buf[:n]...)
	}
	if next[5] != 31 {
		t.Errorf("the server answered message %d, want 31 (KEX_ECDH_REPLY)", next[5])
	}
}

// TestLocateNoReset: with nothing on the path (loopback), every trigger
// reaches the server at TTL 1. Needs a raw socket (root).
func TestLocateNoReset(t *testing.T) {
	addr, _, _ := sshServer(t, true)
	for _, trig := range []Trigger{TriggerSYN, TriggerBanner, TriggerKexInit} {
		loc, err := Locate(context.Background(), addr, trig, LocateConfig{MaxTTL: 3, Wait: time.Second})
		if errors.Is(err, ErrNoRawSocket) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatalf("%s: %v", trig, err)
		}
		if loc.ServerTTL != 1 || loc.ResetTTL != 0 || len(loc.Hops) != 1 || loc.Hops[0].Answer != AnswerServer {
			t.Errorf("%s: %+v", trig, loc)
		}
		if _, ok := loc.LastHop(); ok {
			t.Errorf("%s: a last hop before a reset that never came", trig)
		}
	}
}
