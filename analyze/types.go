package analyze

import (
	"net/netip"
	"time"

	"github.com/rstsniff/rstsniff/decode"
	"github.com/rstsniff/rstsniff/kernel"
)

// Side is one end of a connection.
type Side uint8

const (
	SideNone Side = iota
	Client
	Server
)

func (s Side) String() string {
	switch s {
	case Client:
		return "client"
	case Server:
		return "server"
	}
	return ""
}

// Other returns the opposite side.
func (s Side) Other() Side {
	switch s {
	case Client:
		return Server
	case Server:
		return Client
	}
	return SideNone
}

// Stage is how far a connection got. The names are part of the JSON
// contract and never change.
type Stage uint8

const (
	StageHandshake Stage = iota // TCP three-way handshake not completed
	StageBanner                 // handshake done; both identification strings not yet seen
	StageKexInit                // both identification strings seen; KEXINIT not yet from both
	StageKex                    // both KEXINITs seen; NEWKEYS not yet from both
	StageAuth                   // keys in use; authentication not inferred to have succeeded
	StageSession                // authentication inferred to have succeeded
	StageUnknown                // capture started mid-stream and the SSH stream could not be followed
)

var stageNames = [...]string{"handshake", "banner", "kexinit", "kex", "auth", "session", "unknown"}

func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return "unknown"
}

// Outcome is how a connection ended.
type Outcome uint8

const (
	OutcomeOpen        Outcome = iota // still open when the capture ended
	OutcomeClosed                     // closed by FIN
	OutcomeReset                      // ended by a RST
	OutcomeRefused                    // SYN answered by RST
	OutcomeTimeout                    // SYN or data never answered
	OutcomeUnreachable                // SYN answered by an ICMP error (Flow.ICMP)
)

var outcomeNames = [...]string{"open", "closed", "reset", "refused", "timeout", "unreachable"}

// Outcomes lists every outcome, the abnormal ones first: the order
// summaries count them in.
var Outcomes = [...]Outcome{OutcomeReset, OutcomeRefused, OutcomeUnreachable, OutcomeTimeout, OutcomeClosed, OutcomeOpen}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// OutcomeCounts counts connections by outcome; the zero value is empty.
type OutcomeCounts [len(outcomeNames)]int

// Add counts one connection.
func (c *OutcomeCounts) Add(o Outcome) {
	if int(o) < len(c) {
		c[o]++
	}
}

// Abnormal reports whether the outcome makes the exit status 1.
func (o Outcome) Abnormal() bool {
	return o == OutcomeReset || o == OutcomeRefused || o == OutcomeTimeout || o == OutcomeUnreachable
}

// Verdict is the coarse half of who sent a reset: the stack of the
// endpoint whose address it carries (genuine), something else (forged),
// or not enough evidence to say. It is also the way one piece of
// Evidence points. Sender says which stack, firewall or device.
type Verdict uint8

const (
	VerdictUnknown Verdict = iota // not enough evidence
	VerdictGenuine                // the side whose address it carries sent it
	VerdictForged                 // something else did, in its name
)

// Origin is the verdict's name in the JSON contract ("origin") and the
// metrics' label, which predate Sender: "endpoint", "middlebox" (for
// every forged reset, a host's firewall included), "unknown".
func (v Verdict) Origin() string {
	switch v {
	case VerdictGenuine:
		return "endpoint"
	case VerdictForged:
		return "middlebox"
	}
	return "unknown"
}

// Reset is one TCP segment with the RST flag.
type Reset struct {
	Packet int // 1-based frame number in its capture
	Time   time.Time
	From   Side // the side whose address the segment carries
	Stage  Stage
	TTL    uint8 // TTL or hop limit
	// Sender is who really sent it, all its evidence weighed (set by
	// Judge): not the address it carries, but the stack, firewall or
	// device behind it.
	Sender Sender

	Seq, Ack   uint32
	Flags      decode.Flags
	Window     uint16
	IPID       uint16
	FlowLabel  uint32 // IPv6 flow label, 0 for IPv4
	PayloadLen int
	// SeqState compares the RST's sequence number with what the claimed
	// sender had sent.
	SeqState SeqState
	// Evidence lists the facts behind Sender, those that point to a forged
	// reset first.
	Evidence []Evidence
	// Kernel is what this host's kernel said about the reset (live capture
	// with the kernel witness on), nil otherwise.
	Kernel *kernel.Witness
	// Fingerprints lists the published patterns of forged resets this one
	// matches (see fingerprints.go), none for most resets.
	Fingerprints []Fingerprint
	// Ignored: a forged reset its receiver went on past (it sent new
	// data after it): the reset ended nothing, and the connection's
	// outcome follows what the endpoints did next.
	Ignored bool

	ttlMismatch, burst, bothEnds bool
}

// Algorithms are the algorithms negotiated from the two KEXINITs, client to
// server direction first (RFC 4253 §7.1).
type Algorithms struct {
	Kex, HostKey             string
	Cipher, MAC              string // client to server
	CipherS2C, MACS2C        string // server to client
	Compression              string
	ClientHASSH, ServerHASSH string
}

