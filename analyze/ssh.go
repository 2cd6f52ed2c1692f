package analyze

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
)

// SSH message numbers the walker acts on.
const (
	msgKexInit    = 20 // RFC 4253 §7.1
	msgNewKeys    = 21 // RFC 4253 §7.3
	msgKexFirst   = 30 // RFC 4253 §12: 30-49 are key exchange method specific
	msgKexLast    = 49
	msgDisconnect = 1 // RFC 4253 §11.1
)

type walkState uint8

const (
	walkBanner    walkState = iota // reading lines until "SSH-"
	walkBinary                     // cleartext binary packets (RFC 4253 §6)
	walkEncrypted                  // after this side's NEWKEYS: count only
	walkStopped                    // gap, SSH-1, malformed or not SSH: nothing more is parsed
)

// KexInit holds the name-lists of one SSH_MSG_KEXINIT (RFC 4253 §7.1): the
// packet's bytes, kept once, and where each list lies in them. Negotiation
// and HASSH read the lists in place; only chosen names become strings.
type KexInit struct {
	FirstKexFollows bool
	Truncated       bool // the packet was longer than what was kept
	buf             []byte
	lists           [10][2]int32 // start and end of each name-list in buf
	hassh           [2]string    // HASSH (client) and HASSHServer, once computed
	shared          bool         // kept in a kexTable, for every connection that sent it
}

// The ten name-lists, in KEXINIT order.
const (
	listKex = iota
	listHostKey
	listEncC2S
	listEncS2C
	listMacC2S
	listMacS2C
	listCompC2S
	listCompS2C
	listLangC2S
	listLangS2C
)

func (k *KexInit) list(i int) []byte { return k.buf[k.lists[i][0]:k.lists[i][1]] }

// Kex and the like return one name-list split into names.
func (k *KexInit) Kex() []string        { return splitNames(string(k.list(listKex))) }
func (k *KexInit) HostKey() []string    { return splitNames(string(k.list(listHostKey))) }
func (k *KexInit) CiphersC2S() []string { return splitNames(string(k.list(listEncC2S))) }

// HASSH returns the HASSH fingerprint of a client KEXINIT (client=true) or
// HASSHServer of a server one: md5 of "kex;enc;mac;comp" in the sender's
// direction of interest, as salesforce/hassh defines it.
func (k *KexInit) HASSH(client bool) string {
	i := 0
	if !client {
		i = 1
	}
	if k.hassh[i] == "" {
		k.hassh[i] = k.computeHASSH(client)
	}
	return k.hassh[i]
}

func (k *KexInit) computeHASSH(client bool) string {
	parts := [4]int{listKex, listEncC2S, listMacC2S, listCompC2S}
	if !client {
		parts = [4]int{listKex, listEncS2C, listMacS2C, listCompS2C}
	}
	h := md5.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{';'})
		}
		h.Write(k.list(p))
	}
	var sum [md5.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// walker follows one direction of an SSH connection through its cleartext
// part. It holds at most one partial line or one partial KEXINIT, so its
// memory is bounded whatever the peer sends.
type walker struct {
	state     walkState
	isClient  bool
	stopWhy   StopReason // why parsing stopped
	stopFrame int        // the frame that made it stop (set by the flow)
	refused   string     // the first line refused as not SSH, clipped

	line      []byte
	lines     int
	banner    string
	preBanner []string

	hdr      [6]byte // packet_length, padding_length, message code
	hdrN     int
	payLeft  int // payload bytes of the current packet still to come (after the code)
	padLeft  int // padding bytes still to come
	msg      byte
	kexBuf   []byte
	kexTrunc bool
	kexs     *kexTable // shared with the other flows of the analyzer (nil: none)

	kexinit    *KexInit
	sawKexMsg  bool
	newKeys    bool
	packets    int // cleartext binary packets seen
	disconnect bool
	encBytes   int64
	// flow, if set, is told the size of each delivered chunk of encrypted
	// bytes (for the authentication heuristic). A pointer rather than a
	// closure: closures cost two allocations per connection.
	flow *flow
}

// feed consumes the next in-order bytes of the stream.
func (w *walker) feed(b []byte) {
	for len(b) > 0 {
		switch w.state {
		case walkBanner:
			b = w.feedLine(b)
		case walkBinary:
			b = w.feedPacket(b)
		case walkEncrypted:
			w.encBytes += int64(len(b))
			if f := w.flow; f != nil {
				if w.isClient {
					f.auth.clientEncrypted(len(b))
				} else {
					f.auth.serverEncrypted(f, len(b))
				}
			}
			return
		case walkStopped:
			return
		}
	}
}

func (w *walker) stop(why StopReason) {
	if w.state == walkStopped {
		return
	}
	w.state = walkStopped
	w.stopWhy = why
	w.line, w.kexBuf = nil, nil
}

// gap tells the walker that bytes of the stream were not captured.
func (w *walker) gap() {
	if w.state != walkEncrypted {
		w.stop(StopMissingBytes)
	}
}

func (w *walker) feedLine(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(w.line)+len(b) > maxLineLen {
			w.stop(StopLongLine)
			return nil
		}
		if len(w.line) == 0 && w.lines == 0 && !looksLikeText(b) {
			w.refused = clip(string(b), 80)
			w.stop(StopNotSSH)
			return nil
		}
		w.line = append(w.line, b...)
		return nil
	}
	if len(w.line)+i > maxLineLen {
		w.stop(StopLongLine)
		return nil
	}
	var line []byte
	if len(w.line) == 0 {
		line = b[:i]
	} else {
		w.line = append(w.line, b[:i]...)
		line = w.line
	}
	rest := b[i+1:]
	line = bytes.TrimSuffix(line, []byte{'\r'})
	w.lines++
	if bytes.HasPrefix(line, []byte("SSH-")) {
		w.banner = w.kexs.banner(line[:min(len(line), keptBannerLen)])
		w.line = nil
		if strings.HasPrefix(w.banner, "SSH-1.") && !strings.HasPrefix(w.banner, "SSH-1.99") {
			w.stop(StopSSH1)
			return nil
		}
		w.state = walkBinary
		return rest
	}
	// RFC 4253 §4.2: a server may send other lines first; a client may not.
	if w.isClient || !looksLikeText(line) {
		w.refused = clip(string(line), 80)
		w.stop(StopNotSSH)
		return nil
	}
	if len(w.preBanner) < keptPreBanner {
		w.preBanner = append(w.preBanner, clip(string(line), keptLineLen))
	}
	w.line = w.line[:0]
	if w.lines > maxPreBannerLines {
		w.stop(StopTooManyLines)
		return nil
	}
	return rest
}

