package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Two-sided captures (testdata/pairs): the same connections recorded in
// the client's and the server's namespace at once while the router forged,
// dropped or changed packets, and a jump host's capture of both legs.

// pairFindings is what --correlate --format json says of one capture pair:
// the frames of each finding, by finding and capture (0 client side file,
// 1 server side file).
type pairFindings struct {
	pairs    int
	frames   map[string][2][]int
	changes  []string // modified-on-path summaries
	nat      string
	resets   []resetFate // per reset, in order
	jumps    []jumpGot
	hasClock bool
	offset   float64
	unseen   int
}

type jumpGot struct {
	First  int
	Failed [2]bool
	Leg2   string
}

func correlateJSON(t *testing.T, files ...string) pairFindings {
	t.Helper()
	args := []string{"--correlate", "--format", "json"}
	for _, f := range files {
		args = append(args, "-r", f)
	}
	out, errOut, code := runCLI(t, "", args...)
	if code == exitUsage {
		t.Fatalf("rstsniff %v: %s", args, errOut)
	}
	got := pairFindings{frames: map[string][2][]int{}}
	for _, v := range decodeLines[struct {
		NAT      string `json:"nat"`
		Findings []struct {
			ID      string   `json:"id"`
			Summary string   `json:"summary"`
			Frames  [2][]int `json:"frames"`
		} `json:"findings"`
		Resets []struct {
			From string `json:"from"`
			Fate string `json:"fate"`
		} `json:"resets"`
		Packets map[string]int `json:"packets"`
	}](t, out, "pair") {
		got.pairs++
		got.nat = v.NAT
		for _, f := range v.Findings {
			fr := got.frames[f.ID]
			fr[0], fr[1] = append(fr[0], f.Frames[0]...), append(fr[1], f.Frames[1]...)
			got.frames[f.ID] = fr
			if f.ID == "modified-on-path" {
				got.changes = append(got.changes, f.Summary)
			}
		}
		for _, r := range v.Resets {
			got.resets = append(got.resets, resetFate{r.From, r.Fate})
		}
		got.unseen += v.Packets["unseen"]
	}
	for _, v := range decodeLines[struct {
		Legs [2]struct {
			Failed bool   `json:"failed"`
			Server string `json:"server"`
		} `json:"legs"`
		First int `json:"first_to_end"`
	}](t, out, "jump") {
		got.jumps = append(got.jumps, jumpGot{v.First, [2]bool{v.Legs[0].Failed, v.Legs[1].Failed}, v.Legs[1].Server})
	}
	for _, v := range decodeLines[struct {
		Offset *float64 `json:"clock_offset_seconds"`
	}](t, out, "correlation-summary") {
		got.hasClock = v.Offset != nil
		if v.Offset != nil {
			got.offset = *v.Offset
		}
	}
	return got
}

// pairWant is what the router did, written by hand from tcpdump of both
// captures and the router's counters (see each case's README.md).
type pairWant struct {
	frames  map[string][2][]int
	changes []string // substrings of the modified-on-path findings
	nat     bool
	resets  []resetFate
}

// resetFate is which side a reset came in the name of and what became of
// it between the two captures.
type resetFate struct {
	From string
	Fate string
}

