package analyze

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// Config sets up an Analyzer. The zero value analyses port 22.
type Config struct {
	// Ports are the TCP ports taken for SSH servers. Flows on other ports
	// are followed only when their first payload starts with "SSH-".
	Ports []uint16
	// File names the capture in the results (with several inputs).
	File string
	// IdleThreshold is the silence after which a reset drawn by the next
	// packet is an idle-timeout reset; 0 means DefaultIdleThreshold.
	IdleThreshold time.Duration
	// RateWindow is how soon after a successful connection a refused or
	// reset one counts as rate limited; 0 means DefaultRateWindow.
	RateWindow time.Duration
	// Grace is how long an ended connection waits for late packets (data
	// racing a forged reset) before Expire reports it; 0 means DefaultGrace.
	Grace time.Duration
	// FlowTimeout: an established connection silent this long is reported
	// (as open) and forgotten; 0 means DefaultFlowTimeout. Connections whose
	// handshake never completed are reported after HandshakeTimeout.
	FlowTimeout time.Duration
	// MaxFlows caps the connections held at once; past it the least
	// recently active are reported early and counted as evicted. 0 means
	// DefaultMaxFlows.
	MaxFlows int
	// KeepPackets, when positive, keeps up to that many packets of each
	// connection in Flow.Log (the first two thirds and the latest third).
	KeepPackets int
	// HandleBase starts the numbering of Flow.Handle, so that analyzers
	// running side by side hand out different handles.
	HandleBase uint64
}

// Analyzer rebuilds TCP flows from segments and follows SSH through them.
// Feed it segments in capture order with Packet; Expire hands over the
// connections that have ended (call it as time goes by, with packet time
// or, live, the capture clock); Finish hands over the rest. Every flow is
// judged when it is handed over, with what was known by then, so a live run
// and a replay of its capture agree. Flows carry no ID: the caller numbers
// them. Not safe for concurrent use; the zero value is not usable, use New.
type Analyzer struct {
	file     string
	ports    [65536 / 64]uint64
	flows    *flowTable
	serial   uint64
	key      flowKey        // the current packet's, set in place
	last     int64          // Unix nanoseconds of the latest packet
	loc      *time.Location // of the first packet's time
	idle     time.Duration
	rate     time.Duration
	grace    time.Duration
	timeout  time.Duration
	maxFlows int
	keep     int

	kexs    *kexTable
	free    chan *flow       // ended flows, zeroed, to reuse
	hosts   hostTTLs         // TTL baselines from every flow handed over
	history map[rateKey]rate // successful connections per client and server
	evicted int
}

// New returns an Analyzer for cfg.
func New(cfg Config) *Analyzer {
	a := &Analyzer{file: cfg.File, flows: newFlowTable(), hosts: hostTTLs{}, history: map[rateKey]rate{}, kexs: newKexTable(), free: make(chan *flow, maxFree)}
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

// flowKey names a connection independent of direction: lo sorts before
// hi. Five plain words: the flow table hashes them with two
// multiplications and compares them without a call.
type flowKey struct {
	lo0, lo1, hi0, hi1 uint64 // the two addresses as 16 bytes, lower first
	// The two ports (lower address's first), and 1 for IPv4 apart from
	// IPv4-mapped IPv6.
	ports uint64
}

// set makes k the key of seg's connection, the same both ways. It writes
// in place: a key returned by value is stored in pieces and copied in
// 16-byte ones, and that copy stalls on every packet.
func (k *flowKey) set(seg *decode.Segment) {
	var s0, s1, d0, d1 uint64
	is4 := seg.Src.Is4() && seg.Dst.Is4()
	if is4 {
		// As4 is read back in one load; As16's two halves written to
		// memory and read back as one 16-byte array stall the CPU.
		s, d := seg.Src.As4(), seg.Dst.As4()
		s1, d1 = 0xffff<<32|uint64(binary.BigEndian.Uint32(s[:])), 0xffff<<32|uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		s, d := seg.Src.As16(), seg.Dst.As16()
		s0, s1 = binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])
		d0, d1 = binary.BigEndian.Uint64(d[:8]), binary.BigEndian.Uint64(d[8:])
	}
	sp, dp := seg.SrcPort, seg.DstPort
	if s0 > d0 || s0 == d0 && (s1 > d1 || s1 == d1 && sp > dp) {
		s0, s1, sp, d0, d1, dp = d0, d1, dp, s0, s1, sp
	}
	ports := uint64(sp)<<32 | uint64(dp)<<16
	if is4 {
		ports |= 1
	}
	k.lo0, k.lo1, k.hi0, k.hi1, k.ports = s0, s1, d0, d1, ports
}

