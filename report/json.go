package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"
)

// TimeFormat is RFC 3339 in UTC with nanoseconds, always nine digits.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

type jsonSides struct {
	Client int64 `json:"client"`
	Server int64 `json:"server"`
}

type jsonReset struct {
	Packet   int      `json:"packet"`
	Time     jsonTime `json:"time"`
	From     string   `json:"from"`
	Stage    string   `json:"stage"`
	TTL      uint8    `json:"ttl"`
	Origin   string   `json:"origin"`
	Sender   string   `json:"sender"`
	Flags    string   `json:"flags"`
	Seq      uint32   `json:"seq"`
	Ack      uint32   `json:"ack"`
	Window   uint16   `json:"window"`
	IPID     uint16   `json:"ip_id"`
	Label    uint32   `json:"flow_label,omitempty"`
	SeqState string   `json:"seq_state"`
	Payload  int      `json:"payload_bytes"`
	// Sender says who really sent it: path, server-firewall,
	// client-firewall, server, client or unknown, the words of the
	// terminal's verdict line. Origin is the older, coarser verdict:
	// "middlebox" for every reset not sent by the endpoint's socket, a
	// host's own firewall included. Evidence is typed facts, each with
	// its words (json_evidence.go).
	Evidence []jsonEvidence `json:"evidence"`
	// Strength of the origin verdict and the signals that decided it.
	Strength  string   `json:"strength"`
	DecidedBy []string `json:"decided_by"`
	// Published fingerprints of forged resets it matches (names).
	Fingerprints []string `json:"fingerprints,omitempty"`

	Kernel *jsonKernel `json:"kernel,omitempty"` // live capture, kernel witness on
}

// jsonICMP is an ICMP error about one of the connection's segments.
type jsonICMP struct {
	Packet int      `json:"packet"`
	Time   jsonTime `json:"time"`
	About  string   `json:"about"`
	From   string   `json:"from"`
	TTL    uint8    `json:"ttl"`
	Type   uint8    `json:"type"`
	Code   uint8    `json:"code"`
	What   string   `json:"what"`
	MTU    uint32   `json:"mtu,omitempty"`
	Errno  string   `json:"connect_error,omitempty"`
}

// jsonFinding is one finding of a connection, whatever its witness
// (source): packets carry the frames it rests on, a log's finding the
// lines (indexes into the flow's sshd_log.lines).
type jsonFinding struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Blame    string `json:"blame"`
	Packets  []int  `json:"packets"`
	LogLines []int  `json:"log_lines,omitempty"`
	Summary  string `json:"summary"`

	// A finding of the flow's packets is worded as its line is written,
	// straight into it (Summary stays empty).
	flow    *analyze.Flow
	finding *analyze.Finding
}

type jsonAlgorithms struct {
	Kex         string `json:"kex,omitempty"`
	HostKey     string `json:"host_key,omitempty"`
	Cipher      string `json:"cipher,omitempty"`
	MAC         string `json:"mac,omitempty"`
	CipherS2C   string `json:"cipher_s2c,omitempty"`
	MACS2C      string `json:"mac_s2c,omitempty"`
	Compression string `json:"compression,omitempty"`
	ClientHASSH string `json:"client_hassh,omitempty"`
	ServerHASSH string `json:"server_hassh,omitempty"`
}

type jsonFlow struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The connection.
	ID           int             `json:"id"`
	File         string          `json:"file,omitempty"`
	Client       jsonEndpoint    `json:"client"`
	Server       jsonEndpoint    `json:"server"`
	FirstPacket  int             `json:"first_packet"`
	LastPacket   int             `json:"last_packet"`
	Start        jsonTime        `json:"start"`
	End          jsonTime        `json:"end"`
	Stage        string          `json:"stage"`
	Outcome      string          `json:"outcome"`
	ClosedBy     string          `json:"closed_by"`
	ClientBanner string          `json:"client_banner"`
	ServerBanner string          `json:"server_banner"`
	Packets      jsonSides       `json:"packets"`
	Bytes        jsonSides       `json:"bytes"`
	Resets       []jsonReset     `json:"resets"`
	ICMP         []jsonICMP      `json:"icmp,omitempty"`
	Findings     []jsonFinding   `json:"findings"`
	ClientError  string          `json:"client_error"`
	Causes       []string        `json:"causes"`
	NextSteps    []string        `json:"next_steps"`
	PreBanner    []string        `json:"server_pre_banner,omitempty"`
	Algorithms   *jsonAlgorithms `json:"algorithms,omitempty"`
	AuthSuccess  *bool           `json:"auth_success,omitempty"`
	AuthAttempts int             `json:"auth_attempts"`
	CommunityID  string          `json:"community_id"`
	ConnState    string          `json:"conn_state"`
	History      string          `json:"history"`
	Midstream    bool            `json:"midstream,omitempty"`
	Duplicates   int             `json:"duplicates_dropped,omitempty"`
	Notes        []string        `json:"notes,omitempty"`
	// KernelDropped: live capture, kernel witness on, packets of the
	// connection this host's firewall dropped with no reset answering them.
	KernelDropped *jsonDropped `json:"kernel_dropped,omitempty"`

	// flow: the client's message (ClientError, left empty) is worded as
	// the line is written, straight into it.
	flow *analyze.Flow
}

