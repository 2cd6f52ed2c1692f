package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/probe"
	"github.com/rstsniff/rstsniff/probe/session"
	"github.com/rstsniff/rstsniff/report"
)

// The probe judges its capture in this process, as -r does, and decides
// --locate on the sender of each reset: a device on the path yes, a host's
// own firewall never. Bundled captures stand in for the probe's own.
func TestProbeLocatePlan(t *testing.T) {
	for _, c := range []struct {
		scenario string
		why      report.LocateWhy
		trigger  probe.Trigger
		words    string
	}{
		{"server-firewall", report.LocateHostFirewall, 0, "firewall on the server's own host, not by its socket; no device on the path forged it"},
		{"reject-banner", report.LocatePath, probe.TriggerBanner, ""},
		{"rate-limit", report.LocatePath, probe.TriggerSYN, ""}, // the router answered the 4th SYN
		{"refused", report.LocateNotForged, 0, "not forged on the path"},
		{"clean", report.LocateNoReset, 0, "no connection was reset"},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			j, _, err := session.Judge(context.Background(), probeTestJudge(report.FormatJSON),
				"../../testdata/pcaps/"+c.scenario+"/capture.pcap", nil)
			if err != nil {
				t.Fatal(err)
			}
			p := session.PlanLocate(j.Flows)
			if p.Why != c.why || p.Run() != (c.why == report.LocatePath) {
				t.Fatalf("plan %v (run %v), want %v", p.Why, p.Run(), c.why)
			}
			if p.Run() {
				if p.Reset.Sender != analyze.SenderPath {
					t.Errorf("locating a reset whose sender is %v", p.Reset.Sender)
				}
				if got := session.Trigger(p.Reset); got != c.trigger {
					t.Errorf("trigger %v, want %v", got, c.trigger)
				}
				return
			}
			if s := report.LocateNotRun(p); !strings.Contains(s, c.words) {
				t.Errorf("says %q, want it to say %q", s, c.words)
			}
		})
	}
}

