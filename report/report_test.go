package report

import (
	"strings"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2": "SSH-2.0-OpenSSH_9.2p1 Debian-2",
		"a\x1b[31mred":                   `a\u001b[31mred`,
		"bell\x07":                       `bell\u0007`,
		"rtl\u202eevil":                  `rtl\u202eevil`,
		"bad\xff\xfeutf8":                `bad\xff\xfeutf8`,
		`back\slash`:                     `back\\slash`,
		"tab\there":                      `tab\u0009here`,
		"café ünïcode":                   "café ünïcode",
		"\U000e0001tag":                  `\U000e0001tag`,
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	r := &Run{
		Inputs: []Input{{Name: "a.pcap", Frames: 9, Start: t0, Warnings: []string{"cut\x1b[2J"}}},
		Flows: []*analyze.Flow{
			{ID: 1, Outcome: analyze.OutcomeReset, Resets: []analyze.Reset{{}}},
			{ID: 2, Outcome: analyze.OutcomeClosed},
			{ID: 3, Outcome: analyze.OutcomeClosed},
		},
	}
	var b strings.Builder
	if err := Table(&b, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"9 packets, 3 SSH connections: 1 reset, 2 closed; 1 RST: 1 of unknown origin (2 of them without problems not listed; --all lists them)\n",
		`warning: cut\u001b[2J`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, "| 1 ") != 1 || strings.Contains(out, "| 2 ") {
		t.Errorf("only the reset connection should be listed:\n%s", out)
	}
}