var pairTruth = map[string]pairWant{
	// REJECT on the client's banner: the banner (client.pcap 4) never
	// arrives, the RST (client.pcap 5) never left the server; the client's
	// own RST for the late server banner (client.pcap 7) is real.
	"reject-banner": {frames: map[string][2][]int{
		"dropped-on-path": {{4}, nil}, "forged-on-path": {{5}, nil}},
		resets: []resetFate{{From: "server", Fate: "injected"}, {From: "client", Fate: "delivered"}}},
	// The injector sends 3 RSTs each way and drops nothing.
	"inject": {frames: map[string][2][]int{"forged-on-path": {{6, 7, 8}, {6, 7, 8}}},
		resets: []resetFate{{From: "server", Fate: "injected"}, {From: "client", Fate: "injected"}, {From: "server", Fate: "injected"}, {From: "client", Fate: "injected"}, {From: "server", Fate: "injected"}, {From: "client", Fate: "injected"}}},
	// TCPMSS --set-mss 1200 on SYN and SYN-ACK, nothing else touched.
	"mss-clamp": {frames: map[string][2][]int{"modified-on-path": {{1, 2}, {1, 2}}},
		changes: []string{"MSS 1460 -> 1200", "MSS 1460 -> 1200"}},
	// The server's 1088-byte KEXINIT and its 5 retransmissions (server.pcap
	// 10-15) are dropped: the router's DROP counter says 6.
	"drop-large": {frames: map[string][2][]int{"dropped-on-path": {nil, {10, 11, 12, 13, 14, 15}}}},
	// reject-banner over IPv6 (ip6tables REJECT).
	"ipv6": {frames: map[string][2][]int{
		"dropped-on-path": {{4}, nil}, "forged-on-path": {{5}, nil}},
		resets: []resetFate{{From: "server", Fate: "injected"}, {From: "client", Fate: "delivered"}}},
	// SNAT to 203.0.113.1 with random ports, and the REJECT of reject-banner.
	"nat": {frames: map[string][2][]int{
		"dropped-on-path": {{4}, nil}, "forged-on-path": {{5}, nil}}, nat: true,
		resets: []resetFate{{From: "server", Fate: "injected"}, {From: "client", Fate: "delivered"}}},
}

func checkPair(t *testing.T, name string, got pairFindings) {
	t.Helper()
	want := pairTruth[name]
	if got.pairs != 1 {
		t.Errorf("%d connections matched across the captures, want 1", got.pairs)
	}
	if !got.hasClock {
		t.Error("no clock offset estimated")
	}
	for id, fr := range want.frames {
		if g := got.frames[id]; !slices.Equal(g[0], fr[0]) || !slices.Equal(g[1], fr[1]) {
			t.Errorf("%s frames %v, want %v", id, g, fr)
		}
	}
	for id, fr := range got.frames {
		if _, ok := want.frames[id]; !ok {
			t.Errorf("unexpected %s: %v", id, fr)
		}
	}
	if len(got.changes) != len(want.changes) {
		t.Errorf("changes %q, want %q", got.changes, want.changes)
	}
	for i, c := range want.changes {
		if i < len(got.changes) && !strings.Contains(got.changes[i], c) {
			t.Errorf("change %q does not say %q", got.changes[i], c)
		}
	}
	if (got.nat != "") != want.nat {
		t.Errorf("NAT %q, want NAT %v", got.nat, want.nat)
	}
	if !slices.Equal(got.resets, want.resets) && !(len(got.resets) == 0 && len(want.resets) == 0) {
		t.Errorf("resets %+v, want %+v", got.resets, want.resets)
	}
}

func checkJump(t *testing.T, got pairFindings) {
	t.Helper()
	// The target's REJECT answered the jump host: leg 2 was reset first
	// (from 203.0.113.2), leg 1 ended after it.
	if len(got.jumps) != 1 {
		t.Fatalf("jumps %+v, want one", got.jumps)
	}
	j := got.jumps[0]
	if j.First != 2 || !j.Failed[1] || j.Leg2 != "203.0.113.2:22" {
		t.Errorf("jump %+v, want leg 2 (to 203.0.113.2:22) failed and ended first", j)
	}
}

func pairFiles(dir string) []string {
	if _, err := os.Stat(filepath.Join(dir, "jump.pcap")); err == nil {
		return []string{filepath.Join(dir, "jump.pcap")}
	}
	return []string{filepath.Join(dir, "client.pcap"), filepath.Join(dir, "server.pcap")}
}

func TestPairsTruth(t *testing.T) {
	for name := range pairTruth {
		t.Run(name, func(t *testing.T) {
			checkPair(t, name, correlateJSON(t, pairFiles(filepath.Join("../../testdata/pairs", name))...))
		})
	}
	t.Run("jump-leg2-reset", func(t *testing.T) {
		checkJump(t, correlateJSON(t, pairFiles("../../testdata/pairs/jump-leg2-reset")...))
	})
}

