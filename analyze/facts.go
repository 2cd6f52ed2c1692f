package analyze

import (
	"slices"
	"time"
)

// The facts behind a reset's origin. Analysis records them as values;
// report/ turns each into words. No decision here reads a sentence.

// Signal names one kind of evidence about who sent a reset.
type Signal uint8

const (
	SignalNone Signal = iota
	// Pointing to a forged reset (Evidence.PointsTo is VerdictForged).
	SigTTLDistance       // TTL unlike every one of the sender's other packets (two or more, one distance)
	SigTTLUnlike         // TTL unlike the sender's other packets, where those are one packet or mixed
	SigSenderKeptSending // the claimed sender sent again after its "own" reset
	SigReceiverIgnored   // the receiver went on sending new data
	SigChallengeACK      // the receiver answered with a challenge ACK (RFC 5961)
	SigOutOfWindow       // the sequence number lies outside what the sender had sent
	SigTimestampForeign  // the TCP timestamp does not follow the sender's clock
	SigTooSoon           // it came sooner than the sender could have answered
	SigBurst             // one of several resets with different sequence numbers
	SigBothEnds          // resets toward both ends at once, nothing between them
	// Pointing to the endpoint (Evidence.PointsTo is VerdictGenuine).
	SigTTLMatch           // TTL matches the sender's other packets
	SigTimestampContinues // TSval continues the sender's clock
	SigIPIDContinues      // IP ID continues the sender's counter
	SigFlowLabel          // the sender's IPv6 flow label
	SigExactSeq           // exactly the sender's next sequence number
	SigRefusedSYNForm     // the RST+ACK a stack gives a refused SYN
	SigStackReply         // it answers a packet of the receiver's as the sender's stack would, from its distance, not sooner than it could
)

var signalNames = [...]string{"", "ttl-distance", "ttl-unlike", "sender-kept-sending", "receiver-ignored", "challenge-ack",
	"out-of-window", "timestamp-foreign", "too-soon", "burst", "both-ends",
	"ttl-match", "timestamp-continues", "ip-id-continues", "flow-label", "exact-seq", "refused-syn-form", "stack-reply"}

func (s Signal) String() string {
	if int(s) < len(signalNames) {
		return signalNames[s]
	}
	return "unknown"
}

// Scope says where a TTL baseline came from.
type Scope uint8

const (
	ScopeConnection Scope = iota // the sender's other packets in this connection
	ScopeCapture                 // its packets in the capture's other connections
)

// PacketKind is what a packet carried, as evidence names it.
type PacketKind uint8

const (
	KindNone PacketKind = iota
	KindSYN
	KindSYNACK
	KindData
	KindFIN
)

// TTLCount is one TTL value and how many packets carried it.
type TTLCount struct {
	TTL uint8
	N   int
}

// Baseline is the TTLs of a sender's other packets that a reset was
// compared with, most common first. It owns its slice.
type Baseline struct {
	Values []TTLCount
	Total  int   // every packet, those with rarer TTLs included
	First  uint8 // the TTL first seen, whose distance is quoted
}

// Evidence is one fact for or against a reset coming from its claimed
// sender. Which fields are set depends on Signal.
type Evidence struct {
	Signal   Signal
	PointsTo Verdict // which way it points: forged or genuine
	Frames   []int   // the other packets it rests on

	TTL      uint8    // the reset's TTL (TTL signals)
	Baseline Baseline // the sender's other TTLs (TTL signals)
	Scope    Scope    // (TTL signals)

	Packet PacketKind // what the sender sent (SigSenderKeptSending)
	Bytes  int        // its payload (KindData)
	Delay  time.Duration
	RTT    time.Duration // how long the sender takes to answer (SigTooSoon)

	Seq   uint32 // the reset's sequence number (SigOutOfWindow)
	IPID  uint16 // (SigIPIDContinues)
	Label uint32 // (SigFlowLabel)
	Seqs  int    // distinct sequence numbers (SigBurst)
	Count int    // resets in the burst (SigBurst)
}

// Forged reports whether the evidence points to a forged reset.
func (e *Evidence) Forged() bool { return e.PointsTo == VerdictForged }

// SeqState places a reset's sequence number against what its claimed
// sender had sent. The names are part of the JSON contract.
type SeqState uint8

