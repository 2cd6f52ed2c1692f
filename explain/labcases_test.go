package explain

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// want is what one ssh run of a lab case did, written from what the lab
// configured (testdata/lab/lab.sh and each case's README.md), not from
// rstsniff's output.
type want struct {
	kind  Kind          // KindNone: ssh printed no error this run
	stage analyze.Stage // the stage the lab broke the connection at
	cause string        // the name of the finding naming what the lab did; "" for none
}

var none = want{}

// labTruth: per case, one entry per ssh run (client.txt holds each run's
// output followed by "exit N").
var labTruth = map[string][]want{
	"clean":          {none},
	"any":            {none},
	"ipv6":           {none},
	"port2222":       {none},
	"lossy-transfer": {none},
	"client-abort":   {none}, // the lab's abort program, not ssh
	"mtu-blackhole":  {none}, // timeout killed ssh; it printed nothing
	// The same, with both KEXINITs lost.
	"mtu-blackhole-both": {none},
	// Both ways, with the client's default KEXINIT: the same silence.
	"mtu-blackhole-twoway": {none},
	// The injector's late reset was ignored: the login succeeded.
	"inject-late": {none},
	// sshd closed before the client's banner arrived; ssh read its line and
	// the FIN: "Connection closed by remote host".
	"maxstartups-late": {{KindIdentClosed, analyze.StageBanner, analyze.FindCloseBeforeBan.String()}},
	// bash, not ssh, held the connection: client.txt is empty.
	"midstream-grace": {},
	// The lab's injector forges resets in the server's name from the
	// router when the client's banner passes (issue 20's fingerprints).
	"fp-gfw-triple":   {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	"fp-intang-type1": {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	"fp-intang-type2": {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	"fp-ip-id-copied": {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	// The router resets the first banner, then refuses the next SYNs in
	// the server's name for 8 s; the fourth login is after that.
	"residual-block": {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()},
		{KindConnect, analyze.StageHandshake, analyze.FindResidualBlock.String()},
		{KindConnect, analyze.StageHandshake, analyze.FindResidualBlock.String()}, none},
	// ssh offered a key the server does not accept: no network cause.
	"authfail": {{KindAuthDenied, analyze.StageAuth, ""}},
	// The fake server reset its own socket (SO_LINGER 0) after the banners.
	"hostile-banner": {{KindResetBy, analyze.StageKex, analyze.FindServerReset.String()}},
	// iptables REJECT icmp-host-prohibited, plain REJECT (port
	// unreachable), ip6tables icmp6-adm-prohibited, a router's unreachable
	// route: four ICMP errors.
	"icmp-reject": {
		{KindConnect, analyze.StageHandshake, analyze.FindICMPUnreachable.String()},
		{KindConnect, analyze.StageHandshake, analyze.FindICMPUnreachable.String()},
		{KindConnect, analyze.StageHandshake, analyze.FindICMPUnreachable.String()},
		{KindConnect, analyze.StageHandshake, analyze.FindICMPUnreachable.String()},
	},
	// The router forgot the idle connection and rejects with a reset.
	"idle-timeout": {{KindSendDisconnect, analyze.StageSession, analyze.FindIdleTimeoutReset.String()}},
	// An injector on the router resets both ends when the banner passes.
	"inject-both": {{KindIdentReset, analyze.StageBanner, analyze.FindResetBothEnds.String()}},
	// The router (one hop nearer than the server) rejects "SSH-" with a
	// reset; then the lab's abort program.
	"ipv6-forensics":     {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}, none},
	"reject-banner":      {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	"reject-near-server": {{KindIdentReset, analyze.StageBanner, analyze.FindTTLMismatch.String()}},
	// sshd MaxStartups 1 with one connection held.
	"maxstartups": {{KindIdentReset, analyze.StageBanner, analyze.FindCloseBeforeBan.String()}},
	// The router rejects every non-SYN packet to port 22 with a reset.
	// The reset came after the handshake: the banner stage.
	"post-handshake": {{KindConnect, analyze.StageBanner, analyze.FindPostSynAckReset.String()}},
	// Three logins pass, the router's rate limit rejects the fourth.
	"rate-limit": {none, none, none, {KindConnect, analyze.StageHandshake, analyze.FindRateLimit.String()}},
	// sshd is not running.
	"refused": {{KindConnect, analyze.StageHandshake, analyze.FindRefused.String()}},
	// The server's own iptables rejects the client with resets mid-session.
	"server-firewall": {{KindSendDisconnect, analyze.StageSession, analyze.FindHostFirewall.String()}},
	// The same through a VXLAN overlay: first a clean login, then the
	// server's own REJECT on the overlay's interface.
	"tunnel-vxlan": {none, {KindSendDisconnect, analyze.StageSession, analyze.FindHostFirewall.String()}},
	// Likewise, the overlay's larger datagrams fragmented on the way.
	"tunnel-vxlan-fragments": {none, {KindSendDisconnect, analyze.StageSession, analyze.FindHostFirewall.String()}},
	// The session's sshd was killed: its socket closed with FIN.
	"sshd-killed": {{KindClosedByRemote, analyze.StageSession, analyze.FindServerReset.String()}},
	// The router drops SYNs.
	"syn-drop": {{KindConnect, analyze.StageHandshake, analyze.FindSynTimeout.String()}},
}

var exitLine = regexp.MustCompile(`(?m)^exit \d+$`)

// runs splits a lab client.txt into each run's output.
func runs(s string) []string {
	var out []string
	start := 0
	for _, loc := range exitLine.FindAllStringIndex(s, -1) {
		out = append(out, s[start:loc[0]])
		start = loc[1]
	}
	return out
}

// rank returns the 1-based rank of the cause that holds a finding, 0 if
// none does.
func rank(cs []Cause, id analyze.FindingID) int {
	for i, c := range cs {
		if slices.Contains(c.Findings, id) {
			return i + 1
		}
	}
	return 0
}

// TestLabClientOutput explains every lab case's real ssh output: the
// message, the stage, and the cause the lab made ranked first or second.
func TestLabClientOutput(t *testing.T) {
	files, err := filepath.Glob("../testdata/pcaps/*/client.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no client.txt: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			truth, ok := labTruth[name]
			if !ok {
				t.Fatalf("no truth for lab case %s: add what the lab did to labTruth", name)
			}
			rs := runs(string(b))
			if len(rs) != len(truth) {
				t.Fatalf("%d runs in client.txt, truth has %d", len(rs), len(truth))
			}
			for i, run := range rs {
				w := truth[i]
				r := Text(run)
				m, ok := r.MainMessage()
				if w.kind == KindNone {
					if ok {
						t.Errorf("run %d: recognised %s in %q, ssh printed no error", i+1, m.Kind, run)
					}
					continue
				}
				if !ok {
					t.Errorf("run %d: nothing recognised in %q", i+1, run)
					continue
				}
				if m.Kind != w.kind {
					t.Errorf("run %d: kind %s, want %s (%q)", i+1, m.Kind, w.kind, m.Text)
				}
				if got := r.Stage.Wire(); got != w.stage {
					t.Errorf("run %d: stage %s (%s), want %s", i+1, got, r.Stage, w.stage)
				}
				if w.cause == "" {
					if len(r.Causes) != 0 {
						t.Errorf("run %d: causes %v, want none", i+1, r.Causes)
					}
				} else if id, _ := analyze.FindingByName(w.cause); rank(r.Causes, id) < 1 || rank(r.Causes, id) > 2 {
					k := rank(r.Causes, id)
					t.Errorf("run %d: %s ranked %d (0: absent) in %v, want first or second", i+1, w.cause, k, r.Causes)
				}
				if r.Host == "" || !strings.Contains(run, r.Host) {
					t.Errorf("run %d: host %q not from the text", i+1, r.Host)
				}
			}
		})
	}
}
