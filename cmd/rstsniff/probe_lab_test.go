package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/internal/schematest"
)

// probeTruth is what the lab did in each probe case (lab.sh, case_probe-*),
// written from its configuration, not from rstsniff's output: the verdict
// of each connection in the probe's own capture (alternatives where a race
// decides), how far each connection's socket got, and the exit status.
var probeTruth = map[string]struct {
	flows [][]verdict   // per flow in order; nil: no capture
	steps [][]probeStep // per probe connection: the acceptable steps
	exit  string
}{
	// Nothing in the way: the probe closes each connection after sshd
	// refused the large key (stage auth: keys in use, no login).
	"probe-clean": {flows: [][]verdict{probeClosed, probeClosed, probeClosed},
		steps: [][]probeStep{{{Reached: "done"}}, {{Reached: "done"}}, {{Reached: "done"}}}, exit: "exit 0"},
	// The router forges a RST for the client's banner; the server's own
	// banner then meets a closed socket (or, under load, comes first).
	"probe-reject-banner": {flows: [][]verdict{labTruth["reject-banner"].flows[0], labTruth["reject-banner"].flows[0]},
		steps: [][]probeStep{{{Reached: "tcp", Error: "reset"}, {Reached: "banner", Error: "reset"}}, {{Reached: "tcp", Error: "reset"}, {Reached: "banner", Error: "reset"}}}, exit: "exit 1"},
	// -m recent lets three SYNs through a minute; the router answers later
	// ones with a RST in the server's name.
	"probe-rate-limit": {flows: [][]verdict{probeClosed, probeClosed, probeClosed, labTruth["rate-limit"].flows[3], labTruth["rate-limit"].flows[3]},
		steps: [][]probeStep{{{Reached: "done"}}, {{Reached: "done"}}, {{Reached: "done"}}, {{Reached: "none", Error: "refused"}}, {{Reached: "none", Error: "refused"}}}, exit: "exit 1"},
	// Three at once to MaxStartups 1: one goes through, sshd drops two
	// ("Exceeded MaxStartups"). Which of the three is up to accept order:
	// checked apart (checkMaxStartups).
	"probe-maxstartups": {exit: "exit 1"},
	// Packets over 576 bytes are lost between the routers and no ICMP
	// comes back: the client's KEXINIT (1136 bytes) is never acknowledged,
	// and nothing comes back either (both routers' ICMP is dropped): an MTU
	// black hole, which the analysis names since issue 20 (item 4); the
	// check connection with MSS 536 gets through.
	"probe-mtu-blackhole": {flows: [][]verdict{{{Stage: "kexinit", Outcome: "timeout", Findings: "mtu-blackhole"}, {Stage: "kexinit", Outcome: "open", Findings: "mtu-blackhole"}}, probeClosed},
		steps: [][]probeStep{{{Reached: "banner", Error: "timeout"}, {Reached: "tcp", Error: "timeout"}, {Reached: "kexinit", Error: "timeout"}}, {{Reached: "done"}}}, exit: "exit 1"},
	// No sshd: the server's kernel answers each SYN with a RST.
	"probe-refused": {flows: [][]verdict{probeRefused, probeRefused},
		steps: [][]probeStep{{{Reached: "none", Error: "refused"}}, {{Reached: "none", Error: "refused"}}}, exit: "exit 1"},
	// The router drops the SYN and its retransmissions.
	"probe-syn-drop": {flows: [][]verdict{labTruth["syn-drop"].flows[0]}, steps: [][]probeStep{{{Reached: "none", Error: "timeout"}}}, exit: "exit 1"},
	// The server's firewall answers the SYN with ICMP host prohibited.
	"probe-icmp-reject": {flows: [][]verdict{labTruth["icmp-reject"].flows[0]}, steps: [][]probeStep{{{Reached: "none", Error: "unreachable"}}}, exit: "exit 1"},
	// The router resets the handshake's ACK in the server's name; the
	// socket may learn of it before connect returns.
	"probe-post-handshake": {flows: [][]verdict{labTruth["post-handshake"].flows[0]}, steps: [][]probeStep{{{Reached: "none", Error: "reset"}, {Reached: "tcp", Error: "reset"}}}, exit: "exit 1"},
	// As nobody there is no capture: only the sockets' view.
	"probe-nobody": {steps: [][]probeStep{{{Reached: "tcp", Error: "reset"}, {Reached: "banner", Error: "reset"}}, {{Reached: "tcp", Error: "reset"}, {Reached: "banner", Error: "reset"}}}, exit: "exit 1"},
}

