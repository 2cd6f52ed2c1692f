package explain

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/internal/golden"
)

// TestMessages: one line each, in the wordings of the releases the catalog
// names (the format strings filled in), inside the noise of CI logs.
func TestMessages(t *testing.T) {
	for _, tc := range []struct {
		line  string
		kind  Kind
		wire  Wire
		stage analyze.Stage
		host  string
		port  int
	}{
		// 7.x
		{"ssh_exchange_identification: read: Connection reset by peer", KindIdentReset, WireReset, analyze.StageBanner, "", 0},
		{"ssh_exchange_identification: Connection closed by remote host", KindIdentClosed, WireFIN, analyze.StageBanner, "", 0},
		{"packet_write_wait: Connection to 192.0.2.7 port 22: Broken pipe", KindPacketWriteWait, WireWriteAfter, analyze.StageSession, "192.0.2.7", 22},
		{"packet_write_wait: Connection to 192.0.2.7: Broken pipe", KindPacketWriteWait, WireWriteAfter, analyze.StageSession, "192.0.2.7", 0},
		{"Connection reset by 192.0.2.7", KindResetBy, WireReset, analyze.StageKex, "192.0.2.7", 0},
		{"Connection closed by 192.0.2.7", KindClosedBy, WireFIN, analyze.StageKex, "192.0.2.7", 0},
		// 8.x-10.x
		{"kex_exchange_identification: read: Connection reset by peer", KindIdentReset, WireReset, analyze.StageBanner, "", 0},
		{"kex_exchange_identification: read: Connection timed out", KindIdentRead, WireSilence, analyze.StageBanner, "", 0},
		{"kex_exchange_identification: Connection closed by remote host", KindIdentClosed, WireFIN, analyze.StageBanner, "", 0},
		{"kex_exchange_identification: banner line contains invalid characters", KindIdentInvalid, WireBadData, analyze.StageBanner, "", 0},
		{"Connection timed out during banner exchange", KindIdentTimeout, WireSilence, analyze.StageBanner, "", 0},
		{"Connection reset by 2001:db8::7 port 2222", KindResetBy, WireReset, analyze.StageKex, "2001:db8::7", 2222},
		{"Connection closed by 192.0.2.7 port 22", KindClosedBy, WireFIN, analyze.StageKex, "192.0.2.7", 22},
		{"Connection to 192.0.2.7 port 22 timed out", KindConnTimedOut, WireSilence, analyze.StageKex, "192.0.2.7", 22},
		{"client_loop: ssh_packet_write_poll: Connection to 192.0.2.7 port 22: Broken pipe", KindWritePoll, WireWriteAfter, analyze.StageSession, "192.0.2.7", 22},
		{"banner exchange: Connection to 192.0.2.7 port 22: invalid format", KindBannerExchange, WireBadData, analyze.StageBanner, "192.0.2.7", 22},
		{"client_loop: send disconnect: Broken pipe", KindSendDisconnect, WireWriteAfter, analyze.StageSession, "", 0},
		{"client_loop: send disconnect: Connection reset by peer", KindSendDisconnect, WireReset, analyze.StageSession, "", 0},
		{"Read from remote host gw.example.net: Connection reset by peer", KindReadFromRemote, WireReset, analyze.StageSession, "gw.example.net", 0},
		{"Read from remote host 192.0.2.7: Connection timed out", KindReadFromRemote, WireSilence, analyze.StageSession, "192.0.2.7", 0},
		{"Connection to 192.0.2.7 closed by remote host.", KindClosedByRemote, WireFIN, analyze.StageSession, "192.0.2.7", 0},
		{"ssh_dispatch_run_fatal: Connection to 192.0.2.7 port 22: message authentication code incorrect", KindDispatchFatal, WireBadData, analyze.StageKex, "192.0.2.7", 22},
		{"ssh_dispatch_run_fatal: Connection to 192.0.2.7 port 22: Broken pipe", KindDispatchFatal, WireWriteAfter, analyze.StageKex, "192.0.2.7", 22},
		{"Timeout, server 192.0.2.7 not responding.", KindServerTimeout, WireSilence, analyze.StageSession, "192.0.2.7", 0},
		{"ssh: connect to host db1.example.net port 22: Connection refused", KindConnect, WireRefused, analyze.StageHandshake, "db1.example.net", 22},
		{"ssh: connect to host 192.0.2.7 port 22: Connection timed out", KindConnect, WireNoAnswer, analyze.StageHandshake, "192.0.2.7", 22},
		{"ssh: connect to host 192.0.2.7 port 22: No route to host", KindConnect, WireICMP, analyze.StageHandshake, "192.0.2.7", 22},
		{"ssh: connect to host 192.0.2.7 port 22: Network is unreachable", KindConnect, WireICMP, analyze.StageHandshake, "192.0.2.7", 22},
		{"ssh: connect to host 2001:db8::7 port 22: Permission denied", KindConnect, WireICMP, analyze.StageHandshake, "2001:db8::7", 22},
		{"ssh: connect to host 192.0.2.7 port 22: Connection reset by peer", KindConnect, WireReset, analyze.StageBanner, "192.0.2.7", 22},
		{"deploy@192.0.2.7: Permission denied (publickey,password).", KindAuthDenied, WireAuthDenied, analyze.StageAuth, "192.0.2.7", 0},
		{"Permission denied (publickey).", KindAuthDenied, WireAuthDenied, analyze.StageAuth, "", 0},
		{"Received disconnect from 192.0.2.7 port 22:2: Too many authentication failures", KindDisconnectRecv, WireDisconnect, analyze.StageKex, "192.0.2.7", 22},
		{"lost connection", KindScpLost, WireUnknown, analyze.StageUnknown, "", 0},
		// ControlMaster
		{"mux_client_request_session: read from master failed: Broken pipe", KindMuxRead, WireLocal, analyze.StageUnknown, "", 0},
		{"mux_client_request_session: read from master failed: Connection reset by peer", KindMuxRead, WireLocal, analyze.StageUnknown, "", 0},
		{"mm_send_fd: sendmsg(2): Broken pipe", KindMuxSendFd, WireLocal, analyze.StageUnknown, "", 0},
		{"mux_client_request_session: send fds failed", KindMuxSendFds, WireLocal, analyze.StageUnknown, "", 0},
		{"Control socket connect(/home/ci/.ssh/cm-192.0.2.7:22): Connection refused", KindMuxConnect, WireLocal, analyze.StageUnknown, "", 0},
		{"ControlSocket /home/ci/.ssh/cm-x already exists, disabling multiplexing", KindMuxSocketExists, WireLocal, analyze.StageUnknown, "", 0},
		{"muxclient: master hello exchange failed", KindMuxHello, WireLocal, analyze.StageUnknown, "", 0},
		// CI noise around the message.
		{"2026-11-27T04:12:09.1234567Z kex_exchange_identification: read: Connection reset by peer\r", KindIdentReset, WireReset, analyze.StageBanner, "", 0},
		{"[deploy] 04:12:09 ##[error]Connection reset by 192.0.2.7 port 22", KindResetBy, WireReset, analyze.StageKex, "192.0.2.7", 22},
	} {
		r := Text(tc.line)
		m, ok := r.MainMessage()
		if !ok {
			t.Errorf("%q: not recognised", tc.line)
			continue
		}
		if m.Kind != tc.kind || r.Wire != tc.wire || r.Stage.Wire() != tc.stage || r.Host != tc.host || r.Port != tc.port {
			t.Errorf("%q: %s %s %s %q %d, want %s %s %s %q %d", tc.line, m.Kind, r.Wire, r.Stage.Wire(), r.Host, r.Port,
				tc.kind, tc.wire, tc.stage, tc.host, tc.port)
		}
		if r.Wire != WireUnknown && r.Wire != WireAuthDenied && r.Wire != WireDisconnect && len(r.Causes) == 0 {
			t.Errorf("%q: no causes", tc.line)
		}
	}
	// Not OpenSSH client errors.
	for _, s := range []string{"", "hello", "Warning: Permanently added '192.0.2.7' (ED25519) to the list of known hosts."} {
		r := Text(s)
		if _, ok := r.MainMessage(); ok || len(r.Causes) > 0 || r.Check() == nil {
			t.Errorf("%q: recognised %+v", s, r)
		}
	}
	// Not whole messages, but the error texts ssh ends them with, pasted
	// alone: what the wire did and its causes, no message and no stage.
	for _, tc := range []struct {
		text string
		bare Bare
		wire Wire
	}{
		{"Connection reset by peer", BareReset, WireReset},
		{"Broken pipe", BarePipe, WireWriteAfter},
		{"Connection closed by remote host", BareClosed, WireFIN},
		{"debug1: connect to address 192.0.2.7 port 22: Connection refused", BareRefused, WireRefused},
		{"Failed to connect to new control master", BareMaster, WireLocal},
	} {
		r := Text(tc.text)
		if _, ok := r.MainMessage(); ok || r.Bare != tc.bare || r.Wire != tc.wire || len(r.Causes) == 0 || r.Stage != StageNone || r.Check() != nil {
			t.Errorf("%q: bare %s wire %s, %d causes, stage %s; want %s %s", tc.text, r.Bare, r.Wire, len(r.Causes), r.Stage, tc.bare, tc.wire)
		}
	}
	// A master that has just started has not idled long enough for a NAT
	// to forget it.
	if r := Text("Failed to connect to new control master"); rank(r.Causes, analyze.FindIdleTimeoutReset) > 0 {
		t.Errorf("new control master: idle timeout among %v", r.Causes)
	}
}