type jsonInput struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	Packets   int    `json:"packets"`
	Tunnelled int    `json:"tunnelled_packets,omitempty"`
	Start     string `json:"start,omitempty"`
	End       string `json:"end,omitempty"`
}

func newJSONInput(in Input) jsonInput {
	return jsonInput{Name: in.Name, Format: in.Format, Packets: in.Frames, Tunnelled: in.Tunnelled, Start: stamp(in.Start), End: stamp(in.End)}
}

type jsonSummary struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The run.
	Packets  int            `json:"packets"`
	Flows    int            `json:"flows"`
	Outcomes map[string]int `json:"outcomes"`
	Resets   int            `json:"resets"`
	Warnings []string       `json:"warnings"`
	Inputs   []jsonInput    `json:"inputs"`
	// Live captures only.
	Received  *int `json:"received,omitempty"`
	Dropped   *int `json:"kernel_drops,omitempty"`
	IfDropped *int `json:"interface_drops,omitempty"`
	Evicted   int  `json:"evicted,omitempty"`
	Evidence  *struct {
		Path    string `json:"path"`
		Flows   int    `json:"flows"`
		Packets int    `json:"packets"`
		Omitted int    `json:"omitted"`
	} `json:"evidence,omitempty"`
	// The rstsniff that wrote it (a release's version, or the revision).
	Version string `json:"version,omitempty"`
}

// Endpoint writes an address and port, IPv6 in brackets.
func Endpoint(ap netip.AddrPort) string { return ap.String() }

// jsonEndpoint and jsonTime are written as Endpoint and stamp write them,
// by encoding/json through MarshalText and by the flow encoder straight
// into the line, without a string per connection.
type jsonEndpoint netip.AddrPort

func (e jsonEndpoint) MarshalText() ([]byte, error) { return []byte(Endpoint(netip.AddrPort(e))), nil }

type jsonTime time.Time

func (t jsonTime) MarshalText() ([]byte, error) { return []byte(stamp(time.Time(t))), nil }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [30]byte
	return string(appendStamp(b[:0], t))
}

// appendStamp writes t as TimeFormat does, without time.Format's layout
// parsing: JSON output writes two per connection.
func appendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeFormat)
	}
	hour, min, sec := t.Clock()
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = two(two(b, year/100), year%100)
	b = two(append(b, '-'), int(month))
	b = two(append(b, '-'), day)
	b = two(append(b, 'T'), hour)
	b = two(append(b, ':'), min)
	b = two(append(b, ':'), sec)
	b = append(b, '.')
	ns := t.Nanosecond()
	for d := 100000000; d > 0; d /= 10 {
		b = append(b, byte('0'+ns/d%10))
	}
	return append(b, 'Z')
}

// JSONFlow writes one flow as a single JSON line.
func JSONFlow(w io.Writer, f *analyze.Flow, multi bool) error {
	e := lineEncoders.Get().(*lineEncoder)
	jf := e.scratch.flow(f, multi)
	if a, ok := algorithmsOf(f); ok {
		jf.Algorithms = &a
	}
	// Encoded here, not through writeFlow: the algorithms then stay on
	// this stack (one allocation less per connection).
	e.buf = append(appendFlowCached(e.buf[:0], &jf, &e.alg), '\n')
	_, err := w.Write(e.buf)
	lineEncoders.Put(e)
	return err
}

// newJSONFlow is the flow in JSON's shape, but for its algorithms
// (algorithmsOf), in slices of its own.
func newJSONFlow(f *analyze.Flow, multi bool) jsonFlow {
	var s jsonScratch
	return s.flow(f, multi)
}

