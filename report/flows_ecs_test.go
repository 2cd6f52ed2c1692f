package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/internal/ecscheck"
)

// ecsRequired are the fields issue 21 asks of every ECS document.
var ecsRequired = []string{"@timestamp", "event.kind", "event.category", "event.type", "event.action",
	"event.outcome", "event.reason", "source.ip", "source.port", "destination.ip", "destination.port",
	"network.transport", "network.protocol", "network.community_id"}

// checkECS validates every line of out against the ECS definitions and
// returns the documents decoded.
func checkECS(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		problems, present, err := ecscheck.Check(line, "rstsniff")
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		for _, p := range problems {
			t.Errorf("line %d: %s", i+1, p)
		}
		for _, f := range ecsRequired {
			if !slices.Contains(present, f) {
				t.Errorf("line %d: no %s", i+1, f)
			}
		}
		var d map[string]any
		if err := json.Unmarshal(line, &d); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return docs
}

func field(d map[string]any, dotted string) any {
	var v any = d
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestECSDocuments(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	c4 := netip.MustParseAddrPort("198.51.100.2:51186")
	s4 := netip.MustParseAddrPort("203.0.113.2:22")
	c6 := netip.MustParseAddrPort("[2001:db8:1::2]:40000")
	s6 := netip.MustParseAddrPort("[2001:db8:2::2]:22")
	reset := func(n int, from analyze.Side, o analyze.Sender) analyze.Reset {
		return analyze.Reset{Packet: n, Time: t0.Add(time.Duration(n) * time.Millisecond), From: from, Stage: analyze.StageBanner, TTL: 64, Sender: o, SeqState: analyze.SeqExact}
	}
	for _, c := range []struct {
		name    string
		flow    analyze.Flow
		kinds   []string // event.kind of the connection, then of each reset
		outcome string
		netType string
	}{
		{"closed", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeClosed, Stage: analyze.StageSession},
			[]string{"event"}, "success", "ipv4"},
		{"open", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeOpen, Stage: analyze.StageAuth},
			[]string{"event"}, "unknown", "ipv4"},
		{"refused", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeRefused,
			Resets: []analyze.Reset{reset(2, analyze.Server, analyze.SenderServer)}},
			[]string{"event", "event"}, "failure", "ipv4"},
		{"timeout", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeTimeout}, []string{"event"}, "failure", "ipv4"},
		{"unreachable", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeUnreachable}, []string{"event"}, "failure", "ipv4"},
		{"forged then genuine", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeReset, ClosedBy: analyze.Server,
			Resets:   []analyze.Reset{strongForged(reset(5, analyze.Server, analyze.SenderPath)), reset(7, analyze.Client, analyze.SenderClient)},
			Findings: []analyze.Finding{{ID: analyze.FindResetRace}, {ID: analyze.FindTTLMismatch}}},
			[]string{"alert", "alert", "event"}, "failure", "ipv4"},
		// Forged on weak evidence alone: a suspicion, no alert (issue 24).
		{"possibly forged", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeReset, ClosedBy: analyze.Server,
			Resets: []analyze.Reset{reset(5, analyze.Server, analyze.SenderPath)}},
			[]string{"event", "event"}, "failure", "ipv4"},
		{"ipv6, origin unknown", analyze.Flow{Client: c6, Server: s6, Outcome: analyze.OutcomeReset, ClosedBy: analyze.Client,
			Resets: []analyze.Reset{reset(9, analyze.Client, analyze.SenderUnknown)}},
			[]string{"event", "event"}, "failure", "ipv6"},
		{"hostile banner", analyze.Flow{Client: c4, Server: s4, Outcome: analyze.OutcomeClosed,
			ServerBanner: "SSH-2.0-\x1b[31mred\u202e<script>\xff"},
			[]string{"event"}, "success", "ipv4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.flow
			f.ID, f.Start, f.End, f.CommunityID = 3, t0, t0.Add(2*time.Second), "1:abc="
			var b bytes.Buffer
			if err := ECS(&b, &f, false); err != nil {
				t.Fatal(err)
			}
			docs := checkECS(t, b.Bytes())
			if len(docs) != 1+len(f.Resets) {
				t.Fatalf("%d documents for a connection with %d resets, want %d", len(docs), len(f.Resets), 1+len(f.Resets))
			}
			for i, d := range docs {
				if got := field(d, "event.kind"); got != c.kinds[i] {
					t.Errorf("document %d: event.kind %v, want %s", i, got, c.kinds[i])
				}
				if got := field(d, "network.type"); got != c.netType {
					t.Errorf("document %d: network.type %v, want %s", i, got, c.netType)
				}
				if got := field(d, "network.community_id"); got != "1:abc=" {
					t.Errorf("document %d: community_id %v", i, got)
				}
				if got := field(d, "source.ip"); got != f.Client.Addr().String() {
					t.Errorf("document %d: source.ip %v, want the client %s", i, got, f.Client.Addr())
				}
				if got := field(d, "network.protocol"); got != "ssh" {
					t.Errorf("document %d: network.protocol %v", i, got)
				}
			}
			if got := field(docs[0], "event.outcome"); got != c.outcome {
				t.Errorf("event.outcome %v, want %s", got, c.outcome)
			}
			if got := field(docs[0], "event.dataset"); got != "rstsniff.connection" {
				t.Errorf("event.dataset %v", got)
			}
			if got := field(docs[0], "event.duration"); got != float64(2e9) {
				t.Errorf("event.duration %v, want 2e9 ns", got)
			}
			for i, r := range f.Resets {
				d := docs[1+i]
				if got := field(d, "rstsniff.reset.packet"); got != float64(r.Packet) {
					t.Errorf("reset %d: rstsniff.reset.packet %v, want %d", i, got, r.Packet)
				}
				if got := field(d, "rstsniff.reset.origin"); got != r.Sender.Verdict().Origin() {
					t.Errorf("reset %d: origin %v", i, got)
				}
			}
			if bytes.ContainsAny(b.Bytes(), "\x1b<>\u202e") {
				t.Errorf("untrusted text written raw:\n%s", b.Bytes())
			}
		})
	}
}

// TestECSCheckCatchesMistakes keeps the checker honest: each document
// breaks one ECS rule.
func TestECSCheckCatchesMistakes(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"event":{"kind":"warning"}}`, "event.kind"},
		{`{"event":{"outcome":"failed"}}`, "event.outcome"},
		{`{"event":{"category":"network"}}`, ""}, // a single value for an array field is allowed by Elasticsearch
		{`{"event":{"category":["network"],"type":["creation"]}}`, "not expected"},
		{`{"source":{"ip":"198.51.100.300"}}`, "not an IP"},
		{`{"source":{"port":"22"}}`, "not a number"},
		{`{"@timestamp":"yesterday"}`, "not an ISO 8601"},
		{`{"network":{"protocol":"SSH"}}`, "lowercase"},
		{`{"network":{"transport":["tcp"]}}`, "an array"},
		{`{"source":{"hostname":"x"}}`, "not an ECS field"},
		{`{"rstsniff":{"anything":["goes"]}}`, ""},
	} {
		problems, _, err := ecscheck.Check([]byte(c.doc), "rstsniff")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(problems, "; ")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: problems %q, want one about %q", c.doc, got, c.want)
		}
	}
}

// strongForged gives a forged reset the evidence that makes it strong: its
// claimed sender kept sending.
func strongForged(r analyze.Reset) analyze.Reset {
	r.Evidence = append(r.Evidence, analyze.Evidence{Signal: analyze.SigSenderKeptSending, PointsTo: analyze.VerdictForged, Frames: []int{r.Packet + 1}})
	return r
}
