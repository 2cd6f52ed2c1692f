//go:build linux

package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/rstsniff/rstsniff/kernel"
)

// Firewall is how netfilter's resets are watched.
type Firewall uint8

const (
	FirewallNone     Firewall = iota // not watched
	FirewallFentry                   // fentry on nf_send_reset / nf_send_reset6
	FirewallKfreeSkb                 // tp_btf kfree_skb, NETFILTER_DROP
)

func (f Firewall) String() string {
	return [...]string{"none", "fentry nf_send_reset", "kfree_skb NETFILTER_DROP"}[f]
}

// Options configure Open. The zero value watches the calling thread's
// network namespace with the best programs that load.
type Options struct {
	// Netns is the inode of the network namespace to watch; 0: the calling
	// thread's (/proc/thread-self/ns/net).
	Netns uint32
	// NoFentry skips fentry on nf_send_reset, as if it did not load (tests
	// of the kfree_skb inference).
	NoFentry bool
}

// UnavailableError says why the witness is off, in one line.
type UnavailableError struct {
	Why string
	Err error
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		// cilium/ebpf's hint does not apply: kernels with BPF memory
		// accounting in cgroups (5.11 on) ignore RLIMIT_MEMLOCK.
		cause := strings.ReplaceAll(e.Err.Error(), " (MEMLOCK may be too low, consider rlimit.RemoveMemlock)", "")
		return fmt.Sprintf("kernel witness off: %s (%s)", e.Why, cause)
	}
	return "kernel witness off: " + e.Why
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Probe is the loaded and attached programs and their ring buffer.
// Construct with Open; Close detaches everything.
type Probe struct {
	Netns    uint32
	Firewall Firewall
	Start    time.Time // when the programs were attached
	// Fallbacks are the errors of the program sets that did not load, best first.
	Fallbacks []error

	coll     *ebpf.Collection
	links    []link.Link
	rd       *ringbuf.Reader
	lost     *ebpf.Variable
	reasons  map[uint32]kernel.Reason
	offset   time.Duration // wall clock minus CLOCK_MONOTONIC
	offsetAt time.Time     // when offset was measured
	once     sync.Once
	// mu guards closed and final: the losses counted when Close detached
	// the programs, which Losses returns from then on.
	mu     sync.Mutex
	closed bool
	final  struct {
		full, skipped uint64
		err           error
	}
}

// NetnsOf returns the inode of the network namespace at path (e.g.
// /proc/thread-self/ns/net).
func NetnsOf(path string) (uint32, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("%s: no inode", path)
	}
	return uint32(st.Ino), nil
}

