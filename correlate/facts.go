package correlate

import (
	"net/netip"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/decode"
)

// The types below are what a comparison found, as facts: report/ words
// them. No decision here reads a sentence; a change of wording there can
// change no verdict here.

// FindingID names a pattern the two captures show together. The values
// are stable: they are the JSON "id" of a finding.
type FindingID string

// Finding IDs.
const (
	FindForged   FindingID = "forged-on-path"   // a RST reached one end that the other never sent
	FindDropped  FindingID = "dropped-on-path"  // packets left one end and never reached the other
	FindModified FindingID = "modified-on-path" // packets arrived with a field changed
	FindInjected FindingID = "injected-on-path" // packets other than RSTs reached one end that the other never sent
	// packets one capture has and the other does not, from a time the
	// other holds nothing of: lost (or made) on the path if it was still
	// running then, which a capture file does not say
	FindAbsent FindingID = "absent-after-capture"
)

func (id FindingID) String() string { return string(id) }

// FindingIDs lists every finding ID, in the order a pair's findings come
// (per side, forged, injected, dropped; then modified): the one catalog's
// (package catalog) findings from a second capture, in its order.
var FindingIDs = func() (ids []FindingID) {
	for _, e := range catalog.Of(catalog.SourceSecondCapture) {
		ids = append(ids, FindingID(e.Name))
	}
	return ids
}()

// Entry is the finding's entry in the one catalog: its usual blame,
// meaning, causes and next steps.
func (id FindingID) Entry() catalog.Entry {
	e, _ := catalog.Lookup(string(id))
	return e
}

// Finding is a pattern shown by the two captures together: which packets
// it rests on and the facts that tell it. The zero value is no finding.
type Finding struct {
	ID FindingID
	// From is the end whose address the packets carry; Sender the capture
	// nearer it (an index into Result.Captures).
	From   analyze.Side
	Sender int
	Frames [2][]int // the packets it rests on, in each capture
	// Packets is how many packets it counts: those the receiver's capture
	// has (forged, injected), the sender's (dropped), or each (modified).
	Packets int
	// Span is, for FindForged, the connection as the sender's capture
	// recorded it (its first and its last packet); for FindDropped, the
	// first and the last packet lost, both by the sender's capture's clock.
	Span [2]time.Time
	// Lost is what the packets of a FindDropped carried.
	Lost Carried
	// Would is, for FindAbsent, what the packets would be if the capture
	// lacking them was still running: Dropped (they left the sender's
	// point) or Injected (they reached the receiver's point); Span is then
	// the first and the last of them by the clock of the capture that has
	// them (Frames).
	Would Fate
	// Change is what a FindModified saw changed, the same in each of its
	// packets; First and FirstLen are the kind and payload length of the
	// first of them.
	Change   Change
	First    Kind
	FirstLen int
}

// Carried is what a list of packets carried, as counts.
type Carried struct {
	SYNs          int // SYNs and SYN-ACKs
	Segments      int // packets with data
	Bytes         int // data bytes in them
	Largest       int // the largest data segment's length
	Retransmitted int // data segments whose sequence number came before in the list
	Empty         int // packets without data, SYNs aside
}

// carried counts what the packets pk of log sent.
func carried(log []analyze.PacketRecord, l []*Packet) Carried {
	var c Carried
	seqs := map[uint32]bool{}
	for _, pk := range l {
		x := &log[pk.Sent]
		switch {
		case x.Flags.Has(decode.SYN):
			c.SYNs++
		case x.Len > 0:
			c.Segments++
			c.Bytes += x.Len
			c.Largest = max(c.Largest, x.Len)
			seqs[x.RawSeq] = true
		default:
			c.Empty++
		}
	}
	c.Retransmitted = c.Segments - len(seqs)
	return c
}

// Kind is what a packet is, by its flags and length, the first that
// applies in this order: SYN-ACK, SYN, RST, FIN, data, ACK.
type Kind uint8

const (
	KindACK Kind = iota // none of the others: an acknowledgment alone
	KindSYNACK
	KindSYN
	KindRST
	KindFIN
	KindData // no SYN, RST or FIN, and a payload
)