// dir is what one side sent.
type dir struct {
	w walker
	s stream

	synSeen bool
	isn     uint32
	seqSet  bool
	nxt     uint32 // highest seq + length sent, SYN and FIN included
	ackSet  bool
	maxAck  uint32

	dataSet  bool
	dataBase uint32 // first data sequence number
	dataEnd  uint32 // highest data sequence number sent + 1

	finSeen bool
	rstSeen bool
	last    int64 // Unix nanoseconds of its latest packet

	// Unanswered data, for the timeout outcome.
	unacked     bool
	unackedFrom int64 // Unix nanoseconds
	retrans     int

	zeek zeekEndpoint
	ev   sideEvidence

	relSet  bool // relative sequence numbers for the packet log
	relBase uint32
}

type flow struct {
	// What every packet reads or writes comes first, so that it shares a
	// few cache lines: 135 connections open at once do not fit in a core's
	// cache.
	key       flowKey
	hash      uint64 // of key, in the flow table
	ignored   bool   // not SSH: its packets are passed over
	candidate bool   // off the SSH ports and no payload seen yet
	client    netip.AddrPort
	last      int64 // Unix nanoseconds of its latest packet

	synAckSeen   bool
	established  bool
	ended        bool // a FIN or RST has been seen
	resetEnded   bool // a RST arrived before both sides had sent FIN
	stageAtReset Stage
	firstEnd     Side
	firstSent    Side // side of the first packet in the capture
	bannersSeen  bool // both identification strings, and afterBanners looked at them

	nRecent  int
	recent   [4]fingerprint // the last packets, to drop copies (tcpdump -i any)
	lastFrom [2]pktRef      // each side's latest packet, for reset forensics
	hist     zeekHist

	d    [2]dir
	out  Flow
	auth authState

	// Forensics.
	rx             []resetCtx // parallel to out.Resets
	synTime        time.Time
	synAckTime     time.Time
	ackTime        time.Time
	endReset       int // 1 + index of the RST that ended the connection
	serverEndFrame int // frame of the server's first FIN or RST

	tail     []PacketRecord // ring of the latest packets for Flow.Log
	tailNext int

	kexs *kexTable
}

// fingerprint identifies a packet apart from its TTL, which a router
// changes: the same packet captured on two interfaces matches itself.
type fingerprint struct {
	t        int64 // packet time, Unix nanoseconds
	from     Side
	seq, ack uint32
	flags    decode.Flags
	ipid     uint16
	tsval    uint32
	win      uint16
	plen     int
	// Where it was seen: a copy differs in at least one of these.
	ttl   uint8
	ifidx int32
	dir   decode.Direction
}

