package report

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// sentence appends words to a byte slice. The evidence and finding
// sentences (words.go) are built with it straight into the caller's
// buffer, numbers through strconv, not fmt: JSON output words every reset's
// evidence and every finding, and fmt.Sprintf's boxed arguments and fresh
// strings were most of a failing connection's allocations. Each method
// writes what the fmt verb it replaces wrote (%s, %d, %.Nf, %05x).
type sentence []byte

func (t sentence) s(v string) sentence { return append(t, v...) }
func (t sentence) d(v int) sentence    { return strconv.AppendInt(t, int64(v), 10) }
func (t sentence) u(v uint64) sentence { return strconv.AppendUint(t, v, 10) }

// addr writes an address as its String method does.
func (t sentence) addr(a netip.Addr) sentence {
	if !a.IsValid() {
		return t.s(a.String())
	}
	return a.AppendTo(t)
}

// addrPort writes an address and port as its String method does.
func (t sentence) addrPort(ap netip.AddrPort) sentence {
	if !ap.Addr().IsValid() {
		return t.s(ap.String())
	}
	return ap.AppendTo(t)
}

// hex5 writes v as %05x does.
func (t sentence) hex5(v uint32) sentence {
	var h [8]byte
	d := strconv.AppendUint(h[:0], uint64(v), 16)
	for range 5 - len(d) {
		t = append(t, '0')
	}
	return append(t, d...)
}

// ms writes a duration for people: "6.1 ms", "0.02 ms", "2.3 s".
func (t sentence) ms(d time.Duration) sentence {
	switch {
	case d >= 10*time.Second:
		return sentence(strconv.AppendFloat(t, d.Seconds(), 'f', 0, 64)).s(" s")
	case d >= time.Second:
		return sentence(strconv.AppendFloat(t, d.Seconds(), 'f', 1, 64)).s(" s")
	case d >= 10*time.Millisecond:
		return sentence(strconv.AppendFloat(t, float64(d)/1e6, 'f', 0, 64)).s(" ms")
	case d >= time.Millisecond:
		return sentence(strconv.AppendFloat(t, float64(d)/1e6, 'f', 1, 64)).s(" ms")
	}
	return sentence(strconv.AppendFloat(t, float64(d)/1e6, 'f', 2, 64)).s(" ms")
}

// frames lists frame numbers: "3, 4, 7".
func (t sentence) frames(fs []int) sentence {
	for i, f := range fs {
		if i > 0 {
			t = t.s(", ")
		}
		t = t.d(f)
	}
	return t
}

func (t sentence) hops(n int) sentence {
	if n == 1 {
		return t.s("1 hop away")
	}
	return t.d(n).s(" hops away")
}

// baseline writes a TTL baseline as "63" or "63 (20 packets), 62 (2 packets)".
func (t sentence) baseline(b analyze.Baseline) sentence {
	if len(b.Values) == 1 {
		return t.d(int(b.Values[0].TTL))
	}
	for i, c := range b.Values {
		if i > 0 {
			t = t.s(", ")
		}
		t = t.d(int(c.TTL)).s(" (").d(c.N).s(" packets)")
	}
	return t
}

// kind says what a side sent: "a SYN", "20 bytes of data".
func (t sentence) kind(k analyze.PacketKind, bytes int) sentence {
	switch k {
	case analyze.KindSYN:
		return t.s("a SYN")
	case analyze.KindSYNACK:
		return t.s("a SYN-ACK")
	case analyze.KindData:
		return t.d(bytes).s(" bytes of data")
	case analyze.KindFIN:
		return t.s("a FIN")
	}
	return t.s("a packet")
}

// clock writes a time of day in UTC, to the millisecond (as clock does).
func (t sentence) clock(tm time.Time) sentence { return tm.UTC().AppendFormat(t, "15:04:05.000") }