// counter reads the packet count of the iptables rule whose line matches re.
func counter(t *testing.T, path, re string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if regexp.MustCompile(re).MatchString(l) {
			n, err := strconv.Atoi(strings.Fields(l)[0])
			if err != nil {
				t.Fatalf("%s: %q", path, l)
			}
			return n
		}
	}
	t.Fatalf("%s: no rule matching %q", path, re)
	return 0
}

// TestLabPairs makes the two-sided captures again and checks rstsniff
// against what the router's own counters and the injector's log say it
// did: one forged RST and one dropped banner per REJECT, one changed SYN
// per TCPMSS hit, one lost packet per DROP hit.
func TestLabPairs(t *testing.T) {
	needLab(t, "ss")
	out := keptDir(t, "rstsniff-pairs-")
	b, err := exec.Command("bash", "../../testdata/lab/lab.sh", out, "pairs").CombinedOutput()
	if err != nil {
		t.Fatalf("lab.sh: %v\n%s", err, b)
	}
	count := func(l []int) int { return len(l) }
	for _, c := range []struct{ name, dir string }{
		{"reject-banner", "pair-reject-banner"}, {"inject", "pair-inject"}, {"mss-clamp", "pair-mss-clamp"},
		{"drop-large", "pair-drop-large"}, {"nat", "pair-nat"}, {"ipv6", "pair-ipv6"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(out, c.dir)
			got := correlateJSON(t, pairFiles(dir)...)
			checkPair(t, c.name, withFreshFrames(got, pairTruth[c.name]))
			router := filepath.Join(dir, "router.txt")
			switch c.name {
			case "reject-banner", "nat", "ipv6":
				n := counter(t, router, "REJECT")
				if count(got.frames["forged-on-path"][0]) != n || count(got.frames["dropped-on-path"][0]) != n {
					t.Errorf("REJECT hit %d times; forged %v, dropped %v", n, got.frames["forged-on-path"], got.frames["dropped-on-path"])
				}
				if c.name == "nat" && counter(t, router, "SNAT") < 1 {
					t.Error("the SNAT rule was never hit")
				}
			case "inject":
				log, _ := os.ReadFile(filepath.Join(dir, "inject.txt"))
				var n int
				if _, err := fmt.Sscanf(strings.TrimPrefix(string(log), "inject: "), "%d resets each way", &n); err != nil {
					t.Fatalf("inject.txt: %q", log)
				}
				fr := got.frames["forged-on-path"]
				if len(fr[0]) != n || len(fr[1]) != n {
					t.Errorf("the injector sent %d each way; forged %v", n, fr)
				}
			case "mss-clamp":
				if n := counter(t, router, "TCPMSS"); len(got.changes) != n {
					t.Errorf("TCPMSS hit %d times; changes %q", n, got.changes)
				}
			case "drop-large":
				if n := counter(t, router, "DROP"); count(got.frames["dropped-on-path"][1]) != n {
					t.Errorf("DROP hit %d times; dropped %v", n, got.frames["dropped-on-path"])
				}
			}
		})
	}
	t.Run("jump-leg2-reset", func(t *testing.T) {
		dir := filepath.Join(out, "jump-leg2-reset")
		if n := counter(t, filepath.Join(dir, "target.txt"), "REJECT"); n < 1 {
			t.Fatal("the target's REJECT was never hit")
		}
		checkJump(t, correlateJSON(t, pairFiles(dir)...))
	})
}

// withFreshFrames keeps the finding kinds and counts of a fresh capture
// but takes the frame numbers the truth table expects where the counts
// agree: a new run numbers its frames the same way only by luck (the
// injector's third reset may come before or after a real packet).
func withFreshFrames(got pairFindings, want pairWant) pairFindings {
	for id, fr := range got.frames {
		w, ok := want.frames[id]
		if ok && len(fr[0]) == len(w[0]) && len(fr[1]) == len(w[1]) {
			got.frames[id] = w
		}
	}
	return got
}

