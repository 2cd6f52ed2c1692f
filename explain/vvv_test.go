package explain

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// vvvTruth: for each whole ssh -vvv log from the lab, the stage the lab
// broke the connection at and the cause it made (from lab.sh and the
// cases' README.md). kinds lists the messages ssh may print there (the
// maxstartups case has two variants); empty: ssh printed no error.
var vvvTruth = map[string]struct {
	kinds []Kind
	stage analyze.Stage
	cause string // a finding name, "" for none
}{
	"refused":         {[]Kind{KindConnect}, analyze.StageHandshake, analyze.FindRefused.String()},
	"syn-drop":        {[]Kind{KindConnect}, analyze.StageHandshake, analyze.FindSynTimeout.String()},
	"post-handshake":  {[]Kind{KindConnect}, analyze.StageBanner, analyze.FindPostSynAckReset.String()},
	"icmp-reject":     {[]Kind{KindConnect}, analyze.StageHandshake, analyze.FindICMPUnreachable.String()}, // the last of four runs: a router's unreachable route
	"reject-banner":   {[]Kind{KindIdentReset}, analyze.StageBanner, analyze.FindTTLMismatch.String()},
	"maxstartups":     {[]Kind{KindIdentReset, KindIdentClosed}, analyze.StageBanner, analyze.FindCloseBeforeBan.String()},
	"hostile-banner":  {[]Kind{KindResetBy}, analyze.StageKexInit, analyze.FindServerReset.String()},
	"mtu-blackhole":   {nil, analyze.StageKex, analyze.FindMTUBlackhole.String()},
	"authfail":        {[]Kind{KindAuthDenied}, analyze.StageAuth, ""},
	"sshd-killed":     {[]Kind{KindClosedByRemote}, analyze.StageSession, analyze.FindServerReset.String()},
	"server-firewall": {[]Kind{KindSendDisconnect}, analyze.StageSession, analyze.FindHostFirewall.String()},
}

