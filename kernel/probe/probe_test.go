//go:build linux

package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rstsniff/rstsniff/kernel"
)

// netns is a network namespace of the test's own, held by one locked OS
// thread; do runs functions on that thread, so the sockets they create
// live in the namespace. Nothing leaves it: only its loopback is up.
type netns struct {
	inode uint32
	path  string
	jobs  chan func()
	done  chan struct{}
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	n := &netns{jobs: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- err
			return
		}
		n.path = fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		ino, err := NetnsOf("/proc/thread-self/ns/net")
		if err != nil {
			ready <- err
			return
		}
		n.inode = ino
		if out, err := exec.Command("nsenter", "--net="+n.path, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			ready <- fmt.Errorf("lo up: %v %s", err, out)
			return
		}
		ready <- nil
		for f := range n.jobs {
			f()
			n.done <- struct{}{}
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("new network namespace: %v", err)
	}
	t.Cleanup(func() { close(n.jobs) })
	return n
}

func (n *netns) do(f func()) {
	n.jobs <- f
	<-n.done
}

// nsexec runs a command in the namespace (iptables).
func (n *netns) nsexec(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"--net=" + n.path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the kernel witness needs root (CAP_BPF, CAP_PERFMON)")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter")
	}
}

// collect runs a probe for namespace ns until stop, returning its events.
func collect(t *testing.T, o Options) (stop func() []kernel.Event, p *Probe) {
	t.Helper()
	p, err := Open(o)
	if err != nil {
		var u *UnavailableError
		if errors.As(err, &u) {
			t.Skipf("%v", err)
		}
		t.Fatal(err)
	}
	var mu sync.Mutex
	var evs []kernel.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := p.Read()
			if err != nil {
				return
			}
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
		}
	}()
	return func() []kernel.Event {
		time.Sleep(200 * time.Millisecond)
		p.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return evs
	}, p
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func find(evs []kernel.Event, k kernel.Kind, src, dst netip.AddrPort) []kernel.Event {
	var out []kernel.Event
	for _, e := range evs {
		if e.Kind == k && e.Src == src && e.Dst == dst {
			out = append(out, e)
		}
	}
	return out
}

func localPort(c net.Conn) uint16 { return uint16(c.LocalAddr().(*net.TCPAddr).Port) }

func TestReasons(t *testing.T) {
	needRoot(t)
	ns := newNetns(t)
	stop, p := collect(t, Options{Netns: ns.inode})
	t.Logf("firewall watched by %s %v", p.Firewall, p.Fallbacks)

	// A refused port: the listener-less port answers the SYN with NO_SOCKET.
	var refusedFrom uint16
	ns.do(func() {
		d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				_ = unix.Bind(int(fd), &unix.SockaddrInet4{Port: 40001, Addr: [4]byte{127, 0, 0, 1}})
			})
		}}
		_, err := d.Dial("tcp", "127.0.0.1:1")
		if err == nil {
			t.Error("port 1 accepted a connection")
		}
		refusedFrom = 40001
	})

	// A server closing with unread data: TCP_ABORT_ON_CLOSE, in the server
	// process's close(); the client's socket receives the reset.
	var abortCli, abortSrv netip.AddrPort
	ns.do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:2201")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", "127.0.0.1:2201")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("SSH-2.0-unread\r\n"))
		time.Sleep(50 * time.Millisecond)
		s.Close()
		time.Sleep(50 * time.Millisecond)
		abortCli = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), localPort(c))
		abortSrv = ap("127.0.0.1:2201")
	})

	// SO_LINGER 0: the closing socket sends TCP_STATE, state CLOSE.
	var lingerCli netip.AddrPort
	ns.do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:2202")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial("tcp", "127.0.0.1:2202")
		if err != nil {
			t.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		lingerCli = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), localPort(c))
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		time.Sleep(50 * time.Millisecond)
	})

	if n, err := p.Lost(); n != 0 || err != nil {
		t.Errorf("%d events lost (%v)", n, err)
	}
	evs := stop()
	for _, e := range evs {
		t.Logf("%s %s -> %s %s %s active=%v pid=%d comm=%q", e.Kind, e.Src, e.Dst, e.Reason, e.State, e.Active, e.PID, e.Comm)
	}
	if got := find(evs, kernel.StackSent, ap("127.0.0.1:1"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), refusedFrom)); len(got) != 1 || got[0].Reason != kernel.ReasonNoSocket {
		t.Errorf("refused port: got %+v, want one NO_SOCKET", got)
	}
	got := find(evs, kernel.StackSent, abortSrv, abortCli)
	if len(got) != 1 || got[0].Reason != kernel.ReasonAbortOnClose || !got[0].Owner() || got[0].PID != uint32(os.Getpid()) {
		t.Errorf("close with unread data: got %+v, want one TCP_ABORT_ON_CLOSE by pid %d", got, os.Getpid())
	}
	if got := find(evs, kernel.Received, abortSrv, abortCli); len(got) != 1 {
		t.Errorf("close with unread data: the client's socket received %d resets, want 1", len(got))
	}
	got = find(evs, kernel.StackSent, lingerCli, ap("127.0.0.1:2202"))
	if len(got) != 1 || got[0].Reason != kernel.ReasonState || got[0].State != 7 {
		t.Errorf("SO_LINGER 0: got %+v, want one TCP_STATE in state CLOSE", got)
	}
	for _, e := range evs {
		if e.Netns != ns.inode {
			t.Errorf("event of namespace %d in the probe of %d: %+v", e.Netns, ns.inode, e)
		}
	}
}

