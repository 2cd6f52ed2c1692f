package sshdlog

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestLiveJoin: connections handed over one by one each get their own
// lines, a line without a port the one its process wrote about, and a
// connection from another address none of them.
func TestLiveJoin(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	ll := &Live{}
	for i, text := range []string{
		"Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection from 198.51.100.2 port 40002 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection from 192.0.2.9 port 5000 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection reset by 198.51.100.2 port 40000",
		"Accepted key ED25519 SHA256:x found at /k:1",
		"Connection closed by 198.51.100.2 port 40002",
	} {
		line := t0.Add(time.Duration(i)*100*time.Millisecond).Format(time.RFC3339Nano) + " h sshd[" + string(rune('1'+i%3)) + "]: " + text
		l, ok, known := ParseLine(line, "auth.log", i+1, ReadOptions{})
		if !ok || !known {
			t.Fatalf("line %d not read", i)
		}
		ll.Add(l)
	}
	conn := func(id int, client string) Conn {
		return Conn{ID: id, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort("203.0.113.2:22"),
			Start: t0, End: t0.Add(time.Second)}
	}
	kinds := func(res *Result, id int) string {
		var k []string
		if a := res.Accounts[id]; a != nil {
			for _, j := range a.Lines {
				k = append(k, j.Line.Kind.String()+"/"+j.By.String())
			}
		}
		return strings.Join(k, " ")
	}
	if got := kinds(ll.Join(conn(1, "198.51.100.2:40000")), 1); got != "connection_from/port reset_by/port" {
		t.Errorf("connection 1: %s", got)
	}
	// The 'Accepted key' line was written by process 2, which wrote
	// connection 2's lines: it joins by process.
	if got := kinds(ll.Join(conn(2, "198.51.100.2:40002")), 2); got != "connection_from/port other/pid closed/port" {
		t.Errorf("connection 2: %s", got)
	}
	if got := kinds(ll.Join(conn(3, "192.0.2.9:5000")), 3); got != "connection_from/port" {
		t.Errorf("connection 3: %s", got)
	}
	if n := len(ll.recent); n != 3 {
		t.Errorf("%d connections kept, want 3", n)
	}
}

// TestLiveAges: a line more than LiveWindow older than the latest is
// dropped.
func TestLiveAges(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	ll := &Live{}
	for _, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(LiveWindow + 30*time.Second)} {
		ll.Add(Line{Time: at})
	}
	if len(ll.lines) != 2 || !ll.lines[0].Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("kept %d lines, first at %v", len(ll.lines), ll.lines[0].Time)
	}
}

// TestParseZone: names and offsets.
func TestParseZone(t *testing.T) {
	for s, off := range map[string]int{"+01:00": 3600, "-0500": -5 * 3600, "+02": 7200, "UTC": 0} {
		z, err := ParseZone(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if _, got := time.Date(2026, 1, 1, 0, 0, 0, 0, z).Zone(); got != off {
			t.Errorf("%s: offset %d, want %d", s, got, off)
		}
	}
	for _, bad := range []string{"+1:0:0", "Mars/Base"} {
		if _, err := ParseZone(bad); err == nil {
			t.Errorf("%s read", bad)
		}
	}
}