// TestScpLog: scp's "lost connection" only repeats that its ssh died;
// the ssh message before it says what happened.
func TestScpLog(t *testing.T) {
	r := Text("Executing: program /usr/bin/ssh host 192.0.2.7, user (unspecified), command scp -v -t /tmp\n" +
		"client_loop: send disconnect: Broken pipe\nlost connection\n")
	m, _ := r.MainMessage()
	if m.Kind != KindSendDisconnect || r.Stage.Wire() != analyze.StageSession {
		t.Errorf("%s at %s", m.Kind, r.Stage)
	}
}

// TestCaptureWords: the message rstsniff says the client printed for each
// lab capture (client_error in its golden JSON lines) is read back by
// explain as the same stage rstsniff gave the connection.
func TestCaptureWords(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pcaps/*/golden-facts.json")
	n := 0
	for _, f := range files {
		jsonl, err := golden.Read(strings.TrimSuffix(f, "-facts.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(jsonl, "\n") {
			stage, msg := jsonField(line, "stage"), jsonField(line, "client_error")
			if msg == "" || strings.HasPrefix(msg, "<user>") {
				continue
			}
			n++
			r := Text(strings.ReplaceAll(msg, `\n`, "\n"))
			got := r.Stage.Wire().String()
			// A message alone cannot tell the stages after the
			// identification strings apart: kex stands for all three.
			if got == "kex" && (stage == "kexinit" || stage == "auth") {
				got = stage
			}
			if got != stage {
				t.Errorf("%s: %q: stage %s, the capture says %s", filepath.Base(filepath.Dir(f)), msg, got, stage)
			}
		}
	}
	if n == 0 {
		t.Fatal("no client_error in the golden files")
	}
}

// jsonField pulls a top-level string member out of one JSON line (the
// golden files are JSON lines with plain values for these two).
func jsonField(line, key string) string {
	k := `"` + key + `":"`
	i := strings.Index(line, k)
	if i < 0 {
		return ""
	}
	rest := line[i+len(k):]
	j := strings.Index(rest, `"`)
	if j < 0 {
		return ""
	}
	return rest[:j]
}
