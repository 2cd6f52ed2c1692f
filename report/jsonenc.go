package report

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/rstsniff/rstsniff/catalog"
)

// A hand-written encoder for the flow lines, which JSON output writes once
// per connection: reflection made encoding/json a sixth of the run on large
// captures. It writes exactly what json.Marshal followed by
// escapeFormatChars writes (TestFlowEncoderMatchesEncodingJSON holds it to
// that), field order and omitempty included.

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes written as they are: encoding/json's
// htmlSafeSet (no control characters, quote, backslash, <, > or &).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// safe8 reports whether the eight bytes of x are all jsonSafe (ASCII, no
// control character, quote, backslash, <, > or &), testing them at once:
// most of a line's text is plain words.
func safe8(x uint64) bool {
	const lo = 0x0101010101010101
	// (y-lo)&^y has the high bit of every zero byte of y set (and maybe of
	// bytes after one), x^c*lo a zero byte where x holds c.
	q, bs, lt, gt, amp := x^'"'*lo, x^'\\'*lo, x^'<'*lo, x^'>'*lo, x^'&'*lo
	m := x | (x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs | (lt-lo)&^lt | (gt-lo)&^gt | (amp-lo)&^amp
	return m&(0x80*lo) == 0 // no byte >= 0x80, < 0x20 or one of the five
}

// load8 reads the eight bytes of s from i on, the first lowest.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendJSONString writes s as a JSON string the way encoding/json does
// (HTML-safe, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped), and
// Unicode format characters escaped as well.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && safe8(load8(s, i)) {
			i += 8
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = appendU4(b, rune(c))
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = appendU4(b, r)
		case unicode.Is(unicode.Cf, r):
			b = append(b, s[start:i]...)
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				b = appendU4(appendU4(b, r1), r2)
			} else {
				b = appendU4(b, r)
			}
		default:
			i += n
			continue
		}
		i += n
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// wordsStart writes member k's key and opening quote, for words appended
// straight into the line, and returns where they start.
func (o *jsonObject) wordsStart(k string) int {
	o.key(k)
	o.b = append(o.b, '"')
	return len(o.b)
}

// wordsEnd closes the string of words from at: as they are when no byte of
// them needs escaping, escaped as appendJSONString does otherwise (network
// text a finding quotes).
func (o *jsonObject) wordsEnd(at int) {
	if needsEscape(o.b[at:]) {
		raw := string(o.b[at:])
		o.b = appendJSONString(o.b[:at-1], raw)
		return
	}
	o.wordsClose()
}

// wordsClose closes a string of words that hold no byte JSON escapes: a
// reset's evidence (our words, numbers and names; TestWordsNeedNoEscaping).
func (o *jsonObject) wordsClose() { o.b = append(o.b, '"') }

// needsEscape reports whether appendJSONString would write b other than
// as it is.
func needsEscape(b []byte) bool {
	for i := 0; i < len(b); {
		if i+8 <= len(b) && safe8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			continue
		}
		if c := b[i]; c < utf8.RuneSelf {
			if !jsonSafe[c] {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) {
			return true
		}
		i += n
	}
	return false
}

// encodedAlgorithms is the latest algorithms object a line encoder wrote:
// most connections negotiate what the one before did, so its encoding is
// reused while the names stay the same (strings shared by the analyzer's
// KEXINIT table compare by pointer). Each encoder (lineEncoders) keeps its
// own: nothing is shared between runs or goroutines.
type encodedAlgorithms struct {
	a   jsonAlgorithms
	enc []byte
}

// appendAlgorithms writes the algorithms object, from last when it holds
// the same names, and remembers it there (last may be nil).
func appendAlgorithms(b []byte, a *jsonAlgorithms, last *encodedAlgorithms) []byte {
	if last != nil && last.enc != nil && last.a == *a {
		return append(b, last.enc...)
	}
	o := jsonObject{first: true}
	o.b = append(o.b, '{')
	for _, m := range [...]struct{ k, v string }{{"kex", a.Kex}, {"host_key", a.HostKey}, {"cipher", a.Cipher},
		{"mac", a.MAC}, {"cipher_s2c", a.CipherS2C}, {"mac_s2c", a.MACS2C}, {"compression", a.Compression},
		{"client_hassh", a.ClientHASSH}, {"server_hassh", a.ServerHASSH}} {
		if m.v != "" {
			o.str(m.k, m.v)
		}
	}
	o.b = append(o.b, '}')
	if last != nil {
		*last = encodedAlgorithms{*a, o.b}
	}
	return append(b, o.b...)
}