// probeStep is how far a probe connection's socket got, and the error that
// stopped it ("" when every step was done).
type probeStep struct {
	Reached string
	Error   string
}

var probeClosed = []verdict{{Stage: "auth", Outcome: "closed", ClosedBy: "client"}}

// A RST to a SYN from the server itself: genuine, or not judged for want
// of a baseline; never forged.
var probeRefused = []verdict{{Stage: "handshake", Outcome: "refused", ClosedBy: "server", FirstReset: "server@handshake", Origins: "unknown", Findings: "refused"},
	{Stage: "handshake", Outcome: "refused", ClosedBy: "server", FirstReset: "server@handshake", Origins: "endpoint", Findings: "refused"}}

// probeLocateTruth: the router lab.sh made forge the reset, by run name
// (trigger, router, IP version), as the hop and address --locate must name.
var probeLocateTruth = map[string]struct {
	trigger string
	hop     int
	addr    string
}{
	"banner-r1-v4":  {"banner", 1, "198.51.100.1"},
	"banner-r2-v4":  {"banner", 2, "192.0.2.2"},
	"syn-r1-v4":     {"syn", 1, "198.51.100.1"},
	"syn-r2-v4":     {"syn", 2, "192.0.2.2"},
	"banner-r1-v6":  {"banner", 1, "2001:db8:1::1"},
	"banner-r2-v6":  {"banner", 2, "2001:db8:3::2"},
	"syn-r1-v6":     {"syn", 1, "2001:db8:1::1"},
	"syn-r2-v6":     {"syn", 2, "2001:db8:3::2"},
	"kexinit-r2-v4": {"kexinit", 2, "192.0.2.2"},
	"kexinit-r1-v6": {"kexinit", 1, "2001:db8:1::1"},
}

type probeLine struct {
	Type      string   `json:"type"`
	N         int      `json:"n"`
	Reached   string   `json:"reached"`
	Error     string   `json:"error"`
	PreBanner []string `json:"pre_banner"`
	Banner    string   `json:"banner"`
	HostKey   string   `json:"host_key"`
	HASSH     string   `json:"hassh"`
	Server    string   `json:"hassh_server"`
	LargeSent int      `json:"large_sent"`
	MSS       int      `json:"mss"`
	BlackHole bool     `json:"black_hole"`
	// locate
	Trigger string `json:"trigger"`
	Hop     int    `json:"hop"`
	HopAddr string `json:"hop_addr"`
}

func probeLines(t *testing.T, jsonl, typ string) []probeLine {
	t.Helper()
	return decodeLines[probeLine](t, jsonl, typ)
}

