package sshdlog

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

func conn(id int, client string, start, end float64) Conn {
	return Conn{ID: id, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Start: t0.Add(time.Duration(start * float64(time.Second))), End: t0.Add(time.Duration(end * float64(time.Second)))}
}

// readLog reads a log written by the test.
func readLog(t *testing.T, text string) []Line {
	t.Helper()
	lines, _, err := Read(strings.NewReader(text), "test.log", ReadOptions{Near: t0})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// stamp writes an RFC 3339 syslog line at t0+sec.
func stamp(sec float64, pid int, msg string) string {
	return t0.Add(time.Duration(sec*float64(time.Second))).Format(time.RFC3339Nano) + " srv sshd[" + strconv.Itoa(pid) + "]: " + msg + "\n"
}

func joinedTo(res *Result, id int) []string {
	var out []string
	if a := res.Accounts[id]; a != nil {
		for _, j := range a.Lines {
			out = append(out, j.Line.Kind.String()+"/"+j.By.String())
		}
	}
	return out
}

func TestJoinByPortPIDAndSkew(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 10.02), conn(2, "198.51.100.2:40002", 10, 12)}
	conns[0].ServerReset = true
	skew := 90.0 // the log's clock is 90 s ahead
	text := stamp(skew+10.001, 100, `Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(skew+10.001, 101, `Connection from 198.51.100.2 port 40002 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(skew+10.010, 100, "error: kex_exchange_identification: read: Connection reset by peer") +
		stamp(skew+10.011, 100, "Connection reset by 198.51.100.2 port 40000") +
		stamp(skew+11.000, 101, "Accepted key ED25519 SHA256:x found at /k:1") +
		stamp(skew+11.001, 101, "Accepted publickey for root from 198.51.100.2 port 40002 ssh2: ED25519 SHA256:x") +
		stamp(skew+12.001, 101, "Disconnected from user root 198.51.100.2 port 40002") +
		stamp(skew+13.000, 1, "Received signal 15; terminating.") +
		stamp(skew+10.5, 102, "Connection closed by 198.51.100.9 port 5555 [preauth]")
	res := Join(conns, readLog(t, text), Options{})
	if got, want := strings.Join(joinedTo(res, 1), " "), "connection_from/port kex_ident_reset/pid reset_by/port"; got != want {
		t.Errorf("connection 1: %s, want %s", got, want)
	}
	if got, want := strings.Join(joinedTo(res, 2), " "), "connection_from/port other/pid accepted/port disconnected/port"; got != want {
		t.Errorf("connection 2: %s, want %s", got, want)
	}
	if d := res.Skew - 90*time.Second; d < -20*time.Millisecond || d > 20*time.Millisecond || res.SkewLines != 5 || res.ZoneFound {
		t.Errorf("skew %v from %d lines (zone %v), want 90s from 5", res.Skew, res.SkewLines, res.ZoneFound)
	}
	why := map[Why]int{}
	for _, u := range res.Unjoined {
		why[u.Why]++
	}
	if why[WhyNoClue] != 1 || why[WhyNoConnection] != 1 || len(res.Unjoined) != 2 {
		t.Errorf("unjoined %v", why)
	}
	if f := res.Accounts[1].Findings; len(f) != 1 || f[0].ID != FindResetBoth || len(f[0].Lines) != 2 {
		t.Errorf("findings of 1: %+v", f)
	}
}

