package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// senderWords are the words the terminal uses for each sender in a
// verdict line ("reset during the banner stage: FORGED in the server's
// name by a device on the path (frame 5; ...)") and in the table's BY
// column. A weak verdict may add a qualifier before them (such as
// "possibly"), so the words are matched, not the whole phrase.
var senderWords = map[string]struct {
	line *regexp.Regexp
	cell *regexp.Regexp
}{
	"path":            {regexp.MustCompile(`(?i)forged in the (client|server)'s name by a device on the path`), regexp.MustCompile(`(?i)^forged`)},
	"server-firewall": {regexp.MustCompile(`by a firewall on the server's own host`), regexp.MustCompile(`^server-fw`)},
	"client-firewall": {regexp.MustCompile(`by a firewall on the client's own host`), regexp.MustCompile(`^client-fw`)},
	"server":          {regexp.MustCompile(`sent by the server itself|the SYN was answered by a reset from the server`), regexp.MustCompile(`^server$`)},
	"client":          {regexp.MustCompile(`sent by the client itself`), regexp.MustCompile(`^client$`)},
	"unknown":         {regexp.MustCompile(`who sent it cannot be told|the SYN was answered by a reset from the server`), regexp.MustCompile(`^(client|server)\?$`)},
}

// verdictLineRE picks a verdict line about a reset apart: the two
// endpoints, the words, and the frame of the reset that ended it.
var verdictLineRE = regexp.MustCompile(`^(?:\S+ )?\d\d:\d\d:\d\d\.\d{3} (\S+) -> (\S+) ((?:reset during|refused:).*?) \(frames? (\d+)`)

// The sender in --format json (and ECS) is the one the terminal's verdict
// line and table name, on every bundled capture: the JSON reset the line's
// frame points to carries the sender whose words the line uses.
func TestJSONSenderMatchesTerminal(t *testing.T) {
	seen := map[string]int{}
	for _, dir := range scenarios(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			pcap := filepath.Join(dir, "capture.pcap")
			extra := scenarioArgs(dir)
			js, errOut, code := runCLI(t, "", append([]string{"-r", pcap, "--format", "json", "--all"}, extra...)...)
			if code == exitUsage {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			flows := map[string]jsonFlow{}
			for _, f := range jsonFlows(t, js) {
				flows[f.Client+" "+f.Server] = f
			}
			ecsSenders := ecsResetSenders(t, pcap, extra)
			text, _, _ := runCLI(t, "", append([]string{"-r", pcap, "--all"}, extra...)...)
			cells := byColumn(text)
			for _, line := range strings.Split(text, "\n") {
				m := verdictLineRE.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				f, ok := flows[m[1]+" "+m[2]]
				if !ok {
					t.Errorf("no JSON flow for %s -> %s", m[1], m[2])
					continue
				}
				frame, _ := strconv.Atoi(m[4])
				var r *jsonReset
				for i := range f.Resets {
					if f.Resets[i].Packet == frame {
						r = &f.Resets[i]
					}
				}
				if r == nil {
					t.Errorf("%s: frame %d is no reset in the JSON flow", line, frame)
					continue
				}
				w, ok := senderWords[r.Sender]
				if !ok {
					t.Errorf("frame %d: JSON sender %q is not one of the contract's", frame, r.Sender)
					continue
				}
				// A refusal on weak evidence of forging is worded as the
				// server's (the verdict line names no weak suspicion there);
				// JSON keeps the sender analyzed and says "weak".
				weakRefusal := r.Strength == "weak" && strings.Contains(m[3], "the SYN was answered by a reset from the server")
				if !w.line.MatchString(m[3]) && !weakRefusal {
					t.Errorf("frame %d: JSON says sender %q (%s), the terminal says %q", frame, r.Sender, r.Strength, m[3])
				}
				if c, ok := cells[f.ID]; !ok || !w.cell.MatchString(c) {
					t.Errorf("frame %d: JSON says sender %q, the table's BY column says %q", frame, r.Sender, c)
				}
				if e := ecsSenders[frame]; e != r.Sender {
					t.Errorf("frame %d: JSON says sender %q, ECS says %q", frame, r.Sender, e)
				}
				seen[r.Sender]++
			}
		})
	}
	// The bundled captures hold each kind of verdict the terminal words
	// differently; a parse that matched nothing would pass vacuously.
	for _, s := range []string{"path", "server-firewall", "server", "client"} {
		if seen[s] == 0 {
			t.Errorf("no verdict line with sender %q compared (seen %v)", s, seen)
		}
	}
}

// byColumn reads the table's BY cell of each connection, by ID.
func byColumn(text string) map[int]string {
	out := map[int]string{}
	idCol, byCol := -1, -1
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cols := strings.Split(line, "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		if idCol < 0 {
			for i, c := range cols {
				switch c {
				case "ID":
					idCol = i
				case "BY":
					byCol = i
				}
			}
			continue
		}
		if byCol < 0 || len(cols) <= byCol {
			continue
		}
		if id, err := strconv.Atoi(cols[idCol]); err == nil {
			out[id] = cols[byCol]
		}
	}
	return out
}

// ecsResetSenders reads rstsniff.reset.sender of every reset document
// that --format ecs writes, by frame.
func ecsResetSenders(t *testing.T, pcap string, extra []string) map[int]string {
	t.Helper()
	out, errOut, code := runCLI(t, "", append([]string{"-r", pcap, "--format", "ecs", "--all"}, extra...)...)
	if code == exitUsage {
		t.Fatalf("ecs: exit %d: %s", code, errOut)
	}
	m := map[int]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var d struct {
			Rstsniff struct {
				Reset *struct {
					Packet int    `json:"packet"`
					Sender string `json:"sender"`
				} `json:"reset"`
			} `json:"rstsniff"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("ecs: bad JSON line: %v", err)
		}
		if r := d.Rstsniff.Reset; r != nil {
			m[r.Packet] = r.Sender
		}
	}
	return m
}