// StopReason says why the SSH walker stopped following a stream.
type StopReason uint8

const (
	StopNone            StopReason = iota
	StopMissingBytes               // bytes missing from the capture
	StopLongLine                   // identification line longer than maxLineLen (OpenSSH's SSH_MAX_BANNER_LEN)
	StopNotSSH                     // the first line is not an SSH identification string
	StopSSH1                       // SSH protocol version 1
	StopTooManyLines               // more than maxPreBannerLines before the identification string
	StopMalformedPacket            // malformed binary packet header (RFC 4253 §6)
	StopMidstream                  // the capture started mid-stream
)

// looksLikeText applies OpenSSH's rule for identification and pre-banner
// lines (kex.c kex_exchange_identification): any byte but NUL. Escape
// sequences pass, as they do to a real client; reports escape them.
func looksLikeText(b []byte) bool {
	return bytes.IndexByte(b, 0) < 0
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (w *walker) feedPacket(b []byte) []byte {
	if w.hdrN < len(w.hdr) {
		n := copy(w.hdr[w.hdrN:], b)
		w.hdrN += n
		b = b[n:]
		if w.hdrN < len(w.hdr) {
			return b
		}
		plen := int(binary.BigEndian.Uint32(w.hdr[0:4]))
		pad := int(w.hdr[4])
		if plen < 2 || plen > maxPacketLen || pad+2 > plen {
			w.stop(StopMalformedPacket)
			return nil
		}
		w.msg = w.hdr[5]
		w.payLeft = plen - pad - 2
		w.padLeft = pad
		w.packets++
		if w.msg == msgKexInit && w.kexinit == nil {
			w.kexTrunc = w.payLeft > maxKexInitKept
			if !w.kexTrunc && len(b) >= w.payLeft {
				// The whole payload is at hand (the usual case): parse it
				// in place and keep a copy only if it is new.
				w.kexinit = w.kexs.intern(b[:w.payLeft], false)
				b = b[w.payLeft:]
				w.payLeft = 0
			} else {
				w.kexBuf = make([]byte, 0, min(w.payLeft, maxKexInitKept))
			}
		}
	}
	if w.payLeft > 0 {
		n := min(w.payLeft, len(b))
		if w.kexBuf != nil {
			room := cap(w.kexBuf) - len(w.kexBuf)
			w.kexBuf = append(w.kexBuf, b[:min(n, room)]...)
		}
		w.payLeft -= n
		b = b[n:]
		if w.payLeft > 0 {
			return b
		}
	}
	if w.padLeft > 0 {
		n := min(w.padLeft, len(b))
		w.padLeft -= n
		b = b[n:]
		if w.padLeft > 0 {
			return b
		}
	}
	w.packetDone()
	return b
}

func (w *walker) packetDone() {
	w.hdrN = 0
	switch {
	case w.msg == msgKexInit:
		if w.kexBuf != nil {
			w.kexinit = w.kexs.intern(w.kexBuf, w.kexTrunc)
			w.kexBuf = nil
		}
	case w.msg >= msgKexFirst && w.msg <= msgKexLast:
		w.sawKexMsg = true
	case w.msg == msgDisconnect:
		w.disconnect = true
	case w.msg == msgNewKeys:
		w.newKeys = true
		w.state = walkEncrypted
	}
}

// awaitsLarge reports whether this side's next SSH packet would be a large
// one that it sends unasked and that never came: its KEXINIT after its
// banner (RFC 4253 §7.1: each side sends it right after the banners).
func (w *walker) awaitsLarge() bool {
	return w.stopWhy == StopNone && w.banner != "" && w.kexinit == nil && w.kexBuf == nil
}

// kexTable holds one copy of each distinct KEXINIT (cookie aside): the
// clients and servers of a capture are few, so thousands of connections
// share a handful, and each one's HASSH and negotiation is computed once.
type kexTable struct {
	mu      sync.Mutex // verdicts may be given on another goroutine (Analyzer.Judge)
	byLists map[string]*KexInit
	algs    map[[2]*KexInit]*agreed
	banners map[string]string // identification strings, one copy each
}

// agreed is what two KEXINITs negotiate.
type agreed struct {
	Algorithms
	compS2C string // Algorithms has only client to server compression
}

func newKexTable() *kexTable {
	return &kexTable{byLists: map[string]*KexInit{}, algs: map[[2]*KexInit]*agreed{}, banners: map[string]string{}}
}

// banner returns line as a string, the same string for every connection
// that sends it (up to maxKexShared distinct ones): most connections of a
// capture repeat a few, and one string each was an allocation each.
func (t *kexTable) banner(line []byte) string {
	if t == nil {
		return string(line)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.banners[string(line)]; ok {
		return s
	}
	s := string(line)
	if len(t.banners) < maxKexShared {
		t.banners[s] = s
	}
	return s
}

// intern returns the KEXINIT in p (the payload after the message code). p
// is not kept: it may be the capture's buffer.
func (t *kexTable) intern(p []byte, truncated bool) *KexInit {
	if t == nil || len(p) < 16 {
		return parseKexInit(bytes.Clone(p), truncated)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if k := t.byLists[string(p[16:])]; k != nil && k.Truncated == truncated {
		return k
	}
	k := parseKexInit(bytes.Clone(p), truncated)
	if len(t.byLists) < maxKexShared {
		t.byLists[string(p[16:])] = k
		k.shared = true
	}
	return k
}

// negotiated returns the algorithms two KEXINITs agree on.
func (t *kexTable) negotiated(ck, sk *KexInit) agreed {
	if t != nil {
		t.mu.Lock()
		a := t.algs[[2]*KexInit{ck, sk}]
		t.mu.Unlock()
		if a != nil {
			return *a
		}
	}
	a := agreed{Algorithms: Algorithms{
		Kex:         negotiated(ck, sk, listKex),
		HostKey:     negotiated(ck, sk, listHostKey),
		Cipher:      negotiated(ck, sk, listEncC2S),
		CipherS2C:   negotiated(ck, sk, listEncS2C),
		MAC:         negotiated(ck, sk, listMacC2S),
		MACS2C:      negotiated(ck, sk, listMacS2C),
		Compression: negotiated(ck, sk, listCompC2S),
	}, compS2C: negotiated(ck, sk, listCompS2C)}
	// Only shared KEXINITs are cached: their pointers stay valid.
	if t != nil && ck.shared && sk.shared {
		t.mu.Lock()
		if len(t.algs) < maxKexShared {
			c := a
			t.algs[[2]*KexInit{ck, sk}] = &c
		}
		t.mu.Unlock()
	}
	return a
}

// parseKexInit reads the name-lists after the message code: a 16-byte cookie,
// ten name-lists, first_kex_packet_follows and a reserved uint32. It keeps p.
func parseKexInit(p []byte, truncated bool) *KexInit {
	k := &KexInit{Truncated: truncated, buf: p}
	if len(p) < 16 {
		k.Truncated = true
		return k
	}
	o := 16
	for i := range k.lists {
		if len(p)-o < 4 {
			k.Truncated = true
			k.lists[i] = [2]int32{int32(o), int32(o)}
			continue
		}
		n := int(binary.BigEndian.Uint32(p[o:]))
		o += 4
		if n > len(p)-o {
			k.lists[i] = [2]int32{int32(o), int32(len(p))}
			k.Truncated = true
			o = len(p)
			continue
		}
		k.lists[i] = [2]int32{int32(o), int32(o + n)}
		o += n
	}
	if o < len(p) {
		k.FirstKexFollows = p[o] != 0
	}
	return k
}

func splitNames(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// negotiate applies RFC 4253 §7.1 to two comma-separated name-lists: the
// first algorithm on the client's list that is also on the server's.
func negotiate(client, server []byte) string {
	for c := range bytes.SplitSeq(client, []byte{','}) {
		if len(c) == 0 {
			continue
		}
		for s := range bytes.SplitSeq(server, []byte{','}) {
			if bytes.Equal(c, s) {
				return string(c)
			}
		}
	}
	return ""
}

// negotiated applies negotiate to one name-list of two KEXINITs.
func negotiated(c, s *KexInit, list int) string { return negotiate(c.list(list), s.list(list)) }