// TestVerboseLogs explains whole ssh -vvv logs from the lab, one per
// failing stage: the stage comes from the debug1 lines.
func TestVerboseLogs(t *testing.T) {
	files, _ := filepath.Glob("../testdata/explain/vvv/*.txt")
	if len(files) != len(vvvTruth) {
		t.Errorf("%d logs, %d in the truth table", len(files), len(vvvTruth))
	}
	for _, f := range files {
		name := filepath.Base(f[:len(f)-len(".txt")])
		t.Run(name, func(t *testing.T) {
			w, ok := vvvTruth[name]
			if !ok {
				t.Fatal("not in vvvTruth")
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := Text(string(b))
			// post-handshake: ssh's connect failed, so no "Connection
			// established"; the message shows the handshake was done.
			if r.StageFrom != FromDebug && name != "post-handshake" {
				t.Errorf("stage from %s, want the debug lines", r.StageFrom)
			}
			if got := r.Stage.Wire(); got != w.stage {
				t.Errorf("stage %s (%s), want %s", got, r.Stage, w.stage)
			}
			m, ok := r.MainMessage()
			switch {
			case len(w.kinds) == 0 && ok:
				t.Errorf("recognised %s, ssh printed no error", m.Kind)
			case len(w.kinds) == 0 && !r.Stalled:
				t.Error("not seen as stalled")
			case len(w.kinds) > 0 && !ok:
				t.Error("no message recognised")
			case len(w.kinds) > 0 && !slices.Contains(w.kinds, m.Kind):
				t.Errorf("kind %s, want one of %v", m.Kind, w.kinds)
			}
			if w.cause == "" {
				if len(r.Causes) > 0 {
					t.Errorf("causes %v, want none", r.Causes)
				}
			} else if id, _ := analyze.FindingByName(w.cause); rank(r.Causes, id) < 1 || rank(r.Causes, id) > 2 {
				k := rank(r.Causes, id)
				t.Errorf("%s ranked %d (0: absent) in %v", w.cause, k, r.Causes)
			}
			if r.Host != "203.0.113.2" && r.Host != "2001:db8:2::2" {
				t.Errorf("host %q", r.Host)
			}
			if r.Addr == "" {
				t.Error("no address from the Connecting line")
			}
			// sshd wrote "Exceeded MaxStartups" (maxstartups; the lab's
			// sshd is 9.2): its refusal ranks first.
			if name == "maxstartups" && (!r.SshdRefused || rank(r.Causes, analyze.FindCloseBeforeBan) != 1) {
				t.Errorf("pre-banner %q, refused %v, causes %v", r.PreBanner, r.SshdRefused, r.Causes)
			}
			if name != "maxstartups" && r.SshdRefused {
				t.Errorf("pre-banner %q seen as sshd's refusal", r.PreBanner)
			}
		})
	}
}

// TestControlMaster: the lab's ControlMaster failure (the master's
// connection reset by the router while a second ssh used the socket) is a
// master-connection problem, with or without the debug lines, and with the
// master's own output the master's connection is a write after a reset.
func TestControlMaster(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../testdata/explain/controlmaster", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, text string
		master     Wire
	}{
		{"client.txt", read("client.txt"), WireUnknown},
		{"client-vvv.txt", read("client-vvv.txt"), WireUnknown},
		{"master.txt+client.txt", read("master.txt") + read("client.txt"), WireWriteAfter},
		{"master-vvv.txt+client-vvv.txt", read("master-vvv.txt") + read("client-vvv.txt"), WireWriteAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Text(tc.text)
			m, ok := r.MainMessage()
			if !ok || m.Kind != KindMuxRead {
				t.Fatalf("main message %v %v, want mux-read", m.Kind, ok)
			}
			if !r.Mux || r.Wire != WireLocal {
				t.Errorf("mux %v, wire %s; want a master-connection problem (local socket)", r.Mux, r.Wire)
			}
			if r.MasterWire != tc.master {
				t.Errorf("master's wire %s, want %s", r.MasterWire, tc.master)
			}
			if r.Host != "203.0.113.2" || r.Port != 22 {
				t.Errorf("host %q port %d", r.Host, r.Port)
			}
			if strings.Contains(tc.name, "vvv") && (len(r.Fallback) != 1 || r.Fallback[0].Kind != KindConnect || r.Fallback[0].Wire != WireRefused) {
				t.Errorf("fallback %+v, want the direct connection's refused connect", r.Fallback)
			}
			// The lab's cause: a reset forged by the router.
			if rank(r.Causes, analyze.FindTTLMismatch) == 0 {
				t.Errorf("a forged reset is not among %v", r.Causes)
			}
		})
	}
}

// TestScpLogs: the lab's scp -v runs (over SFTP, then -O) while the router
// forges a reset for the client's banner: the ssh message under scp's
// own says what happened.
func TestScpLogs(t *testing.T) {
	b, err := os.ReadFile("../testdata/explain/scp/client.txt")
	if err != nil {
		t.Fatal(err)
	}
	rs := runs(string(b))
	if len(rs) != 2 {
		t.Fatalf("%d runs", len(rs))
	}
	for i, companion := range []Kind{KindSftpClosed, KindScpLost} {
		r := Text(rs[i])
		m, _ := r.MainMessage()
		if m.Kind != KindIdentReset || r.Stage.Wire() != analyze.StageBanner || r.StageFrom != FromDebug {
			t.Errorf("run %d: %s at %s from %s", i+1, m.Kind, r.Stage, r.StageFrom)
		}
		if k := rank(r.Causes, analyze.FindTTLMismatch); k != 1 {
			t.Errorf("run %d: the router's forged reset ranked %d", i+1, k)
		}
		if !slices.ContainsFunc(r.Messages, func(m Message) bool { return m.Kind == companion }) {
			t.Errorf("run %d: %s not recognised", i+1, companion)
		}
	}
}