// Open loads and attaches the programs.
func Open(o Options) (*Probe, error) {
	ns := o.Netns
	if ns == 0 {
		var err error
		if ns, err = NetnsOf("/proc/thread-self/ns/net"); err != nil {
			return nil, &UnavailableError{Why: "cannot read this thread's network namespace", Err: err}
		}
	}
	kspec, err := btf.LoadKernelSpec()
	if err != nil {
		return nil, &UnavailableError{Why: "the kernel has no BTF (/sys/kernel/btf/vmlinux)", Err: err}
	}
	reasons, err := enumByName(kspec, "sk_rst_reason")
	if err != nil {
		return nil, &UnavailableError{Why: "the kernel gives no reset reasons (tcp_send_reset has them from Linux 6.10)"}
	}
	table := map[uint32]kernel.Reason{}
	for name, v := range reasons {
		table[v] = kernel.ReasonByName(name)
	}
	var nfDrop uint32
	if drops, err := enumByName(kspec, "skb_drop_reason"); err == nil {
		nfDrop = drops["SKB_DROP_REASON_NETFILTER_DROP"]
	}

	spec, err := loadWitness()
	if err != nil {
		return nil, &UnavailableError{Why: "the BPF object does not parse", Err: err}
	}
	if err := spec.Variables["target_netns"].Set(ns); err != nil {
		return nil, err
	}
	if err := spec.Variables["netfilter_drop_reason"].Set(nfDrop); err != nil {
		return nil, err
	}

	p := &Probe{Netns: ns, reasons: table}
	base := []string{"tcp_send_reset", "tcp_receive_reset"}
	attempts := []struct {
		fw    Firewall
		progs []string
	}{
		{FirewallFentry, append(base[:2:2], "nf_send_reset", "nf_send_reset6")},
		{FirewallKfreeSkb, append(base[:2:2], "kfree_skb")},
		{FirewallNone, base},
	}
	var firstErr, lastErr error
	for _, a := range attempts {
		if a.fw == FirewallFentry && o.NoFentry || a.fw == FirewallKfreeSkb && nfDrop == 0 {
			continue
		}
		err := p.load(spec, kspec, a.progs)
		if err == nil {
			p.Firewall = a.fw
			break
		}
		if firstErr == nil {
			firstErr = err
		}
		p.Fallbacks = append(p.Fallbacks, fmt.Errorf("%s: %w", a.fw, err))
		lastErr = err
	}
	if p.coll == nil {
		var ve *ebpf.VerifierError
		if !errors.As(lastErr, &ve) && (errors.Is(lastErr, unix.EPERM) || errors.Is(lastErr, unix.EACCES)) {
			return nil, &UnavailableError{Why: "loading BPF programs needs CAP_BPF and CAP_PERFMON (or root)", Err: lastErr}
		}
		return nil, &UnavailableError{Why: "the BPF programs do not load on this kernel", Err: firstErr}
	}
	if p.rd, err = ringbuf.NewReader(p.coll.Maps["events"]); err != nil {
		p.Close()
		return nil, &UnavailableError{Why: "cannot read the BPF ring buffer", Err: err}
	}
	p.lost = p.coll.Variables["lost_events"]
	p.offset, p.offsetAt = clockOffset(), time.Now()
	p.Start = p.offsetAt
	return p, nil
}

// load loads the maps and the named programs, then attaches them.
func (p *Probe) load(spec *ebpf.CollectionSpec, kspec *btf.Spec, progs []string) error {
	s := spec.Copy()
	want := map[string]bool{}
	for _, n := range progs {
		want[n] = true
	}
	for n := range s.Programs {
		if !want[n] {
			delete(s.Programs, n)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(s, ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{KernelTypes: kspec}})
	if err != nil {
		return err
	}
	var links []link.Link
	for _, n := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: coll.Programs[n]})
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			coll.Close()
			return fmt.Errorf("attach %s: %w", n, err)
		}
		links = append(links, l)
	}
	p.coll, p.links = coll, links
	return nil
}

func enumByName(spec *btf.Spec, name string) (map[string]uint32, error) {
	var e *btf.Enum
	if err := spec.TypeByName(name, &e); err != nil {
		return nil, err
	}
	m := map[string]uint32{}
	for _, v := range e.Values {
		m[v.Name] = uint32(v.Value)
	}
	return m, nil
}

// clockOffset is the wall clock minus CLOCK_MONOTONIC (bpf_ktime_get_ns),
// from the closest of a few paired readings.
func clockOffset() time.Duration {
	best := time.Duration(0)
	bestSpan := time.Duration(1<<63 - 1)
	for range 5 {
		var ts unix.Timespec
		a := time.Now()
		_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		b := time.Now()
		if span := b.Sub(a); span < bestSpan {
			bestSpan = span
			mid := a.Add(span / 2)
			best = time.Duration(mid.UnixNano() - ts.Nano())
		}
	}
	return best
}

// Lost is how many events the kernel could not deliver, Losses' two parts
// together (kernel.JournalOptions.Lost).
func (p *Probe) Lost() (uint64, error) {
	full, skipped, err := p.Losses()
	return full + skipped, err
}

// Losses are the events the kernel could not deliver: full, those the ring
// buffer had no room for (read from memory mapped at load time); skipped,
// the runs of a program the kernel left out because that program was
// already running on the same CPU, as when a softirq interrupts it and
// hits the same hook (the program's recursion misses, asked of the kernel
// by the program's descriptor, which works after -Z too).
func (p *Probe) Losses() (full, skipped uint64, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return p.final.full, p.final.skipped, p.final.err
	}
	return p.losses()
}