var kindNames = [...]string{"ACK", "SYN-ACK", "SYN", "RST", "FIN", "data"}

func (k Kind) String() string { return nameOf(kindNames[:], k) }

// KindOf says what a packet is.
func KindOf(x *analyze.PacketRecord) Kind {
	switch {
	case x.Flags.Has(decode.SYN | decode.ACK):
		return KindSYNACK
	case x.Flags.Has(decode.SYN):
		return KindSYN
	case x.Flags.Has(decode.RST):
		return KindRST
	case x.Flags.Has(decode.FIN):
		return KindFIN
	case x.Len > 0:
		return KindData
	}
	return KindACK
}

// Field is a part of a TCP header, or the payload, that a middlebox may
// change.
type Field uint8

const (
	FieldMSS       Field = iota + 1 // maximum segment size option (RFC 9293 §3.7.1)
	FieldWScale                     // window scale option (RFC 7323 §2)
	FieldSACKPerm                   // SACK-permitted option (RFC 2018 §2)
	FieldSACK                       // SACK option (RFC 2018 §3)
	FieldTimestamp                  // timestamps option (RFC 7323 §3)
	FieldMD5                        // TCP MD5 signature option (RFC 2385)
	FieldAO                         // TCP authentication option (RFC 5925)
	FieldWindow                     // the window field (RFC 9293 §3.1)
	FieldAck                        // the acknowledgment number
	FieldFlags                      // the control bits
	FieldPayload                    // the data, of the same length
)

var fieldNames = [...]string{"", "mss", "window-scale", "sack-permitted", "sack", "timestamp", "tcp-md5", "tcp-ao",
	"window", "ack", "flags", "payload"}

func (f Field) String() string { return nameOf(fieldNames[:], f) }

// Op is how a field changed.
type Op uint8

const (
	Rewritten Op = iota // there at both points, another value on arrival
	Added               // an option there on arrival only
	Removed             // an option there when sent only
)

var opNames = [...]string{"rewritten", "added", "removed"}

func (o Op) String() string { return nameOf(opNames[:], o) }

// Change is one difference between a packet as sent and as received, TTL
// aside. It holds only the values that tell the change, so two packets
// changed the same way have equal Changes:
//   - FieldMSS: Sent (rewritten or removed) and Got (rewritten or added)
//     are the option's values;
//   - FieldWScale and FieldTimestamp rewritten: Sent and Got are the shift
//     count or TSval; added or removed, no value;
//   - the other options: added or removed, no value;
//   - FieldWindow and FieldFlags (a decode.Flags): Sent and Got;
//   - FieldAck: Shift, how far the acknowledgment number moved beyond the
//     translation of sequence numbers the connection's SYNs show;
//   - FieldPayload: Bytes, the payload's length (its checksum differs).
type Change struct {
	Field     Field
	Op        Op
	Sent, Got uint32
	Shift     int32
	Bytes     int
}

// options are the TCP options whose presence is compared, in order.
var options = [...]struct {
	o decode.Options
	f Field
}{{decode.OptWScale, FieldWScale}, {decode.OptSACKPerm, FieldSACKPerm}, {decode.OptSACK, FieldSACK},
	{decode.OptTimestamp, FieldTimestamp}, {decode.OptMD5, FieldMD5}, {decode.OptAO, FieldAO}}