// jsonObject appends the members of one object; first is true until a
// member has been written.
type jsonObject struct {
	b     []byte
	first bool
}

func (o *jsonObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObject) str(k, v string) { o.key(k); o.b = appendJSONString(o.b, v) }

// strOmit writes the member k only when v is not empty (encoding/json's
// omitempty).
func (o *jsonObject) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObject) time(k string, t jsonTime) {
	o.key(k)
	o.b = append(o.b, '"')
	if tt := time.Time(t); !tt.IsZero() {
		o.b = appendStamp(o.b, tt) // digits and punctuation only
	}
	o.b = append(o.b, '"')
}

// endpoint writes an address and port as Endpoint does; only a zone (which
// decoded packets never have) could need escaping.
func (o *jsonObject) endpoint(k string, e jsonEndpoint) {
	o.key(k)
	ap := netip.AddrPort(e)
	if !ap.IsValid() || ap.Addr().Zone() != "" {
		o.b = appendJSONString(o.b, Endpoint(ap))
		return
	}
	o.b = append(o.b, '"')
	o.b = ap.AppendTo(o.b)
	o.b = append(o.b, '"')
}
func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}
func (o *jsonObject) uint(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}
func (o *jsonObject) bool(k string, v bool) { o.key(k); o.b = strconv.AppendBool(o.b, v) }

// array writes an array of n items (null when isNil), item writing the
// i-th.
func (o *jsonObject) array(k string, isNil bool, n int, item func(i int)) {
	o.key(k)
	if isNil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		item(i)
	}
	o.b = append(o.b, ']')
}

func (o *jsonObject) strs(k string, v []string) {
	o.array(k, v == nil, len(v), func(i int) { o.b = appendJSONString(o.b, v[i]) })
}

// advice writes causes or next steps: the catalog's lines that need no
// escaping as they are (a failing connection's line repeats several
// hundred bytes of them), any other string as str does.
func (o *jsonObject) advice(k string, v []string) {
	o.array(k, v == nil, len(v), func(i int) {
		if plainAdvice[idOf(v[i])] {
			o.b = append(append(append(o.b, '"'), v[i]...), '"')
		} else {
			o.b = appendJSONString(o.b, v[i])
		}
	})
}

// plainAdvice holds the catalog's causes and next steps that JSON writes as
// they are: a map lookup costs less than looking at every byte. They are
// known by where their bytes are and how many (the advice lists hold the
// catalog's own strings), which spares hashing and comparing a hundred
// bytes or more per line; the same words from anywhere else are only
// checked byte by byte.
var plainAdvice = func() map[stringID]bool {
	m := map[stringID]bool{}
	for _, e := range catalog.All() {
		for _, ss := range [][]string{e.Causes, e.NextSteps} {
			for _, s := range ss {
				if string(appendJSONString(nil, s)) == `"`+s+`"` {
					m[idOf(s)] = true
				}
			}
		}
	}
	return m
}()

// stringID is where a string's bytes are and how many: two strings with
// the same are the same string.
type stringID struct {
	p *byte
	n int
}

func idOf(s string) stringID { return stringID{unsafe.StringData(s), len(s)} }

func (o *jsonObject) ints(k string, v []int) {
	o.array(k, v == nil, len(v), func(i int) { o.b = strconv.AppendInt(o.b, int64(v[i]), 10) })
}

// objects writes an array of n objects (null when isNil), member writing
// the members of the i-th.
func (o *jsonObject) objects(k string, isNil bool, n int, member func(i int)) {
	o.array(k, isNil, n, func(i int) {
		o.b = append(o.b, '{')
		o.first = true
		member(i)
		o.close()
	})
}

func (o *jsonObject) open(k string) { o.key(k); o.b = append(o.b, '{'); o.first = true }
func (o *jsonObject) close()        { o.b = append(o.b, '}'); o.first = false }

// appendFlow writes jf as encoding/json would.
func appendFlow(b []byte, jf *jsonFlow) []byte { return appendFlowCached(b, jf, nil) }