// duplicate reports whether this packet is a copy of one seen just before
// at another capture point (another interface, direction, or one router
// hop later), and remembers it otherwise.
func (f *flow) duplicate(t int64, from Side, seg *decode.Segment) bool {
	for i := 0; i < f.nRecent && i < len(f.recent); i++ {
		o := &f.recent[i]
		if o.seq != seg.Seq || o.ack != seg.Ack || o.plen != seg.PayloadLen || o.flags != seg.Flags || o.from != from {
			continue
		}
		if o.ttl == seg.TTL && o.ifidx == seg.IfIndex && o.dir == seg.Direction {
			// Identical where it was seen too: a packet the network really
			// sent twice, which counts as a retransmission.
			continue
		}
		if o.ipid == seg.IPID && o.tsval == seg.TSVal && o.win == seg.Window && t-o.t <= int64(dupWindow) {
			return true
		}
	}
	// Field by field: a fingerprint built aside and copied in is read back
	// in 16-byte pieces from its fresh smaller stores, which stalls.
	o := &f.recent[f.nRecent%len(f.recent)]
	o.t, o.from, o.seq, o.ack, o.flags, o.ipid = t, from, seg.Seq, seg.Ack, seg.Flags, seg.IPID
	o.tsval, o.win, o.plen, o.ttl, o.ifidx, o.dir = seg.TSVal, seg.Window, seg.PayloadLen, seg.TTL, seg.IfIndex, seg.Direction
	f.nRecent++
	return false
}

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
	if f.ignored || f.candidate {
		return 0
	}
	if a.keep > 0 {
		f.record(a.keep, frame, ts, from, seg, f.out.Duplicates != dups)
	}
	return f.out.Handle
}

// record appends a packet to the flow's log: the first two thirds of keep
// stay, the rest is a ring of the latest.
func (f *flow) record(keep, frame int, ts time.Time, from Side, seg *decode.Segment, dup bool) {
	x, y := &f.d[from.index()], &f.d[from.Other().index()]
	if !x.relSet {
		x.relSet, x.relBase = true, seg.Seq
		if x.synSeen {
			x.relBase = x.isn
		}
	}
	r := PacketRecord{Frame: frame, Time: ts, From: from, Flags: seg.Flags, Seq: seg.Seq - x.relBase, Len: seg.PayloadLen,
		TTL: seg.TTL, Window: seg.Window, Stage: f.stage(), Dup: dup,
		Banner: len(seg.Payload) >= 4 && string(seg.Payload[:4]) == "SSH-",
		RawSeq: seg.Seq, RawAck: seg.Ack, IPID: seg.IPID, Options: seg.Options, MSS: seg.MSS, WScale: seg.WScale,
		TSVal: seg.TSVal, TSEcr: seg.TSEcr, Captured: len(seg.Payload), Sum: fnv64(seg.Payload),
		Out: seg.Direction == decode.DirOut}
	if seg.Flags.Has(decode.ACK) && y.relSet {
		r.Ack = seg.Ack - y.relBase
	}
	head := keep * 2 / 3
	if len(f.out.Log) < head {
		f.out.Log = append(f.out.Log, r)
		return
	}
	tail := keep - head
	if len(f.tail) < tail {
		f.tail = append(f.tail, r)
		return
	}
	f.tail[f.tailNext%tail] = r
	f.tailNext++
	f.out.LogOmitted++
}

// fnv64 is FNV-1a, to tell whether a payload changed between captures.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
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

