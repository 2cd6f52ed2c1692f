// Package probe opens SSH connections that go as far as a client without
// credentials can: the TCP handshake, the identification strings, KEXINIT,
// the key exchange, the request for the "none" authentication method, a
// packet larger than the path's MSS, then a close. Each connection ends as
// a Result: typed facts of what the client's socket saw (how far it got,
// the error class, the server's banner, algorithms, host key and HASSH).
// Words for people are made in report/ and cmd/rstsniff, never here.
//
// Route finds the interface the route to the target leaves by and
// CaptureFilter the filter of the probe's own packets (capture/live.Record
// records them: this package imports no capture library).
package probe

import (
	"context"
	"crypto/md5"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Step is how far a connection got, as the client's socket saw it. Each
// step names what was completed; the names are part of the JSON output.
type Step uint8

const (
	StepNone     Step = iota // the TCP handshake did not complete
	StepTCP                  // TCP connected; no server identification string yet
	StepBanner               // the server's identification string arrived
	StepKexInit              // the server's KEXINIT arrived
	StepKex                  // the server's NEWKEYS arrived: keys in use
	StepAuthNone             // the server answered the "none" authentication request
	StepLarge                // the server answered the large packet
	StepDone                 // every step done; the client closed the connection
)

var stepNames = [...]string{"none", "tcp", "banner", "kexinit", "kex", "auth-none", "large", "done"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "unknown"
}

// ErrKind classes the error that ended a connection early.
type ErrKind uint8

const (
	ErrNone        ErrKind = iota // no error: the probe closed the connection itself
	ErrRefused                    // the SYN was answered by a RST (ECONNREFUSED)
	ErrTimeout                    // nothing came within the timeout
	ErrReset                      // a RST ended the established connection (ECONNRESET)
	ErrClosed                     // the server closed the connection (EOF)
	ErrUnreachable                // an ICMP error answered (EHOSTUNREACH, ENETUNREACH)
	ErrProtocol                   // the server's SSH was not understood
	ErrOther                      // anything else (ErrText says what)
)

var errNames = [...]string{"", "refused", "timeout", "reset", "closed", "unreachable", "protocol", "other"}

func (k ErrKind) String() string {
	if int(k) < len(errNames) {
		return errNames[k]
	}
	return "other"
}

// Result is what one connection's socket saw. Strings that came from the
// server (Banner, PreBanner, ErrText, AuthMethods) are untrusted.
type Result struct {
	N             int // 1-based, in order of start
	Local, Remote netip.AddrPort
	Start         time.Time
	Duration      time.Duration
	Reached       Step
	Err           ErrKind
	ErrText       string
	PreBanner     []string // lines the server sent before its identification string
	Banner        string   // the server's identification string
	HostKeyType   string
	HostKey       string // SHA256 fingerprint, as ssh-keygen -l prints it
	Kex, Cipher   string
	MAC           string
	HASSH         string // the client's (this probe's) HASSH
	HASSHServer   string
	AuthMethods   []string // the methods the server listed after "none"
	NoneAccepted  bool     // the server let the "none" method in
	LargeSent     int      // bytes of the large packet's payload (0: not sent)
	LargeSkipped  bool     // not sent: the server offers no publickey method to carry it
	MSS           int      // the MSS the probe clamped the connection to (0: the system's)
	ClientVersion string
}

// Abnormal reports whether the connection ended other than by the probe's
// own close after every step.
func (r *Result) Abnormal() bool { return r.Err != ErrNone }

// Config sets up probing. Zero values take the defaults noted.
type Config struct {
	User    string        // user name in the authentication request; "rstsniff-probe"
	Timeout time.Duration // per connection; 10 s
	// LargeSize is the payload of the large packet in bytes; 2000 (more than
	// an Ethernet MSS of 1460, so at least one full-size segment leaves).
	LargeSize int
	// ClientVersion is the identification string sent (without CR LF).
	ClientVersion string
	// MSS, when set, clamps the connection's TCP MSS (TCP_MAXSEG before
	// connect: the SYN advertises it, so both ends send segments no larger).
	MSS int
}

const (
	defaultUser    = "rstsniff-probe"
	defaultTimeout = 10 * time.Second
	defaultLarge   = 2000
	// DefaultVersion is the probe's identification string.
	DefaultVersion = "SSH-2.0-rstsniff_probe"
)

// ParseTarget splits HOST[:PORT] (IPv6 as [ADDR]:PORT or a bare address)
// and checks the port. The port is 22 when none is given.
func ParseTarget(s string) (host string, port uint16, err error) {
	if s == "" {
		return "", 0, errors.New("no target: give HOST[:PORT]")
	}
	bare := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		bare = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(bare); err == nil {
		return a.String(), 22, nil
	}
	if strings.ContainsAny(s, "[]") && !strings.HasPrefix(s, "[") {
		return "", 0, fmt.Errorf("bad target %q: want HOST, HOST:PORT or [IPv6]:PORT", s)
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") && !strings.ContainsAny(s, "[]:") {
			return s, 22, nil
		}
		return "", 0, fmt.Errorf("bad target %q: want HOST, HOST:PORT or [IPv6]:PORT", s)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("bad port %q in target %q", p, s)
	}
	if h == "" {
		return "", 0, fmt.Errorf("bad target %q: no host", s)
	}
	return h, uint16(n), nil
}

