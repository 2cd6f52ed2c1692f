package sshdlog

import "time"

// Finding IDs: stable strings, each in the one catalog (package catalog,
// docs/findings.md), which TestServerFindingsInCatalog holds to these.
const (
	FindMaxStartups  = "sshd-maxstartups"         // sshd dropped the connection past MaxStartups
	FindPenalty      = "sshd-penalty"             // sshd refused it under PerSourcePenalties
	FindGraceTimeout = "sshd-login-grace-timeout" // LoginGraceTime ran out before authentication
	FindBan          = "sshd-ban"                 // fail2ban banned the client's address
	FindAuthFailed   = "sshd-auth-failed"         // authentication failed and the connection ended unauthenticated
	FindCrashed      = "sshd-crashed"             // the server's end closed it but sshd wrote no closing line
	FindResetBoth    = "sshd-reset-both-ends"     // the client got a reset in the server's name, sshd one in the client's (analyze's reset-both-ends is another pattern: resets in both names in one capture)
	FindSilentEarly  = "sshd-silent-early-reset"  // the client reset it before the server's banner, and sshd wrote no line about it
)

// Finding is a pattern in a connection's account: an ID and the lines
// (indexes into Account.Lines) it rests on.
type Finding struct {
	ID    string
	Lines []int
	// For sshd-crashed: no line says authentication began (sshd versions
	// whose signal handler does not log, as Debian 12's patched 9.2p1, end a
	// LoginGraceTime timeout in silence too), and how long the connection
	// lasted in the capture.
	Unauthenticated bool
	Lasted          time.Duration
	// For sshd-auth-failed: the failed attempts sshd logged (0: it logged
	// only the end, during authentication).
	Failures int
	// For sshd-reset-both-ends: the resets in the server's name came from a
	// firewall on the server itself (Conn.ServerResetBeside), not the path.
	Beside bool
}

// detector looks at one connection's account; detectors run in order.
type detector interface {
	detect(v *view) *Finding
}

// view is what the detectors see of one connection.
type view struct {
	conn *Conn
	acct *Account
	all  []Line // every line given to Join, in log order
	at   func(*Line) time.Time
	tol  time.Duration
}

var detectors = []detector{kindDetector{KindMaxStartupsDrop, FindMaxStartups}, kindDetector{KindPenaltyDrop, FindPenalty},
	kindDetector{KindLoginGraceTimeout, FindGraceTimeout}, kindDetector{KindBan, FindBan},
	authFailedDetector{}, crashedDetector{}, resetBothDetector{}}

func findings(c *Conn, a *Account, all []Line, _ *Result, at func(*Line) time.Time, tol time.Duration) []Finding {
	v := &view{conn: c, acct: a, all: all, at: at, tol: tol}
	var out []Finding
	for _, d := range detectors {
		if f := d.detect(v); f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// kindDetector: a line of one kind is the finding.
type kindDetector struct {
	kind Kind
	id   string
}

var _ detector = kindDetector{}

func (d kindDetector) detect(v *view) *Finding {
	var idx []int
	for i, j := range v.acct.Lines {
		if j.Line.Kind == d.kind {
			idx = append(idx, i)
		}
	}
	if idx == nil {
		return nil
	}
	return &Finding{ID: d.id, Lines: idx}
}

// authFailedDetector: sshd logged failed authentication (or an invalid
// user, or too many attempts), never an accepted one, and then the
// connection's end; or, as at LogLevel INFO where sshd does not log a
// refused public key (auth.c auth_log: VERBOSE), it ended the connection
// while a user was "authenticating" ([preauth], Finding.Failures 0).
type authFailedDetector struct{}

var _ detector = authFailedDetector{}

func (authFailedDetector) detect(v *view) *Finding {
	var idx []int
	closing, authenticating := -1, false
	for i, j := range v.acct.Lines {
		switch k := j.Line.Kind; {
		case k == KindAccepted:
			return nil
		case k == KindFailed || k == KindInvalidUser || k == KindMaxAuthTries:
			idx = append(idx, i)
		case k.Closing() && j.By != ByBan:
			closing = i
			authenticating = j.Line.Preauth && j.Line.User != ""
		}
	}
	if closing < 0 || (idx == nil && !authenticating) {
		return nil
	}
	return &Finding{ID: FindAuthFailed, Lines: append(idx, closing), Failures: len(idx)}
}

// crashedDetector: the capture shows the server's end closing the
// connection, sshd wrote about the connection, and none of its lines is
// one sshd writes as a connection ends: the process that held it died
// (killed, crashed, out of memory) without a word. The finding names the
// connection's last line.
type crashedDetector struct{}

var _ detector = crashedDetector{}

func (crashedDetector) detect(v *view) *Finding {
	if v.conn.Open || !v.conn.ServerEnded || len(v.acct.Lines) == 0 {
		return nil
	}
	for _, j := range v.acct.Lines {
		if j.By != ByBan && j.Line.Kind.Closing() {
			return nil
		}
	}
	last := -1
	for i, j := range v.acct.Lines {
		if j.By != ByBan {
			last = i
		}
	}
	if last < 0 {
		return nil
	}
	unauth := true
	for _, j := range v.acct.Lines {
		switch j.Line.Kind {
		case KindAccepted, KindFailed, KindInvalidUser, KindMaxAuthTries:
			unauth = false
		}
	}
	return &Finding{ID: FindCrashed, Lines: []int{last}, Unauthenticated: unauth, Lasted: v.conn.End.Sub(v.conn.Start)}
}

// resetBothDetector: a reset in the server's name reached the client's
// capture, and sshd says its socket read a reset from the client: neither
// end reset first, something between them sent both (or the second is the
// client kernel's answer to the server's next packet after a forged one).
type resetBothDetector struct{}

var _ detector = resetBothDetector{}

func (resetBothDetector) detect(v *view) *Finding {
	if !v.conn.ServerReset {
		return nil
	}
	var idx []int
	for i, j := range v.acct.Lines {
		if j.Line.Kind.ResetFromClient() {
			idx = append(idx, i)
		}
	}
	if idx == nil {
		return nil
	}
	return &Finding{ID: FindResetBoth, Lines: idx, Beside: v.conn.ServerResetBeside}
}

// silentEarly tells whether c, which no line joined, is the silence of
// FindSilentEarly: the client reset it before the server's banner, and the
// log is this server's (lines joined by port, none of another server) and
// runs across the connection (span: sshd lines with a time at or before
// its start and at or after its end), so that its silence is not a gap in
// the log.
func silentEarly(c *Conn, span timedSpan, res *Result) bool {
	if !c.ClientResetEarly || c.ServerEnded || c.Midstream || c.Open || res.JoinedBy[ByPort] == 0 || res.ForeignServers {
		return false
	}
	return span.ok && !span.first.After(c.Start) && !span.last.Before(c.End)
}

// timedSpan is when the first and the last timed sshd line happened, on
// the capture's clock (ok: there is one).
type timedSpan struct {
	first, last time.Time
	ok          bool
}

// spanOf is the span of lines' timed sshd lines (fail2ban's are left out).
func spanOf(lines []Line, res *Result) timedSpan {
	var s timedSpan
	for i := range lines {
		l := &lines[i]
		if l.Time.IsZero() || l.Kind == KindBan || l.Kind == KindUnban {
			continue
		}
		t := res.CaptureTime(l)
		if !s.ok || t.Before(s.first) {
			s.first = t
		}
		if !s.ok || t.After(s.last) {
			s.last = t
		}
		s.ok = true
	}
	return s
}
