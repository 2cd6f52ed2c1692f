package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// TestLiveLogJoin: connections handed over one by one each get their own
// lines, a line without a port the one its process wrote about, and a
// connection from another address none of them; without a log, flows are
// written as without one.
func TestLiveLogJoin(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	ll := &liveLog{}
	for i, text := range []string{
		"Connection from 198.51.100.2 port 40000 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection from 198.51.100.2 port 40002 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection from 192.0.2.9 port 5000 on 203.0.113.2 port 22 rdomain \"\"",
		"Connection reset by 198.51.100.2 port 40000",
		"Accepted key ED25519 SHA256:x found at /k:1",
		"Connection closed by 198.51.100.2 port 40002",
	} {
		line := t0.Add(time.Duration(i)*100*time.Millisecond).Format(time.RFC3339Nano) + " h sshd[" + string(rune('1'+i%3)) + "]: " + text
		l, ok, known := sshdlog.ParseLine(line, "auth.log", i+1, sshdlog.ReadOptions{})
		if !ok || !known {
			t.Fatalf("line %d not read", i)
		}
		ll.add(l)
	}
	flow := func(id int, client string) *analyze.Flow {
		return &analyze.Flow{ID: id, Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort("203.0.113.2:22"),
			Start: t0, End: t0.Add(time.Second), Outcome: analyze.OutcomeClosed}
	}
	kinds := func(res *sshdlog.Result, id int) string {
		var k []string
		if a := res.Accounts[id]; a != nil {
			for _, j := range a.Lines {
				k = append(k, j.Line.Kind.String()+"/"+j.By.String())
			}
		}
		return strings.Join(k, " ")
	}
	if got := kinds(ll.join(flow(1, "198.51.100.2:40000")), 1); got != "connection_from/port reset_by/port" {
		t.Errorf("connection 1: %s", got)
	}
	// The 'Accepted key' line was written by process 2, which wrote
	// connection 2's lines: it joins by process.
	if got := kinds(ll.join(flow(2, "198.51.100.2:40002")), 2); got != "connection_from/port other/pid closed/port" {
		t.Errorf("connection 2: %s", got)
	}
	if got := kinds(ll.join(flow(3, "192.0.2.9:5000")), 3); got != "connection_from/port" {
		t.Errorf("connection 3: %s", got)
	}
	if n := len(ll.recent); n != 3 {
		t.Errorf("%d connections kept, want 3", n)
	}
	var nilLog *liveLog
	var b strings.Builder
	if err := nilLog.jsonFlow(&b, flow(4, "198.51.100.2:1")); err != nil || strings.Contains(b.String(), "sshd_log") {
		t.Errorf("a nil liveLog wrote %q, %v", b.String(), err)
	}
}
