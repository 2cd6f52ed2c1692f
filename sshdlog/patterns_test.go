package sshdlog

import (
	"bytes"
	"compress/gzip"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClassify: each message as OpenSSH writes it (the lab's sshd 9.2p1 for
// those marked lab; the others from the format strings named in
// patterns.go, with the version that writes them).
func TestClassify(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name, msg string
		kind      Kind
		client    netip.AddrPort
		local     netip.AddrPort
		user      string
		preauth   bool
		child     int
		detail    string
	}{
		{"connection from (lab)", `Connection from 198.51.100.2 port 37720 on 203.0.113.2 port 22 rdomain ""`, KindConnectionFrom, ap("198.51.100.2:37720"), ap("203.0.113.2:22"), "", false, 0, ""},
		{"connection from v6 (lab)", `Connection from 2001:db8:1::2 port 51174 on 2001:db8:2::2 port 22 rdomain ""`, KindConnectionFrom, ap("[2001:db8:1::2]:51174"), ap("[2001:db8:2::2]:22"), "", false, 0, ""},
		{"accepted (lab)", "Accepted publickey for root from 198.51.100.2 port 37720 ssh2: ED25519 SHA256:FlE/AqDor+eY4Z8PbNMjq2CBJuYkkcYWsxEbe88HSF4", KindAccepted, ap("198.51.100.2:37720"), netip.AddrPort{}, "root", false, 0, "ED25519 SHA256:FlE/AqDor+eY4Z8PbNMjq2CBJuYkkcYWsxEbe88HSF4"},
		{"accepted key found at (lab): no address", "Accepted key ED25519 SHA256:FlE/AqDor found at /tmp/x/authorized_keys:1", KindOther, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"failed (lab)", "Failed publickey for root from 198.51.100.2 port 37724 ssh2: ED25519 SHA256:ykA2", KindFailed, ap("198.51.100.2:37724"), netip.AddrPort{}, "root", false, 0, "ED25519 SHA256:ykA2"},
		{"failed invalid user", "Failed password for invalid user admin from 198.51.100.9 port 40000 ssh2", KindFailed, ap("198.51.100.9:40000"), netip.AddrPort{}, "admin", false, 0, ""},
		{"closed preauth (lab)", "Connection closed by authenticating user root 198.51.100.2 port 37724 [preauth]", KindClosed, ap("198.51.100.2:37724"), netip.AddrPort{}, "root", true, 0, ""},
		{"closed (lab)", "Connection closed by 198.51.100.2 port 37744", KindClosed, ap("198.51.100.2:37744"), netip.AddrPort{}, "", false, 0, ""},
		{"reset by (lab)", "Connection reset by 198.51.100.2 port 37740", KindResetBy, ap("198.51.100.2:37740"), netip.AddrPort{}, "", false, 0, ""},
		{"reset by preauth (lab)", "Connection reset by 198.51.100.2 port 47436 [preauth]", KindResetBy, ap("198.51.100.2:47436"), netip.AddrPort{}, "", true, 0, ""},
		{"read error reset (lab)", "Read error from remote host 198.51.100.2 port 47450: Connection reset by peer", KindReadErrorReset, ap("198.51.100.2:47450"), netip.AddrPort{}, "", false, 0, "Connection reset by peer"},
		{"read error other", "Read error from remote host 198.51.100.2 port 47450: Connection timed out", KindReadError, ap("198.51.100.2:47450"), netip.AddrPort{}, "", false, 0, "Connection timed out"},
		{"kex ident reset (lab)", "kex_exchange_identification: read: Connection reset by peer", KindKexIdentReset, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"kex ident reset error prefix", "error: kex_exchange_identification: read: Connection reset by peer", KindKexIdentReset, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"kex ident closed (lab)", "kex_exchange_identification: Connection closed by remote host", KindKexIdentClosed, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"kex ident other", "kex_exchange_identification: client sent invalid protocol identifier \"GET / HTTP/1.1\"", KindKexIdentOther, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"banner exchange", "banner exchange: Connection from 198.51.100.7 port 50000: invalid format", KindBannerError, ap("198.51.100.7:50000"), netip.AddrPort{}, "", false, 0, "invalid format"},
		{"maxstartups 9.2 (lab)", "drop connection #1 from [198.51.100.2]:37754 on [203.0.113.2]:22 past MaxStartups", KindMaxStartupsDrop, ap("198.51.100.2:37754"), ap("203.0.113.2:22"), "", false, 0, "past MaxStartups"},
		{"maxstartups 9.8", "drop connection #10 from [2001:db8:1::2]:1234 on [2001:db8:2::2]:22 Maxstartups", KindMaxStartupsDrop, ap("[2001:db8:1::2]:1234"), ap("[2001:db8:2::2]:22"), "", false, 0, "Maxstartups"},
		{"penalty 9.8", "drop connection #0 from [198.51.100.2]:4000 on [203.0.113.2]:22 penalty: failed authentication", KindPenaltyDrop, ap("198.51.100.2:4000"), ap("203.0.113.2:22"), "", false, 0, "penalty: failed authentication"},
		{"grace timeout 9.2", "Timeout before authentication for 198.51.100.2 port 41000", KindLoginGraceTimeout, ap("198.51.100.2:41000"), netip.AddrPort{}, "", false, 0, ""},
		{"grace timeout 9.8", "Timeout before authentication for connection from 198.51.100.2 to 203.0.113.2, pid = 4321", KindLoginGraceTimeout, ap("198.51.100.2:0"), ap("203.0.113.2:0"), "", false, 4321, ""},
		{"received disconnect (lab)", "Received disconnect from 198.51.100.2 port 37720:11: disconnected by user", KindReceivedDisconnect, ap("198.51.100.2:37720"), netip.AddrPort{}, "", false, 0, "11: disconnected by user"},
		{"disconnected user (lab)", "Disconnected from user root 198.51.100.2 port 37720", KindDisconnected, ap("198.51.100.2:37720"), netip.AddrPort{}, "root", false, 0, ""},
		{"disconnecting", "Disconnecting authenticating user root 198.51.100.2 port 5000: Too many authentication failures [preauth]", KindDisconnecting, ap("198.51.100.2:5000"), netip.AddrPort{}, "root", true, 0, "Too many authentication failures"},
		{"invalid user", "Invalid user admin from 198.51.100.9 port 40000", KindInvalidUser, ap("198.51.100.9:40000"), netip.AddrPort{}, "admin", false, 0, ""},
		{"max auth tries", "error: maximum authentication attempts exceeded for root from 198.51.100.2 port 5000 ssh2 [preauth]", KindMaxAuthTries, ap("198.51.100.2:5000"), netip.AddrPort{}, "", true, 0, ""},
		{"negotiation", "Unable to negotiate with 198.51.100.2 port 5001: no matching host key type found. Their offer: ssh-dss", KindNegotiationFailed, ap("198.51.100.2:5001"), netip.AddrPort{}, "", false, 0, "no matching host key type found. Their offer: ssh-dss"},
		{"timed out", "Connection from 198.51.100.2 port 5002 timed out", KindTimedOut, ap("198.51.100.2:5002"), netip.AddrPort{}, "", false, 0, "timed out"},
		{"session killed 9.8", "session process 777 for connection from 198.51.100.2 to 203.0.113.2 killed by signal 9", KindSessionKilled, ap("198.51.100.2:0"), netip.AddrPort{}, "", false, 777, "signal 9"},
		{"terminating (lab)", "Received signal 15; terminating.", KindTerminating, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"a user named like an address", "Failed password for invalid user 10.0.0.1 port 9 from 198.51.100.9 port 40000 ssh2", KindFailed, ap("198.51.100.9:40000"), netip.AddrPort{}, "10.0.0.1 port 9", false, 0, ""},
		{"listening (lab)", "Server listening on 0.0.0.0 port 22.", KindListener, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"throttling (lab)", "beginning MaxStartups throttling", KindListener, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
		{"penalty 9.8", "srclimit_penalise: ipv4: new 198.51.100.2/32 deferred penalty of 1.000 seconds for penalty: failed authentication", KindListener, netip.AddrPort{}, netip.AddrPort{}, "", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Line{Message: tc.msg}
			classify(&l)
			if l.Kind != tc.kind || l.Client != tc.client || l.Local != tc.local || l.User != tc.user || l.Preauth != tc.preauth || l.ChildPID != tc.child {
				t.Errorf("got kind %v client %v local %v user %q preauth %v child %d, want %v %v %v %q %v %d",
					l.Kind, l.Client, l.Local, l.User, l.Preauth, l.ChildPID, tc.kind, tc.client, tc.local, tc.user, tc.preauth, tc.child)
			}
			if tc.detail != "" && l.Detail != tc.detail {
				t.Errorf("detail %q, want %q", l.Detail, tc.detail)
			}
		})
	}
}

func TestReadFormats(t *testing.T) {
	near := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, text string
		opt        ReadOptions
		format     Format
		time       time.Time
		pid        int
		host       string
	}{
		{"traditional", "Nov 27 04:42:06 lab-server sshd[19192]: Connection closed by 198.51.100.2 port 59610\n",
			ReadOptions{Near: near}, FormatSyslog, time.Date(2026, 11, 27, 4, 42, 6, 0, time.UTC), 19192, "lab-server"},
		{"traditional, day below 10, zone given", "Dec  3 05:00:00 h sshd[7]: Connection closed by 198.51.100.2 port 1 [preauth]\n",
			ReadOptions{Near: near, Zone: time.FixedZone("x", 3600)}, FormatSyslog, time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC), 7, "h"},
		{"traditional across new year", "Dec 31 23:59:59 h sshd[7]: Connection closed by 198.51.100.2 port 1\n",
			ReadOptions{Near: time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC)}, FormatSyslog, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), 7, "h"},
		{"rfc3339 rsyslog", "2026-11-27T04:42:06.354434+00:00 lab-server sshd[19192]: Connection closed by 198.51.100.2 port 1\n",
			ReadOptions{}, FormatRFC3339, time.Date(2026, 11, 27, 4, 42, 6, 354434000, time.UTC), 19192, "lab-server"},
		{"journalctl short-iso", "2026-11-27T05:42:06+0100 lab-server sshd[19192]: Connection closed by 198.51.100.2 port 1\n",
			ReadOptions{}, FormatRFC3339, time.Date(2026, 11, 27, 4, 42, 6, 0, time.UTC), 19192, "lab-server"},
		{"journal json", `{"MESSAGE":"Connection closed by 198.51.100.2 port 1","SYSLOG_IDENTIFIER":"sshd","_HOSTNAME":"lab-server","_PID":"19192","__REALTIME_TIMESTAMP":"1795754526354434"}` + "\n",
			ReadOptions{}, FormatJournalJSON, time.UnixMicro(1795754526354434).UTC(), 19192, "lab-server"},
		{"journal json, message as bytes", `{"MESSAGE":[67,111,110,110,101,99,116,105,111,110,32,99,108,111,115,101,100,32,98,121,32,49,57,56,46,53,49,46,49,48,48,46,50,32,112,111,114,116,32,49,255],"SYSLOG_IDENTIFIER":"sshd-session","_PID":"5","__REALTIME_TIMESTAMP":"1795754526354434"}` + "\n",
			ReadOptions{}, FormatJournalJSON, time.UnixMicro(1795754526354434).UTC(), 5, ""},
		{"sshd -E", "Connection closed by 198.51.100.2 port 1\r\n", ReadOptions{}, FormatBare, time.Time{}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines, st, err := Read(strings.NewReader("-- Journal begins at Thu 2026-11-26 --\nNov 27 04:42:05 h cron[1]: other program\n"+tc.text), "x", tc.opt)
			if tc.format == FormatBare {
				lines, st, err = Read(strings.NewReader(tc.text), "x", tc.opt)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1 (%+v)", len(lines), st)
			}
			l := lines[0]
			if l.Format != tc.format || !l.Time.Equal(tc.time) || l.PID != tc.pid || l.Host != tc.host || l.Kind != KindClosed || l.Client.Addr() != netip.MustParseAddr("198.51.100.2") {
				t.Errorf("got %v %v pid %d host %q kind %v client %v", l.Format, l.Time, l.PID, l.Host, l.Kind, l.Client)
			}
		})
	}
}

