package analyze

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Analyzer rebuilds TCP flows from segments and follows SSH through them.
// Feed it segments in capture order with Packet; Expire hands over the
// connections that have ended (call it as time goes by, with packet time
// or, live, the capture clock); Finish hands over the rest. Every flow is
// judged when it is handed over, with what was known by then, so a live run
// and a replay of its capture agree. Flows carry no ID: the caller numbers
// them. Not safe for concurrent use; the zero value is not usable, use New.
type Analyzer struct {
	file   string
	ports  [65536 / 64]uint64
	flows  *flowTable
	serial uint64
	// Written at every packet by the packet loop, on a cache line of their
	// own: Judge, on another core, reads the settings beside them, and
	// sharing the line made the packet loop miss it at every packet.
	_    [64]byte
	key  flowKey // the current packet's, set in place
	last int64   // Unix nanoseconds of the latest packet
	_    [64]byte

	loc      *time.Location // of the first packet's time
	idle     time.Duration
	rate     time.Duration
	grace    time.Duration
	timeout  time.Duration
	maxFlows int
	keep     int

	kexs    *kexTable
	free    chan *flow                  // ended flows, zeroed, to reuse
	hosts   *hostTTLs                   // TTL baselines from every flow handed over
	history *table[rateKey, rate]       // successful connections per client and server
	blocks  *table[rateKey, []forgedAt] // forged resets per client and server, and per server (client zero)
	evicted int
	swept   int64 // Unix nanoseconds of the latest aging sweep (aging.go)
}

// New returns an Analyzer for cfg.
func New(cfg Config) *Analyzer {
	a := &Analyzer{file: cfg.File, flows: newFlowTable(), hosts: newTable[addrKey, hostTTL](), history: newTable[rateKey, rate](), blocks: newTable[rateKey, []forgedAt](), kexs: newKexTable(), free: make(chan *flow, maxFree)}
	a.idle, a.rate, a.grace, a.timeout, a.maxFlows = cfg.IdleThreshold, cfg.RateWindow, cfg.Grace, cfg.FlowTimeout, cfg.MaxFlows
	a.keep = cfg.KeepPackets
	a.serial = cfg.HandleBase
	if a.idle <= 0 {
		a.idle = DefaultIdleThreshold
	}
	if a.rate <= 0 {
		a.rate = DefaultRateWindow
	}
	if a.grace <= 0 {
		a.grace = DefaultGrace
	}
	if a.timeout <= 0 {
		a.timeout = DefaultFlowTimeout
	}
	if a.maxFlows <= 0 {
		a.maxFlows = DefaultMaxFlows
	}
	ports := cfg.Ports
	if len(ports) == 0 {
		ports = []uint16{22}
	}
	for _, p := range ports {
		a.ports[p/64] |= 1 << (p % 64)
	}
	return a
}

// Evicted returns how many connections were reported early because the
// table held MaxFlows.
func (a *Analyzer) Evicted() int { return a.evicted }

// Open returns how many connections the analyzer holds.
func (a *Analyzer) Open() int { return a.flows.len() }

// OldestOpen returns the first frame of the earliest connection still held
// (one that may yet be reported), or 0 when none is: every connection
// reported later starts after it. Callers use it to print flows in order of
// first packet as they come.
func (a *Analyzer) OldestOpen() int {
	oldest := 0
	a.flows.each(func(f *flow) {
		if !f.ignored && (oldest == 0 || f.out.FirstPacket < oldest) {
			oldest = f.out.FirstPacket
		}
	})
	return oldest
}

func (a *Analyzer) isSSHPort(p uint16) bool { return a.ports[p/64]&(1<<(p%64)) != 0 }

// Packet feeds one decoded TCP segment, numbered frame (1-based) in its
// capture. It returns the handle of the connection the segment belongs to
// (Flow.Handle), or 0 when rstsniff does not follow it.
func (a *Analyzer) Packet(frame int, ts time.Time, seg *decode.Segment) uint64 {
	a.last = ts.UnixNano()
	if a.loc == nil {
		a.loc = ts.Location()
	}
	if seg.ICMP {
		return a.icmp(frame, ts, seg)
	}
	src := netip.AddrPortFrom(seg.Src, seg.SrcPort)
	dst := netip.AddrPortFrom(seg.Dst, seg.DstPort)
	k := &a.key
	k.set(seg)
	h := k.hash()
	f := a.flows.get(k, h)
	if f == nil {
		f = a.newFlow(src, dst, seg)
		if f == nil {
			return 0
		}
		f.key, f.hash = *k, h
		a.flows.put(f, h)
		f.out.FirstPacket = frame
		f.out.Start = ts
	}
	t := a.last
	if f.ignored {
		f.last = t
		return 0
	}
	from := Server
	if src == f.client {
		from = Client
	}
	dups := f.out.Duplicates
	f.packet(frame, ts, t, from, seg)
	if f.ignored {
		return 0
	}
	// A connection on another port is logged from its first packet, while
	// it is still a candidate: if it turns out to be SSH, its report draws
	// the handshake too.
	if a.keep > 0 {
		f.record(a.keep, frame, ts, from, seg, f.out.Duplicates != dups)
	}
	if f.candidate {
		return 0
	}
	return f.out.Handle
}

// newFlow decides whether a connection is worth following and which side
// is the client. It returns nil for segments rstsniff does not track.
func (a *Analyzer) newFlow(src, dst netip.AddrPort, seg *decode.Segment) *flow {
	srcSSH, dstSSH := a.isSSHPort(src.Port()), a.isSSHPort(dst.Port())
	candidate := !srcSSH && !dstSSH
	if candidate {
		// Off the SSH ports only a handshake or a payload that starts like
		// an identification string opens a flow.
		if !seg.Flags.Has(decode.SYN) && !bytes.HasPrefix(seg.Payload, []byte("SSH-")) {
			return nil
		}
	}
	var client netip.AddrPort
	switch {
	case seg.Flags.Has(decode.SYN) && !seg.Flags.Has(decode.ACK):
		client = src
	case seg.Flags.Has(decode.SYN | decode.ACK):
		client = dst
	case dstSSH && !srcSSH:
		client = src
	case srcSSH && !dstSSH:
		client = dst
	case src.Port() > dst.Port():
		// Neither or both ports are SSH ports and no SYN: take the lower
		// port as the server's, as ephemeral ports are high.
		client = src
	default:
		client = dst
	}
	server := src
	if client == src {
		server = dst
	}
	var f *flow
	select {
	case f = <-a.free:
		f.client, f.candidate = client, candidate
	default:
		f = &flow{client: client, candidate: candidate}
	}
	a.serial++
	// f.out is zero (a new flow, or one recycle cleared): set what is
	// known rather than write all of it again.
	f.out.Handle, f.out.File, f.out.Client, f.out.Server = a.serial, a.file, client, server
	f.d[0].w.isClient = true
	f.kexs, f.d[0].w.kexs, f.d[1].w.kexs = a.kexs, a.kexs, a.kexs
	f.d[0].w.flow, f.d[1].w.flow = f, f
	f.hist.letters = f.hist.buf[:0]
	if src == client {
		f.firstSent = Client
	} else {
		f.firstSent = Server
	}
	return f
}