// jsonScratch holds the slices of the JSON lines a line encoder writes,
// reused from line to line: a flow's resets, findings, evidence and
// strings point into them until its line is written. Slices taken from
// them are capped, and an append that grows one leaves the earlier
// slices on the old array untouched.
type jsonScratch struct {
	resets       []jsonReset
	findings     []jsonFinding
	evidence     []jsonEvidence
	strs         []string // decided_by and fingerprints
	sigs         []analyze.Signal
	causes, next []string
}

// strings appends n strings made by str and returns them, never nil.
func (s *jsonScratch) strings(n int, str func(i int) string) []string {
	if n == 0 {
		return []string{}
	}
	start := len(s.strs)
	for i := range n {
		s.strs = append(s.strs, str(i))
	}
	return s.strs[start:len(s.strs):len(s.strs)]
}

// flow is the flow in JSON's shape, but for its algorithms (algorithmsOf),
// its slices in s: valid until s makes the next one.
func (s *jsonScratch) flow(f *analyze.Flow, multi bool) jsonFlow {
	jf := jsonFlow{
		Type:         "flow",
		flow:         f,
		ID:           f.ID,
		Client:       jsonEndpoint(f.Client),
		Server:       jsonEndpoint(f.Server),
		FirstPacket:  f.FirstPacket,
		LastPacket:   f.LastPacket,
		Start:        jsonTime(f.Start),
		End:          jsonTime(f.End),
		Stage:        f.Stage.String(),
		Outcome:      f.Outcome.String(),
		ClosedBy:     f.ClosedBy.String(),
		ClientBanner: f.ClientBanner,
		ServerBanner: f.ServerBanner,
		Packets:      jsonSides{int64(f.Packets[0]), int64(f.Packets[1])},
		Bytes:        jsonSides{f.Bytes[0], f.Bytes[1]},
		Resets:       s.resets[:0],
		Findings:     s.findings[:0],
		PreBanner:    f.PreBanner,
		AuthSuccess:  f.AuthSuccess,
		AuthAttempts: f.AuthAttempts,
		CommunityID:  f.CommunityID,
		ConnState:    f.ConnState,
		History:      f.History,
		Midstream:    f.Midstream,
		Duplicates:   f.Duplicates,
		Notes:        noteTexts(f.Notes),
	}
	if jf.Resets == nil {
		jf.Resets = []jsonReset{}
	}
	if jf.Findings == nil {
		jf.Findings = []jsonFinding{}
	}
	s.evidence, s.strs = s.evidence[:0], s.strs[:0]
	jf.SchemaVersion = SchemaVersion
	jf.KernelDropped = newJSONDropped(f)
	s.causes, s.next = appendAdvice(s.causes[:0], s.next[:0], f.Findings)
	jf.Causes, jf.NextSteps = nonNil(s.causes), nonNil(s.next)
	if multi {
		jf.File = f.File
	}
	for i := range f.Resets {
		r := &f.Resets[i]
		st, sigs := r.AppendStrength(s.sigs[:0])
		s.sigs = sigs
		jf.Resets = append(jf.Resets, jsonReset{
			Packet: r.Packet, Time: jsonTime(r.Time), From: r.From.String(), Stage: r.Stage.String(),
			TTL: r.TTL, Origin: r.Sender.Verdict().Origin(), Sender: r.Sender.String(), Flags: r.Flags.String(), Seq: r.Seq, Ack: r.Ack,
			Window: r.Window, IPID: r.IPID, Label: r.FlowLabel, SeqState: r.SeqState.String(), Payload: r.PayloadLen,
			Evidence: s.newEvidence(f, r), Kernel: newJSONKernel(r.Kernel),
			Strength: st.String(), DecidedBy: s.strings(len(sigs), func(i int) string { return sigs[i].String() }),
		})
		if len(r.Fingerprints) > 0 {
			jf.Resets[len(jf.Resets)-1].Fingerprints = s.strings(len(r.Fingerprints), func(i int) string { return r.Fingerprints[i].String() })
		}
	}
	for _, e := range f.ICMP {
		jf.ICMP = append(jf.ICMP, jsonICMP{Packet: e.Packet, Time: jsonTime(e.Time), About: e.About.String(),
			From: e.From.String(), TTL: e.TTL, Type: e.Type, Code: e.Code, What: icmpWhat(e), MTU: e.MTU, Errno: errnoText(e.Errno())})
	}
	for i := range f.Findings {
		fd := &f.Findings[i]
		jf.Findings = append(jf.Findings, jsonFinding{ID: fd.ID.String(), Source: catalog.SourcePackets.String(), Blame: fd.Blame.String(),
			Packets: fd.Packets, flow: f, finding: fd})
	}
	s.resets, s.findings = jf.Resets, jf.Findings
	return jf
}