// TestJoinNeverGuesses: lines without a port from an address with several
// connections open at once stay unjoined; in an sshd -E file (no time, no
// process) too.
func TestJoinNeverGuesses(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12), conn(2, "198.51.100.2:40002", 10, 12)}
	text := stamp(11, 0, "Timeout before authentication for connection from 198.51.100.2 to 203.0.113.2, pid = 777") +
		stamp(10, 0, "Connection closed by 198.51.100.2 port 40000") + stamp(10, 0, "Connection closed by 198.51.100.2 port 40002")
	res := Join(conns, readLog(t, text), Options{})
	if len(res.Unjoined) != 1 || res.Unjoined[0].Why != WhyAmbiguous {
		t.Errorf("unjoined %+v, want the timeout as ambiguous", res.Unjoined)
	}
	// A process ID that wrote about two connections (reused) places none.
	text = stamp(10, 7, "Connection closed by 198.51.100.2 port 40000") + stamp(11, 7, "Connection closed by 198.51.100.2 port 40002") +
		stamp(11, 7, "Accepted key ED25519 SHA256:x found at /k:1")
	res = Join(conns, readLog(t, text), Options{})
	if len(res.Unjoined) != 1 || res.Unjoined[0].Line.Kind != KindOther {
		t.Errorf("unjoined %+v, want the line of the reused process", res.Unjoined)
	}
	// The listener's own lines join nothing by order, even with one
	// connection open (lab run maxstartups, sshd -E).
	res = Join(conns[:1], readLog(t, "Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain \"\"\n"+
		"beginning MaxStartups throttling\nConnection closed by 198.51.100.2 port 40000\n"), Options{})
	if len(res.Unjoined) != 1 || res.Unjoined[0].Line.Kind != KindListener {
		t.Errorf("unjoined %+v, want the throttling line", res.Unjoined)
	}
	bare := "Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain \"\"\n" +
		"Connection from 198.51.100.2 port 40002 on 203.0.113.2 port 22 rdomain \"\"\n" +
		"kex_exchange_identification: Connection closed by remote host\n" +
		"Connection closed by 198.51.100.2 port 40000\n" +
		"Accepted key ED25519 SHA256:x found at /k:1\n" +
		"Connection closed by 198.51.100.2 port 40002\n"
	res = Join(conns, readLog(t, bare), Options{})
	if got, want := strings.Join(joinedTo(res, 2), " "), "connection_from/port other/log_order closed/port"; got != want {
		t.Errorf("connection 2: %s, want %s", got, want)
	}
	if len(res.Unjoined) != 1 || res.Unjoined[0].Why != WhyAmbiguous || res.Unjoined[0].Line.Kind != KindKexIdentClosed {
		t.Errorf("unjoined %+v, want the kex line as ambiguous", res.Unjoined)
	}
	// Without "Connection from" (LogLevel INFO) a connection may be open
	// unseen: no line joins by order.
	info := "kex_exchange_identification: Connection closed by remote host\nConnection closed by 198.51.100.2 port 40000\n"
	res = Join(conns[:1], readLog(t, info), Options{})
	if len(res.Unjoined) != 1 || res.Unjoined[0].Why != WhyNoClue {
		t.Errorf("INFO log: unjoined %+v", res.Unjoined)
	}
}

func TestJoinAddrTimeAndGraceTimeout(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12), conn(2, "198.51.100.2:40002", 30, 32)}
	conns[0].ServerEnded = true
	text := stamp(10, 5, `Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(30, 6, `Connection from 198.51.100.2 port 40002 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(31, 6, "Connection closed by 198.51.100.2 port 40002") +
		stamp(12, 1, "Timeout before authentication for connection from 198.51.100.2 to 203.0.113.2, pid = 5")
	res := Join(conns, readLog(t, text), Options{})
	if got, want := strings.Join(joinedTo(res, 1), " "), "connection_from/port login_grace_timeout/pid"; got != want {
		t.Errorf("connection 1: %s, want %s", got, want)
	}
	if f := res.Accounts[1].Findings; len(f) != 1 || f[0].ID != FindGraceTimeout {
		t.Errorf("findings %+v", f)
	}
	// The same line with no process to go by joins by address and time.
	text = stamp(10, 0, "Connection closed by 198.51.100.2 port 40000") + stamp(30, 0, "Connection closed by 198.51.100.2 port 40002") +
		stamp(12, 0, "Timeout before authentication for connection from 198.51.100.2 to 203.0.113.2, pid = 5")
	res = Join(conns, readLog(t, text), Options{})
	if got, want := strings.Join(joinedTo(res, 1), " "), "closed/port login_grace_timeout/address_time"; got != want {
		t.Errorf("by time: %s, want %s", got, want)
	}
}

