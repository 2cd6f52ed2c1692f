package sshdlog

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReadOptions say how to read times a log writes without a year or a zone.
// The zero value reads them as UTC in the year of the current UTC clock; a
// caller reading a capture passes its start.
type ReadOptions struct {
	// Zone is the log's time zone when its lines carry none (traditional
	// syslog, fail2ban). Nil: UTC, and ZoneGiven false lets Join guess the
	// zone from the connections.
	Zone *time.Location
	// Near is a time close to the log's: the year of a traditional syslog
	// line is the one that puts it nearest (so a log across New Year works).
	Near time.Time
}

// Stats count what a read found.
type Stats struct {
	Lines   int // lines read
	SSHD    int // lines from sshd (or fail2ban's ban lines, from a fail2ban log)
	Skipped int // lines from other programs, journal headers, blank lines
	Bad     int // lines that looked like the format but could not be read
	Format  Format
}

// maxLineBytes bounds a log line; longer lines are cut (and counted Bad).
const maxLineBytes = 64 << 10

// ReadError says which line of which file could not be read.
type ReadError struct {
	Source string
	Line   int
	Err    error
}

func (e *ReadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("sshdlog: %s: line %d: %v", e.Source, e.Line, e.Err)
	}
	return fmt.Sprintf("sshdlog: %s: %v", e.Source, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// Read reads an sshd log (or a fail2ban log: the format is found from the
// lines) from r, gunzipping it when it starts with gzip's magic. source
// names it in lines and errors. Lines of other programs are skipped and
// counted; an error is returned only when r cannot be read or holds no line
// of a known format.
func Read(r io.Reader, source string, opt ReadOptions) ([]Line, Stats, error) {
	var st Stats
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, st, &ReadError{Source: source, Err: err}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	if opt.Near.IsZero() {
		opt.Near = time.Now().UTC()
	}
	var lines []Line
	var jsonLines, bare, timed int
	for n := 1; ; n++ {
		raw, err := readLine(br)
		if len(raw) == 0 && err != nil {
			if err != io.EOF {
				return lines, st, &ReadError{Source: source, Line: n, Err: err}
			}
			break
		}
		st.Lines++
		if len(raw) > maxLineBytes {
			raw = raw[:maxLineBytes]
			st.Bad++
		}
		l, ok, known := ParseLine(string(raw), source, n, opt)
		switch {
		case !known:
			st.Skipped++
			continue
		case !ok:
			st.Bad++
			continue
		}
		switch l.Format {
		case FormatJournalJSON:
			jsonLines++
		case FormatBare:
			bare++
		default:
			timed++
		}
		st.SSHD++
		lines = append(lines, l)
	}
	if jsonLines+timed > 0 && bare > 0 {
		// A timed log: its lines without a stamp are no sshd -E lines but
		// continuations or damage.
		kept := lines[:0]
		for _, l := range lines {
			if l.Format == FormatBare {
				st.Bad++
				st.SSHD--
				continue
			}
			kept = append(kept, l)
		}
		lines = kept
	}
	if jsonLines+timed == 0 && bare > 0 {
		known := false
		for _, l := range lines {
			if l.Kind != KindOther {
				known = true
				break
			}
		}
		if !known {
			return nil, st, &ReadError{Source: source, Err: fmt.Errorf("no line of %d names a connection the way sshd or fail2ban does: not a syslog, journalctl, sshd -E or fail2ban log", st.Lines)}
		}
	}
	switch {
	case jsonLines > 0:
		st.Format = FormatJournalJSON
	case timed > 0 && len(lines) > 0:
		st.Format = lines[0].Format
	case bare > 0:
		st.Format = FormatBare
	}
	if st.SSHD == 0 && st.Lines > 0 {
		return nil, st, &ReadError{Source: source, Err: fmt.Errorf("no sshd or fail2ban line in %d lines: not a syslog, journalctl, sshd -E or fail2ban log", st.Lines)}
	}
	return lines, st, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(out)+len(chunk) <= maxLineBytes+1 {
			out = append(out, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

// ParseLine reads one line of a log (without or with its newline), as Read
// does: known is false for a line of no interest (another program, a
// journal header, a blank line, a fail2ban line that is no ban), ok false
// for one that looked like a format but could not be read.
func ParseLine(raw, source string, number int, opt ReadOptions) (l Line, ok, known bool) {
	s := strings.TrimRight(raw, "\r\n")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	l = Line{Source: source, Number: number}
	if ok, known = parseLine(s, &l, opt); !ok || !known {
		return l, ok, known
	}
	if l.Program == "fail2ban" {
		if l.Kind != KindBan && l.Kind != KindUnban {
			return l, false, false
		}
	} else {
		classify(&l)
	}
	return l, true, true
}

// parseLine reads one line in whichever format it is. known is false for
// lines that are no program's log line of interest (other programs, journal
// headers, blank lines); ok is false for a line that looked like a format
// but could not be read.
func parseLine(s string, l *Line, opt ReadOptions) (ok, known bool) {
	switch {
	case strings.TrimSpace(s) == "":
		return false, false
	case strings.HasPrefix(s, "{"):
		return parseJournalJSON(s, l)
	case strings.HasPrefix(s, "-- "): // journalctl's "-- Boot ...", "-- No entries --"
		return false, false
	}
	if t, rest, ok := parseFail2banStamp(s, opt); ok {
		return parseFail2ban(t, rest, l, opt)
	}
	if t, rest, ok := parseRFC3339Stamp(s); ok {
		l.Format, l.Time, l.TimeHasZone = FormatRFC3339, t, true
		return parseTagged(rest, l)
	}
	if t, rest, ok := parseSyslogStamp(s, opt); ok {
		l.Format, l.Time, l.TimeHasZone = FormatSyslog, t, opt.Zone != nil
		return parseTagged(rest, l)
	}
	// sshd -E: the message alone. Any line is taken; classify decides what
	// it says, and lines no pattern knows stay "other".
	l.Format = FormatBare
	l.Program = "sshd"
	l.Message = clip(s)
	return true, true
}

// parseTagged reads "host program[pid]: message".
func parseTagged(s string, l *Line) (ok, known bool) {
	host, rest, found := strings.Cut(s, " ")
	if !found {
		return false, true
	}
	tag, msg, found := strings.Cut(rest, ": ")
	if !found {
		return false, false
	}
	prog, pid := tag, 0
	if i := strings.IndexByte(tag, '['); i > 0 && strings.HasSuffix(tag, "]") {
		prog = tag[:i]
		n, err := strconv.Atoi(tag[i+1 : len(tag)-1])
		if err != nil {
			return false, true
		}
		pid = n
	}
	if !isSSHD(prog) {
		return false, false
	}
	l.Host, l.Program, l.PID, l.Message = clip(host), prog, pid, clip(msg)
	return true, true
}

// isSSHD: sshd, and from OpenSSH 9.8 its per-connection programs.
func isSSHD(prog string) bool {
	switch prog {
	case "sshd", "sshd-session", "sshd-auth":
		return true
	}
	return false
}

// parseRFC3339Stamp reads "2026-11-27T04:35:01[.frac](Z|+hh:mm|+hhmm) ".
func parseRFC3339Stamp(s string) (time.Time, string, bool) {
	stamp, rest, ok := strings.Cut(s, " ")
	if !ok || len(stamp) < 20 || stamp[4] != '-' || stamp[10] != 'T' {
		return time.Time{}, "", false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
		if t, err := time.Parse(layout, stamp); err == nil {
			return t, rest, true
		}
	}
	return time.Time{}, "", false
}

// parseSyslogStamp reads "Nov 27 04:35:01 " (day padded with a space when
// below 10), with the year that puts it nearest opt.Near.
func parseSyslogStamp(s string, opt ReadOptions) (time.Time, string, bool) {
	if len(s) < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' || s[15] != ' ' {
		return time.Time{}, "", false
	}
	zone := opt.Zone
	if zone == nil {
		zone = time.UTC
	}
	near := opt.Near.In(zone)
	var best time.Time
	for _, y := range []int{near.Year() - 1, near.Year(), near.Year() + 1} {
		t, err := time.ParseInLocation("2006 Jan _2 15:04:05", strconv.Itoa(y)+" "+s[:15], zone)
		if err != nil {
			return time.Time{}, "", false
		}
		if best.IsZero() || absDur(t.Sub(near)) < absDur(best.Sub(near)) {
			best = t
		}
	}
	return best, s[16:], true
}

// parseFail2banStamp reads "2026-11-27 04:35:01,123 " in the log's zone.
func parseFail2banStamp(s string, opt ReadOptions) (time.Time, string, bool) {
	if len(s) < 24 || s[4] != '-' || s[10] != ' ' || s[19] != ',' {
		return time.Time{}, "", false
	}
	zone := opt.Zone
	if zone == nil {
		zone = time.UTC
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05,000", s[:23], zone)
	if err != nil {
		return time.Time{}, "", false
	}
	return t, strings.TrimLeft(s[23:], " "), true
}

// parseFail2ban reads "fail2ban.actions        [1234]: NOTICE  [sshd] Ban A"
// (fail2ban/server/actions.py: "[%s] Ban %s", "[%s] Unban %s", "[%s]
// Restore Ban %s"), taking any jail. Other fail2ban lines are known, not
// classified.
func parseFail2ban(t time.Time, rest string, l *Line, opt ReadOptions) (ok, known bool) {
	l.Format, l.Time, l.TimeHasZone, l.Program = FormatFail2ban, t, opt.Zone != nil, "fail2ban"
	l.Message = clip(rest)
	if !strings.HasPrefix(rest, "fail2ban.") {
		return false, false
	}
	if i := strings.IndexByte(rest, '['); i > 0 {
		l.PID = leadingInt(rest[i+1:])
	}
	_, after, found := strings.Cut(rest, "]: ")
	if !found {
		return true, true
	}
	// "NOTICE  [sshd] Ban A"
	_, jailed, found := strings.Cut(after, " [")
	if !found {
		return true, true
	}
	jail, action, found := strings.Cut(jailed, "] ")
	if !found {
		return true, true
	}
	action = strings.TrimSpace(action)
	kind := KindOther
	switch {
	case strings.HasPrefix(action, "Ban "):
		kind, action = KindBan, action[4:]
	case strings.HasPrefix(action, "Restore Ban "):
		kind, action = KindBan, action[12:]
	case strings.HasPrefix(action, "Unban "):
		kind, action = KindUnban, action[6:]
	}
	if kind != KindOther {
		if ip, err := parseAddr(strings.TrimSpace(action)); err == nil {
			l.Kind = kind
			l.Client = ip
			l.Detail = clip(jail)
		}
	}
	return true, true
}

// journalEntry is the part of a journalctl -o json record rstsniff reads.
// MESSAGE is a string, or an array of bytes when it is not valid UTF-8.
type journalEntry struct {
	Realtime   string          `json:"__REALTIME_TIMESTAMP"`
	Message    json.RawMessage `json:"MESSAGE"`
	Identifier string          `json:"SYSLOG_IDENTIFIER"`
	Comm       string          `json:"_COMM"`
	PID        string          `json:"_PID"`
	SyslogPID  string          `json:"SYSLOG_PID"`
	Hostname   string          `json:"_HOSTNAME"`
}

func parseJournalJSON(s string, l *Line) (ok, known bool) {
	var e journalEntry
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return false, true
	}
	prog := e.Identifier
	if prog == "" {
		prog = e.Comm
	}
	if !isSSHD(prog) {
		return false, false
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil {
		return false, true
	}
	var msg string
	if len(e.Message) > 0 && e.Message[0] == '[' {
		var b []byte
		var ints []int
		if json.Unmarshal(e.Message, &ints) != nil {
			return false, true
		}
		for _, v := range ints {
			b = append(b, byte(v))
		}
		msg = strings.ToValidUTF8(string(b), "\uFFFD")
	} else if json.Unmarshal(e.Message, &msg) != nil {
		return false, true
	}
	pid := e.PID
	if pid == "" {
		pid = e.SyslogPID
	}
	l.Format = FormatJournalJSON
	l.Time, l.TimeHasZone = time.UnixMicro(us).UTC(), true
	l.Host, l.Program, l.Message = clip(e.Hostname), prog, clip(strings.TrimRight(msg, "\r\n"))
	l.PID, _ = strconv.Atoi(pid)
	return true, true
}

func parseAddr(s string) (netip.AddrPort, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip.Unmap(), 0), nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