// packet takes a segment at ts, which is t in Unix nanoseconds.
func (f *flow) packet(frame int, ts time.Time, t int64, from Side, seg *decode.Segment) {
	x, y := from.index(), from.Other().index()
	dx, dy := &f.d[x], &f.d[y]
	fl := seg.Flags

	if f.candidate && seg.PayloadLen > 0 && !fl.Has(decode.RST) {
		f.candidate = false
		if !bytes.HasPrefix(seg.Payload, []byte("SSH-")) {
			f.ignored = true
			return
		}
	}

	if f.duplicate(t, from, seg) {
		f.out.Duplicates++
		return
	}
	f.out.LastPacket = frame
	f.out.Packets[x]++
	var stageBefore Stage // what a RST interrupted
	if fl.Has(decode.RST) {
		stageBefore = f.stage()
	}
	var gap time.Duration
	if f.out.Packets[0]+f.out.Packets[1] > 1 {
		gap = time.Duration(t - f.last)
	}
	if n := len(f.rx); n > 0 && f.rx[n-1].next == 0 {
		f.rx[n-1].next = frame
	}
	f.watchResets(frame, t, from, seg)
	if !fl.Has(decode.RST) {
		dx.ev.packet(frame, t, seg)
	}

	if !dx.seqSet && !fl.Has(decode.SYN) && !dx.synSeen {
		if !f.established && !dy.synSeen {
			// Neither side's SYN is in the capture: it began mid-stream.
			f.out.Midstream = true
			f.established = true
		}
	}

	zeekHistory(f, from, seg)

	// Sequence space this segment covers.
	segLen := uint32(seg.PayloadLen)
	if fl.Has(decode.SYN) {
		segLen++
	}
	if fl.Has(decode.FIN) {
		segLen++
	}
	newSpace := false
	if fl.Has(decode.SYN) {
		if dx.synSeen && dx.isn == seg.Seq {
			dx.retrans++
		} else {
			dx.synSeen = true
			dx.isn = seg.Seq
			dx.s.start(seg.Seq + 1)
			newSpace = true
		}
		if fl.Has(decode.ACK) {
			f.synAckSeen = true
			if f.synAckTime.IsZero() {
				f.synAckTime = ts
			}
		} else if f.synAckTime.IsZero() {
			// The latest SYN before the SYN-ACK: that is the one answered.
			f.synTime = ts
		}
	}
	if !fl.Has(decode.RST) && segLen > 0 {
		end := seg.Seq + segLen
		if !dx.seqSet || seqDiff(end, dx.nxt) > 0 {
			newSpace = true
			dx.nxt = end
			dx.seqSet = true
		} else if !fl.Has(decode.SYN) {
			dx.retrans++
		}
	}
	if newSpace && !dx.unacked {
		dx.unacked = true
		dx.unackedFrom = t
		dx.retrans = 0
	}

	if fl.Has(decode.ACK) && !fl.Has(decode.RST) {
		if !dx.ackSet || seqDiff(seg.Ack, dx.maxAck) > 0 {
			dx.maxAck = seg.Ack
			dx.ackSet = true
		}
		if dy.unacked && dy.seqSet && seqDiff(seg.Ack, dy.nxt) >= 0 {
			dy.unacked = false
		}
		if !f.established && from == Client && f.synAckSeen && dx.synSeen &&
			seg.Ack == f.d[1].isn+1 {
			f.established = true
			f.ackTime = ts
		}
	}
	if !f.established && from == Client && f.synAckSeen && seg.PayloadLen > 0 {
		f.established = true
	}

	if from == Client && seg.PayloadLen > 0 && f.d[1].finSeen && !fl.Has(decode.RST) {
		f.out.ClientSentAfterClose = true
	}
	if fl.Has(decode.RST) {
		f.reset(frame, ts, from, seg, stageBefore)
	} else if seg.PayloadLen > 0 {
		if !dx.dataSet {
			dx.dataSet = true
			dx.dataBase = seg.Seq
			if dx.synSeen {
				dx.dataBase = dx.isn + 1
			}
			dx.dataEnd = dx.dataBase
			if f.out.Midstream && !bytes.HasPrefix(seg.Payload, []byte("SSH-")) {
				dx.w.stop(StopMidstream)
			}
		}
		if end := seg.Seq + uint32(seg.PayloadLen); seqDiff(end, dx.dataEnd) > 0 {
			dx.dataEnd = end
		}
		// The peer acknowledged bytes of this direction that the capture
		// never showed: the hole before this segment is lost for good.
		if dx.s.started && dy.ackSet && seqDiff(seg.Seq, dx.s.next) > 0 && seqDiff(dy.maxAck, seg.Seq) >= 0 {
			dx.s.skipTo(seg.Seq, &dx.w)
		}
		dx.s.add(seg.Seq, seg.Payload, seg.PayloadLen, &dx.w)
		if dx.w.state == walkStopped && dx.w.stopFrame == 0 {
			dx.w.stopFrame = frame
		}
		if !f.bannersSeen {
			f.afterBanners()
		}
	}
	if from == Server && f.serverEndFrame == 0 && fl&(decode.FIN|decode.RST) != 0 {
		f.serverEndFrame = frame
	}
	if fl.Has(decode.FIN) {
		dx.finSeen = true
		if !f.ended {
			f.ended = true
			f.firstEnd = from
		}
	}
	dx.last = t
	if !fl.Has(decode.RST) {
		// A RST never draws a RST: triggers are the other packets.
		p := &f.lastFrom[x] // field by field, as in duplicate
		p.frame, p.t, p.gap, p.from, p.seq, p.ack, p.flags, p.plen = frame, t, gap, from, seg.Seq, seg.Ack, fl, seg.PayloadLen
	}
	f.last = t
	f.zeekState(from, seg)
}