// TestProbeLab runs `rstsniff probe` in the lab's client namespace against
// the real sshd (lab.sh cases probe-*) and checks each case against
// probeTruth. Needs root.
func TestProbeLab(t *testing.T) {
	needLab(t, "runuser")
	bin := buildRstsniff(t)
	out := keptDir(t, "rstsniff-probe-")
	cmd := exec.Command("bash", "../../testdata/lab/lab.sh", out, "probes")
	cmd.Env = append(os.Environ(), "RSTSNIFF="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab.sh probes: %v\n%s", err, b)
	}
	read := func(t *testing.T, dir, name string) string {
		b, err := os.ReadFile(filepath.Join(out, dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, truth := range probeTruth {
		t.Run(name, func(t *testing.T) {
			got := read(t, name, "probe.jsonl")
			schematest.Lines(t, got)
			if exit := strings.TrimSpace(read(t, name, "probe.exit")); exit != truth.exit {
				t.Errorf("%s, want %s; stderr:\n%s", exit, truth.exit, read(t, name, "probe.err"))
			}
			if truth.flows != nil {
				checkProbeFlows(t, parseVerdicts(t, got, false), truth.flows)
			}
			lines := probeLines(t, got, "probe")
			if truth.steps != nil {
				if len(lines) != len(truth.steps) {
					t.Fatalf("%d probe connections, want %d:\n%s", len(lines), len(truth.steps), got)
				}
				for i, alts := range truth.steps {
					if s := (probeStep{lines[i].Reached, lines[i].Error}); !slices.Contains(alts, s) {
						t.Errorf("connection %d reached %+v, want one of %+v", i+1, s, alts)
					}
				}
			}
			switch name {
			case "probe-clean":
				checkProbeServer(t, got, lines)
				// --format html: one report on standard output, with what the
				// sockets saw and the probe command typed as its command line.
				html, side := read(t, name, "probe.html"), read(t, name, "probe-html.err")
				if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "No connection was reset") || !strings.HasSuffix(strings.TrimSpace(html), "</html>") ||
					!strings.Contains(html, "every step done") || !strings.Contains(html, "<code>rstsniff probe --count 1 --format html ") ||
					side != "" || strings.TrimSpace(read(t, name, "probe-html.exit")) != "exit 0" {
					t.Errorf("--format html: stderr %q, report:\n%.300s", side, html)
				}
			case "probe-maxstartups":
				checkMaxStartups(t, got, lines)
			case "probe-mtu-blackhole":
				m := probeLines(t, got, "probe-mtu")
				if len(m) != 1 || !m[0].BlackHole || lines[1].MSS != 536 {
					t.Errorf("MTU check %+v (connection 2 MSS %d), want a black hole proven with MSS 536", m, lines[1].MSS)
				}
			case "probe-nobody":
				note := "whether a reset was forged cannot be judged without CAP_NET_RAW"
				if e := read(t, name, "probe.err"); strings.Count(e, note) != 1 || strings.Count(e, "\n") != 1 {
					t.Errorf("stderr as nobody, want the one-line note:\n%s", e)
				}
				if strings.Contains(got, `"type":"flow"`) {
					t.Errorf("flows without a capture:\n%s", got)
				}
				if tbl := read(t, name, "probe-table.txt"); !strings.Contains(tbl, "#1 198.51.100.2:") || !strings.Contains(tbl, "reset (RST)") {
					t.Errorf("table as nobody:\n%s", tbl)
				}
			}
		})
	}
	t.Run("probe-locate", func(t *testing.T) {
		for run, want := range probeLocateTruth {
			got := read(t, "probe-locate", run+".jsonl")
			schematest.Lines(t, got)
			loc := probeLines(t, got, "locate")
			if len(loc) != 1 || loc[0].Trigger != want.trigger || loc[0].Hop != want.hop || loc[0].HopAddr != want.addr {
				t.Errorf("%s: locate %+v, want trigger %s, hop %d (%s)\n%s", run, loc, want.trigger, want.hop, want.addr, read(t, "probe-locate", run+".err"))
			}
		}
		// The server's own iptables reset the banner (lab.sh): --locate
		// must not run, and says why.
		got := read(t, "probe-locate", "host-firewall.jsonl")
		schematest.Lines(t, got)
		var why []string
		for _, v := range decodeLines[struct{ Reason, Sender string }](t, got, "locate-not-run") {
			why = append(why, v.Reason+"/"+v.Sender)
		}
		if len(probeLines(t, got, "locate")) != 0 || len(why) != 1 || why[0] == "no-reset/" || strings.HasSuffix(why[0], "/path") {
			t.Errorf("host firewall: --locate ran or said nothing of why it did not (%v):\n%s", why, got)
		}
		t.Logf("host firewall: --locate not run: %v", why)
	})
}

func checkProbeFlows(t *testing.T, got []verdict, want [][]verdict) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d flows, want %d: %+v", len(got), len(want), got)
	}
	for i, alts := range want {
		if !slices.ContainsFunc(alts, func(v verdict) bool { return reflect.DeepEqual(v, got[i]) }) {
			t.Errorf("flow %d: %+v, want one of %+v", i+1, got[i], alts)
		}
	}
}