// rewrite copies a capture, keeping the frames keep says yes to and
// moving every timestamp by shift: another host's clock, or a capture
// stopped early.
func rewrite(t *testing.T, in, out string, shift time.Duration, keep func(n int) bool) {
	t.Helper()
	all := readFrames(t, in)
	var frames []tframe
	for i, f := range all {
		if keep == nil || keep(i+1) {
			f.ts = f.ts.Add(shift)
			frames = append(frames, f)
		}
	}
	if err := os.WriteFile(out, encodePcap(frames, binary.LittleEndian, true, all[0].link, 262144), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The server's clock may be far off the client's: the offset is measured
// and the verdicts do not change.
func TestPairsClockOffset(t *testing.T) {
	for _, shift := range []time.Duration{3250 * time.Millisecond, -41*time.Second - 7*time.Millisecond} {
		for name := range pairTruth {
			dir := filepath.Join("../../testdata/pairs", name)
			server := filepath.Join(t.TempDir(), "server.pcap")
			rewrite(t, filepath.Join(dir, "server.pcap"), server, shift, nil)
			got := correlateJSON(t, filepath.Join(dir, "client.pcap"), server)
			checkPair(t, name, got)
			off := got.offset - shift.Seconds()
			if off < -100e-6 || off > 100e-6 {
				t.Errorf("%s shifted %v: offset measured %.6fs", name, shift, got.offset)
			}
		}
	}
}

// Packets sent after the other capture stopped are not called dropped, nor
// the path clean: they are counted as absent after that capture's end
// (issue 20, item 6), all of them in the capture that has them.
func TestPairsCaptureStoppedEarly(t *testing.T) {
	dir := "../../testdata/pairs/drop-large"
	client := filepath.Join(t.TempDir(), "client.pcap")
	// The client's capture stops after frame 9, before the server's
	// KEXINIT (server.pcap 10) left.
	rewrite(t, filepath.Join(dir, "client.pcap"), client, 0, func(n int) bool { return n <= 9 })
	got := correlateJSON(t, client, filepath.Join(dir, "server.pcap"))
	abs := got.frames["absent-after-capture"]
	if len(got.frames) != 1 || len(abs[0]) != 0 || len(abs[1]) != 8 {
		t.Errorf("findings %v after the client's capture stopped, want only absent-after-capture, server.pcap's 8 packets", got.frames)
	}
	if got.unseen != 8 { // server.pcap 10-15 and 17, and the client's FIN (16)
		t.Errorf("%d packets outside the other capture, want 8", got.unseen)
	}
}

// Capture names are shown in every format: a name with escapes and markup
// stays inert.
func TestPairsHostileNames(t *testing.T) {
	dir := t.TempDir()
	names := []string{filepath.Join(dir, "c\x1b[31m<b>x|`.pcap"), filepath.Join(dir, "s\u202e&amp;.pcap")}
	for i, src := range []string{"client.pcap", "server.pcap"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/pairs/nat", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(names[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{"table", "json", "markdown", "html"} {
		out, errOut, code := runCLI(t, "", "--correlate", "--format", format, "-r", names[0], "-r", names[1])
		if code != exitAbnormal {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\u202e") {
			t.Errorf("%s: raw escape or override in the output", format)
		}
		if format == "html" && strings.Contains(out, "<b>") {
			t.Errorf("html: markup from a file name")
		}
		if format == "markdown" {
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "| RST") && strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") != 6 {
					t.Errorf("markdown: a file name broke the table: %q", l)
				}
			}
		}
	}
}

// A connection where nothing happened on the path and nothing was reset is
// counted, not listed, unless --all.
func TestPairsQuietNotListed(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../../testdata/pcaps/clean/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	a, c := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	for _, f := range []string{a, c} {
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, code := runCLI(t, "", "--correlate", "-r", a, "-r", c)
	if code != exitOK || strings.Contains(out, "Connection 1:") || !strings.Contains(out, "1 connection in both captures with nothing on the path and no reset (--all lists them)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, _ = runCLI(t, "", "--correlate", "--all", "-r", a, "-r", c)
	if !strings.Contains(out, "Connection 1:") || strings.Contains(out, "--all lists them") {
		t.Errorf("--all:\n%s", out)
	}
}