// afterBanners stops both walkers when the identification strings show an
// SSH-1 connection: its binary packets are not RFC 4253's. It looks once,
// when both are known.
func (f *flow) afterBanners() {
	c, s := &f.d[0].w, &f.d[1].w
	if c.banner == "" || s.banner == "" {
		return
	}
	f.bannersSeen = true
	if isSSH1(c.banner) || (isSSH1(s.banner) && !isSSH199(s.banner)) {
		c.stop(StopSSH1)
		s.stop(StopSSH1)
	}
}

func isSSH1(b string) bool   { return len(b) >= 6 && b[:6] == "SSH-1." && !isSSH199(b) }
func isSSH199(b string) bool { return len(b) >= 8 && b[:8] == "SSH-1.99" }

func (f *flow) reset(frame int, ts time.Time, from Side, seg *decode.Segment, st Stage) {
	dx := &f.d[from.index()]
	dx.rstSeen = true
	r := Reset{
		Packet:     frame,
		Time:       ts,
		From:       from,
		Stage:      st,
		TTL:        seg.TTL,
		Seq:        seg.Seq,
		Ack:        seg.Ack,
		Flags:      seg.Flags,
		Window:     seg.Window,
		IPID:       seg.IPID,
		FlowLabel:  seg.FlowLabel,
		PayloadLen: seg.PayloadLen,
		SeqState:   f.seqState(from, seg),
	}
	f.rx = append(f.rx, f.newResetCtx(from, seg))
	f.out.Resets = append(f.out.Resets, r)
	// A RST from a side that already sent its FIN is its kernel refusing
	// data that came after the close: the connection was closed, not reset.
	if !f.resetEnded && !dx.finSeen && !(f.d[0].finSeen && f.d[1].finSeen) {
		f.resetEnded = true
		f.stageAtReset = st
		f.endReset = len(f.out.Resets)
	}
	if !f.ended {
		f.ended = true
		f.firstEnd = from
	}
}

// seqState places a RST's sequence number against what its claimed sender
// had sent and the receiver had acknowledged.
func (f *flow) seqState(from Side, seg *decode.Segment) SeqState {
	dx, dy := &f.d[from.index()], &f.d[from.Other().index()]
	if !dx.seqSet {
		if seg.Seq == 0 && seg.Flags.Has(decode.ACK) {
			return SeqZero
		}
		if dy.ackSet && seg.Seq == dy.maxAck {
			return SeqExact
		}
		return SeqUnknown
	}
	switch d := seqDiff(seg.Seq, dx.nxt); {
	case d == 0:
		return SeqExact
	case d < 0 && dy.ackSet && seqDiff(seg.Seq, dy.maxAck) >= 0:
		return SeqInWindow
	case d > 0 && d < maxUnscaledWindow:
		return SeqInWindow
	}
	return SeqOutOfWindow
}

