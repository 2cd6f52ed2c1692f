package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// A LogRecord is one verdict as an OpenTelemetry log record, in neutral
// types: package otlp turns it into the SDK's record. The attribute names
// are the words of this package: ECS names where ECS has them (the very
// mapping of --format ecs), rstsniff.* for the rest. It owns its slices.
type LogRecord struct {
	Time     time.Time
	Severity LogSeverity
	Event    string // the event name: rstsniff.connection or rstsniff.summary
	Body     string // the one-line verdict or summary, escaped
	Attrs    []LogAttr
}

// A LogAttr is one attribute; Value is a string, int64, float64, bool,
// []string or []int64, and every string is escaped (Safe): it came from
// the network or a file name.
type LogAttr struct {
	Key   string
	Value any
}

// LogSeverity is a record's severity; package otlp maps it to OTLP's
// severity numbers (INFO 9, WARN 13, ERROR 17).
type LogSeverity uint8

const (
	SeverityInfo  LogSeverity = iota // a summary, a connection that ended normally
	SeverityWarn                     // an abnormal end (reset, refused, unreachable, timed out) or a finding
	SeverityError                    // a reset that the endpoint whose address it carries did not send
)

var severityNames = [...]string{"INFO", "WARN", "ERROR"}

func (s LogSeverity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "INFO"
}

// Log event names.
const (
	LogEventConnection = "rstsniff.connection"
	LogEventSummary    = "rstsniff.summary"
)

// FlowLog is the log record of one connection: the fields of its ECS
// connection document flattened to dotted names (source.ip,
// network.community_id, event.outcome, rstsniff.stage...), then rule.name
// (the first finding), rstsniff.sender (who really sent the reset that
// ended it) and one list per reset property (rstsniff.resets.sender,
// .strength, .from, .origin, .stage, .packet), in the order of the resets.
// multi names the capture file (rstsniff.file), as for ECS.
func FlowLog(f *analyze.Flow, multi bool) (LogRecord, error) {
	rec := LogRecord{Time: f.Start, Severity: flowSeverity(f), Event: LogEventConnection,
		Body: Safe(VerdictLine(f, true))}
	// The ECS writer is the one mapping of a flow to ECS names; its first
	// line is the connection's document (the others are its resets').
	var buf bytes.Buffer
	if err := ECS(&buf, f, multi); err != nil {
		return rec, err
	}
	line, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	attrs, err := flattenJSON(line)
	if err != nil {
		return rec, fmt.Errorf("report: flattening the ECS document: %v", err)
	}
	rec.Attrs = attrs
	if len(f.Findings) > 0 {
		rec.Attrs = append(rec.Attrs, LogAttr{"rule.name", f.Findings[0].ID.String()})
	}
	if r, ok := f.Ending(); ok {
		rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.sender", r.Sender().String()})
	}
	if n := len(f.Resets); n > 0 {
		sender, strength, from, origin, stage := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		packet := make([]int64, n)
		for i := range f.Resets {
			r := &f.Resets[i]
			st, _ := r.Strength()
			sender[i], strength[i], from[i] = r.Sender().String(), st.String(), r.From.String()
			origin[i], stage[i], packet[i] = r.Origin.String(), r.Stage.String(), int64(r.Packet)
		}
		rec.Attrs = append(rec.Attrs,
			LogAttr{"rstsniff.resets.sender", sender}, LogAttr{"rstsniff.resets.strength", strength},
			LogAttr{"rstsniff.resets.from", from}, LogAttr{"rstsniff.resets.origin", origin},
			LogAttr{"rstsniff.resets.stage", stage}, LogAttr{"rstsniff.resets.packet", packet})
	}
	return rec, nil
}

// flowSeverity: ERROR when a reset was not sent by the stack whose
// address it carries (forged on the path or by a host's firewall), WARN
// for any other abnormal end or finding, INFO otherwise.
func flowSeverity(f *analyze.Flow) LogSeverity {
	for i := range f.Resets {
		if f.Resets[i].Sender().Forged() {
			return SeverityError
		}
	}
	if f.Notable() {
		return SeverityWarn
	}
	return SeverityInfo
}

// SummaryLog is the log record of a run's summary (at the end of the
// files, or of a live capture): its time is the end of the last input.
func SummaryLog(r *Run) LogRecord {
	rec := LogRecord{Severity: SeverityInfo, Event: LogEventSummary}
	head, _, _ := strings.Cut(summaryLine(r, r.FlowCount()), "\n")
	rec.Body = head
	inputs := []string{}
	for _, in := range r.Inputs {
		inputs = append(inputs, Safe(in.Name))
		if in.End.After(rec.Time) {
			rec.Time = in.End
		}
	}
	rec.Attrs = []LogAttr{
		{"event.kind", "event"},
		{"event.module", "rstsniff"},
		{"event.dataset", LogEventSummary},
		{"rstsniff.inputs", inputs},
		{"rstsniff.packets", int64(r.Packets())},
		{"rstsniff.connections", int64(r.FlowCount())},
		{"rstsniff.resets", int64(r.Resets())},
	}
	if r.Tally != nil {
		rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.abnormal", int64(r.Tally.Abnormal)})
	}
	m := r.Outcomes()
	for _, o := range analyze.Outcomes {
		if m[o] > 0 {
			rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.outcomes." + o.String(), int64(m[o])})
		}
	}
	s := r.Senders()
	for i := range s {
		if s[i] > 0 {
			rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.senders." + analyze.Sender(i).String(), int64(s[i])})
		}
	}
	if w := r.Warnings(); len(w) > 0 {
		ws := make([]string, len(w))
		for i := range w {
			ws[i] = Safe(w[i])
		}
		rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.warnings", ws})
	}
	return rec
}

// flattenJSON turns one JSON object into attributes with dotted names, in
// the order of the object's keys (sorted at each level). @timestamp is
// left out: it is the record's own time. Arrays of strings or of whole
// numbers become lists; other arrays are left out (ECS documents here
// have none).
func flattenJSON(doc []byte) ([]LogAttr, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	var out []LogAttr
	flatten(&out, "", m)
	return out, nil
}

func flatten(out *[]LogAttr, prefix string, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if prefix == "" && k == "@timestamp" {
			continue
		}
		name := prefix + k
		switch v := m[k].(type) {
		case map[string]any:
			flatten(out, name+".", v)
		case string:
			*out = append(*out, LogAttr{name, Safe(v)})
		case bool:
			*out = append(*out, LogAttr{name, v})
		case json.Number:
			*out = append(*out, LogAttr{name, number(v)})
		case []any:
			if a, ok := list(v); ok {
				*out = append(*out, LogAttr{name, a})
			}
		}
	}
}

// number is a JSON number as an int64 when it is whole, else a float64.
func number(n json.Number) any {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) {
		return n.String()
	}
	return f
}

// list is a JSON array of strings or of whole numbers as a list; an
// empty array is an empty list of strings.
func list(v []any) (any, bool) {
	ss, is := make([]string, 0, len(v)), make([]int64, 0, len(v))
	for _, e := range v {
		switch e := e.(type) {
		case string:
			ss = append(ss, Safe(e))
		case json.Number:
			i, err := e.Int64()
			if err != nil {
				return nil, false
			}
			is = append(is, i)
		default:
			return nil, false
		}
	}
	switch {
	case len(ss) > 0 && len(is) > 0:
		return nil, false
	case len(is) > 0:
		return is, true
	}
	return ss, true
}