// appendFlowCached is appendFlow with a line encoder's algorithms cache.
func appendFlowCached(b []byte, jf *jsonFlow, last *encodedAlgorithms) []byte {
	o := jsonObject{b: append(b, '{'), first: true}
	o.str("type", jf.Type)
	o.int("schema_version", int64(jf.SchemaVersion))
	o.int("id", int64(jf.ID))
	o.strOmit("file", jf.File)
	o.endpoint("client", jf.Client)
	o.endpoint("server", jf.Server)
	o.int("first_packet", int64(jf.FirstPacket))
	o.int("last_packet", int64(jf.LastPacket))
	o.time("start", jf.Start)
	o.time("end", jf.End)
	o.str("stage", jf.Stage)
	o.str("outcome", jf.Outcome)
	o.str("closed_by", jf.ClosedBy)
	o.str("client_banner", jf.ClientBanner)
	o.str("server_banner", jf.ServerBanner)
	for _, s := range [2]struct {
		k string
		v jsonSides
	}{{"packets", jf.Packets}, {"bytes", jf.Bytes}} {
		o.open(s.k)
		o.int("client", s.v.Client)
		o.int("server", s.v.Server)
		o.close()
	}
	o.objects("resets", jf.Resets == nil, len(jf.Resets), func(i int) {
		r := &jf.Resets[i]
		o.int("packet", int64(r.Packet))
		o.time("time", r.Time)
		o.str("from", r.From)
		o.str("stage", r.Stage)
		o.uint("ttl", uint64(r.TTL))
		o.str("origin", r.Origin)
		o.str("sender", r.Sender)
		o.str("flags", r.Flags)
		o.uint("seq", uint64(r.Seq))
		o.uint("ack", uint64(r.Ack))
		o.uint("window", uint64(r.Window))
		o.uint("ip_id", uint64(r.IPID))
		if r.Label != 0 {
			o.uint("flow_label", uint64(r.Label))
		}
		o.str("seq_state", r.SeqState)
		o.int("payload_bytes", int64(r.Payload))
		appendEvidence(&o, r.Evidence)
		o.str("strength", r.Strength)
		o.strs("decided_by", r.DecidedBy)
		if len(r.Fingerprints) > 0 {
			o.strs("fingerprints", r.Fingerprints)
		}
		if r.Kernel != nil {
			appendKernel(&o, r.Kernel)
		}
	})
	if len(jf.ICMP) > 0 {
		o.objects("icmp", false, len(jf.ICMP), func(i int) {
			e := &jf.ICMP[i]
			o.int("packet", int64(e.Packet))
			o.time("time", e.Time)
			o.str("about", e.About)
			o.str("from", e.From)
			o.uint("ttl", uint64(e.TTL))
			o.uint("type", uint64(e.Type))
			o.uint("code", uint64(e.Code))
			o.str("what", e.What)
			if e.MTU != 0 {
				o.uint("mtu", uint64(e.MTU))
			}
			o.strOmit("connect_error", e.Errno)
		})
	}
	o.objects("findings", jf.Findings == nil, len(jf.Findings), func(i int) {
		fd := &jf.Findings[i]
		o.str("id", fd.ID)
		o.str("source", fd.Source)
		o.str("blame", fd.Blame)
		o.ints("packets", fd.Packets)
		if len(fd.LogLines) > 0 {
			o.ints("log_lines", fd.LogLines)
		}
		if fd.finding != nil {
			at := o.wordsStart("summary")
			o.b = appendSummary(o.b, fd.flow, fd.finding)
			o.wordsEnd(at)
		} else {
			o.str("summary", fd.Summary)
		}
	})
	if jf.flow != nil {
		at := o.wordsStart("client_error")
		o.b = appendClientError(o.b, jf.flow)
		o.wordsEnd(at)
	} else {
		o.str("client_error", jf.ClientError)
	}
	o.advice("causes", jf.Causes)
	o.advice("next_steps", jf.NextSteps)
	if len(jf.PreBanner) > 0 {
		o.strs("server_pre_banner", jf.PreBanner)
	}
	if a := jf.Algorithms; a != nil {
		o.key("algorithms")
		o.b = appendAlgorithms(o.b, a, last)
	}
	if jf.AuthSuccess != nil {
		o.bool("auth_success", *jf.AuthSuccess)
	}
	o.int("auth_attempts", int64(jf.AuthAttempts))
	o.str("community_id", jf.CommunityID)
	o.str("conn_state", jf.ConnState)
	o.str("history", jf.History)
	if jf.Midstream {
		o.bool("midstream", true)
	}
	if jf.Duplicates != 0 {
		o.int("duplicates_dropped", int64(jf.Duplicates))
	}
	if len(jf.Notes) > 0 {
		o.strs("notes", jf.Notes)
	}
	if jf.KernelDropped != nil {
		appendDropped(&o, jf.KernelDropped)
	}
	return append(o.b, '}')
}
