package sshdlog

import (
	"net/netip"
	"strconv"
	"strings"
)

// The message patterns below were checked against OpenSSH's source
// (github.com/openssh/openssh-portable) at the release tags V_7_4_P1,
// V_8_2_P1, V_8_9_P1, V_9_2_P1, V_9_8_P1, V_10_0_P1 and master 0ef0f5a83;
// each says where the wording is made and in which of those tags it
// appears. sshpkt_fmt_connection_id (packet.c) writes "A port P", after
// a "log preamble" once the user is known ("authenticating user U",
// "invalid user U", "user U"), which is why several lines may name a user
// before the address.

// pattern is one kind of line: a message that starts with (or, when
// contains is set, holds) text.
type pattern struct {
	kind     Kind
	text     string
	contains bool
}

// patterns are tried in order; the first that matches names the kind.
var patterns = []pattern{
	// sshd.c (sshd-session.c from V_9_8_P1) verbose(): every tag listed.
	{KindConnectionFrom, "Connection from ", false},
	// sshd.c drop_connection(): V_8_9_P1 to V_9_2_P1 "... past MaxStartups";
	// V_9_8_P1 on: "... Maxstartups" or the PerSourcePenalties reason.
	{KindMaxStartupsDrop, "drop connection #", false},
	// sshd.c grace_alarm_handler(), sigdie(): "Timeout before authentication
	// for A port P" up to V_9_2_P1; from V_9_8_P1 the listener logs
	// "Timeout before authentication for connection from A to B, pid = N".
	{KindLoginGraceTimeout, "Timeout before authentication for ", false},
	// serverloop.c process_input(): "Read error from remote host A port P:
	// strerror" (V_8_9_P1 on; earlier "Read error from remote host A: ...").
	{KindReadError, "Read error from remote host ", false},
	// kex.c kex_exchange_identification(): error_f("read: %.100s") and
	// verbose_f("Connection closed by remote host") (V_8_9_P1 on; the
	// function name is the prefix error_f adds).
	{KindKexIdentReset, "kex_exchange_identification: read: Connection reset by peer", false},
	{KindKexIdentClosed, "kex_exchange_identification: Connection closed by remote host", false},
	{KindKexIdentOther, "kex_exchange_identification: ", false},
	// packet.c sshpkt_vfatal() default case: "%s%sConnection %s %s" with the
	// tag "banner exchange" from sshd's call (V_8_9_P1 on).
	{KindBannerError, "banner exchange: Connection from ", false},
	// packet.c sshpkt_vfatal(): logdie("Connection closed by %s"),
	// logdie("Connection reset by %s") (V_8_2_P1 on); serverloop.c
	// "Connection closed by %.100s port %d" (EPIPE).
	{KindClosed, "Connection closed by ", false},
	{KindResetBy, "Connection reset by ", false},
	// packet.c: "Connection %s %s timed out" (V_8_2_P1 on).
	{KindTimedOut, " timed out", true},
	// auth.c auth_log(): "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s"
	// with Accepted/Failed/Postponed/Partial (every tag).
	{KindAccepted, "Accepted ", false},
	{KindFailed, "Failed ", false},
	// auth.c getpwnamallow(): "Invalid user %.100s from %.100s port %d".
	{KindInvalidUser, "Invalid user ", false},
	// auth.c auth_maxtries_exceeded(): error("maximum authentication
	// attempts exceeded for %s%.100s from %.200s port %d ssh2").
	{KindMaxAuthTries, "maximum authentication attempts exceeded for ", false},
	{KindMaxAuthTries, "error: maximum authentication attempts exceeded for ", false},
	// packet.c ssh_packet_read_poll2(): "Received disconnect from %s port
	// %d:%u: %.400s" (every tag).
	{KindReceivedDisconnect, "Received disconnect from ", false},
	// packet.c sshpkt_vfatal(): logdie("Disconnected from %s") (V_8_2_P1 on).
	{KindDisconnected, "Disconnected from ", false},
	// packet.c ssh_packet_disconnect(): logit("Disconnecting %s: %.100s")
	// (V_8_2_P1 on).
	{KindDisconnecting, "Disconnecting ", false},
	// packet.c sshpkt_vfatal(): "Unable to negotiate with %s: %s. Their
	// offer: %s" (V_8_2_P1 on).
	{KindNegotiationFailed, "Unable to negotiate with ", false},
	// sshd.c child_reap(): "session process %ld for %s killed by signal
	// %d%s" (V_9_8_P1 on).
	{KindSessionKilled, "session process ", false},
	// sshd.c main loop: "Received signal %d; terminating." (every tag).
	{KindTerminating, "Received signal ", false},
	// The listener about itself, never about one connection (sshd.c,
	// V_9_2_P1 and master): "Server listening on %s port %s%s%s.",
	// "Received SIGHUP; restarting.", "beginning MaxStartups throttling",
	// "in MaxStartups throttling for %s, ...", "exited MaxStartups
	// throttling after %s, ..." (V_9_2_P1), "%s logging rate-limited: ..."
	// (V_9_8_P1 on); srclimit.c "%s: new %s %s penalty of ...", "...:
	// activating %s penalty of ...", "... penalty table full, ..." (V_9_8_P1 on).
	{KindListener, "Server listening on ", false},
	{KindListener, "Received SIGHUP", false},
	{KindListener, "beginning MaxStartups throttling", false},
	{KindListener, "in MaxStartups throttling for ", false},
	{KindListener, "exited MaxStartups throttling", false},
	{KindListener, " logging rate-limited: ", true},
	{KindListener, " penalty of ", true},
	{KindListener, " penalty table full", true},
}