// changes lists what differs between a packet as sent (s) and as received
// (r), TTL aside; ackOff maps the sender's acknowledgment numbers to the
// receiver's sequence space. Nil when nothing does.
func changes(s, r *analyze.PacketRecord, ackOff uint32) []Change {
	var c []Change
	if s.Options&decode.OptMSS != 0 || r.Options&decode.OptMSS != 0 {
		switch {
		case r.Options&decode.OptMSS == 0:
			c = append(c, Change{Field: FieldMSS, Op: Removed, Sent: uint32(s.MSS)})
		case s.Options&decode.OptMSS == 0:
			c = append(c, Change{Field: FieldMSS, Op: Added, Got: uint32(r.MSS)})
		case s.MSS != r.MSS:
			c = append(c, Change{Field: FieldMSS, Sent: uint32(s.MSS), Got: uint32(r.MSS)})
		}
	}
	if s.Options&decode.OptWScale != 0 && r.Options&decode.OptWScale != 0 && s.WScale != r.WScale {
		c = append(c, Change{Field: FieldWScale, Sent: uint32(s.WScale), Got: uint32(r.WScale)})
	}
	for _, o := range options {
		switch {
		case s.Options&o.o != 0 && r.Options&o.o == 0:
			c = append(c, Change{Field: o.f, Op: Removed})
		case s.Options&o.o == 0 && r.Options&o.o != 0:
			c = append(c, Change{Field: o.f, Op: Added})
		}
	}
	if s.Options&r.Options&decode.OptTimestamp != 0 && s.TSVal != r.TSVal {
		c = append(c, Change{Field: FieldTimestamp, Sent: s.TSVal, Got: r.TSVal})
	}
	if s.Window != r.Window {
		c = append(c, Change{Field: FieldWindow, Sent: uint32(s.Window), Got: uint32(r.Window)})
	}
	if s.Flags.Has(decode.ACK) && r.Flags.Has(decode.ACK) && s.RawAck+ackOff != r.RawAck {
		c = append(c, Change{Field: FieldAck, Shift: int32(r.RawAck - s.RawAck - ackOff)})
	}
	if s.Flags != r.Flags {
		c = append(c, Change{Field: FieldFlags, Sent: uint32(s.Flags), Got: uint32(r.Flags)})
	}
	if s.Captured > 0 && s.Captured == r.Captured && s.Sum != r.Sum {
		c = append(c, Change{Field: FieldPayload, Bytes: s.Len})
	}
	return c
}

// Orientation is how a pair's sides were told apart.
type Orientation uint8

const (
	// ByClientTTL: the client's packets lose TTL (IPv6: hop limit) from
	// one capture to the other; the higher is nearer the client.
	ByClientTTL Orientation = iota + 1
	// ByServerTTL: the client's do not tell, the server's lose TTL.
	ByServerTTL
	// SameTTL: neither side's first packet shows a TTL that differs
	// between the points (no router between them, or a side seen at one
	// point only), nor does the timing: the first capture is taken as the
	// client's.
	SameTTL
	// ByTiming: the TTLs do not tell, but the packets seen at both points,
	// both ways, take a positive round trip between them only this way.
	ByTiming
)

var orientationNames = [...]string{"", "client-ttl", "server-ttl", "same-ttl", "timing"}

func (o Orientation) String() string { return nameOf(orientationNames[:], o) }

// MatchedBy is what tied two flows together.
type MatchedBy uint8

const (
	// BySeq: packets with the same sequence number, length and flags.
	BySeq MatchedBy = iota + 1
	// BySYNSeq: the same, a SYN among them (the initial sequence numbers).
	BySYNSeq
	// BySeqTS: BySeq, and packets with the same TCP timestamp voted too.
	BySeqTS
	// BySYNSeqTS: BySYNSeq, and TCP timestamps voted too.
	BySYNSeqTS
	// ByTuple: packet keys too common to vote (clones of a connection),
	// so the same addresses and ports, and packets in common.
	ByTuple
)

var matchedByNames = [...]string{"", "seq", "syn-seq", "seq+ts", "syn-seq+ts", "tuple"}

func (m MatchedBy) String() string { return nameOf(matchedByNames[:], m) }

// SYN reports whether a SYN was among the packets that voted.
func (m MatchedBy) SYN() bool { return m == BySYNSeq || m == BySYNSeqTS }

// Timestamps reports whether TCP timestamps voted.
func (m MatchedBy) Timestamps() bool { return m == BySeqTS || m == BySYNSeqTS }

// NAT is each end's address and port as the capture nearer the client
// saw it ([0]) and as the one nearer the server saw it ([1]): they differ
// where a translator between the points rewrote them.
type NAT struct {
	Client, Server [2]netip.AddrPort
}

// Rewritten reports whether any address or port was translated.
func (n NAT) Rewritten() bool { return n.Client[0] != n.Client[1] || n.Server[0] != n.Server[1] }

// nameOf is an enum value's name, "unknown" out of range.
func nameOf[T ~uint8](names []string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}
