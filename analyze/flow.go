package analyze

import (
	"net/netip"
	"time"
)

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
	firstFIN     Side // side of the first FIN, SideNone before one
	firstFINAt   int  // its frame
	firstSent    Side // side of the first packet in the capture
	bannersSeen  bool // both identification strings, and afterBanners looked at them

	nRecent  int
	recent   [4]fingerprint   // the last packets, to drop copies (tcpdump -i any)
	lastFrom [2]pktRef        // each side's latest packet, for reset forensics
	sent     [2]sentRing      // each side's last few packets, for the resets that answer them
	gaps     [2]time.Duration // the flow's two longest silences so far, longest first
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
