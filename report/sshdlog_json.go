package report

import (
	"encoding/json"
	"io"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/sshdlog"
)

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
	j := jsonServerLog{Type: "sshd_log", SchemaVersion: SchemaVersion, Capture: sl.Capture, Lines: res.Lines, JoinedBy: map[string]int{}, Connections: res.Spoken(),
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
