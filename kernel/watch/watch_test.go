package watch

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
)

// TestNilWatcher: the witness off does nothing.
func TestNilWatcher(t *testing.T) {
	var w *Watcher
	f := &analyze.Flow{Resets: []analyze.Reset{{}}}
	w.Attribute([]*analyze.Flow{f})
	w.Close()
	if f.Resets[0].Kernel != nil || f.Dropped != nil {
		t.Error("a nil Watcher attributed")
	}
}

// TestWatchReset: a reset this host's stack sends (a SYN to a closed port
// on the loopback) is the stack's by the kernel's word. It needs root and
// BPF; without them the test is skipped.
func TestWatchReset(t *testing.T) {
	var counted int
	w, st, err := Start(Options{Count: func(*kernel.Event) { counted++ }})
	if err != nil {
		t.Skipf("kernel witness cannot run here: %v", err)
	}
	defer w.Close()
	server, client := freePort(t), freePort(t) // both closed now: a SYN to server draws the stack's reset
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(client)}
	start := time.Now()
	if c, err := d.Dial("tcp", server.String()); err == nil {
		c.Close()
		t.Skip("the closed port accepted a connection")
	}
	time.Sleep(300 * time.Millisecond)
	f := &analyze.Flow{Client: client, Server: server, Start: start, End: time.Now()}
	f.Resets = []analyze.Reset{{From: analyze.Server, Time: time.Now()}}
	w.Attribute([]*analyze.Flow{f})
	if counted == 0 {
		t.Errorf("no kernel event counted (namespace %d, firewall %v)", st.Netns, st.Firewall)
	}
	if k := f.Resets[0].Kernel; k == nil || k.Sender != kernel.SenderStack {
		t.Errorf("the reset's kernel witness: %+v, want this host's stack", k)
	}
}

// TestAttributeRightAfter: a connection attributed the moment its reset
// came, as when a capture stops (-c, --duration, a signal), still gets the
// kernel's event, though the reading goroutine has had no time to take it
// from the ring buffer: Attribute flushes it first (syncFor). It needs root
// and BPF; without them the test is skipped.
func TestAttributeRightAfter(t *testing.T) {
	w, _, err := Start(Options{})
	if err != nil {
		t.Skipf("kernel witness cannot run here: %v", err)
	}
	defer w.Close()
	const n = 100
	missed := 0
	for range n {
		server, client := freePort(t), freePort(t)
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(client)}
		if c, err := d.Dial("tcp", server.String()); err == nil {
			c.Close()
			t.Skip("a closed port accepted a connection")
		}
		now := time.Now() // the refusal's reset has come: its event is in the ring buffer
		f := &analyze.Flow{Client: client, Server: server, Start: now, End: now,
			Resets: []analyze.Reset{{From: analyze.Server, Time: now}}}
		w.Attribute([]*analyze.Flow{f})
		if k := f.Resets[0].Kernel; k == nil || k.Sender != kernel.SenderStack {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d resets attributed right after they came have no event of this host's stack", missed, n)
	}
}

// freePort is a loopback address and port no socket holds (a SYN to it
// draws the stack's reset).
func freePort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return netip.MustParseAddrPort(ln.Addr().String())
}