func TestReadFail2ban(t *testing.T) {
	text := "2026-11-27 04:45:01,123 fail2ban.filter         [4242]: INFO    [sshd] Found 198.51.100.2 - 2026-11-27 04:45:00\n" +
		"2026-11-27 04:45:01,456 fail2ban.actions        [4242]: NOTICE  [sshd] Ban 198.51.100.2\n" +
		"2026-11-27 04:55:01,456 fail2ban.actions        [4242]: NOTICE  [sshd] Unban 198.51.100.2\n" +
		"2026-11-27 04:56:01,000 fail2ban.actions        [4242]: NOTICE  [sshd] Restore Ban 2001:db8:1::2\n"
	lines, _, err := Read(strings.NewReader(text), "f2b", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind Kind
		addr string
	}{{KindBan, "198.51.100.2"}, {KindUnban, "198.51.100.2"}, {KindBan, "2001:db8:1::2"}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		if lines[i].Kind != w.kind || lines[i].Client.Addr().String() != w.addr || lines[i].Detail != "sshd" {
			t.Errorf("line %d: %v %v %q", i, lines[i].Kind, lines[i].Client, lines[i].Detail)
		}
	}
	if !lines[0].Time.Equal(time.Date(2026, 11, 27, 4, 45, 1, 456e6, time.UTC)) {
		t.Errorf("time %v", lines[0].Time)
	}
}

