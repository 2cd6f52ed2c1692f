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
	free := func() netip.AddrPort {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return netip.MustParseAddrPort(ln.Addr().String())
	}
	server, client := free(), free() // both closed now: a SYN to server draws the stack's reset
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
