package main

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
)

// TestLiveLogNil: without a log, flows are written as without one. (The
// join itself: sshdlog's TestLiveJoin.)
func TestLiveLogNil(t *testing.T) {
	f := &analyze.Flow{ID: 4, Client: netip.MustParseAddrPort("198.51.100.2:1"), Server: netip.MustParseAddrPort("203.0.113.2:22"),
		Outcome: analyze.OutcomeClosed}
	var nilLog *liveLog
	var b strings.Builder
	if err := report.StreamFlow(&b, report.FormatJSON, f, false, false, nilLog.join()); err != nil || strings.Contains(b.String(), "sshd_log") || !strings.Contains(b.String(), `"type":"flow"`) {
		t.Errorf("a nil liveLog wrote %q, %v", b.String(), err)
	}
}