func (p *Probe) losses() (full, skipped uint64, err error) {
	if p.lost == nil {
		return 0, 0, errors.New("the lost_events counter is not mapped")
	}
	if err := p.lost.Get(&full); err != nil {
		return 0, 0, err
	}
	for _, prog := range p.coll.Programs {
		st, err := prog.Stats()
		if err != nil {
			return 0, 0, err
		}
		skipped += st.RecursionMisses
	}
	return full, skipped, nil
}

// ErrFlushed is what Read returns, once, after Flush.
var ErrFlushed = errors.New("kernel witness: flushed")

// Flush makes Read return ErrFlushed once it has returned every event the
// kernel committed before the call.
func (p *Probe) Flush() error {
	return p.rd.Flush()
}

// Read blocks until the next event of the watched namespace, or until
// Close (then it returns an error wrapping os.ErrClosed), or returns
// ErrFlushed after Flush. One goroutine at a time.
func (p *Probe) Read() (kernel.Event, error) {
	for {
		rec, err := p.rd.Read()
		if err != nil {
			if errors.Is(err, ringbuf.ErrFlushed) {
				return kernel.Event{}, ErrFlushed
			}
			if errors.Is(err, ringbuf.ErrClosed) {
				return kernel.Event{}, fmt.Errorf("kernel witness: %w", os.ErrClosed)
			}
			return kernel.Event{}, fmt.Errorf("kernel witness: %w", err)
		}
		// Slewing moves both clocks alike; a step of the wall clock moves
		// the offset, so it is measured again each second.
		if now := time.Now(); now.Sub(p.offsetAt) > time.Second || now.Before(p.offsetAt) {
			p.offset, p.offsetAt = clockOffset(), now
		}
		e, ok := p.decode(rec.RawSample)
		if ok && e.Netns == p.Netns {
			return e, nil
		}
	}
}

// eventSize is sizeof(struct event) in witness.bpf.c.
const eventSize = 80

// decode turns one ring buffer record (struct event) into an Event.
func (p *Probe) decode(b []byte) (kernel.Event, bool) {
	if len(b) < eventSize {
		return kernel.Event{}, false
	}
	// The ring buffer holds struct event as the kernel wrote it: host byte
	// order (witness.bpf.c converts the ports), on big-endian Linux too.
	le := binary.NativeEndian
	mono := le.Uint64(b[0:])
	e := kernel.Event{
		Time:   time.Unix(0, int64(mono)+int64(p.offset)),
		Netns:  le.Uint32(b[8:]),
		PID:    le.Uint32(b[12:]),
		Kind:   kernel.Kind(b[26]),
		State:  kernel.State(b[27]),
		Active: b[28] != 0,
	}
	reason := le.Uint32(b[16:])
	switch e.Kind {
	case kernel.StackSent:
		e.Reason = p.reasons[reason]
	case kernel.FirewallSent:
		e.Hook = kernel.Hook(reason)
	}
	fam := le.Uint16(b[20:])
	sport, dport := le.Uint16(b[22:]), le.Uint16(b[24:])
	var src, dst netip.Addr
	switch fam {
	case 4:
		src = netip.AddrFrom4([4]byte(b[32:36]))
		dst = netip.AddrFrom4([4]byte(b[48:52]))
	case 6:
		src = netip.AddrFrom16([16]byte(b[32:48])).Unmap()
		dst = netip.AddrFrom16([16]byte(b[48:64])).Unmap()
	default:
		return kernel.Event{}, false
	}
	e.Src, e.Dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	comm := b[64:80]
	for i, c := range comm {
		if c == 0 {
			comm = comm[:i]
			break
		}
	}
	e.Comm = string(comm)
	return e, true
}

// Close detaches the programs and stops Read.
func (p *Probe) Close() error {
	p.once.Do(func() {
		p.mu.Lock()
		if p.coll != nil {
			p.final.full, p.final.skipped, p.final.err = p.losses()
		}
		p.closed = true
		p.mu.Unlock()
		if p.rd != nil {
			p.rd.Close()
		}
		for _, l := range p.links {
			l.Close()
		}
		if p.coll != nil {
			p.coll.Close()
		}
	})
	return nil
}