const (
	SeqUnknown     SeqState = iota // the sender's sequence numbers were never seen
	SeqExact                       // its next sequence number
	SeqInWindow                    // within what the receiver would accept
	SeqOutOfWindow                 // outside it: the receiver drops it
	SeqZero                        // RST+ACK with seq 0, the answer to a SYN
)

var seqStateNames = [...]string{"unknown", "exact", "in-window", "out-of-window", "zero"}

func (s SeqState) String() string {
	if int(s) < len(seqStateNames) {
		return seqStateNames[s]
	}
	return "unknown"
}

// tsVerdict compares a reset's TCP timestamp with its sender's clock.
type tsVerdict uint8

const (
	tsAbsent    tsVerdict = iota // no timestamp to compare
	tsContinues                  // TSval continues the sender's clock
	tsForeign                    // it does not
)

// baselineOf copies a TTL histogram, most common first.
func baselineOf(s *ttlSet) Baseline {
	b := Baseline{Total: s.total(), First: s.c[0].ttl}
	for _, c := range s.c {
		if c.n > 0 {
			b.Values = append(b.Values, TTLCount{c.ttl, c.n})
		}
	}
	slices.SortStableFunc(b.Values, func(x, y TTLCount) int { return y.N - x.N })
	return b
}

// Sender says who really sent a reset, all its evidence weighed: not the
// address it carries, but the stack, firewall or device behind it.
type Sender uint8

const (
	SenderUnknown        Sender = iota // not enough evidence either way
	SenderClient                       // the client's own stack
	SenderServer                       // the server's own stack
	SenderPath                         // a device on the path, in an endpoint's name
	SenderClientFirewall               // a firewall on the client's host (or right in front of it)
	SenderServerFirewall               // a firewall on the server's host (or right in front of it)
	NumSenders                         // how many there are
)

var senderNames = [...]string{"unknown", "client", "server", "path", "client-firewall", "server-firewall"}

func (s Sender) String() string {
	if int(s) < len(senderNames) {
		return senderNames[s]
	}
	return "unknown"
}

// Forged reports whether the reset did not come from the stack of the
// endpoint whose address it carries.
func (s Sender) Forged() bool { return s >= SenderPath }

// Genuine reports whether the reset came from the stack of the endpoint
// whose address it carries.
func (s Sender) Genuine() bool { return s == SenderClient || s == SenderServer }

// HostFirewall reports whether a firewall on the claimed sender's own host
// (or a device right in front of it) sent the reset in that host's name.
func (s Sender) HostFirewall() bool { return s == SenderClientFirewall || s == SenderServerFirewall }

// Verdict is the coarse half of the sender: genuine, forged or unknown.
func (s Sender) Verdict() Verdict {
	switch {
	case s.Genuine():
		return VerdictGenuine
	case s.Forged():
		return VerdictForged
	}
	return VerdictUnknown
}

// stackOf is the sender when side's own stack sent the reset.
func stackOf(side Side) Sender {
	if side == Client {
		return SenderClient
	}
	return SenderServer
}

// firewallOf is the sender when side's own host's firewall sent it.
func firewallOf(side Side) Sender {
	if side == Client {
		return SenderClientFirewall
	}
	return SenderServerFirewall
}

// decisiveOrder ranks signals by how much each settles a verdict alone:
// what the endpoints did (kept sending, both ends reset at once) before
// what the headers say (TTL, sequence number).
var decisiveOrder = [...]Signal{
	SigSenderKeptSending, SigBothEnds, SigBurst, SigChallengeACK, SigReceiverIgnored, SigOutOfWindow,
	SigTimestampForeign, SigTooSoon, SigTTLDistance, SigTTLUnlike,
	SigTimestampContinues, SigIPIDContinues, SigFlowLabel, SigStackReply, SigTTLMatch, SigExactSeq, SigRefusedSYNForm,
}

// Decisive returns the one piece of evidence that best shows the verdict:
// the strongest of those pointing the way the verdict went. None for an
// unknown sender.
func (r *Reset) Decisive() (Evidence, bool) {
	if r.Sender == SenderUnknown {
		return Evidence{}, false
	}
	for _, s := range decisiveOrder {
		for _, e := range r.Evidence {
			if e.Signal == s && e.PointsTo == r.Sender.Verdict() {
				return e, true
			}
		}
	}
	return Evidence{}, false
}