// algorithmsOf is the flow's algorithms in JSON's shape, and whether a
// KEXINIT was seen. The caller points jsonFlow.Algorithms at its own copy,
// which then stays on its stack.
func algorithmsOf(f *analyze.Flow) (jsonAlgorithms, bool) {
	a := f.Algorithms
	if a == (analyze.Algorithms{}) {
		return jsonAlgorithms{}, false
	}
	return jsonAlgorithms{a.Kex, a.HostKey, a.Cipher, a.MAC, a.CipherS2C, a.MACS2C,
		a.Compression, a.ClientHASSH, a.ServerHASSH}, true
}

// writeFlow writes jf as one line, with tail (the members that follow,
// already encoded, each led by a comma; "" for none) before its end.
func writeFlow(w io.Writer, jf *jsonFlow, tail string) error {
	e := lineEncoders.Get().(*lineEncoder)
	e.buf = appendFlowCached(e.buf[:0], jf, &e.alg)
	if tail != "" {
		e.buf = append(append(e.buf[:len(e.buf)-1], tail...), '}')
	}
	e.buf = append(e.buf, '\n')
	_, err := w.Write(e.buf)
	lineEncoders.Put(e)
	return err
}

// lineEncoder is a JSON line's buffer and the algorithms it last encoded,
// reused through lineEncoders by whichever goroutine writes next.
type lineEncoder struct {
	buf     []byte
	alg     encodedAlgorithms
	scratch jsonScratch
}

var lineEncoders = sync.Pool{New: func() any { return &lineEncoder{buf: make([]byte, 0, 4096)} }}

// outcomeMap keys the counts by outcome name, as the JSON summary has them.
func outcomeMap(c analyze.OutcomeCounts) map[string]int {
	m := map[string]int{}
	for _, o := range analyze.Outcomes {
		if c[o] > 0 {
			m[o.String()] = c[o]
		}
	}
	return m
}

// JSONSummary writes the closing summary object.
func JSONSummary(w io.Writer, r *Run) error {
	s := jsonSummary{
		Type:     "summary",
		Packets:  r.Packets(),
		Flows:    r.FlowCount(),
		Outcomes: outcomeMap(r.Outcomes()),
		Resets:   r.Resets(),
		Warnings: r.Warnings(),
		Inputs:   []jsonInput{},
		Version:  r.Version,
	}
	s.SchemaVersion = SchemaVersion
	for _, in := range r.Inputs {
		s.Inputs = append(s.Inputs, newJSONInput(in))
	}
	if t := r.Tally; t != nil {
		s.Evicted = t.Evicted
		if c := t.Capture; c != nil {
			s.Received, s.Dropped, s.IfDropped = &c.Received, &c.Dropped, &c.IfDropped
		}
		if e := t.Recorded; e != nil {
			s.Evidence = &struct {
				Path    string `json:"path"`
				Flows   int    `json:"flows"`
				Packets int    `json:"packets"`
				Omitted int    `json:"omitted"`
			}{e.Path, e.Flows, e.Packets, e.Omitted}
		}
	}
	return writeLine(w, s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeLine(w io.Writer, v any) error {
	// encoding/json escapes control characters, <, > and &, and replaces
	// invalid UTF-8, so banners cannot break the line or a consumer's HTML.
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = escapeFormatChars(b)
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// escapeFormatChars writes Unicode format characters (bidirectional
// overrides and the like, which encoding/json leaves raw) as \u escapes, so
// JSON shown in a terminal cannot be reordered by them. They only occur
// inside strings, where the escape means the same.
func escapeFormatChars(b []byte) []byte {
	if !hasFormatChar(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for _, r := range string(b) {
		if unicode.Is(unicode.Cf, r) {
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = fmt.Appendf(out, "\\u%04x\\u%04x", r1, r2)
				continue
			}
			out = fmt.Appendf(out, "\\u%04x", r)
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

func hasFormatChar(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if unicode.Is(unicode.Cf, r) {
			return true
		}
		i += n
	}
	return false
}
