package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/rstsniff/rstsniff/internal/ecscheck"
)

// TestECSEveryCapture writes every bundled capture as ECS documents and
// checks each against the ECS field definitions; the documents must match
// the JSON lines of the same capture: one per connection and one per
// reset, an alert exactly for the resets a device on the path forged.
func TestECSEveryCapture(t *testing.T) {
	pcaps, err := filepath.Glob("../../testdata/pcaps/*/capture.pcap")
	if err != nil || len(pcaps) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	total, totalAlerts := 0, 0
	for _, p := range pcaps {
		var ecs, js, stderr bytes.Buffer
		run(context.Background(), []string{"-r", p, "--format", "ecs"}, nil, &ecs, &stderr)
		run(context.Background(), []string{"-r", p, "--format", "json"}, nil, &js, &stderr)
		checkSchema(t, []string{"--format", "json"}, js.String())
		var flows, resets, forged int
		for _, line := range bytes.Split(bytes.TrimSpace(js.Bytes()), []byte("\n")) {
			var f struct {
				Type   string
				Resets json.RawMessage // a list in a flow, a count in the summary
			}
			var rs []struct{ Origin, Strength string }
			if err := json.Unmarshal(line, &f); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if f.Type != "flow" {
				continue
			}
			if err := json.Unmarshal(f.Resets, &rs); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			flows++
			for _, r := range rs {
				resets++
				// Forged on weak evidence alone is no alert (issue 24).
				if r.Origin == "middlebox" && (r.Strength == "strong" || r.Strength == "proof") {
					forged++
				}
			}
		}
		var conns, resetDocs, alerts int
		for i, line := range bytes.Split(bytes.TrimSpace(ecs.Bytes()), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			problems, _, err := ecscheck.Check(line, "rstsniff")
			if err != nil {
				t.Fatalf("%s line %d: %v", p, i+1, err)
			}
			for _, pr := range problems {
				t.Errorf("%s line %d: %s", p, i+1, pr)
			}
			var d struct {
				Event struct{ Kind, Dataset string }
			}
			if err := json.Unmarshal(line, &d); err != nil {
				t.Fatal(err)
			}
			switch d.Event.Dataset {
			case "rstsniff.connection":
				conns++
			case "rstsniff.reset":
				resetDocs++
				if d.Event.Kind == "alert" {
					alerts++
				}
			default:
				t.Errorf("%s line %d: event.dataset %q", p, i+1, d.Event.Dataset)
			}
		}
		if conns != flows || resetDocs != resets || alerts != forged {
			t.Errorf("%s: ECS has %d connections, %d resets, %d alerts; JSON %d flows, %d resets, %d forged",
				p, conns, resetDocs, alerts, flows, resets, forged)
		}
		total += conns + resetDocs
		totalAlerts += alerts
	}
	if totalAlerts == 0 {
		t.Error("no capture gave an alert: the lab's forged resets should")
	}
	t.Logf("%d captures, %d ECS documents (%d forged-reset alerts), every one valid", len(pcaps), total, totalAlerts)
}

func TestECSWithCorrelateRefused(t *testing.T) {
	var out, stderr bytes.Buffer
	code := exitStatus(run(context.Background(), []string{"--correlate", "-r", "../../testdata/pairs/inject/client.pcap",
		"-r", "../../testdata/pairs/inject/server.pcap", "--format", "ecs"}, nil, &out, &stderr), &stderr)
	if code != exitUsage || !bytes.Contains(stderr.Bytes(), []byte("--format ecs does not go with --correlate")) || out.Len() > 0 {
		t.Errorf("exit %d, stderr %q, stdout %d bytes", code, stderr.String(), out.Len())
	}
}
