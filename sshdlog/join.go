package sshdlog

import (
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Conn is what Join needs to know of a connection: the caller's ID for it,
// its ends, and the span of its packets. The zero value joins nothing.
type Conn struct {
	ID             int
	Client, Server netip.AddrPort
	Start, End     time.Time
	// Open: the connection was still open when the capture ended.
	Open bool
	// ServerReset: a reset carrying the server's address reached the
	// capture.
	ServerReset bool
	// ServerEnded: the server's side ended the connection, by FIN or by a
	// reset not found forged.
	ServerEnded bool
	// Midstream: the capture holds no SYN of the connection: it began
	// before Start, by how much is unknown.
	Midstream bool
	// ServerResetBeside: the resets in the server's name came from the
	// server's own distance though its socket did not send them (a firewall
	// on the server itself: analyze.SenderServerFirewall).
	ServerResetBeside bool
	// ClientResetEarly: the client's side reset the connection (a reset in
	// its name, not found forged) before the server's identification line
	// reached the capture.
	ClientResetEarly bool
}

// JoinBy says how a line found its connection.
type JoinBy uint8

const (
	ByPort     JoinBy = iota + 1 // the client's address and port (exact)
	ByPID                        // the process that wrote lines naming the port
	ByAddrTime                   // the client's address and the time: the only connection from it then
	ByOrder                      // an sshd -E file: the only connection open in the log at that line
	ByBan                        // a fail2ban ban of the client's address, in force when the connection began
)

var joinNames = [...]string{"", "port", "pid", "address_time", "log_order", "ban"}

func (b JoinBy) String() string {
	if int(b) < len(joinNames) {
		return joinNames[b]
	}
	return ""
}

// Why says why a line joined nothing.
type Why uint8

const (
	WhyNoConnection Why = iota + 1 // it names a client no connection in the capture has
	WhyAmbiguous                   // several connections could be the one (never guessed)
	WhyNoClue                      // it names no client and no process rstsniff could place
	WhyOutside                     // its time is outside the capture
)

var whyNames = [...]string{"", "no_connection", "ambiguous", "no_clue", "outside_capture"}

func (w Why) String() string {
	if int(w) < len(whyNames) {
		return whyNames[w]
	}
	return ""
}

// Joined is one line on a connection.
type Joined struct {
	Line Line
	By   JoinBy
}

// Unjoined is a line that joined no connection, and why.
type Unjoined struct {
	Line Line
	Why  Why
}

// Account is the server's word on one connection: its lines in log order
// and the findings they support.
type Account struct {
	Lines    []Joined
	Findings []Finding
}

// Result is what Join found. Accounts are keyed by Conn.ID.
type Result struct {
	Accounts map[int]*Account
	Unjoined []Unjoined
	Lines    int // lines given
	JoinedBy map[JoinBy]int
	// Skew is how far the log's clock ran ahead of the capture's (negative:
	// behind), the median over the lines that joined by port and carry a
	// time; SkewLines counts them (0: no estimate, Skew is 0).
	Skew      time.Duration
	SkewLines int
	// ZoneOffset is the time zone rstsniff found for lines that carry none
	// (Skew is what remains), when every line joined by port was such;
	// ZoneFound says it did. It applies to the lines without a zone only.
	ZoneOffset time.Duration
	ZoneFound  bool
	Tolerance  time.Duration
	// PortLines counts lines naming a client's address and port;
	// JoinsNothing is set when there were some and none of them joined: the
	// log is from another host, or another time, than the capture.
	PortLines    int
	JoinsNothing bool
	// LogServers are the server addresses the log names ("Connection from
	// ... on B", drops); ForeignServers is set when there are some and
	// none is a server of the capture's connections.
	LogServers     []netip.Addr
	ForeignServers bool
	Hosts          []string // host names the log's lines carry
}

// DefaultTolerance is how far outside a connection's packets (after the
// skew) a line may fall and still join it by time.
const DefaultTolerance = 3 * time.Second

// Options tune Join. The zero value works.
type Options struct {
	Tolerance time.Duration // 0: DefaultTolerance
	// Partial: the connections given are not all those of the log's time
	// (a live capture hands them over one by one, others still open), so
	// no line joins by address and time, which needs them all to be sure.
	Partial bool
}

// Join joins lines to connections; see the package comment. It never
// guesses: a line joins only the one connection that fits, or none.
func Join(conns []Conn, lines []Line, opt Options) *Result {
	tol := opt.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	res := &Result{Accounts: map[int]*Account{}, Lines: len(lines), JoinedBy: map[JoinBy]int{}, Tolerance: tol}
	byAP := map[netip.AddrPort][]int{}
	byAddr := map[netip.Addr][]int{}
	servers := map[netip.Addr]bool{}
	var capStart, capEnd time.Time
	for i, c := range conns {
		byAP[c.Client] = append(byAP[c.Client], i)
		byAddr[c.Client.Addr()] = append(byAddr[c.Client.Addr()], i)
		servers[c.Server.Addr()] = true
		if capStart.IsZero() || c.Start.Before(capStart) {
			capStart = c.Start
		}
		if c.End.After(capEnd) {
			capEnd = c.End
		}
	}
	join := make([]int, len(lines)) // conn index + 1; 0: none
	by := make([]JoinBy, len(lines))
	why := make([]Why, len(lines))
	logServers := map[netip.Addr]bool{}
	hosts := map[string]bool{}

	// 1. Lines naming the port: exact when one connection has that client.
	var offsets, zoneless []time.Duration
	var pending []int
	for i := range lines {
		l := &lines[i]
		if l.Host != "" {
			hosts[l.Host] = true
		}
		if l.Local.IsValid() {
			logServers[l.Local.Addr()] = true
		}
		if l.Kind == KindBan || l.Kind == KindUnban || !l.HasPort() {
			continue
		}
		res.PortLines++
		cands := filterServer(byAP[l.Client], conns, l.Local)
		switch len(cands) {
		case 0:
			why[i] = WhyNoConnection
		case 1:
			join[i], by[i] = cands[0]+1, ByPort
			if !l.Time.IsZero() {
				if d, ok := offset(l, &conns[cands[0]]); ok {
					offsets = append(offsets, d)
					if !l.TimeHasZone {
						zoneless = append(zoneless, d)
					}
				}
			}
		default:
			pending = append(pending, i)
		}
	}
	// 2. The log's clock: the median offset of the exact joins; for a log
	// with no zone, whole quarter hours of it are the zone.
	if len(offsets) > 0 {
		med := median(offsets)
		if len(zoneless) == len(offsets) {
			q := 15 * time.Minute
			z := (med + q/2*sign(med)) / q * q
			if z != 0 && absDur(med-z) < 5*time.Minute {
				res.ZoneOffset, res.ZoneFound = z, true
			}
		}
		res.Skew = med - res.ZoneOffset
		res.SkewLines = len(offsets)
	}
	at := res.CaptureTime
	fits := func(l *Line, c *Conn) bool {
		if l.Time.IsZero() {
			return true
		}
		t := at(l)
		end := c.End
		if c.Open {
			end = capEnd
		}
		if c.Midstream { // it began before its first packet in the capture
			return !t.After(end.Add(tol))
		}
		return !t.Before(c.Start.Add(-tol)) && !t.After(end.Add(tol))
	}
	// An exact join far from its connection in time is the port used again
	// at another time (a long log, a short capture).
	for i := range lines {
		if by[i] == ByPort && !fits(&lines[i], &conns[join[i]-1]) {
			join[i], by[i], why[i] = 0, 0, WhyNoConnection
		}
	}
	for _, i := range pending {
		var fit []int
		for _, c := range filterServer(byAP[lines[i].Client], conns, lines[i].Local) {
			if fits(&lines[i], &conns[c]) {
				fit = append(fit, c)
			}
		}
		switch len(fit) {
		case 1:
			join[i], by[i] = fit[0]+1, ByPort
		case 0:
			why[i] = WhyNoConnection
		default:
			why[i] = WhyAmbiguous
		}
	}
	// 3. By process: a process that wrote lines naming one connection's
	// port wrote the rest about it too. The listener's lines (drops,
	// timeouts and deaths of its children) name many and teach nothing.
	type procKey struct {
		src string
		pid int
	}
	procs := map[procKey]map[int]bool{}
	for i := range lines {
		l := &lines[i]
		if by[i] != ByPort || l.PID == 0 || listenerKind(l) {
			continue
		}
		k := procKey{l.Source, l.PID}
		if procs[k] == nil {
			procs[k] = map[int]bool{}
		}
		procs[k][join[i]-1] = true
	}
	onlyOne := func(k procKey) (int, bool) {
		if len(procs[k]) != 1 {
			return 0, false
		}
		for c := range procs[k] {
			return c, true
		}
		return 0, false
	}
	for i := range lines {
		l := &lines[i]
		if join[i] != 0 || l.HasPort() || l.Kind == KindBan || l.Kind == KindUnban {
			continue
		}
		pid := l.PID
		if l.ChildPID != 0 {
			pid = l.ChildPID
		} else if listenerKind(l) {
			pid = 0
		}
		if pid == 0 {
			continue
		}
		if c, ok := onlyOne(procKey{l.Source, pid}); ok && fits(l, &conns[c]) &&
			(!l.Client.IsValid() || l.Client.Addr() == conns[c].Client.Addr()) {
			join[i], by[i] = c+1, ByPID
		}
	}
	// 4. By address and time: the only connection from that address whose
	// packets the line falls among.
	for i := range lines {
		l := &lines[i]
		if opt.Partial || join[i] != 0 || l.HasPort() || !l.Client.IsValid() || l.Time.IsZero() || l.Kind == KindBan || l.Kind == KindUnban {
			continue
		}
		var fit []int
		for _, c := range byAddr[l.Client.Addr()] {
			if fits(l, &conns[c]) {
				fit = append(fit, c)
			}
		}
		switch len(fit) {
		case 1:
			join[i], by[i] = fit[0]+1, ByAddrTime
		case 0:
			why[i] = WhyNoConnection
		default:
			why[i] = WhyAmbiguous
		}
	}
	// 5. sshd -E files carry neither time nor process: a line naming no
	// port belongs to the connection open in the log at that point when
	// exactly one is, and only in a log that marks every opening
	// ("Connection from", LogLevel VERBOSE), so none can be open unseen.
	joinByOrder(lines, join, by, why)
	// 6. Bans hold for every connection from the address that began while
	// they were in force, until the unban.
	bans, unbans := joinBans(conns, byAddr, lines, at, tol)

	for i := range lines {
		l := &lines[i]
		if join[i] == 0 {
			if l.Kind == KindBan || l.Kind == KindUnban {
				if len(bans[i]) > 0 || len(unbans[i]) > 0 {
					continue
				}
				why[i] = WhyNoConnection
			}
			if why[i] == 0 || why[i] == WhyNoConnection {
				if !l.Time.IsZero() && !capStart.IsZero() && (at(l).Before(capStart.Add(-tol)) || at(l).After(capEnd.Add(tol))) {
					why[i] = WhyOutside
				}
			}
			if why[i] == 0 {
				why[i] = WhyNoClue
			}
			res.Unjoined = append(res.Unjoined, Unjoined{*l, why[i]})
			continue
		}
		res.add(conns[join[i]-1].ID, Joined{*l, by[i]})
	}
	for i, cs := range bans {
		for _, c := range cs {
			res.add(conns[c].ID, Joined{lines[i], ByBan})
		}
	}
	for i, cs := range unbans {
		for _, c := range cs {
			res.add(conns[c].ID, Joined{lines[i], ByBan})
		}
	}
	res.JoinsNothing = res.PortLines > 0 && res.JoinedBy[ByPort] == 0
	for a := range logServers {
		res.LogServers = append(res.LogServers, a)
	}
	slices.SortFunc(res.LogServers, netip.Addr.Compare)
	if len(res.LogServers) > 0 && len(conns) > 0 {
		res.ForeignServers = true
		for _, a := range res.LogServers {
			if servers[a] {
				res.ForeignServers = false
			}
		}
	}
	for h := range hosts {
		res.Hosts = append(res.Hosts, h)
	}
	sort.Strings(res.Hosts)
	span := spanOf(lines, res)
	for i := range conns {
		if a := res.Accounts[conns[i].ID]; a != nil {
			sortJoined(a.Lines)
			a.Findings = findings(&conns[i], a, lines, res, at, tol)
		} else if silentEarly(&conns[i], span, res) {
			res.Accounts[conns[i].ID] = &Account{Findings: []Finding{{ID: FindSilentEarly}}}
		}
	}
	return res
}

// Spoken counts the connections lines joined (Accounts also holds those
// whose silence is a finding).
func (r *Result) Spoken() int {
	n := 0
	for _, a := range r.Accounts {
		if len(a.Lines) > 0 {
			n++
		}
	}
	return n
}

// CaptureTime is when a line happened on the capture's clock: its time
// less the log's skew, and less the zone found for lines that carry none
// (zero for a line without a time).
func (r *Result) CaptureTime(l *Line) time.Time {
	if l.Time.IsZero() {
		return time.Time{}
	}
	d := r.Skew
	if !l.TimeHasZone {
		d += r.ZoneOffset
	}
	return l.Time.Add(-d)
}

func (r *Result) add(id int, j Joined) {
	a := r.Accounts[id]
	if a == nil {
		a = &Account{}
		r.Accounts[id] = a
	}
	a.Lines = append(a.Lines, j)
	r.JoinedBy[j.By]++
}

// sortJoined keeps log order: by time when the lines have one, then by
// source and line number.
func sortJoined(js []Joined) {
	sort.SliceStable(js, func(a, b int) bool {
		x, y := &js[a].Line, &js[b].Line
		if !x.Time.IsZero() && !y.Time.IsZero() && !x.Time.Equal(y.Time) {
			return x.Time.Before(y.Time)
		}
		if x.Source != y.Source {
			return x.Source < y.Source
		}
		return x.Number < y.Number
	})
}

// filterServer keeps the candidates whose server the line names, when it
// names one.
func filterServer(cands []int, conns []Conn, local netip.AddrPort) []int {
	if !local.IsValid() {
		return cands
	}
	var out []int
	for _, c := range cands {
		s := conns[c].Server
		if s.Addr() == local.Addr() && (local.Port() == 0 || s.Port() == local.Port()) {
			out = append(out, c)
		}
	}
	return out
}

// listenerKind: lines the listening sshd writes about its children, under
// its own process ID.
func listenerKind(l *Line) bool {
	switch l.Kind {
	case KindMaxStartupsDrop, KindPenaltyDrop, KindSessionKilled, KindTerminating, KindListener:
		return true
	case KindLoginGraceTimeout:
		return l.ChildPID != 0
	}
	return false
}

// offset is how far the line's time is from when it happened in the
// capture: an opening line from the connection's first packet, a closing
// line from its last, another from the nearest point of its span. ok is
// false where the capture cannot say: the opening or the lines before the
// first packet of a connection whose start it missed.
func offset(l *Line, c *Conn) (time.Duration, bool) {
	switch {
	case l.Kind == KindConnectionFrom || l.Kind == KindMaxStartupsDrop || l.Kind == KindPenaltyDrop:
		return l.Time.Sub(c.Start), !c.Midstream
	case l.Kind.Closing() && !c.Open:
		return l.Time.Sub(c.End), true
	case l.Time.Before(c.Start):
		return l.Time.Sub(c.Start), !c.Midstream
	case !c.Open && l.Time.After(c.End):
		return l.Time.Sub(c.End), true
	}
	return 0, true
}

func joinByOrder(lines []Line, join []int, by []JoinBy, why []Why) {
	verbose := map[string]bool{}
	for i := range lines {
		if lines[i].Format == FormatBare && lines[i].Kind == KindConnectionFrom {
			verbose[lines[i].Source] = true
		}
	}
	open := map[string]map[netip.AddrPort]int{} // per source: client -> conn index + 1 (0: in no connection of the capture)
	for i := range lines {
		l := &lines[i]
		if l.Format != FormatBare || !verbose[l.Source] {
			continue
		}
		o := open[l.Source]
		if o == nil {
			o = map[netip.AddrPort]int{}
			open[l.Source] = o
		}
		switch {
		case l.HasPort():
			if l.Kind == KindMaxStartupsDrop || l.Kind == KindPenaltyDrop {
				continue // dropped by the listener, never open
			}
			if l.Kind.Closing() {
				delete(o, l.Client)
			} else if _, ok := o[l.Client]; ok || l.Kind == KindConnectionFrom {
				o[l.Client] = join[i]
			}
		case join[i] == 0 && (!listenerKind(l) || l.Client.IsValid()):
			// A line naming the client's address (the listener's grace
			// timeout or a child's death, sshd 9.8 and later) is placed on
			// the one open connection from that address; a line naming
			// none, on the one open connection.
			var only, n int
			var onlyAP netip.AddrPort
			for ap, c := range o {
				if !l.Client.IsValid() || ap.Addr() == l.Client.Addr() {
					only, onlyAP, n = c, ap, n+1
				}
			}
			switch {
			case n == 1 && only != 0:
				join[i], by[i], why[i] = only, ByOrder, 0
				if l.Client.IsValid() && l.Kind.Closing() {
					delete(o, onlyAP) // the listener's word on its end
				}
			case n > 1:
				why[i] = WhyAmbiguous
			}
		}
	}
}

// joinBans returns, by line index of each ban, the connections from the
// banned address that were going while it held (from the ban, less the
// tolerance, to the next unban of the address in the same log), and by
// line index of that unban the same connections.
func joinBans(conns []Conn, byAddr map[netip.Addr][]int, lines []Line, at func(*Line) time.Time, tol time.Duration) (map[int][]int, map[int][]int) {
	out, unbans := map[int][]int{}, map[int][]int{}
	unbanAt := map[netip.Addr][]int{} // unban lines by address
	for j := range lines {
		if lines[j].Kind == KindUnban {
			unbanAt[lines[j].Client.Addr()] = append(unbanAt[lines[j].Client.Addr()], j)
		}
	}
	for i := range lines {
		l := &lines[i]
		if l.Kind != KindBan || l.Time.IsZero() {
			continue
		}
		from := at(l).Add(-tol)
		var until time.Time
		unban := -1
		for _, j := range unbanAt[l.Client.Addr()] {
			u := &lines[j]
			if u.Source == l.Source && u.Time.After(l.Time) &&
				(until.IsZero() || at(u).Before(until)) {
				until, unban = at(u), j
			}
		}
		for _, c := range byAddr[l.Client.Addr()] {
			cn := &conns[c]
			// The connection overlaps the ban: it began while the ban held,
			// or was still going when it came.
			if cn.Client.Addr() != l.Client.Addr() || (!cn.Open && cn.End.Before(from)) || (!until.IsZero() && cn.Start.After(until)) {
				continue
			}
			out[i] = append(out[i], c)
			if unban >= 0 {
				unbans[unban] = append(unbans[unban], c)
			}
		}
	}
	return out, unbans
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func sign(d time.Duration) time.Duration {
	if d < 0 {
		return -1
	}
	return 1
}
