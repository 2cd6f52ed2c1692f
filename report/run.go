package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
	"github.com/rstsniff/rstsniff/runcmd"
)

// RunFacts is what `rstsniff run -- COMMAND` learnt, for the words here.
type RunFacts struct {
	Command  []string // untrusted only as far as the user typed it; escaped anyway
	Exit     runcmd.Exit
	Method   runcmd.Method
	Fallback string // why attribution fell back from the cgroup (empty when it did not)
	// Flows are the command's connections in order of first packet; Via[i]
	// is the ControlMaster flows[i] went through (nil: the command's own).
	Flows []*analyze.Flow
	Via   []*runcmd.Master
	// Others counts connections captured on the same ports that were not
	// the command's (left out of everything).
	Others int
	Said   *explain.Result // the reading of the command's standard error
	Joined runcmd.Joined
	// NoCapture says why there was no capture ("" when there was one).
	NoCapture string
	Report    string // -o's file, if any
	// Killed counts the command's processes still running when it ended,
	// which rstsniff ended.
	Killed int
}

// RunQuiet reports whether all went well: the command exited 0 and none of
// its connections ended abnormally. Then run prints nothing of its own.
func (r *RunFacts) RunQuiet() bool {
	if r.Exit.Code != 0 {
		return false
	}
	for _, f := range r.Flows {
		if f.Notable() {
			return false
		}
	}
	return true
}

// viaText says which master a connection went through.
func viaText(m *runcmd.Master) string {
	if m == nil {
		return ""
	}
	s := fmt.Sprintf("through the ControlMaster \"%s\" (pid %d)", Safe(m.Comm), m.PID)
	if m.Before {
		s += ", started before the command"
	}
	return s
}