// Resolve turns a host into one address, preferring what the name gives first.
func Resolve(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), nil
	}
	as, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolving %s: %v", host, err)
	}
	if len(as) == 0 {
		return netip.Addr{}, fmt.Errorf("resolving %s: no address", host)
	}
	return as[0].Unmap(), nil
}

// errFinished ends the handshake once the large packet was answered.
var errFinished = errors.New("probe finished")

// Dial connects to addr, binding the local port first so that it is known
// even when the connection fails, and setting the IP TTL (hop limit) when
// ttl > 0 and the MSS when mss > 0. It returns the local address with the
// connection or the error.
func Dial(ctx context.Context, addr netip.AddrPort, ttl, mss int, timeout time.Duration) (net.Conn, netip.AddrPort, error) {
	var local netip.AddrPort
	d := net.Dialer{Timeout: timeout, Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = bindAndTTL(int(fd), addr.Addr().Is6(), ttl, &local)
			if serr == nil && mss > 0 {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, mss)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err == nil {
		if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
			local = netip.AddrPortFrom(a.AddrPort().Addr().Unmap(), a.AddrPort().Port())
		}
	} else if !local.Addr().IsValid() || local.Addr().IsUnspecified() {
		// Bound to the wildcard: name the address the route would use.
		if u, uerr := net.Dial("udp", addr.String()); uerr == nil {
			la := u.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
			u.Close()
			local = netip.AddrPortFrom(la, local.Port())
		}
	}
	return conn, local, err
}

func bindAndTTL(fd int, v6 bool, ttl int, local *netip.AddrPort) error {
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{}
	if v6 {
		sa = &syscall.SockaddrInet6{}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return err
	}
	if got, err := syscall.Getsockname(fd); err == nil {
		switch s := got.(type) {
		case *syscall.SockaddrInet4:
			*local = netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
		case *syscall.SockaddrInet6:
			*local = netip.AddrPortFrom(netip.AddrFrom16(s.Addr), uint16(s.Port))
		}
	}
	if ttl > 0 {
		return SetTTL(fd, v6, ttl)
	}
	return nil
}

// SetTTL sets IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6) on a socket.
func SetTTL(fd int, v6 bool, ttl int) error {
	if v6 {
		return syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS, ttl)
	}
	return syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_TTL, ttl)
}

// One probes one connection to addr. It never panics on what the server
// sends; every failure ends up in the Result.
func One(ctx context.Context, n int, addr netip.AddrPort, cfg Config) (r Result) {
	cfg = cfg.withDefaults()
	r = Result{N: n, Remote: addr, Start: time.Now(), ClientVersion: cfg.ClientVersion}
	defer func() { r.Duration = time.Since(r.Start) }()
	conn, local, err := Dial(ctx, addr, 0, cfg.MSS, cfg.Timeout)
	r.Local, r.MSS = local, cfg.MSS
	if err != nil {
		r.Err, r.ErrText = classify(err)
		return r
	}
	r.Reached = StepTCP
	_ = conn.SetDeadline(r.Start.Add(cfg.Timeout))
	t := &tracer{Conn: conn}
	t.server.onStep = func(s Step) {
		if s > r.Reached {
			r.Reached = s
		}
	}
	// The reader goroutine advances Reached through t.server.onStep under
	// t.mu; the authentication callback does so under it too.
	auth := func(c *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		switch len(c.TriedMethods) {
		case 0:
			return nil, errors.New("probe: the authentication callback came before the none request")
		case 1:
			r.Reached = max(r.Reached, StepAuthNone)
			r.AuthMethods = slices.Clone(c.AllowedMethods)
			r.Kex = c.Algorithms.KeyExchange
			r.Cipher = c.Algorithms.Write.Cipher
			r.MAC = c.Algorithms.Write.MAC
			if !slices.Contains(c.AllowedMethods, "publickey") {
				r.LargeSkipped = true
				return nil, errFinished
			}
			s, err := newLargeSigner(cfg.LargeSize)
			if err != nil {
				return nil, err
			}
			r.LargeSent = len(s.pub.Marshal())
			return ssh.PublicKeys(s), nil
		default:
			if r.LargeSent > 0 {
				r.Reached = max(r.Reached, StepLarge)
			}
			return nil, errFinished
		}
	}
	config := &ssh.ClientConfig{
		User:          cfg.User,
		ClientVersion: cfg.ClientVersion,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			r.HostKeyType = key.Type()
			r.HostKey = ssh.FingerprintSHA256(key)
			return nil
		},
		AuthCallback: auth,
		Timeout:      cfg.Timeout,
	}
	c, _, _, err := ssh.NewClientConn(t, addr.String(), config)
	t.mu.Lock()
	r.PreBanner, r.Banner = t.server.pre, t.server.ident
	r.HASSHServer, r.HASSH = t.server.hassh, t.client.hassh
	t.mu.Unlock()
	switch {
	case err == nil:
		// The server let "none" in: close at once.
		r.NoneAccepted = true
		r.Reached = max(r.Reached, StepAuthNone)
		c.Close()
		r.Reached = StepDone
	case errors.Is(err, errFinished):
		r.Reached = StepDone
	default:
		r.Err, r.ErrText = classify(err)
	}
	return r
}