// stage is the furthest stage the connection has reached so far. Once a
// RST has ended the connection the stage stays where it was: bytes that
// arrive later (a server banner racing a forged reset) reach a socket that
// no longer exists and are not protocol progress.
func (f *flow) stage() Stage {
	if f.resetEnded {
		return f.stageAtReset
	}
	if !f.established {
		return StageHandshake
	}
	c, s := &f.d[0].w, &f.d[1].w
	if c.banner == "" || s.banner == "" {
		if f.out.Midstream && (c.stopWhy == StopMidstream || s.stopWhy == StopMidstream) {
			return StageUnknown
		}
		return StageBanner
	}
	if c.kexinit == nil || s.kexinit == nil {
		return StageKexInit
	}
	if !c.newKeys || !s.newKeys {
		return StageKex
	}
	if f.auth.success {
		return StageSession
	}
	return StageAuth
}

// compressed reports whether zlib compression was negotiated in either
// direction: compressed sizes say nothing of the messages, so the
// authentication heuristic stays silent (as Zeek's does).
func (f *flow) compressed() bool {
	ck, sk := f.d[0].w.kexinit, f.d[1].w.kexinit
	if ck == nil || sk == nil {
		return false
	}
	a := f.kexs.negotiated(ck, sk)
	c2s, s2c := a.Compression, a.compS2C
	return (c2s != "" && c2s != "none") || (s2c != "" && s2c != "none")
}

// finish completes the flow's results at the end of the capture.
func (f *flow) finish(captureEnd time.Time, hosts hostTTLs, idle time.Duration) *Flow {
	for i := range f.d {
		f.d[i].s.flush(&f.d[i].w)
	}
	o := &f.out
	o.End = time.Unix(0, f.last).In(o.Start.Location())
	o.Stage = f.stage()
	// Here, not at creation: flows that turn out not to be SSH never need it.
	o.CommunityID = communityID(o.Client, o.Server)
	c, s := &f.d[0], &f.d[1]
	o.ClientBanner, o.ServerBanner = c.w.banner, s.w.banner
	o.PreBanner = s.w.preBanner
	for i := range f.d {
		if f.d[i].dataSet {
			o.Bytes[i] = int64(uint32(f.d[i].dataEnd - f.d[i].dataBase))
		}
	}
	if c.w.kexinit != nil && s.w.kexinit != nil {
		o.Algorithms = f.kexs.negotiated(c.w.kexinit, s.w.kexinit).Algorithms
	}
	if c.w.kexinit != nil {
		o.Algorithms.ClientHASSH = c.w.kexinit.HASSH(true)
	}
	if s.w.kexinit != nil {
		o.Algorithms.ServerHASSH = s.w.kexinit.HASSH(false)
	}
	if f.auth.decided || f.auth.attempts > 0 {
		v := f.auth.success
		o.AuthSuccess = &v
	}
	o.AuthAttempts = f.auth.attempts

	switch {
	case len(o.Resets) > 0 && o.Resets[0].From == Server && !f.synAckSeen && c.synSeen &&
		o.Resets[0].Flags.Has(decode.ACK):
		o.Outcome = OutcomeRefused
	case f.connectFailed():
		o.Outcome = OutcomeUnreachable
	case f.resetEnded:
		o.Outcome = OutcomeReset
	case c.finSeen || s.finSeen:
		o.Outcome = OutcomeClosed
	case f.unanswered(captureEnd):
		o.Outcome = OutcomeTimeout
	default:
		o.Outcome = OutcomeOpen
	}
	if f.ended {
		o.ClosedBy = f.firstEnd
	}
	if n := len(f.tail); n > 0 {
		start := f.tailNext % n
		o.Log = append(o.Log, f.tail[start:]...)
		o.Log = append(o.Log, f.tail[:start]...)
		f.tail = nil
	}
	f.judge(hosts)
	f.findings(idle)
	o.ConnState = f.connState()
	o.History = f.history()
	for i, side := range [2]Side{Client, Server} {
		d := &f.d[i]
		if d.w.stopWhy != StopNone {
			o.Notes = append(o.Notes, Note{side, d.w.stopWhy})
		}
		if d.s.missing > 0 && d.w.stopWhy != StopMissingBytes {
			o.Notes = append(o.Notes, Note{side, StopMissingBytes})
		}
	}
	return o
}

