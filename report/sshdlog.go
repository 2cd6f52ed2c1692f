package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// ServerLog is what --sshd-log and --fail2ban-log read, joined to the
// connections: the server's word, rendered beside each connection.
type ServerLog struct {
	Files  []ServerLogFile
	Result *sshdlog.Result
	// Capture names the capture the log was joined to when there are
	// several (--correlate); empty otherwise.
	Capture string
}

// ServerLogFile is one log read.
type ServerLogFile struct {
	Name  string
	Stats sshdlog.Stats
}

// serverSource names the log a finding comes from.
func serverSource(id string) string {
	e, ok := serverEntry(id)
	if !ok {
		return catalog.SourceSSHDLog.String()
	}
	return e.Source.String()
}

// appendNew appends the strings s does not hold yet.
func appendNew(s []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(s, a) {
			s = append(s, a)
		}
	}
	return s
}

// serverEntry is a finding from the server's log in the one catalog
// (package catalog): its meaning, usual blame, causes and next steps.
func serverEntry(id string) (catalog.Entry, bool) { return catalog.Lookup(id) }

// serverFindingWords returns the sentence for a finding, with the facts it
// carries.
func serverFindingWords(fd sshdlog.Finding) string {
	adv, ok := serverEntry(fd.ID)
	if !ok {
		return fd.ID
	}
	s := adv.Meaning
	if fd.ID == sshdlog.FindResetBoth && fd.Beside {
		return "a reset in the server's name reached the client while sshd logged a reset from the client: sshd's socket sent neither; the resets came from the server's own distance, so a firewall on the server itself (a REJECT --reject-with tcp-reset rule, a fail2ban or firewalld ban) most likely sent them"
	}
	if fd.ID == sshdlog.FindAuthFailed && fd.Failures == 0 {
		return "the connection ended during authentication, unauthenticated (sshd logs a refused public key only at LogLevel VERBOSE)"
	}
	if fd.ID == sshdlog.FindCrashed {
		s += fmt.Sprintf(" (after %s", fd.Lasted.Round(time.Millisecond))
		if fd.Unauthenticated {
			s += ", before any authentication line"
		}
		s += ")"
	}
	return s
}

// serverBlame is the finding's blame: the table's, but the server's for
// resets at both ends that a firewall on the server sent.
func serverBlame(fd sshdlog.Finding) string {
	if fd.ID == sshdlog.FindResetBoth && fd.Beside {
		return "server"
	}
	adv, _ := serverEntry(fd.ID)
	return adv.Blame.String()
}

// lineRef names a log line for people: FILE:N.
func lineRef(l *sshdlog.Line) string { return fmt.Sprintf("%s:%d", Safe(l.Source), l.Number) }

// logClock is when the line happened on the capture's clock (the log's
// skew and zone taken off), or zero for a line with no time.
func logClock(l *sshdlog.Line, res *sshdlog.Result) time.Time { return res.CaptureTime(l) }

