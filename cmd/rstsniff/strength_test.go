package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// strengthReset is every reset's side, origin and strength, per flow.
type strengthReset struct {
	From     string `json:"from"`
	Origin   string `json:"origin"`
	Strength string `json:"strength"`
}

func resetsPerFlow(t *testing.T, jsonl string) [][]strengthReset {
	t.Helper()
	var out [][]strengthReset
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), `{"type":"flow"`) {
			continue
		}
		var f struct {
			Resets []strengthReset `json:"resets"`
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, f.Resets)
	}
	return out
}

// TestStrongVerdictsRight (issue 20, item 7): over every lab capture, no
// strong (or proof) origin verdict disagrees with what the lab did; over
// every external capture (Zeek's and suricata-verify's, none made with
// an injector), no strong verdict calls a reset forged.
func TestStrongVerdictsRight(t *testing.T) {
	count := map[string]int{}
	for _, dir := range scenarios(t) {
		name := filepath.Base(dir)
		truth, ok := labTruth[name]
		if !ok {
			continue
		}
		out, _, _ := runCLI(t, "", append([]string{"-r", filepath.Join(dir, "capture.pcap"), "--format", "json"}, scenarioArgs(dir)...)...)
		flows := resetsPerFlow(t, out)
		if len(flows) != len(truth.flows) {
			t.Fatalf("%s: %d flows, want %d", name, len(flows), len(truth.flows))
		}
		for i, rs := range flows {
			for j, r := range rs {
				count["lab "+r.Origin+" "+r.Strength]++
				if r.Strength != "strong" && r.Strength != "proof" {
					continue
				}
				right := false
				for _, v := range truth.flows[i] {
					if bySide[name] {
						right = right || strings.Contains(v.Origins, r.From+":"+r.Origin)
					} else if o := strings.Split(v.Origins, ","); j < len(o) {
						right = right || o[j] == r.Origin
					}
				}
				if !right {
					t.Errorf("%s flow %d reset %d: a %s verdict %s, which the lab did not do", name, i+1, j+1, r.Strength, r.Origin)
				}
			}
		}
	}

	raw, err := os.ReadFile("../../testdata/external/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		File        string           `json:"file"`
		Connections []map[string]any `json:"connections"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ports := []string{"22"}
		for _, c := range e.Connections {
			if s, ok := c["server"].(string); ok {
				if p, err := strconv.Atoi(s[strings.LastIndex(s, ":")+1:]); err == nil && !slices.Contains(ports, strconv.Itoa(p)) {
					ports = append(ports, strconv.Itoa(p))
				}
			}
		}
		out, _, _ := runCLI(t, "", "-r", filepath.Join("../../testdata/external", e.File), "--format", "json", "--ports", strings.Join(ports, ","))
		for i, rs := range resetsPerFlow(t, out) {
			for j, r := range rs {
				count["external "+r.Origin+" "+r.Strength]++
				if (r.Strength == "strong" || r.Strength == "proof") && r.Origin != "endpoint" {
					t.Errorf("%s flow %d reset %d: a %s verdict %s in a capture made without an injector", e.File, i+1, j+1, r.Strength, r.Origin)
				}
			}
		}
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%s: %d", k, count[k])
	}
}