// classify fills l's Kind and the facts its message names. Lines that no
// pattern matches stay KindOther, with whatever address they name.
func classify(l *Line) {
	msg := l.Message
	// sshd prefixes some lines with their level ("error: ", "fatal: ") when
	// logging to stderr or a file.
	body := msg
	for _, p := range []string{"error: ", "fatal: ", "Fatal: "} {
		body = strings.TrimPrefix(body, p)
	}
	if b, ok := strings.CutSuffix(body, " [preauth]"); ok {
		l.Preauth = true
		body = b
	}
	body = strings.TrimRight(body, "\r\n")
	for _, p := range patterns {
		if (p.contains && strings.Contains(body, p.text)) || (!p.contains && strings.HasPrefix(body, p.text)) {
			l.Kind = p.kind
			break
		}
	}
	switch l.Kind {
	case KindConnectionFrom:
		// "Connection from A port P on B port Q rdomain R"
		rest := strings.TrimPrefix(body, "Connection from ")
		if strings.HasSuffix(body, " timed out") {
			l.Kind = KindTimedOut // packet.c: "Connection from A port P timed out"
		} else if c, after, ok := addrPort(rest); ok {
			l.Client = c
			if s, ok := strings.CutPrefix(after, " on "); ok {
				if b, _, ok := addrPort(s); ok {
					l.Local = b
				}
			}
			return
		}
		if l.Kind == KindConnectionFrom {
			l.Kind = KindOther
		}
	case KindMaxStartupsDrop:
		// "drop connection #N from [A]:P on [B]:Q reason"
		_, rest, _ := strings.Cut(body, " from ")
		if ap, after, ok := bracketAddrPort(rest); ok {
			l.Client = ap
			if s, ok := strings.CutPrefix(after, " on "); ok {
				if b, after, ok := bracketAddrPort(s); ok {
					l.Local = b
					l.Detail = clip(strings.TrimSpace(after))
				}
			}
		}
		if strings.HasPrefix(l.Detail, "penalty:") || strings.HasPrefix(l.Detail, "too many penalised") || l.Detail == "PerSourcePenalties" {
			l.Kind = KindPenaltyDrop
		}
		return
	case KindLoginGraceTimeout:
		rest := strings.TrimPrefix(body, "Timeout before authentication for ")
		if s, ok := strings.CutPrefix(rest, "connection from "); ok {
			// V_9_8_P1 on: "connection from A to B, pid = N" or "connection from A, pid = N"
			a, after, _ := strings.Cut(s, ",")
			a, to, _ := strings.Cut(a, " to ")
			if ip, err := netip.ParseAddr(a); err == nil {
				l.Client = netip.AddrPortFrom(ip.Unmap(), 0)
			}
			if ip, err := netip.ParseAddr(to); err == nil {
				l.Local = netip.AddrPortFrom(ip.Unmap(), 0)
			}
			if _, p, ok := strings.Cut(after, "pid = "); ok {
				l.ChildPID = leadingInt(p)
			}
			return
		}
	case KindSessionKilled:
		// "session process N for connection from A to B killed by signal S"
		rest := strings.TrimPrefix(body, "session process ")
		l.ChildPID = leadingInt(rest)
		if _, s, ok := strings.Cut(rest, " connection from "); ok {
			a, _, _ := strings.Cut(s, " ")
			if ip, err := netip.ParseAddr(a); err == nil {
				l.Client = netip.AddrPortFrom(ip.Unmap(), 0)
			}
		}
		if _, sig, ok := strings.Cut(rest, "killed by "); ok {
			l.Detail = clip(sig)
		}
		if !strings.Contains(rest, "killed by") {
			l.Kind = KindOther
		}
		return
	case KindTerminating:
		if !strings.Contains(body, "; terminating") {
			l.Kind = KindOther
		}
		return
	case KindListener:
		return
	case KindReadError:
		if strings.HasSuffix(body, ": Connection reset by peer") {
			l.Kind = KindReadErrorReset
		}
	case KindAccepted, KindFailed:
		// "Accepted publickey for U from A port P ssh2: ..." (and "Accepted key
		// ... found at" at VERBOSE, which names no address: KindOther).
		if !strings.Contains(body, " for ") || !strings.Contains(body, " from ") {
			l.Kind = KindOther
			return
		}
		_, rest, _ := strings.Cut(body, " for ")
		rest = strings.TrimPrefix(rest, "invalid user ")
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			l.User = clip(rest[:i])
		}
	case KindInvalidUser:
		rest := strings.TrimPrefix(body, "Invalid user ")
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			l.User = clip(rest[:i])
		}
	}
	// Every other kind names "A port P" somewhere: the last such pair is the
	// client (a user name could hold the words, the address comes last).
	// The listener's lines name no client ("Server listening on A port P"
	// names its own).
	if l.Kind == KindListener {
		return
	}
	if ap, i, ok := lastAddrPort(body); ok && !ap.Addr().IsUnspecified() {
		l.Client = ap
		if l.Detail == "" {
			after := body[i:]
			after = strings.TrimPrefix(after, ":")
			after = strings.TrimPrefix(after, " ssh2")
			after = strings.TrimPrefix(after, ":")
			l.Detail = clip(strings.TrimSpace(after))
		}
		if l.User == "" {
			l.User = preambleUser(body[:strings.LastIndex(body[:i], " port ")])
		}
	}
}

