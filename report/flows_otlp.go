package report

import (
	"reflect"
	"slices"
	"strings"
	"sync"
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
// network.community_id, event.outcome, rstsniff.stage..., and rule.name,
// the first finding), then rstsniff.sender (who really sent the reset that
// ended it) and one list per reset property (rstsniff.reset.sender,
// .strength, .from, .origin, .stage, .packet), in the order of the resets.
// multi names the capture file (rstsniff.file), as for ECS.
func FlowLog(f *analyze.Flow, multi bool) LogRecord {
	rec := LogRecord{Time: f.Start, Severity: flowSeverity(f), Event: LogEventConnection,
		Body: Safe(VerdictLine(f, true))}
	// ecsConnection is the one mapping of a flow to ECS names.
	doc, _ := ecsConnection(f, multi)
	rec.Attrs = ecsAttrs(&doc, make([]LogAttr, 0, 64)) // rule.name (the first finding) among them
	if r, ok := f.Ending(); ok {
		rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.sender", r.Sender.String()})
	}
	if n := len(f.Resets); n > 0 {
		sender, strength, from, origin, stage := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		packet := make([]int64, n)
		for i := range f.Resets {
			r := &f.Resets[i]
			st, _ := r.Strength()
			sender[i], strength[i], from[i] = r.Sender.String(), st.String(), r.From.String()
			origin[i], stage[i], packet[i] = r.Sender.Verdict().Origin(), r.Stage.String(), int64(r.Packet)
		}
		rec.Attrs = append(rec.Attrs,
			LogAttr{"rstsniff.reset.sender", sender}, LogAttr{"rstsniff.reset.strength", strength},
			LogAttr{"rstsniff.reset.from", from}, LogAttr{"rstsniff.reset.origin", origin},
			LogAttr{"rstsniff.reset.stage", stage}, LogAttr{"rstsniff.reset.packet", packet})
	}
	return rec
}

// flowSeverity: ERROR when a reset was not sent by the stack whose
// address it carries (forged on the path or by a host's firewall, on
// strong evidence or proof), WARN for any other abnormal end or finding
// (a reset possibly forged, on weak evidence, among them), INFO otherwise.
func flowSeverity(f *analyze.Flow) LogSeverity {
	for i := range f.Resets {
		if f.Resets[i].ForgedSurely() {
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
	s, possible := r.Senders()
	for i := range s {
		if s[i] > 0 {
			rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.senders." + analyze.Sender(i).String(), int64(s[i])})
		}
	}
	if possible > 0 {
		rec.Attrs = append(rec.Attrs, LogAttr{"rstsniff.senders.possibly-forged", int64(possible)})
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

// ecsField is a leaf of the ECS document: the field indexes that lead to
// it from ecsDoc, its dotted name (from the json tags), and whether its
// tag says omitempty.
type ecsField struct {
	path      []int
	key       string
	omitempty bool
}

// ecsFields lists ecsDoc's leaves in the order of the struct, but for
// @timestamp (the record's own time).
var ecsFields = sync.OnceValue(func() []ecsField { return planFields(reflect.TypeFor[ecsDoc](), "", nil) })

func planFields(t reflect.Type, prefix string, path []int) []ecsField {
	var out []ecsField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || prefix == "" && name == "@timestamp" {
			continue
		}
		p := append(slices.Clone(path), i)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, planFields(ft, prefix+name+".", p)...)
			continue
		}
		out = append(out, ecsField{p, prefix + name, strings.Contains(opts, "omitempty")})
	}
	return out
}

// ecsAttrs flattens an ECS document to attributes, leaving out what JSON
// would (nil pointers, empty omitempty fields): the same names and values
// as --format ecs, without encoding JSON.
func ecsAttrs(doc *ecsDoc, out []LogAttr) []LogAttr {
	root := reflect.ValueOf(doc).Elem()
next:
	for _, f := range ecsFields() {
		v := root
		for _, i := range f.path {
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					continue next
				}
				v = v.Elem()
			}
			v = v.Field(i)
		}
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		} else if f.omitempty && v.IsZero() {
			continue
		}
		switch v.Kind() {
		case reflect.String:
			out = append(out, LogAttr{f.key, Safe(v.String())})
		case reflect.Bool:
			out = append(out, LogAttr{f.key, v.Bool()})
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out = append(out, LogAttr{f.key, v.Int()})
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out = append(out, LogAttr{f.key, int64(v.Uint())})
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.String {
				ss := make([]string, v.Len())
				for i := range ss {
					ss[i] = Safe(v.Index(i).String())
				}
				out = append(out, LogAttr{f.key, ss})
			}
		}
	}
	return out
}