// ServerLogExplain writes the server's account of each listed connection
// that has one, then what the log held overall.
func ServerLogExplain(w io.Writer, r *Run, sl *ServerLog, all bool) error {
	var b strings.Builder
	t0, _ := timeRange(r)
	res := sl.Result
	for _, f := range r.Flows {
		a := res.Accounts[f.ID]
		if a == nil || (!all && !f.Notable() && len(a.Findings) == 0) {
			continue
		}
		serverLogFlow(&b, f, a, res, t0)
	}
	b.WriteString("\n")
	for _, s := range serverLogSummary(sl) {
		fmt.Fprintf(&b, "%s\n", s)
	}
	if all && len(res.Unjoined) > 0 {
		b.WriteString("Lines that joined no connection:\n")
		for _, u := range res.Unjoined {
			fmt.Fprintf(&b, "  %s  %-16s %s\n", lineRef(&u.Line), u.Why, Safe(u.Line.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serverLogFlow writes one connection's account; times relative to t0, or
// as clock times when t0 is zero.
func serverLogFlow(b *strings.Builder, f *analyze.Flow, a *sshdlog.Account, res *sshdlog.Result, t0 time.Time) {
	fmt.Fprintf(b, "\nConnection %d: %s -> %s, %s: the server's log says\n", f.ID, Endpoint(f.Client), Endpoint(f.Server), f.Outcome)
	for _, j := range a.Lines {
		at := "       -"
		if c := logClock(&j.Line, res); !c.IsZero() {
			if t0.IsZero() {
				at = c.UTC().Format("15:04:05.000")
			} else {
				at = fmt.Sprintf("%+8.3fs", c.Sub(t0).Seconds())
			}
		}
		fmt.Fprintf(b, "  %s  %-20s %s  (%s, by %s)\n", at, j.Line.Kind, Safe(j.Line.Message), lineRef(&j.Line), j.By)
	}
	for _, fd := range a.Findings {
		adv, _ := serverEntry(fd.ID)
		fmt.Fprintf(b, "  Finding %s (blame: %s): %s\n", fd.ID, serverBlame(fd), serverFindingWords(fd))
		for _, i := range fd.Lines {
			fmt.Fprintf(b, "    supported by %s: %s\n", lineRef(&a.Lines[i].Line), Safe(a.Lines[i].Line.Message))
		}
		for _, c := range adv.Causes {
			fmt.Fprintf(b, "    - likely cause: %s\n", c)
		}
		for _, c := range adv.NextSteps {
			fmt.Fprintf(b, "    - check next: %s\n", c)
		}
	}
}

// ServerLogStream writes the server's account of one connection handed
// over by a live capture (nothing when the log says nothing of it), times
// as clock times in UTC.
func ServerLogStream(w io.Writer, f *analyze.Flow, res *sshdlog.Result) error {
	a := res.Accounts[f.ID]
	if a == nil {
		return nil
	}
	var b strings.Builder
	serverLogFlow(&b, f, a, res, time.Time{})
	_, err := io.WriteString(w, b.String())
	return err
}

var whyWords = map[sshdlog.Why]string{
	sshdlog.WhyNoConnection: "name a client no connection in the capture has",
	sshdlog.WhyAmbiguous:    "could be any of several connections (never guessed)",
	sshdlog.WhyNoClue:       "name no client and no process rstsniff could place",
	sshdlog.WhyOutside:      "fall outside the capture's time",
}

// serverLogSummary is what the logs held, in sentences.
func serverLogSummary(sl *ServerLog) []string {
	res := sl.Result
	var out []string
	for _, f := range sl.Files {
		out = append(out, fmt.Sprintf("Server log %s (%s): %d lines, %d from sshd or fail2ban, %d skipped, %d unreadable.",
			Safe(f.Name), f.Stats.Format, f.Stats.Lines, f.Stats.SSHD, f.Stats.Skipped, f.Stats.Bad))
	}
	joined := 0
	var how []string
	for _, by := range []sshdlog.JoinBy{sshdlog.ByPort, sshdlog.ByPID, sshdlog.ByAddrTime, sshdlog.ByOrder, sshdlog.ByBan} {
		if n := res.JoinedBy[by]; n > 0 {
			joined += n
			how = append(how, fmt.Sprintf("%d by %s", n, strings.ReplaceAll(by.String(), "_", " and ")))
		}
	}
	s := fmt.Sprintf("Joined %d of %d lines to %d connection%s", joined, res.Lines, len(res.Accounts), plural(len(res.Accounts)))
	if len(how) > 0 {
		s += " (" + strings.Join(how, ", ") + ")"
	}
	out = append(out, s+".")
	switch {
	case res.SkewLines > 0:
		s := fmt.Sprintf("The log's clock is %s %s the capture's (median of %d lines joined by port); lines without a port join within %s of a connection.",
			absDur(res.Skew).Round(time.Millisecond), aheadBehind(res.Skew), res.SkewLines, res.Tolerance)
		if res.ZoneFound {
			s += fmt.Sprintf(" The log's times carry no zone: they read as UTC%s.", zoneName(res.ZoneOffset))
		}
		out = append(out, s)
	case res.Lines > 0:
		out = append(out, "The log's clock could not be compared with the capture's (no line with a time joined by port).")
	}
	if res.JoinsNothing {
		s := fmt.Sprintf("None of the log's %d lines naming a client's address and port matches a connection in the capture: the log is from another host, or another time.", res.PortLines)
		if res.ForeignServers {
			s += " It names the server address " + joinAddrs(res) + ", which no connection in the capture has."
		}
		if len(res.Hosts) > 0 {
			s += " Its lines name the host " + Safe(strings.Join(res.Hosts, ", ")) + "."
		}
		out = append(out, s)
	}
	if n := len(res.Unjoined); n > 0 {
		count := map[sshdlog.Why]int{}
		for _, u := range res.Unjoined {
			count[u.Why]++
		}
		var parts []string
		for _, w := range []sshdlog.Why{sshdlog.WhyNoConnection, sshdlog.WhyAmbiguous, sshdlog.WhyNoClue, sshdlog.WhyOutside} {
			if count[w] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", count[w], whyWords[w]))
			}
		}
		out = append(out, fmt.Sprintf("%d lines joined no connection: %s (--all lists them).", n, strings.Join(parts, "; ")))
	}
	return out
}

func joinAddrs(res *sshdlog.Result) string {
	var s []string
	for _, a := range res.LogServers {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

func aheadBehind(d time.Duration) string {
	if d < 0 {
		return "behind"
	}
	return "ahead of"
}

func zoneName(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

type jsonLogLine struct {
	Source   string    `json:"source"`
	Line     int       `json:"line"`
	Time     *jsonTime `json:"time,omitempty"`     // as the log wrote it
	Captured *jsonTime `json:"captured,omitempty"` // on the capture's clock (skew and zone taken off)
	Host     string    `json:"host,omitempty"`
	Program  string    `json:"program"`
	PID      int       `json:"pid,omitempty"`
	Kind     string    `json:"kind"`
	Client   string    `json:"client,omitempty"`
	User     string    `json:"user,omitempty"`
	JoinedBy string    `json:"joined_by,omitempty"`
	Why      string    `json:"unjoined_why,omitempty"`
	Message  string    `json:"message"`
}

type jsonLogFinding struct {
	ID        string   `json:"id"`
	Blame     string   `json:"blame"`
	Lines     []int    `json:"lines"` // indexes into sshd_log.lines
	Summary   string   `json:"summary"`
	Causes    []string `json:"causes"`
	NextSteps []string `json:"next_steps"`
}

// jsonAccount is what the server's log said of a connection. In a flow
// line its findings join the flow's own (one list, each with its source),
// and Findings is left out; a sshd_log_flow line (--correlate) has them.
type jsonAccount struct {
	Lines    []jsonLogLine    `json:"lines"`
	Findings []jsonLogFinding `json:"findings,omitempty"`
}

func logLine(l *sshdlog.Line, res *sshdlog.Result) jsonLogLine {
	j := jsonLogLine{Source: l.Source, Line: l.Number, Host: l.Host, Program: l.Program, PID: l.PID, Kind: l.Kind.String(),
		User: l.User, Message: l.Message}
	if !l.Time.IsZero() {
		t, c := jsonTime(l.Time), jsonTime(logClock(l, res))
		j.Time, j.Captured = &t, &c
	}
	if l.Client.IsValid() {
		j.Client = l.Client.String()
		if l.Client.Port() == 0 {
			j.Client = l.Client.Addr().String()
		}
	}
	return j
}

// JSONFlowServerLog writes one flow as JSONFlow does, with the server's
// account of it as "sshd_log" (absent when the log says nothing of it).
func JSONFlowServerLog(w io.Writer, f *analyze.Flow, multi bool, res *sshdlog.Result) error {
	a := res.Accounts[f.ID]
	if a == nil {
		return JSONFlow(w, f, multi)
	}
	jf := newJSONFlow(f, multi)
	if alg, ok := algorithmsOf(f); ok {
		jf.Algorithms = &alg
	}
	// One findings list: the log's after the packets', with their advice
	// joined to the flow's.
	for _, fd := range a.Findings {
		jf.Findings = append(jf.Findings, jsonFinding{ID: fd.ID, Source: serverSource(fd.ID), Blame: serverBlame(fd),
			Packets: []int{}, LogLines: nonNilInts(fd.Lines), Summary: serverFindingWords(fd)})
		adv, _ := serverEntry(fd.ID)
		jf.Causes, jf.NextSteps = appendNew(jf.Causes, adv.Causes...), appendNew(jf.NextSteps, adv.NextSteps...)
	}
	ja := account(a, res)
	ja.Findings = nil
	b, err := json.Marshal(ja)
	if err != nil {
		return err
	}
	return writeFlow(w, &jf, `,"sshd_log":`+string(escapeFormatChars(b)))
}

type jsonServerLog struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
	Capture        string         `json:"capture,omitempty"`
	Files          []jsonLogFile  `json:"files"`
	Lines          int            `json:"lines"`
	JoinedBy       map[string]int `json:"joined_by"`
	Connections    int            `json:"connections"`
	SkewSeconds    *float64       `json:"skew_seconds"` // log clock minus capture clock; null when unknown
	SkewLines      int            `json:"skew_lines"`
	ZoneOffset     string         `json:"zone_found,omitempty"`
	Tolerance      float64        `json:"tolerance_seconds"`
	JoinsNothing   bool           `json:"joins_nothing"`
	LogServers     []string       `json:"log_servers"`
	ForeignServers bool           `json:"foreign_servers"`
	Hosts          []string       `json:"hosts"`
	Unjoined       map[string]int `json:"unjoined"`
	UnjoinedLines  []jsonLogLine  `json:"unjoined_lines,omitempty"`
	Summary        []string       `json:"summary"`
}

type jsonLogFile struct {
	Name    string `json:"name"`
	Format  string `json:"format"`
	Lines   int    `json:"lines"`
	SSHD    int    `json:"sshd_lines"`
	Skipped int    `json:"skipped"`
	Bad     int    `json:"unreadable"`
}

// JSONServerLog writes what the logs held as one JSON line of type
// "sshd_log"; with all, every unjoined line too.
func JSONServerLog(w io.Writer, sl *ServerLog, all bool) error {
	res := sl.Result
	j := jsonServerLog{Type: "sshd_log", SchemaVersion: SchemaVersion, Capture: sl.Capture, Lines: res.Lines, JoinedBy: map[string]int{}, Connections: len(res.Accounts),
		SkewLines: res.SkewLines, Tolerance: res.Tolerance.Seconds(), JoinsNothing: res.JoinsNothing,
		ForeignServers: res.ForeignServers, Hosts: nonNil(res.Hosts), Unjoined: map[string]int{}, LogServers: []string{},
		Summary: serverLogSummary(sl)}
	for _, f := range sl.Files {
		j.Files = append(j.Files, jsonLogFile{f.Name, f.Stats.Format.String(), f.Stats.Lines, f.Stats.SSHD, f.Stats.Skipped, f.Stats.Bad})
	}
	for by, n := range res.JoinedBy {
		j.JoinedBy[by.String()] = n
	}
	if res.SkewLines > 0 {
		s := res.Skew.Seconds()
		j.SkewSeconds = &s
	}
	if res.ZoneFound {
		j.ZoneOffset = zoneName(res.ZoneOffset)
	}
	for _, a := range res.LogServers {
		j.LogServers = append(j.LogServers, a.String())
	}
	for _, u := range res.Unjoined {
		j.Unjoined[u.Why.String()]++
		if all {
			jl := logLine(&u.Line, res)
			jl.Why = u.Why.String()
			j.UnjoinedLines = append(j.UnjoinedLines, jl)
		}
	}
	return writeLine(w, j)
}

// ServerLogCaptureTable writes, after a --correlate table, the server's
// account of each connection of one capture that has a finding from it
// (or of every connection it speaks of, with all), then what the log held.
func ServerLogCaptureTable(w io.Writer, flows []*analyze.Flow, sl *ServerLog, all bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe server's log joined to %s:\n", Safe(sl.Capture))
	var t0 time.Time
	for _, f := range flows {
		if t0.IsZero() || f.Start.Before(t0) {
			t0 = f.Start
		}
	}
	for _, f := range flows {
		if a := sl.Result.Accounts[f.ID]; a != nil && (all || f.Notable() || len(a.Findings) > 0) {
			serverLogFlow(&b, f, a, sl.Result, t0)
		}
	}
	b.WriteString("\n")
	for _, s := range serverLogSummary(sl) {
		fmt.Fprintf(&b, "%s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonCaptureAccount struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
	Capture string      `json:"capture"`
	Flow    int         `json:"flow"`
	Client  string      `json:"client"`
	Server  string      `json:"server"`
	SSHDLog jsonAccount `json:"sshd_log"`
}

// ServerLogCaptureJSON writes, after a --correlate report, one line of
// type "sshd_log_flow" per connection of one capture the log speaks of,
// then the log's summary line.
func ServerLogCaptureJSON(w io.Writer, flows []*analyze.Flow, sl *ServerLog, all bool) error {
	for _, f := range flows {
		a := sl.Result.Accounts[f.ID]
		if a == nil {
			continue
		}
		if err := writeLine(w, jsonCaptureAccount{Type: "sshd_log_flow", SchemaVersion: SchemaVersion, Capture: sl.Capture, Flow: f.ID,
			Client: Endpoint(f.Client), Server: Endpoint(f.Server), SSHDLog: account(a, sl.Result)}); err != nil {
			return err
		}
	}
	return JSONServerLog(w, sl, all)
}

// account is a connection's account in JSON's shape.
func account(a *sshdlog.Account, res *sshdlog.Result) jsonAccount {
	ja := jsonAccount{Lines: []jsonLogLine{}, Findings: []jsonLogFinding{}}
	for _, j := range a.Lines {
		jl := logLine(&j.Line, res)
		jl.JoinedBy = j.By.String()
		ja.Lines = append(ja.Lines, jl)
	}
	for _, fd := range a.Findings {
		adv, _ := serverEntry(fd.ID)
		ja.Findings = append(ja.Findings, jsonLogFinding{ID: fd.ID, Blame: serverBlame(fd), Lines: fd.Lines, Summary: serverFindingWords(fd),
			Causes: nonNil(adv.Causes), NextSteps: nonNil(adv.NextSteps)})
	}
	return ja
}

// ServerLogMarkdown writes the server's account of each listed connection
// as a Markdown section, to follow Markdown's report.
func ServerLogMarkdown(w io.Writer, r *Run, sl *ServerLog, all bool) error {
	var b strings.Builder
	res := sl.Result
	if sl.Capture != "" {
		fmt.Fprintf(&b, "\n## The server's log joined to %s\n\n", mdCode(sl.Capture, false))
	} else {
		b.WriteString("\n## The server's log\n\n")
	}
	for _, s := range serverLogSummary(sl) {
		fmt.Fprintf(&b, "- %s\n", mdText(s))
	}
	ids := make([]int, 0, len(res.Accounts))
	flows := map[int]*analyze.Flow{}
	for _, f := range r.Flows {
		flows[f.ID] = f
		if res.Accounts[f.ID] != nil {
			ids = append(ids, f.ID)
		}
	}
	sort.Ints(ids)
	for _, id := range ids {
		f, a := flows[id], res.Accounts[id]
		fmt.Fprintf(&b, "\n### Connection %d: %s\n\n", id, mdText(Endpoint(f.Client)+" -> "+Endpoint(f.Server)+", "+f.Outcome.String()))
		b.WriteString("| Line | Kind | Joined by | Message |\n|---|---|---|---|\n")
		for _, j := range a.Lines {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(fmt.Sprintf("%s:%d", j.Line.Source, j.Line.Number), true), j.Line.Kind, j.By, mdCode(j.Line.Message, true))
		}
		for _, fd := range a.Findings {
			fmt.Fprintf(&b, "\n**%s** (blame: %s): %s\n", fd.ID, serverBlame(fd), mdText(serverFindingWords(fd)))
			for _, i := range fd.Lines {
				fmt.Fprintf(&b, "- supported by %s\n", mdCode(a.Lines[i].Line.Message, false))
			}
		}
	}
	if all && len(res.Unjoined) > 0 {
		b.WriteString("\n### Lines that joined no connection\n\n| Line | Why | Message |\n|---|---|---|\n")
		for _, u := range res.Unjoined {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCode(fmt.Sprintf("%s:%d", u.Line.Source, u.Line.Number), true), u.Why, mdCode(u.Line.Message, true))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ServerLogHTML writes the server's log as an HTML section (html/template
// escapes every log text), for the page HTML writes: ServerLogPage puts it
// before the page's end.
func ServerLogHTML(w io.Writer, r *Run, sl *ServerLog, all bool) error {
	type hLine struct{ Ref, Kind, By, Message string }
	type hFinding struct {
		ID, Blame, Summary string
		Lines              []string
		Causes, NextSteps  []string
	}
	type hFlow struct {
		Title    string
		Lines    []hLine
		Findings []hFinding
	}
	// Log text goes through Safe (format characters such as bidirectional
	// overrides, which html/template leaves as they are) and then the
	// template's escaping.
	page := struct {
		Capture  string
		Summary  []string
		Flows    []hFlow
		Unjoined []hLine
	}{Capture: Safe(sl.Capture), Summary: serverLogSummary(sl)}
	res := sl.Result
	for _, f := range r.Flows {
		a := res.Accounts[f.ID]
		if a == nil {
			continue
		}
		hf := hFlow{Title: fmt.Sprintf("Connection %d: %s -> %s, %s", f.ID, Endpoint(f.Client), Endpoint(f.Server), f.Outcome)}
		for _, j := range a.Lines {
			hf.Lines = append(hf.Lines, hLine{Safe(fmt.Sprintf("%s:%d", j.Line.Source, j.Line.Number)), j.Line.Kind.String(), j.By.String(), Safe(j.Line.Message)})
		}
		for _, fd := range a.Findings {
			adv, _ := serverEntry(fd.ID)
			hd := hFinding{ID: fd.ID, Blame: serverBlame(fd), Summary: serverFindingWords(fd), Causes: adv.Causes, NextSteps: adv.NextSteps}
			for _, i := range fd.Lines {
				hd.Lines = append(hd.Lines, Safe(a.Lines[i].Line.Message))
			}
			hf.Findings = append(hf.Findings, hd)
		}
		page.Flows = append(page.Flows, hf)
	}
	if all {
		for _, u := range res.Unjoined {
			page.Unjoined = append(page.Unjoined, hLine{Safe(fmt.Sprintf("%s:%d", u.Line.Source, u.Line.Number)), u.Line.Kind.String(), u.Why.String(), Safe(u.Line.Message)})
		}
	}
	return serverLogTmpl.Execute(w, page)
}

// serverLogHTML is the server's log section of an HTML page.
//
//go:embed templates/sshdlog.html
var serverLogHTML string

var serverLogTmpl = template.Must(template.New("sshdlog").Parse(serverLogHTML))

// ServerLogPage writes the page HTML made (page), with the server's log
// section before its </body>.
func ServerLogPage(w io.Writer, page string, r *Run, sl *ServerLog, all bool) error {
	i := strings.LastIndex(page, "</body>")
	if i < 0 {
		i = len(page)
	}
	if _, err := io.WriteString(w, page[:i]); err != nil {
		return err
	}
	if err := ServerLogHTML(w, r, sl, all); err != nil {
		return err
	}
	_, err := io.WriteString(w, page[i:])
	return err
}