// Note says where the analysis of one side's stream is incomplete.
type Note struct {
	Side Side
	Stop StopReason
}

// Flow is the analysis of one TCP connection. It is plain data: the
// analyzer fills it and never touches it again once returned.
type Flow struct {
	// ID is left for the caller to number; Handle is the analyzer's own
	// name for the connection, the one Packet returned.
	ID           int
	Handle       uint64
	File         string
	Client       netip.AddrPort
	Server       netip.AddrPort
	FirstPacket  int
	LastPacket   int
	Start, End   time.Time
	Stage        Stage
	Outcome      Outcome
	ClosedBy     Side
	ClientBanner string
	ServerBanner string
	// PreBanner holds text lines the server sent before its identification
	// string (such as "Exceeded MaxStartups"), clipped.
	PreBanner  []string
	Algorithms Algorithms
	Packets    [2]int   // by side: [0] client, [1] server
	Bytes      [2]int64 // payload bytes in sequence space, by side
	Resets     []Reset
	// EndReset is the frame of the reset that ended the connection (the
	// refusing one for a refused SYN), 0 when none did.
	EndReset int
	// ICMP lists the ICMP errors about the connection's segments (up to 8).
	ICMP        []ICMPError
	CommunityID string
	ConnState   string // Zeek conn_state
	History     string // Zeek history letters
	Midstream   bool   // the capture holds no SYN for this connection
	// Missing names the side none of whose packets are in the capture,
	// though the other side acknowledged them (asymmetric routing, a
	// capture filter); SideNone when both are there.
	Missing Side
	// Duplicates counts copies of packets dropped because the capture saw
	// them twice (tcpdump -i any on a router or a host with bridges).
	Duplicates int
	// Evicted: reported early because the flow table was full.
	Evicted bool
	// AuthSuccess is set when the authentication heuristic decided.
	AuthSuccess  *bool
	AuthAttempts int
	// Notes say where the analysis of this flow is incomplete.
	Notes    []Note
	Findings []Finding
	// Log holds the connection's packets when Config.KeepPackets asked for
	// them: the first ones and the latest, LogOmitted counting those between.
	Log        []PacketRecord
	LogOmitted int

	// ClientSentAfterClose: the client still sent data after the server's
	// FIN, so the close took it by surprise.
	ClientSentAfterClose bool
	// Dropped is what this host's kernel said about the connection's
	// packets its firewall dropped with no reset answering them (live
	// capture with the kernel witness on), nil otherwise.
	Dropped *kernel.Drops
}

// ForgedEvidence is how many of the first Evidence entries point to a
// forged reset (Judge puts them first).
func (r *Reset) ForgedEvidence() int {
	n := 0
	for n < len(r.Evidence) && r.Evidence[n].Forged() {
		n++
	}
	return n
}

// Ending returns the reset that ended the connection, if one did.
func (f *Flow) Ending() (*Reset, bool) {
	for i := range f.Resets {
		if f.Resets[i].Packet == f.EndReset && f.EndReset != 0 {
			return &f.Resets[i], true
		}
	}
	return nil, false
}

// Notable reports whether the connection ended abnormally or shows a
// finding (an MTU black hole can leave one open): the connections a listing,
// a report or an evidence file is about.
func (f *Flow) Notable() bool {
	if f.Outcome.Abnormal() {
		return true
	}
	for i := range f.Findings {
		if !f.Findings[i].Suspicion {
			return true
		}
	}
	return false
}

// TTLName is what the connection's IP headers call the count of hops a
// packet has left: "TTL" in IPv4, "hop limit" in IPv6 (Reset.TTL holds
// either).
func (f *Flow) TTLName() string { return ttlName(f.Client.Addr()) }

func ttlName(a netip.Addr) string {
	if a.Is4() {
		return "TTL"
	}
	return "hop limit"
}

// index returns 0 for the client and 1 for the server.
func (s Side) index() int {
	if s == Server {
		return 1
	}
	return 0
}

// PacketRecord is one packet of a connection, for reports that draw it.
type PacketRecord struct {
	Frame  int
	Time   time.Time
	From   Side
	Flags  decode.Flags
	Seq    uint32 // relative to the sender's first sequence number seen
	Ack    uint32 // relative to the receiver's, when the ACK flag is set
	Len    int    // TCP payload length
	TTL    uint8
	Window uint16
	Stage  Stage // the connection's stage after this packet
	Banner bool  // the payload starts an identification string
	Dup    bool  // a copy from another capture point, dropped from the analysis

	// As on the wire, to find the same packet in another capture.
	RawSeq, RawAck uint32
	IPID           uint16
	Options        decode.Options
	MSS            uint16
	WScale         uint8
	TSVal, TSEcr   uint32
	Captured       int    // payload bytes the capture kept
	Sum            uint64 // FNV-1a of those bytes
	Out            bool   // sent by the capturing host (Linux cooked captures say so)
}