// unanswered reports whether a side sent something (SYN or data) that the
// other side never answered: it retransmitted, or a second passed, and the
// other side sent nothing after the first transmission.
func (f *flow) unanswered(captureEnd time.Time) bool {
	for i := range f.d {
		x, y := &f.d[i], &f.d[1-i]
		if !x.unacked {
			continue
		}
		if f.out.Packets[1-i] > 0 && y.last >= x.unackedFrom {
			continue
		}
		if x.retrans > 0 || time.Duration(captureEnd.UnixNano()-x.unackedFrom) >= time.Second {
			return true
		}
	}
	return false
}

// done reports whether a connection can be handed over at time now: it
// ended (a RST, or FIN from both sides) and the grace period passed, or it
// fell silent: half-closed for HalfCloseTimeout, established for the flow
// timeout, its handshake unfinished for HandshakeTimeout.
func (a *Analyzer) done(f *flow, now time.Time) bool {
	quiet := time.Duration(now.UnixNano() - f.last)
	switch {
	case f.ignored || f.candidate:
		return quiet >= HandshakeTimeout
	case len(f.out.Resets) > 0 || (f.d[0].finSeen && f.d[1].finSeen):
		// A RST ended it for at least one side, or both closed.
		return quiet >= a.grace
	case !f.established:
		return quiet >= HandshakeTimeout
	case f.d[0].finSeen || f.d[1].finSeen:
		return quiet >= HalfCloseTimeout
	}
	return quiet >= a.timeout
}

// A Batch is connections taken out of the table, waiting for their
// verdicts. Collect fills one on the goroutine that feeds packets; Judge
// may give the verdicts on another, batch after batch in order.
type Batch struct {
	fs    []*flow
	now   time.Time // packet time when they were taken
	final bool      // the last connections: their TTLs count for each other
}

// Len is how many connections the batch holds.
func (b *Batch) Len() int { return len(b.fs) }

// Expire hands over the connections that are done at time now, in the
// order they ended, and evicts the least recently active ones while the
// table holds more than MaxFlows.
func (a *Analyzer) Expire(now time.Time) []*Flow { return a.Judge(a.Collect(now)) }

// Finish hands over every connection left, in the order they ended.
func (a *Analyzer) Finish() []*Flow { return a.Judge(a.CollectAll()) }

// Collect takes the connections that are done at time now out of the
// table (and the least recently active ones while it holds more than
// MaxFlows), in the order they ended.
func (a *Analyzer) Collect(now time.Time) *Batch {
	var ready []*flow
	a.flows.each(func(f *flow) {
		if a.done(f, now) {
			ready = append(ready, f)
		}
	})
	if over := a.flows.len() - len(ready) - a.maxFlows; over > 0 {
		// Evict a tenth more than needed so this does not run every packet.
		var rest []*flow
		a.flows.each(func(f *flow) {
			if !a.done(f, now) {
				rest = append(rest, f)
			}
		})
		sort.Slice(rest, func(i, j int) bool { return rest[i].last < rest[j].last })
		n := min(len(rest), over+a.maxFlows/10)
		for _, f := range rest[:n] {
			if !f.ignored && !f.candidate {
				f.out.Evicted = true
				a.evicted++
			}
		}
		ready = append(ready, rest[:n]...)
	}
	return a.take(ready, false)
}

// CollectAll takes every connection left out of the table.
func (a *Analyzer) CollectAll() *Batch {
	all := make([]*flow, 0, a.flows.len())
	a.flows.each(func(f *flow) { all = append(all, f) })
	return a.take(all, true)
}