func (c Config) withDefaults() Config {
	if c.User == "" {
		c.User = defaultUser
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.LargeSize <= 0 {
		c.LargeSize = defaultLarge
	}
	if c.ClientVersion == "" {
		c.ClientVersion = DefaultVersion
	}
	return c
}

// classify names the error class and keeps the text.
func classify(err error) (ErrKind, string) {
	if err == nil {
		return ErrNone, ""
	}
	text := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused, text
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ErrReset, text
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ErrUnreachable, text
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT),
		errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout, text
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ErrClosed, text
	case strings.HasPrefix(text, "ssh: handshake failed: ssh:"):
		return ErrProtocol, text
	}
	return ErrOther, text
}

// largeSigner carries a large RSA public key (a random modulus: nobody
// holds its private key) for a publickey query: the request for the key is
// the large packet. The server can only answer that it does not know the
// key; Sign is never reached, and refuses if it were.
type largeSigner struct{ pub ssh.PublicKey }

func newLargeSigner(size int) (*largeSigner, error) {
	// The blob is about 30 bytes plus the modulus; OpenSSH accepts moduli
	// of up to 16384 bits.
	bytes := min(max(size-30, 128), 2048)
	b := make([]byte, bytes)
	for i := range b {
		b[i] = byte(0x5a ^ i) // fixed pattern: the evidence looks the same each run
	}
	b[0] |= 0x80
	b[len(b)-1] |= 1
	pub, err := ssh.NewPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(b), E: 65537})
	if err != nil {
		return nil, err
	}
	return &largeSigner{pub: pub}, nil
}

func (s *largeSigner) PublicKey() ssh.PublicKey { return s.pub }
func (s *largeSigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, errors.New("probe: the large key has no private half")
}
func (s *largeSigner) SignWithAlgorithm(io.Reader, []byte, string) (*ssh.Signature, error) {
	return nil, errors.New("probe: the large key has no private half")
}
func (s *largeSigner) Algorithms() []string {
	return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
}

// Run probes count connections, parallel at a time (each batch starts
// together, to meet a server's MaxStartups), interval apart between
// batches. done, when set, is told of each result as it comes.
func Run(ctx context.Context, addr netip.AddrPort, count, parallel int, interval time.Duration, cfg Config, done func(Result)) []Result {
	parallel = max(parallel, 1)
	results := make([]Result, 0, count)
	var mu sync.Mutex
	for start := 0; start < count && ctx.Err() == nil; start += parallel {
		if start > 0 && interval > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
			if ctx.Err() != nil {
				break
			}
		}
		var wg sync.WaitGroup
		for i := start; i < min(start+parallel, count); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := One(ctx, i+1, addr, cfg)
				mu.Lock()
				results = append(results, res)
				if done != nil {
					done(res)
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	slices.SortFunc(results, func(a, b Result) int { return a.N - b.N })
	return results
}

// hassh returns the HASSH (Salesforce) of a KEXINIT's name-lists: the MD5 of
// kex;cipher;mac;compression for the sender's direction.
func hassh(kex, cipher, mac, comp string) string {
	sum := md5.Sum([]byte(kex + ";" + cipher + ";" + mac + ";" + comp))
	return hex.EncodeToString(sum[:])
}

// SmallMSS is the MSS of the connection that checks for an MTU black hole:
// 536 is the least every IPv4 path must carry (RFC 879, RFC 9293).
const SmallMSS = 536

// Stalled reports whether a connection got through the TCP handshake and
// then timed out: what an MTU black hole does to a full-size segment. Run
// the check connection (MSS SmallMSS) after such a one.
func (r *Result) Stalled() bool { return r.Reached >= StepTCP && r.Err == ErrTimeout }

// MTUCheck is what the small-MSS connection showed after connections
// stalled: when it got through every step where full-size segments did not,
// the path has a link with a smaller MTU whose ICMP "fragmentation needed"
// (IPv6 "packet too big") never comes back: an MTU black hole.
type MTUCheck struct {
	Stalled int    // connections that stalled after the TCP handshake
	Check   Result // the connection with MSS SmallMSS
}

// BlackHole reports whether the check proved an MTU black hole.
func (m *MTUCheck) BlackHole() bool {
	return m.Stalled > 0 && m.Check.Reached == StepDone
}

// CheckMTU runs the small-MSS connection when any of rs stalled; nil when
// none did.
func CheckMTU(ctx context.Context, addr netip.AddrPort, rs []Result, cfg Config) *MTUCheck {
	m := &MTUCheck{}
	for i := range rs {
		if rs[i].Stalled() {
			m.Stalled++
		}
	}
	if m.Stalled == 0 {
		return nil
	}
	cfg.MSS = SmallMSS
	m.Check = One(ctx, len(rs)+1, addr, cfg)
	return m
}
