package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rstsniff/rstsniff/analyze"
)

func attrMap(t *testing.T, rec LogRecord) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, a := range rec.Attrs {
		if _, dup := m[a.Key]; dup {
			t.Errorf("attribute %s twice", a.Key)
		}
		switch v := a.Value.(type) {
		case string:
			if !utf8.ValidString(v) {
				t.Errorf("%s: invalid UTF-8 %q", a.Key, v)
			}
		case int64, float64, bool, []string, []int64:
		default:
			t.Errorf("%s: value of type %T", a.Key, v)
		}
		m[a.Key] = a.Value
	}
	return m
}

func TestFlowLog(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	f := analyze.Flow{ID: 4, Client: netip.MustParseAddrPort("198.51.100.2:51186"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Start: t0, End: t0.Add(time.Second), CommunityID: "1:abc=", Outcome: analyze.OutcomeReset, ClosedBy: analyze.Server,
		Stage: analyze.StageBanner, EndReset: 5, File: "a\x1b[31m.pcap",
		ServerBanner: "SSH-2.0-\x1b[31mred\xff",
		Resets: []analyze.Reset{
			strongForged(analyze.Reset{Packet: 5, Time: t0, From: analyze.Server, Stage: analyze.StageBanner, Sender: analyze.SenderPath}),
			{Packet: 7, Time: t0, From: analyze.Client, Stage: analyze.StageBanner, Sender: analyze.SenderClient},
		},
		Findings: []analyze.Finding{{ID: analyze.FindResetRace}, {ID: analyze.FindTTLMismatch}},
	}
	rec := FlowLog(&f, true)
	if rec.Severity != SeverityError || rec.Event != LogEventConnection || !rec.Time.Equal(t0) {
		t.Errorf("severity %v, event %q, time %v", rec.Severity, rec.Event, rec.Time)
	}
	if rec.Body != Safe(VerdictLine(&f, true)) {
		t.Errorf("body %q", rec.Body)
	}
	m := attrMap(t, rec)
	want := map[string]any{
		"source.ip": "198.51.100.2", "source.port": int64(51186), "destination.ip": "203.0.113.2", "destination.port": int64(22),
		"network.community_id": "1:abc=", "event.outcome": "failure", "event.kind": "alert", "rule.name": "reset-race",
		"rstsniff.stage": "banner", "rstsniff.connection_id": int64(4), "rstsniff.sender": "path",
		"rstsniff.file": Safe(f.File), "ecs.version": ECSVersion,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	// From the network: escaped, valid UTF-8 (JSON already replaced the
	// invalid byte), no terminal escape left.
	if b, _ := m["rstsniff.server_banner"].(string); !strings.HasPrefix(b, "SSH-2.0-\\u001b[31mred") || strings.ContainsRune(b, 0x1b) {
		t.Errorf("server banner %q", b)
	}
	if _, ok := m["@timestamp"]; ok {
		t.Error("@timestamp is the record's time, not an attribute")
	}
	lists := map[string]any{
		"rstsniff.findings":       []string{"reset-race", "ttl-mismatch"},
		"rstsniff.reset.sender":   []string{"path", "client"},
		"rstsniff.reset.from":     []string{"server", "client"},
		"rstsniff.reset.packet":   []int64{5, 7},
		"event.category":          []string{"network"},
		"rstsniff.reset.strength": nil, // checked for length below
		"related.ip":              []string{"198.51.100.2", "203.0.113.2"},
		"rstsniff.reset.stage":    []string{"banner", "banner"},
		"rstsniff.reset.origin":   []string{"middlebox", "endpoint"},
	}
	for k, v := range lists {
		switch w := v.(type) {
		case []string:
			if got, _ := m[k].([]string); !slices.Equal(got, w) {
				t.Errorf("%s = %#v, want %#v", k, m[k], w)
			}
		case []int64:
			if got, _ := m[k].([]int64); !slices.Equal(got, w) {
				t.Errorf("%s = %#v, want %#v", k, m[k], w)
			}
		default:
			if got, _ := m[k].([]string); len(got) != 2 {
				t.Errorf("%s = %#v, want one per reset", k, m[k])
			}
		}
	}
	// A connection that closed normally with a finding is a warning; one
	// refused by its server's stack too.
	g := analyze.Flow{Client: f.Client, Server: f.Server, Outcome: analyze.OutcomeRefused,
		Resets: []analyze.Reset{{Packet: 2, From: analyze.Server, Sender: analyze.SenderServer}}}
	if rec := FlowLog(&g, false); rec.Severity != SeverityWarn {
		t.Errorf("refused: severity %v, want WARN", rec.Severity)
	} else if m := attrMap(t, rec); m["rstsniff.file"] != nil || m["rule.name"] != nil {
		t.Errorf("refused: file %v, rule.name %v", m["rstsniff.file"], m["rule.name"])
	}
}

func TestSummaryLog(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	r := &Run{Inputs: []Input{{Name: "x\x1b.pcap", Frames: 12, End: t0}, {Name: "y.pcap", Frames: 3, End: t0.Add(time.Minute)}}, Tally: &Tally{}}
	r.Tally.Add(&analyze.Flow{Outcome: analyze.OutcomeReset, Resets: []analyze.Reset{strongForged(analyze.Reset{From: analyze.Server, Sender: analyze.SenderPath})}})
	r.Tally.Add(&analyze.Flow{Outcome: analyze.OutcomeClosed})
	rec := SummaryLog(r)
	m := attrMap(t, rec)
	if rec.Event != LogEventSummary || !rec.Time.Equal(t0.Add(time.Minute)) || rec.Severity != SeverityInfo {
		t.Errorf("event %q, time %v, severity %v", rec.Event, rec.Time, rec.Severity)
	}
	for k, v := range map[string]any{"rstsniff.packets": int64(15), "rstsniff.connections": int64(2), "rstsniff.resets": int64(1),
		"rstsniff.abnormal": int64(1), "rstsniff.outcomes.reset": int64(1), "rstsniff.outcomes.closed": int64(1),
		"rstsniff.senders.path": int64(1), "event.dataset": "rstsniff.summary"} {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if got, _ := m["rstsniff.inputs"].([]string); !slices.Equal(got, []string{Safe("x\x1b.pcap"), "y.pcap"}) {
		t.Errorf("inputs %#v", m["rstsniff.inputs"])
	}
	if rec.Body == "" || rec.Body[len(rec.Body)-1] == '\n' {
		t.Errorf("body %q", rec.Body)
	}
}

// flat flattens a decoded JSON object to dotted names.
func flat(out map[string]any, prefix string, m map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flat(out, prefix+k+".", sub)
		} else {
			out[prefix+k] = v
		}
	}
}

// TestFlowLogIsTheECSDocument: the record's ECS attributes are the fields
// of --format ecs's connection document, name for name and value for
// value (the attributes walk the document's struct, the ECS output
// encodes it).
func TestFlowLogIsTheECSDocument(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	flows := []analyze.Flow{
		{Client: netip.MustParseAddrPort("198.51.100.2:51186"), Server: netip.MustParseAddrPort("203.0.113.2:22"), Outcome: analyze.OutcomeReset,
			ClosedBy: analyze.Server, Stage: analyze.StageKex, ClientBanner: "SSH-2.0-x\x1b]0;", History: "ShAdR", ConnState: "RSTR",
			Resets: []analyze.Reset{strongForged(analyze.Reset{Packet: 5, From: analyze.Server, Sender: analyze.SenderPath})}, Findings: []analyze.Finding{{ID: analyze.FindResetRace}}},
		{Client: netip.MustParseAddrPort("[2001:db8:1::2]:40000"), Server: netip.MustParseAddrPort("[2001:db8:2::2]:22"), Outcome: analyze.OutcomeTimeout, File: "b.pcap"},
	}
	for i := range flows {
		f := &flows[i]
		f.ID, f.Start, f.End, f.CommunityID = i+1, t0, t0, "1:x="
		var b bytes.Buffer
		if err := ECS(&b, f, true); err != nil {
			t.Fatal(err)
		}
		line, _, _ := bytes.Cut(b.Bytes(), []byte("\n"))
		var doc map[string]any
		if err := json.Unmarshal(line, &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{}
		flat(want, "", doc)
		delete(want, "@timestamp")
		got := map[string]any{}
		for _, a := range FlowLog(f, true).Attrs {
			switch v := a.Value.(type) {
			case int64:
				got[a.Key] = float64(v)
			case string:
				got[a.Key] = v
				if w, ok := want[a.Key].(string); ok && Safe(w) == v {
					got[a.Key] = w // escaped for OTLP, as JSON escapes for JSON
				}
			case []string:
				l := []any{}
				for _, s := range v {
					l = append(l, s)
				}
				got[a.Key] = l
			case []int64:
				continue // rstsniff.reset.packet: not in the ECS document
			default:
				got[a.Key] = v
			}
		}
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("flow %d: %s = %#v, the ECS document has %#v", i, k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok && !strings.HasPrefix(k, "rstsniff.reset.") && k != "rule.name" && k != "rstsniff.sender" {
				t.Errorf("flow %d: %s is not in the ECS document", i, k)
			}
		}
	}
}

// TestLogKeysNest: no attribute is both a value and the parent of others
// (rstsniff.resets and rstsniff.resets.sender, say), in a record or across
// the two kinds: Elasticsearch maps dotted names to objects and rejects a
// document whose field is a number in one place and an object in another.
func TestLogKeysNest(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	f := analyze.Flow{Client: netip.MustParseAddrPort("198.51.100.2:51186"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Start: t0, End: t0, Outcome: analyze.OutcomeReset, EndReset: 5, File: "a.pcap",
		Resets:   []analyze.Reset{strongForged(analyze.Reset{Packet: 5, From: analyze.Server, Sender: analyze.SenderPath})},
		Findings: []analyze.Finding{{ID: analyze.FindResetRace}}}
	r := &Run{Inputs: []Input{{Name: "a.pcap"}}, Tally: &Tally{}}
	r.Tally.Add(&f)
	var keys []string
	for _, rec := range []LogRecord{FlowLog(&f, true), SummaryLog(r)} {
		for _, a := range rec.Attrs {
			keys = append(keys, a.Key)
		}
	}
	for _, k := range keys {
		for _, l := range keys {
			if strings.HasPrefix(l, k+".") {
				t.Errorf("%s is a value and the parent of %s", k, l)
			}
		}
	}
}