func TestJoinZoneAndPortReuse(t *testing.T) {
	// A traditional syslog line written in UTC+2 (no zone in the line),
	// and the same client port used again an hour before the capture.
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12)}
	local := func(sec float64, msg string) string {
		return t0.Add(2*time.Hour+time.Duration(sec*float64(time.Second))).Format(time.Stamp) + " srv sshd[9]: " + msg + "\n"
	}
	text := local(-3600, "Connection closed by 198.51.100.2 port 40000") +
		local(10, `Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain ""`) +
		local(12, "Connection closed by 198.51.100.2 port 40000") + local(12, "Connection closed by 198.51.100.2 port 40000")
	res := Join(conns, readLog(t, text), Options{})
	if !res.ZoneFound || res.ZoneOffset != 2*time.Hour || res.Skew < -time.Second || res.Skew > time.Second {
		t.Errorf("zone %v %v, skew %v", res.ZoneFound, res.ZoneOffset, res.Skew)
	}
	if n := len(res.Accounts[1].Lines); n != 3 {
		t.Errorf("%d lines joined, want 3 (not the one an hour before)", n)
	}
	if len(res.Unjoined) != 1 || res.Unjoined[0].Why != WhyOutside {
		t.Errorf("unjoined %+v", res.Unjoined)
	}
}

func TestJoinForeignLog(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12)}
	text := stamp(10, 5, `Connection from 192.0.2.77 port 50000 on 192.0.2.1 port 22 rdomain ""`) +
		stamp(11, 5, "Connection closed by 192.0.2.77 port 50000")
	res := Join(conns, readLog(t, text), Options{})
	if !res.JoinsNothing || !res.ForeignServers || len(res.Accounts) != 0 || res.Hosts[0] != "srv" {
		t.Errorf("joins nothing %v, foreign %v, accounts %d", res.JoinsNothing, res.ForeignServers, len(res.Accounts))
	}
}

func TestJoinBan(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12), conn(2, "198.51.100.2:40002", 20, 20.1), conn(3, "198.51.100.2:40004", 40, 40.1)}
	f2b := func(sec float64, what string) string {
		return t0.Add(time.Duration(sec*float64(time.Second))).Format("2006-01-02 15:04:05,000") + " fail2ban.actions        [4242]: NOTICE  [sshd] " + what + " 198.51.100.2\n"
	}
	res := Join(conns, readLog(t, f2b(19, "Ban")+f2b(30, "Unban")), Options{})
	if got := strings.Join(joinedTo(res, 2), " "); got != "ban/ban unban/ban" {
		t.Errorf("connection 2: %s", got)
	}
	if res.Accounts[1] != nil || res.Accounts[3] != nil {
		t.Errorf("the ban joined connections outside it: %v %v", joinedTo(res, 1), joinedTo(res, 3))
	}
	if f := res.Accounts[2].Findings; len(f) != 1 || f[0].ID != FindBan {
		t.Errorf("findings %+v", f)
	}
}

func TestFindingsCrashedAndAuthFailed(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12), conn(2, "198.51.100.2:40002", 20, 21)}
	conns[0].ServerEnded = true
	text := stamp(10, 5, "Accepted publickey for root from 198.51.100.2 port 40000 ssh2: ED25519 SHA256:x") +
		stamp(20, 6, "Failed publickey for root from 198.51.100.2 port 40002 ssh2: ED25519 SHA256:y") +
		stamp(21, 6, "Connection closed by authenticating user root 198.51.100.2 port 40002 [preauth]")
	res := Join(conns, readLog(t, text), Options{})
	if f := res.Accounts[1].Findings; len(f) != 1 || f[0].ID != FindCrashed || f[0].Unauthenticated || f[0].Lasted != 2*time.Second {
		t.Errorf("connection 1: %+v", f)
	}
	if f := res.Accounts[2].Findings; len(f) != 1 || f[0].ID != FindAuthFailed || len(f[0].Lines) != 2 {
		t.Errorf("connection 2: %+v", f)
	}
	// The server's end closing after a closing line is no crash.
	conns[1].ServerEnded = true
	res = Join(conns, readLog(t, text), Options{})
	for _, f := range res.Accounts[2].Findings {
		if f.ID == FindCrashed {
			t.Errorf("crash found with a closing line")
		}
	}
}