// RunLines writes, for standard error after the command ended, the verdict
// line of each of its connections that ended abnormally and what it
// printed, joined to the connection it speaks of; nothing when all went
// well. Each line starts "rstsniff: ", apart from the command's own output.
func RunLines(w io.Writer, r *RunFacts) error {
	if r.RunQuiet() {
		return nil
	}
	var b strings.Builder
	p := func(format string, a ...any) { b.WriteString("rstsniff: " + fmt.Sprintf(format, a...) + "\n") }
	name := "the command"
	if len(r.Command) > 0 {
		name = Safe(r.Command[0])
	}
	switch {
	case r.Exit.NotFound:
		p("%s: command not found (exit status 127)", name)
	case r.Exit.NoExec:
		p("%s: cannot run it: %s (exit status 126)", name, Safe(r.Exit.Err))
	}
	notable := 0
	for i, f := range r.Flows {
		if !f.Notable() {
			continue
		}
		notable++
		line := VerdictLine(f, false)
		if v := viaText(r.Via[i]); v != "" {
			line += " " + v
		}
		p("%s", line)
	}
	if m, ok := mainMessage(r.Said); ok {
		said := fmt.Sprintf("%s printed %q (line %d)", name, Safe(m.Text), m.Line)
		switch {
		case r.Joined.Match == runcmd.MatchWire:
			f := r.Flows[r.Joined.Flow]
			p("%s: that is the connection from port %d above, which %s", said, f.Client.Port(), joinedEnding(f))
		case r.Joined.Match != runcmd.MatchNone:
			f := r.Flows[r.Joined.Flow]
			p("%s: most likely the connection from port %d above (%s; the message means %s)", said, f.Client.Port(), f.Outcome, wireShort[r.Said.Wire])
		case r.NoCapture != "":
			p("%s: it means %s; without a capture rstsniff cannot tell which", said, wireShort[r.Said.Wire])
		case notable == 0 && len(r.Flows) == 0:
			p("%s: it means %s, but no SSH connection of the command was captured on the ports watched (--ports)", said, wireShort[r.Said.Wire])
		default:
			p("%s: it means %s, but none of the command's connections ended so", said, wireShort[r.Said.Wire])
		}
		if r.Said.Mux && !anyVia(r.Via) {
			p("the command talked to a ControlMaster; its TCP connection was not found (a master rstsniff may not look into, or one that had already ended)")
		}
	} else if notable == 0 && r.Exit.Code != 0 && !r.Exit.NotFound && !r.Exit.NoExec && r.NoCapture == "" {
		ended := fmt.Sprintf("exited with status %d", r.Exit.Code)
		if r.Exit.Signal != 0 {
			ended = fmt.Sprintf("was ended by signal %d (exit status %d)", r.Exit.Signal, r.Exit.Code)
		}
		switch n := len(r.Flows); n {
		case 0:
			p("%s %s; it made no SSH connection on the ports watched", name, ended)
		default:
			p("%s %s; its %d SSH connection%s ended normally", name, ended, n, plural(n))
		}
	}
	if r.Report != "" {
		p("report written to %s", Safe(r.Report))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func anyVia(v []*runcmd.Master) bool {
	for _, m := range v {
		if m != nil {
			return true
		}
	}
	return false
}

// joinedEnding says how the joined connection ended, in the message's terms.
func joinedEnding(f *analyze.Flow) string {
	switch f.Outcome {
	case analyze.OutcomeRefused:
		return "was refused"
	case analyze.OutcomeUnreachable:
		return "drew an ICMP error"
	case analyze.OutcomeTimeout:
		return "timed out"
	case analyze.OutcomeClosed:
		return "was closed"
	}
	if len(f.Resets) > 0 {
		return "was reset: " + senderText(&f.Resets[0])
	}
	return "ended so"
}

// wireShort is the message's meaning on the wire in a few words.
var wireShort = map[explain.Wire]string{
	explain.WireUnknown:    "nothing rstsniff can check on the wire",
	explain.WireReset:      "a reset arrived",
	explain.WireWriteAfter: "a reset had arrived",
	explain.WireFIN:        "the server closed the connection",
	explain.WireRefused:    "the connection was refused",
	explain.WireNoAnswer:   "the SYN was never answered",
	explain.WireICMP:       "an ICMP error answered the SYN",
	explain.WireSilence:    "the other end stopped answering",
	explain.WireBadData:    "bytes that are not SSH arrived",
	explain.WireAuthDenied: "the server refused every authentication method (nothing wrong on the wire)",
	explain.WireDisconnect: "the server sent an SSH disconnect",
	explain.WireLocal:      "the Unix socket to the ControlMaster failed",
}

// methodWords say how the connections were attributed.
var methodWords = [...]string{
	runcmd.MethodNone:     "not attributed",
	runcmd.MethodCgroup:   "every connect() in a cgroup of the command's own (BPF sock_ops)",
	runcmd.MethodSampled:  "the sockets of the command's processes, sampled from /proc every 20 ms (a connection shorter than that can be missed)",
	runcmd.MethodAncestry: "every connect() by the command or its descendants (BPF sock_ops on rstsniff's own cgroup, parents read from the kernel)",
}

// RunSection is the part of a report (-o) that says what the command was,
// how it ended, how its connections were found and what it printed, read
// as explain reads it: plain text, every untrusted part escaped.
func RunSection(r *RunFacts) string {
	var b strings.Builder
	cmd := make([]string, len(r.Command))
	for i, a := range r.Command {
		cmd[i] = Safe(a)
	}
	fmt.Fprintf(&b, "Command: %s\n", strings.Join(cmd, " "))
	switch {
	case r.Exit.NotFound:
		b.WriteString("Exit status: 127 (command not found)\n")
	case r.Exit.NoExec:
		fmt.Fprintf(&b, "Exit status: 126 (cannot run it: %s)\n", Safe(r.Exit.Err))
	case r.Exit.Signal != 0:
		fmt.Fprintf(&b, "Exit status: %d (ended by signal %d)\n", r.Exit.Code, r.Exit.Signal)
	default:
		fmt.Fprintf(&b, "Exit status: %d\n", r.Exit.Code)
	}
	if r.Killed > 0 {
		fmt.Fprintf(&b, "Processes it left running, ended by rstsniff: %d\n", r.Killed)
	}
	if r.NoCapture != "" {
		fmt.Fprintf(&b, "Capture: none (%s)\n", Safe(r.NoCapture))
	} else {
		m := "not attributed"
		if int(r.Method) < len(methodWords) {
			m = methodWords[r.Method]
		}
		fmt.Fprintf(&b, "Its connections: %d, found by %s", len(r.Flows), m)
		if r.Fallback != "" && r.Method != runcmd.MethodCgroup && r.Method != runcmd.MethodNone {
			fmt.Fprintf(&b, " (no cgroup: %s)", Safe(r.Fallback))
		}
		fmt.Fprintf(&b, "; %d other connection%s on the same ports left out\n", r.Others, plural(r.Others))
	}
	for i, f := range r.Flows {
		if v := viaText(r.Via[i]); v != "" {
			fmt.Fprintf(&b, "  %s -> %s %s\n", Endpoint(f.Client), Endpoint(f.Server), v)
		}
	}
	if r.Said != nil {
		b.WriteString("What it printed on standard error, read as `rstsniff explain` reads it:\n")
		var e bytes.Buffer
		ExplainText(&e, r.Said)
		for _, l := range strings.SplitAfter(strings.TrimRight(e.String(), "\n"), "\n") {
			b.WriteString("  " + l)
		}
		b.WriteString("\n")
		if r.Joined.Match != runcmd.MatchNone {
			f := r.Flows[r.Joined.Flow]
			fmt.Fprintf(&b, "  That message is about the connection %s -> %s (joined: %s).\n", Endpoint(f.Client), Endpoint(f.Server), r.Joined.Match)
		}
	}
	return b.String()
}

// RunFacts is a section of a Markdown or HTML page too: RunSection under
// "The command".
var _ Section = (*RunFacts)(nil)

// markdown is RunSection as an indented block: no fence that the
// command's output could close.
func (r *RunFacts) markdown(b *strings.Builder) error {
	b.WriteString("\n## The command\n\n")
	for _, l := range strings.Split(strings.TrimRight(RunSection(r), "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return nil
}

func (r *RunFacts) html(b *strings.Builder) error {
	b.WriteString("<section id=\"command\"><h2>The command</h2><pre>" + html.EscapeString(RunSection(r)) + "</pre></section>\n")
	return nil
}

type jsonRun struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The run.
	Command   []string     `json:"command"`
	Exit      int          `json:"exit"`
	Signal    int          `json:"signal,omitempty"`
	NotFound  bool         `json:"not_found,omitempty"`
	Killed    int          `json:"left_running_killed,omitempty"`
	Method    string       `json:"attribution"`
	Fallback  string       `json:"attribution_fallback,omitempty"`
	Flows     int          `json:"flows"`
	Others    int          `json:"others_left_out"`
	NoCapture string       `json:"no_capture,omitempty"`
	Masters   []jsonRunVia `json:"via_master,omitempty"`
	Said      *jsonRunSaid `json:"printed,omitempty"`
}

type jsonRunVia struct {
	Client jsonEndpoint `json:"client"`
	Server jsonEndpoint `json:"server"`
	PID    int          `json:"pid"`
	Comm   string       `json:"comm"`
	Before bool         `json:"started_before"`
}

type jsonRunSaid struct {
	Kind   string        `json:"kind"`
	Line   int           `json:"line"`
	Text   string        `json:"text"`
	Wire   string        `json:"wire"`
	Match  string        `json:"match"`
	Client *jsonEndpoint `json:"client,omitempty"` // the joined connection
}

// RunJSON writes the run as one JSON line of type "run".
func RunJSON(w io.Writer, r *RunFacts) error {
	j := jsonRun{Type: "run", SchemaVersion: SchemaVersion, Command: nonNil(r.Command), Exit: r.Exit.Code, Signal: r.Exit.Signal, NotFound: r.Exit.NotFound, Killed: r.Killed,
		Method: r.Method.String(), Fallback: r.Fallback, Flows: len(r.Flows), Others: r.Others, NoCapture: r.NoCapture}
	for i, f := range r.Flows {
		if m := r.Via[i]; m != nil {
			j.Masters = append(j.Masters, jsonRunVia{jsonEndpoint(f.Client), jsonEndpoint(f.Server), m.PID, m.Comm, m.Before})
		}
	}
	if m, ok := mainMessage(r.Said); ok {
		j.Said = &jsonRunSaid{Kind: m.Kind.String(), Line: m.Line, Text: m.Text, Wire: r.Said.Wire.String(), Match: r.Joined.Match.String()}
		if r.Joined.Match != runcmd.MatchNone {
			c := jsonEndpoint(r.Flows[r.Joined.Flow].Client)
			j.Said.Client = &c
		}
	}
	return writeLine(w, j)
}

func mainMessage(r *explain.Result) (explain.Message, bool) {
	if r == nil {
		return explain.Message{}, false
	}
	return r.MainMessage()
}
