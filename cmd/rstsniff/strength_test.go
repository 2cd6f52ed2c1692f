package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// resetsPerFlow is every flow's resets.
func resetsPerFlow(t *testing.T, jsonl string) [][]jsonReset {
	t.Helper()
	var out [][]jsonReset
	for _, f := range jsonFlows(t, jsonl) {
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

// TestStrongVerdictsAgainstProof: every two-sided capture proves each
// reset's origin (--correlate: it left its sender or it did not); no
// strong verdict either capture gives alone may disagree with the proof.
func TestStrongVerdictsAgainstProof(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/pairs/*/server.pcap")
	if len(dirs) == 0 {
		t.Fatal("no two-sided captures")
	}
	checked := 0
	for _, sp := range dirs {
		dir := filepath.Dir(sp)
		files := [2]string{filepath.Join(dir, "client.pcap"), sp}
		out, _, _ := runCLI(t, "", "--correlate", "--format", "json", "-r", files[0], "-r", files[1])
		type proof struct {
			Fate   string `json:"fate"`
			Frames [2]int `json:"frames"`
		}
		var proofs []proof
		for _, p := range decodeLines[struct {
			Resets []proof `json:"resets"`
		}](t, out, "pair") {
			proofs = append(proofs, p.Resets...)
		}
		for i, f := range files {
			single, _, _ := runCLI(t, "", "-r", f, "--format", "json")
			for _, fl := range jsonFlows(t, single) {
				for _, r := range fl.Resets {
					if r.Strength != "strong" && r.Strength != "proof" {
						continue
					}
					for _, p := range proofs {
						if p.Frames[i] != r.Packet {
							continue
						}
						proven := map[string]string{"delivered": "endpoint", "dropped": "endpoint", "injected": "middlebox"}[p.Fate]
						if proven != "" {
							checked++
							if proven != r.Origin {
								t.Errorf("%s frame %d: a strong verdict %s, the two captures prove %s (%s)", f, r.Packet, r.Origin, proven, p.Fate)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d strong verdicts checked against two-capture proof", checked)
}