// TestJoinMidstream: a connection whose start the capture missed (lab run
// parallel20 under load: tcpdump lost its first packets, and "Connection
// from" came 3.2 s before its first captured packet) still takes its
// opening line, and that line does not count for the skew.
func TestJoinMidstream(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:52000", 26.197, 26.804), conn(2, "198.51.100.2:52002", 20, 27)}
	conns[0].Midstream = true
	text := stamp(23, 5, `Connection from 198.51.100.2 port 52000 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(26.808, 5, "Connection closed by authenticating user root 198.51.100.2 port 52000 [preauth]") +
		stamp(20, 6, `Connection from 198.51.100.2 port 52002 on 203.0.113.2 port 22 rdomain ""`)
	res := Join(conns, readLog(t, text), Options{})
	if got := strings.Join(joinedTo(res, 1), " "); got != "connection_from/port closed/port" {
		t.Errorf("connection 1: %s", got)
	}
	if res.SkewLines != 2 {
		t.Errorf("skew from %d lines, want 2 (not the opening the capture missed)", res.SkewLines)
	}
}

// TestJoinZoneOnlyForZoneless: an RFC 3339 sshd log and a fail2ban log
// written in UTC+1 without a zone: --log-tz places the ban; without it the
// ban reads an hour off and joins nothing.
func TestJoinZoneOnlyForZoneless(t *testing.T) {
	conns := []Conn{conn(1, "198.51.100.2:40000", 10, 12), conn(2, "198.51.100.2:40002", 20, 20.1)}
	sshd := stamp(10, 5, `Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain ""`) +
		stamp(12, 5, "Connection closed by 198.51.100.2 port 40000")
	f2b := t0.Add(time.Hour+19*time.Second).Format("2006-01-02 15:04:05,000") + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 198.51.100.2\n"
	for _, tc := range []struct {
		zone *time.Location
		want string
	}{{time.FixedZone("x", 3600), "ban/ban"}, {nil, ""}} {
		lines := readLog(t, sshd)
		more, _, err := Read(strings.NewReader(f2b), "fail2ban.log", ReadOptions{Near: t0, Zone: tc.zone})
		if err != nil {
			t.Fatal(err)
		}
		res := Join(conns, append(lines, more...), Options{})
		if got := strings.Join(joinedTo(res, 2), " "); got != tc.want {
			t.Errorf("zone %v: connection 2: %q, want %q", tc.zone, got, tc.want)
		}
		if res.ZoneFound {
			t.Errorf("a zone found from an RFC 3339 log")
		}
	}
}

// TestSilentEarlyReset: a connection the client reset before the server's
// banner, which no line joins, is sshd-silent-early-reset only when the log
// is this server's and runs across it (timed lines before and after).
func TestSilentEarlyReset(t *testing.T) {
	early := func(id int, client string, start, end float64) Conn {
		c := conn(id, client, start, end)
		c.ClientResetEarly = true
		return c
	}
	login := func(sec float64, pid, port int) string {
		p := strconv.Itoa(port)
		return stamp(sec, pid, "Accepted publickey for root from 198.51.100.2 port "+p+" ssh2: ED25519 SHA256:x") +
			stamp(sec+0.5, pid, "Disconnected from user root 198.51.100.2 port "+p)
	}
	before, after := login(9, 100, 40000), login(12, 101, 40010)
	for _, c := range []struct {
		name  string
		conn  Conn
		text  string
		found bool
	}{
		{"reset before the banner, log across it", early(3, "198.51.100.2:40005", 10, 10.001), before + after, true},
		{"no line after it: the log may end before it", early(3, "198.51.100.2:40005", 10, 10.001), before, false},
		{"no line before it", early(3, "198.51.100.2:40005", 10, 10.001), after, false},
		{"the client's reset came after the server's banner", conn(3, "198.51.100.2:40005", 10, 10.001), before + after, false},
		{"the server ended it first", func() Conn { c := early(3, "198.51.100.2:40005", 10, 10.001); c.ServerEnded = true; return c }(), before + after, false},
		{"a line joins it", early(3, "198.51.100.2:40005", 10, 10.001),
			before + stamp(10.0005, 102, "Connection reset by 198.51.100.2 port 40005 [preauth]") + after, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conns := []Conn{conn(1, "198.51.100.2:40000", 9, 9.5), conn(2, "198.51.100.2:40010", 12, 12.5), c.conn}
			res := Join(conns, readLog(t, c.text), Options{})
			a := res.Accounts[3]
			found := a != nil && len(a.Findings) == 1 && a.Findings[0].ID == FindSilentEarly && len(a.Lines) == 0
			if found != c.found {
				t.Errorf("sshd-silent-early-reset %v, want %v (account %+v)", found, c.found, a)
			}
			want := 0
			for id := 1; id <= 3; id++ {
				if len(joinedTo(res, id)) > 0 {
					want++
				}
			}
			if n := res.Spoken(); n != want {
				t.Errorf("%d connections spoken of, want %d (the silent one is not)", n, want)
			}
		})
	}
}