func TestReadBadInput(t *testing.T) {
	for name, text := range map[string]string{
		"binary":          "\x00\x01\x02 not a log\n\xff\xfe",
		"other programs":  "Nov 27 04:42:05 h cron[1]: hello\nNov 27 04:42:06 h kernel: x\n",
		"nothing of sshd": "hello world\nthis is a text file\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(text), "bad", ReadOptions{})
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want a one-line error", err)
			}
		})
	}
	if lines, _, err := Read(strings.NewReader(""), "empty", ReadOptions{}); err != nil || len(lines) != 0 {
		t.Errorf("empty log: %v, %d lines", err, len(lines))
	}
}

func TestReadGzip(t *testing.T) {
	var b strings.Builder
	zw := gzip.NewWriter(&b)
	zw.Write([]byte("Connection closed by 198.51.100.2 port 1\n"))
	zw.Close()
	lines, st, err := Read(strings.NewReader(b.String()), "x.gz", ReadOptions{})
	if err != nil || len(lines) != 1 || lines[0].Kind != KindClosed || st.Format != FormatBare {
		t.Errorf("gzip: %v, %d lines, %+v", err, len(lines), st)
	}
	if _, _, err := Read(strings.NewReader("\x1f\x8b\x08broken"), "bad.gz", ReadOptions{}); err == nil {
		t.Error("a broken gzip stream read without error")
	}
}

// FuzzRead: no input makes Read panic, and every line it returns keeps
// its message within MaxMessage.
func FuzzRead(f *testing.F) {
	for _, dir := range []string{"verbose-E/reject-banner/sshd.log", "verbose-syslog/maxstartups/sshd.log.rfc3339",
		"verbose-syslog/maxstartups/sshd.log.syslog", "verbose-syslog/maxstartups/sshd.log.json", "verbose-E/ban/fail2ban.log"} {
		b, err := os.ReadFile(filepath.Join("../testdata/sshdlog", dir))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, _, _ := Read(bytes.NewReader(b), "fuzz", ReadOptions{Near: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)})
		for _, l := range lines {
			if len(l.Message) > MaxMessage || len(l.Detail) > MaxMessage {
				t.Fatalf("line kept %d bytes", len(l.Message))
			}
		}
		Join([]Conn{{ID: 1, Client: netip.MustParseAddrPort("198.51.100.2:1"), Server: netip.MustParseAddrPort("203.0.113.2:22")}}, lines, Options{})
	})
}