func (a *Analyzer) take(fs []*flow, final bool) *Batch {
	// A total order (handles are unique), so any sort gives the same.
	slices.SortFunc(fs, func(x, y *flow) int {
		if c := cmp.Compare(x.last, y.last); c != 0 {
			return c
		}
		return cmp.Compare(x.out.Handle, y.out.Handle)
	})
	for _, f := range fs {
		a.flows.del(f, f.hash)
	}
	var now time.Time
	if a.loc != nil {
		now = time.Unix(0, a.last).In(a.loc)
	}
	return &Batch{fs: fs, now: now, final: final}
}

// maxFree bounds the ended flows kept for reuse.
const maxFree = 1024

// recycle keeps an ended flow's memory for the next connection: a busy
// capture opens a connection every few packets, and reusing the ~3 KB
// spares the allocator and the garbage collector. Its results were
// copied out; nothing else points into it. (A channel, as Judge may run
// on another goroutine than newFlow.)
func (a *Analyzer) recycle(f *flow) {
	*f = flow{}
	select {
	case a.free <- f:
	default:
	}
}

// Judge gives the verdicts on a batch and hands the connections over. The
// host baselines and the rate history it keeps are its own: batches must
// come in the order Collect made them.
func (a *Analyzer) Judge(b *Batch) []*Flow {
	if b.final {
		// What is known at the end counts for all of them.
		for _, f := range b.fs {
			if !f.ignored && !f.candidate {
				a.hosts.addFlow(f)
			}
		}
		for len(a.hosts) > maxHosts { // each prune halves it at least
			a.hosts.prune()
		}
	}
	var out []*Flow
	for _, f := range b.fs {
		if f.ignored || f.candidate {
			a.recycle(f)
			continue
		}
		if !b.final {
			a.hosts.addFlow(f)
			if len(a.hosts) > maxHosts {
				a.hosts.prune()
			}
		}
		r := new(Flow)
		*r = *f.finish(b.now, a.hosts, a.idle)
		a.recycle(f)
		for _, d := range crossDetectors {
			d.detect(a, r)
		}
		sortFindings(r.Findings)
		out = append(out, r)
	}
	return out
}

// authState is Zeek's heuristic for SSH user authentication from the sizes
// of encrypted segments (src/analyzer/protocol/ssh/SSH.cc, ProcessEncrypted).
// After the client's first encrypted packet (SERVICE_REQUEST), the server's
// first encrypted chunk is SERVICE_ACCEPT; USERAUTH_SUCCESS is 16 bytes
// shorter in every cipher mode, and repeats of the first other size are
// USERAUTH_FAILUREs. One chunk longer than SERVICE_ACCEPT by over 256 bytes
// is taken as a USERAUTH_BANNER and skipped.
type authState struct {
	sawClient     bool
	acceptSize    int
	failureSize   int
	skippedBanner bool
	decided       bool
	success       bool
	attempts      int
	compression   compression // looked up once, at the first encrypted chunk
}

// compression says whether zlib was negotiated, once it is known.
type compression uint8

const (
	compressionUnknown compression = iota
	compressionOff
	compressionOn
)

func (a *authState) clientEncrypted(int) { a.sawClient = true }

func (a *authState) serverEncrypted(f *flow, n int) {
	if a.decided || !a.sawClient || f.d[0].s.gaps > 0 || f.d[1].s.gaps > 0 {
		return
	}
	if a.compression == compressionUnknown {
		a.compression = compressionOff
		if f.compressed() {
			a.compression = compressionOn
		}
	}
	if a.compression == compressionOn {
		return
	}
	switch {
	case a.acceptSize == 0:
		a.acceptSize = n
	case a.failureSize == 0 && n+16 == a.acceptSize:
		a.decided, a.success = true, true
		a.attempts++
	case a.failureSize == 0:
		if !a.skippedBanner && n-a.acceptSize > 256 {
			a.skippedBanner = true
			return
		}
		a.failureSize = n
	case n == a.failureSize:
		a.attempts++
	case n-a.acceptSize == -16:
		a.decided, a.success = true, true
		a.attempts++
	}
}