// A probe report in Markdown or HTML carries what the sockets saw and the
// located hop, and its command line is the probe command typed; JSON says
// why --locate did not run, and every line keeps to the schema.
func TestProbeReportSections(t *testing.T) {
	j, _, err := session.Judge(context.Background(), probeTestJudge(report.FormatMarkdown), "../../testdata/pcaps/reject-banner/capture.pcap", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := []probe.Result{{N: 1, Local: netip.MustParseAddrPort("198.51.100.2:51186"), Remote: netip.MustParseAddrPort("203.0.113.2:22"),
		Start: time.Date(2026, 11, 21, 6, 17, 41, 0, time.UTC), Duration: 3 * time.Millisecond, Reached: probe.StepTCP,
		Err: probe.ErrReset, ErrText: "read: connection reset by peer"}}
	loc := &probe.Location{Trigger: probe.TriggerBanner, ResetTTL: 3, Hops: []probe.Hop{
		{TTL: 1, Answer: probe.AnswerTimeExceeded, From: netip.MustParseAddr("198.51.100.1")},
		{TTL: 2, Answer: probe.AnswerTimeExceeded, From: netip.MustParseAddr("192.0.2.1")},
		{TTL: 3, Answer: probe.AnswerReset}}}
	plan := session.PlanLocate(j.Flows)
	sec := &report.ProbeSection{Results: res, Locate: loc, Plan: &plan}
	command := "rstsniff probe --locate --format markdown 203.0.113.2"
	for _, format := range []report.Format{report.FormatMarkdown, report.FormatHTML} {
		var out bytes.Buffer
		if err := writeProbeReport(&out, io.Discard, &probeOptions{format: format}, command, j, nil, sec); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if format == report.FormatHTML {
			s = html.UnescapeString(s)
		}
		for _, want := range []string{"rstsniff probe --locate --format markdown 203.0.113.2", "#1 198.51.100.2:51186 -> 203.0.113.2:22",
			"read: connection reset by peer", "TTL 2: time-exceeded from 192.0.2.1", "forged between hop 2 (192.0.2.1) and hop 3",
			"FORGED in the server"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s report lacks %q", format, want)
			}
		}
		if strings.Contains(s, "-r /") || strings.Contains(s, "rstsniff -r") {
			t.Errorf("%s report shows a made-up -r command line", format)
		}
	}
	// JSON: the flows judged, the probe lines, and why --locate did not run.
	fw, _, err := session.Judge(context.Background(), probeTestJudge(report.FormatJSON), "../../testdata/pcaps/server-firewall/capture.pcap", nil)
	if err != nil {
		t.Fatal(err)
	}
	plan = session.PlanLocate(fw.Flows)
	var out bytes.Buffer
	if err := writeProbeReport(&out, io.Discard, &probeOptions{format: report.FormatJSON}, command, fw, nil, &report.ProbeSection{Results: res, Plan: &plan}); err != nil {
		t.Fatal(err)
	}
	checkSchema(t, []string{"--format", "json"}, out.String())
	for _, want := range []string{`"type":"flow"`, `"sender":"server-firewall"`, `"type":"summary"`, `"type":"probe"`,
		`{"type":"locate-not-run","schema_version":1,"reason":"host-firewall","frame":87,"sender":"server-firewall"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), `"type":"locate",`) {
		t.Errorf("--locate ran for a host firewall's reset")
	}
}

// The probe reads no JSON back and runs no second rstsniff: its source
// (and probe/session's) calls neither json.Unmarshal nor run.
func TestProbeJudgesInProcess(t *testing.T) {
	for _, name := range []string{"probe.go", "../../probe/session/session.go"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"json.Unmarshal", "run(ctx", "exec.Command"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s calls %s", name, bad)
			}
		}
	}
}

// Without a capture a probe report says what the sockets saw and why no
// reset could be judged, and claims nothing about packets.
func TestProbeReportWithoutCapture(t *testing.T) {
	res := []probe.Result{{N: 1, Remote: netip.MustParseAddrPort("203.0.113.2:22"), Reached: probe.StepTCP, Err: probe.ErrReset, ErrText: "reset <b>"}}
	plan := report.LocatePlan{Why: report.LocateNoCapture}
	for _, format := range []string{"markdown", "html"} {
		var out bytes.Buffer
		sec := &report.ProbeSection{Results: res, Plan: &plan, NoCapture: "permission denied"}
		f, _ := report.ParseFormat(format)
		if err := writeProbeReport(&out, io.Discard, &probeOptions{format: f}, "rstsniff probe --format "+format+" h", nil, nil, sec); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		for _, want := range []string{"rstsniff probe --format " + format + " h", "permission denied", "#1", "not run: without a capture"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q:\n%s", format, want, s)
			}
		}
		if strings.Contains(s, "No connection was reset") || (format == "html" && strings.Contains(s, "<b>")) {
			t.Errorf("%s claims a verdict, or lets markup through:\n%s", format, s)
		}
	}
}

// probeTestJudge is how rstsniff probe --format f judges its capture, on
// port 22.
func probeTestJudge(f report.Format) *ingest.Config {
	c := probeIngestConfig(&probeOptions{format: f})
	c.Ports = []uint16{22}
	return c
}

// A reset forged in answer to the client's KEXINIT is repeated with the
// KEXINIT also when the server's KEXINIT crossed the client's on the way
// (the stage is then kex): the lab's probe-locate kexinit-r2-v4 did that
// under load, and repeating the banner found no hop.
func TestLocateTriggerByStage(t *testing.T) {
	for stage, want := range map[analyze.Stage]probe.Trigger{
		analyze.StageHandshake: probe.TriggerSYN,
		analyze.StageBanner:    probe.TriggerBanner,
		analyze.StageKexInit:   probe.TriggerKexInit,
		analyze.StageKex:       probe.TriggerKexInit,
	} {
		if got := session.Trigger(&analyze.Reset{Stage: stage}); got != want {
			t.Errorf("reset at the %v stage: trigger %v, want %v", stage, got, want)
		}
	}
}