// TestFirewallReject: a REJECT --reject-with tcp-reset rule in INPUT resets a
// connection attempt; the stack sends nothing for it, netfilter does
// (fentry) or is seen dropping the SYN (kfree_skb).
func TestFirewallReject(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs iptables")
	}
	ns := newNetns(t)
	ns.nsexec(t, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "2203", "--syn", "-j", "REJECT", "--reject-with", "tcp-reset")
	stop, p := collect(t, Options{Netns: ns.inode})
	var cli netip.AddrPort
	ns.do(func() {
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40002}}
		if _, err := d.Dial("tcp", "127.0.0.1:2203"); err == nil {
			t.Error("the REJECT rule let a connection through")
		}
		cli = ap("127.0.0.1:40002")
	})
	evs := stop()
	for _, e := range evs {
		t.Logf("%s %s -> %s %s %s hook=%s", e.Kind, e.Src, e.Dst, e.Reason, e.State, e.Hook)
	}
	srv := ap("127.0.0.1:2203")
	if got := find(evs, kernel.StackSent, srv, cli); len(got) != 0 {
		t.Errorf("the TCP stack sent %d resets for a port only the firewall answers", len(got))
	}
	switch p.Firewall {
	case FirewallFentry:
		if got := find(evs, kernel.FirewallSent, srv, cli); len(got) != 1 || got[0].Hook != kernel.HookInput {
			t.Errorf("fentry: got %+v, want one reset from INPUT", got)
		}
	case FirewallKfreeSkb:
		if got := find(evs, kernel.FirewallDropped, srv, cli); len(got) != 1 {
			t.Errorf("kfree_skb: got %+v, want the SYN dropped once", got)
		}
	default:
		t.Skip("netfilter is not watched on this kernel")
	}
	if got := find(evs, kernel.Received, srv, cli); len(got) != 1 {
		t.Errorf("the client's socket received %d resets, want 1", len(got))
	}
}

// TestNamespacesDoNotLeak: two namespaces run the same four-tuples at once
// (fifty connections, some reset); each probe sees its own resets only.
func TestNamespacesDoNotLeak(t *testing.T) {
	needRoot(t)
	a, b := newNetns(t), newNetns(t)
	stopA, _ := collect(t, Options{Netns: a.inode})
	stopB, _ := collect(t, Options{Netns: b.inode})
	// run opens n connections to 127.0.0.1:2204 from ports 41000.., resetting
	// (SO_LINGER 0) the first reset of them; the others close normally.
	run := func(ns *netns, n, reset int) {
		ns.do(func() {
			ln, err := net.Listen("tcp", "127.0.0.1:2204")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			var conns, accepted []net.Conn
			for i := range n {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41000 + i}}
				c, err := d.Dial("tcp", "127.0.0.1:2204")
				if err != nil {
					t.Fatal(err)
				}
				s, err := ln.Accept()
				if err != nil {
					t.Fatal(err)
				}
				conns, accepted = append(conns, c), append(accepted, s)
			}
			for i, c := range conns {
				if i < reset {
					c.(*net.TCPConn).SetLinger(0)
				}
				c.Close()
			}
			time.Sleep(50 * time.Millisecond)
			for _, s := range accepted {
				s.Close()
			}
		})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); run(a, 30, 10) }()
	go func() { defer wg.Done(); run(b, 20, 20) }()
	wg.Wait()
	for _, c := range []struct {
		name      string
		ns        *netns
		evs       []kernel.Event
		n, resets int
	}{{"a", a, stopA(), 30, 10}, {"b", b, stopB(), 20, 20}} {
		sent := map[netip.AddrPort]int{}
		for _, e := range c.evs {
			if e.Netns != c.ns.inode {
				t.Errorf("%s: event of namespace %d: %+v", c.name, e.Netns, e)
			}
			if e.Kind == kernel.StackSent {
				if e.Reason != kernel.ReasonState || e.Dst != ap("127.0.0.1:2204") {
					t.Errorf("%s: unexpected reset %+v", c.name, e)
				}
				sent[e.Src]++
			}
		}
		if len(sent) != c.resets {
			t.Errorf("%s: resets sent from %d client ports, want %d", c.name, len(sent), c.resets)
		}
		for i := range c.resets {
			if p := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(41000+i)); sent[p] != 1 {
				t.Errorf("%s: %d resets from %s, want 1", c.name, sent[p], p)
			}
		}
	}
}

// TestKeepaliveTimeout: a client with a 1 s keepalive whose peer's answers
// are dropped resets the connection from its timer: TCP_KEEPALIVE_TIMEOUT,
// an active reset that no process call made (Owner false).
func TestKeepaliveTimeout(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs iptables")
	}
	ns := newNetns(t)
	stop, _ := collect(t, Options{Netns: ns.inode})
	var cli netip.AddrPort
	var c net.Conn
	ns.do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:2205")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: time.Second, Interval: time.Second, Count: 1}}
		if c, err = d.Dial("tcp", "127.0.0.1:2205"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		s, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		cli = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), localPort(c))
	})
	// The server's answers to the probes never arrive.
	ns.nsexec(t, "iptables", "-A", "INPUT", "-p", "tcp", "--sport", "2205", "-j", "DROP")
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break // the keepalive timer gave up
		}
	}
	evs := stop()
	got := find(evs, kernel.StackSent, cli, ap("127.0.0.1:2205"))
	if len(got) != 1 || got[0].Reason != kernel.ReasonKeepaliveTimeout || !got[0].Active || got[0].Owner() {
		t.Errorf("keepalive: got %+v, want one active TCP_KEEPALIVE_TIMEOUT, not in an owner's call", got)
	}
}
