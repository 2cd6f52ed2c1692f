package report

import (
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
)

func randomWitness(rng *rand.Rand) *kernel.Witness {
	w := &kernel.Witness{Sender: kernel.Sender(rng.Intn(4)), Basis: kernel.Basis(rng.Intn(5)), NotAccepted: rng.Intn(4) == 0}
	ev := func() *kernel.Event {
		return &kernel.Event{Time: time.Time(randomTime(rng)), Kind: kernel.Kind(1 + rng.Intn(4)), State: kernel.State(rng.Intn(14)),
			Reason: kernel.Reason(rng.Intn(20)), Hook: kernel.Hook(rng.Intn(5)), Active: rng.Intn(2) == 0,
			PID: uint32(rng.Intn(100000)), Comm: randomString(rng)}
	}
	if rng.Intn(2) == 0 {
		w.Sent = ev()
	}
	if rng.Intn(2) == 0 {
		w.Received = ev()
		for range rng.Intn(3) {
			w.After = append(w.After, *ev())
		}
	}
	return w
}

// The reset's kernel object, process names hostile, encodes as
// encoding/json would.
func TestKernelEncoderMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewSource(17))
	for i := range 5000 {
		jf := randomFlow(rng)
		for j := range jf.Resets {
			if rng.Intn(3) > 0 {
				jf.Resets[j].Kernel = newJSONKernel(randomWitness(rng))
			}
		}
		encodesAsEncodingJSON(t, i, &jf)
	}
}

func TestKernelSentence(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		w    *kernel.Witness
		want string
	}{
		{"closed with unread data, by its owner", &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint,
			Sent: &kernel.Event{Kind: kernel.StackSent, Reason: kernel.ReasonAbortOnClose, Active: true, PID: 42, Comm: "sshd\x1b[31m"}},
			`sent by this host's kernel: the process closed the socket with unread data (TCP_ABORT_ON_CLOSE), sshd\u001b[31m pid 42`},
		{"no socket: no process named", &kernel.Witness{Sender: kernel.SenderStack, Basis: kernel.BasisTracepoint,
			Sent: &kernel.Event{Kind: kernel.StackSent, Reason: kernel.ReasonNoSocket, PID: 7, Comm: "swapper/0"}},
			"sent by this host's kernel: no socket for the packet it answered (port closed, or the connection already gone) (NO_SOCKET)"},
		{"firewall by fentry", &kernel.Witness{Sender: kernel.SenderFirewall, Basis: kernel.BasisFentry,
			Sent: &kernel.Event{Kind: kernel.FirewallSent, Hook: kernel.HookInput}},
			"sent by this host's firewall (REJECT in INPUT)"},
		{"not this host", &kernel.Witness{Sender: kernel.SenderNotHost, Basis: kernel.BasisAbsence},
			"not sent by this host: it carries this host's address, but neither its TCP stack nor its firewall sent it"},
		{"received, then two NO_SOCKET", &kernel.Witness{Received: &kernel.Event{Kind: kernel.Received, State: 1},
			After: []kernel.Event{{Time: t0, Reason: kernel.ReasonNoSocket}, {Time: t0, Reason: kernel.ReasonNoSocket}}},
			"a socket of this host accepted it in ESTABLISHED; this host's kernel then sent 2 reset(s) on it: 2 NO_SOCKET"},
		{"not accepted", &kernel.Witness{NotAccepted: true}, "addressed to this host, but no open socket of it took the reset: it fell outside the window, or the connection had already ended here"},
		{"nil", nil, ""},
	} {
		if got := KernelSentence(c.w); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestStreamLineShowsTheKernel(t *testing.T) {
	f := &analyze.Flow{Client: netip.MustParseAddrPort("198.51.100.2:50000"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Resets: []analyze.Reset{{Packet: 6, From: analyze.Client, Kernel: &kernel.Witness{Sender: kernel.SenderStack,
			Sent: &kernel.Event{Kind: kernel.StackSent, Reason: kernel.ReasonState, Active: true, PID: 9, Comm: "abort"}}}}}
	var b strings.Builder
	if err := StreamLine(&b, f, false); err != nil {
		t.Fatal(err)
	}
	if want := "\n  kernel, reset frame 6: sent by this host's kernel: the process aborted the connection (SO_LINGER 0 or disconnect) (TCP_STATE), abort pid 9\n"; !strings.Contains(b.String(), want) {
		t.Errorf("stream line:\n%s\nlacks %q", b.String(), want)
	}
}