// addrPort parses "A port P" at the start of s and returns what follows.
func addrPort(s string) (netip.AddrPort, string, bool) {
	a, rest, ok := strings.Cut(s, " port ")
	if !ok {
		return netip.AddrPort{}, s, false
	}
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.AddrPort{}, s, false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	p, err := strconv.ParseUint(rest[:n], 10, 16)
	if err != nil {
		return netip.AddrPort{}, s, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), rest[n:], true
}

// bracketAddrPort parses "[A]:P" at the start of s.
func bracketAddrPort(s string) (netip.AddrPort, string, bool) {
	if !strings.HasPrefix(s, "[") {
		return netip.AddrPort{}, s, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
		return netip.AddrPort{}, s, false
	}
	ip, err := netip.ParseAddr(s[1:end])
	if err != nil {
		return netip.AddrPort{}, s, false
	}
	rest := s[end+2:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	p, err := strconv.ParseUint(rest[:n], 10, 16)
	if err != nil {
		return netip.AddrPort{}, s, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), rest[n:], true
}

// lastAddrPort finds the last "A port P" in s; i is the index just past P.
func lastAddrPort(s string) (netip.AddrPort, int, bool) {
	for end := len(s); end > 0; {
		j := strings.LastIndex(s[:end], " port ")
		if j < 0 {
			break
		}
		start := strings.LastIndexByte(s[:j], ' ') + 1
		if ap, rest, ok := addrPort(s[start:]); ok {
			return ap, len(s) - len(rest), true
		}
		end = j
	}
	return netip.AddrPort{}, 0, false
}

// preambleUser returns U from "... user U A" (the text before " port P"),
// the log preamble sshpkt_fmt_connection_id writes.
func preambleUser(s string) string {
	i := strings.LastIndex(s, "user ")
	if i < 0 {
		return ""
	}
	rest := s[i+len("user "):]
	j := strings.LastIndexByte(rest, ' ')
	if j <= 0 {
		return ""
	}
	return clip(rest[:j])
}

func leadingInt(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<30; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func clip(s string) string {
	if len(s) > MaxMessage {
		return s[:MaxMessage]
	}
	return s
}