// checkProbeServer: what the probe says of the server is what lab.sh set
// up (OpenSSH, an ed25519 host key) and what the capture says (HASSHes).
func checkProbeServer(t *testing.T, jsonl string, lines []probeLine) {
	t.Helper()
	var hassh [][2]string // the analysis's, from the capture: a second implementation
	for _, f := range jsonFlows(t, jsonl) {
		hassh = append(hassh, [2]string{f.Algorithms.Client, f.Algorithms.Server})
	}
	if len(hassh) != len(lines) {
		t.Fatalf("%d flows for %d probe connections", len(hassh), len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l.Banner, "SSH-2.0-OpenSSH_") || !strings.HasPrefix(l.HostKey, "SHA256:") || l.LargeSent < 1460 {
			t.Errorf("connection %d: %+v", l.N, l)
		}
		if len(l.HASSH) != 32 || hassh[i] != [2]string{l.HASSH, l.Server} {
			t.Errorf("connection %d: HASSH %s, server %s; the capture's %v", l.N, l.HASSH, l.Server, hassh[i])
		}
	}
}

// checkMaxStartups: of three connections at once to MaxStartups 1, one
// goes through and sshd drops the other two before its banner.
func checkMaxStartups(t *testing.T, jsonl string, lines []probeLine) {
	t.Helper()
	vs := parseVerdicts(t, jsonl, false)
	alts := labTruth["maxstartups"].flows[1]
	var through, dropped int
	for _, v := range vs {
		switch {
		case reflect.DeepEqual(v, probeClosed[0]):
			through++
		case slices.Contains(alts, v):
			dropped++
		default:
			t.Errorf("flow %+v is neither through nor dropped by MaxStartups", v)
		}
	}
	if through != 1 || dropped != 2 {
		t.Errorf("%d through and %d dropped, want 1 and 2: %+v", through, dropped, vs)
	}
	var done, told int
	for _, l := range lines {
		if l.Reached == "done" {
			done++
		}
		if slices.Contains(l.PreBanner, "Exceeded MaxStartups") && l.Error != "" {
			told++
		}
	}
	if len(lines) != 3 || done != 1 || told != 2 {
		t.Errorf("sockets: %+v, want one done and two told \"Exceeded MaxStartups\"", lines)
	}
}

// TestProbeNamesFirewallRule (issue 30): the probing host's own INPUT rule
// answers the server's SYN-ACKs with resets in the client's name (lab case
// probe-client-firewall; iptables-nft, so the rule has a counter). The
// probe asks its host's kernel, quietly: every reset is the client's
// firewall's, with that rule named, and nothing extra on stderr.
func TestProbeNamesFirewallRule(t *testing.T) {
	needLab(t, "nft")
	bin := buildRstsniff(t)
	out := keptDir(t, "rstsniff-probe-fw-")
	cmd := exec.Command("bash", "../../testdata/lab/lab.sh", out, "probe-client-firewall")
	cmd.Env = append(os.Environ(), "RSTSNIFF="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab.sh probe-client-firewall: %v\n%s", err, b)
	}
	dir := filepath.Join(out, "probe-client-firewall")
	b, err := os.ReadFile(filepath.Join(dir, "probe.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	schematest.Lines(t, string(b))
	if e, _ := os.ReadFile(filepath.Join(dir, "probe.err")); len(e) != 0 {
		t.Errorf("stderr %q, want nothing", e)
	}
	resets, firewall := 0, 0
	for _, f := range jsonFlows(t, string(b)) {
		for _, r := range f.Resets {
			resets++
			// The packets tell the firewall only while a SYN follows the
			// reset (the socket kept going); the last reset has none after
			// it, and there the kernel says more than the packets.
			if r.Sender == "client-firewall" {
				firewall++
			}
			if r.From != "client" {
				t.Errorf("reset from %s, want the client's name", r.From)
			}
			if r.Kernel == nil || r.Kernel.Sender != "firewall" || r.Kernel.Rule == nil || r.Kernel.Rule.Status != "named" ||
				len(r.Kernel.Rule.Candidates) != 1 || r.Kernel.Rule.Candidates[0].Chain != "INPUT" || r.Kernel.Rule.Candidates[0].Verdict != "reject" {
				t.Errorf("kernel %+v, want the firewall, rule INPUT reject named", r.Kernel)
			}
		}
	}
	if resets == 0 || firewall == 0 {
		t.Fatalf("%d resets, %d judged the client's firewall's:\n%s", resets, firewall, b)
	}
}
