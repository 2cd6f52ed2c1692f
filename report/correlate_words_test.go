package report

import (
	"testing"

	"github.com/rstsniff/rstsniff/correlate"
	"github.com/rstsniff/rstsniff/decode"
)

func TestFrameList(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{4}, "frame 4"},
		{[]int{4, 5}, "frames 4, 5"},
		{[]int{4, 5, 6, 9}, "frames 4-6, 9"},
		{[]int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27}, "frames 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23 and 2 more"},
	} {
		if got := frameList(c.in); got != c.want {
			t.Errorf("frameList(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every change correlate reports, worded as correlate worded it before it
// returned facts (its changes() and hint()), hint included: the golden
// files hold only an MSS clamp.
func TestChangeText(t *testing.T) {
	const (
		clamp = " A firewall or router clamps the MSS (iptables TCPMSS, \"ip tcp adjust-mss\"): harmless unless the path MTU is smaller still."
		strip = " A middlebox strips TCP options."
		data  = " Something on the path rewrites data: the SSH packet's MAC fails and the connection dies."
		proxy = " A proxy or a stateful firewall rewrites TCP."
	)
	type C = correlate.Change
	for _, c := range []struct {
		name       string
		in         C
		text, hint string
	}{
		{"mss clamped", C{Field: correlate.FieldMSS, Sent: 1460, Got: 1200}, "MSS 1460 -> 1200", clamp},
		{"mss removed", C{Field: correlate.FieldMSS, Op: correlate.Removed, Sent: 1460}, "MSS option 1460 removed", ""},
		{"mss added", C{Field: correlate.FieldMSS, Op: correlate.Added, Got: 1380}, "MSS option 1380 added", ""},
		{"wscale rewritten", C{Field: correlate.FieldWScale, Sent: 7, Got: 2}, "window scale 7 -> 2", proxy},
		{"wscale removed", C{Field: correlate.FieldWScale, Op: correlate.Removed}, "window scale option removed", strip},
		// "window scale option added" began with "window ": the proxy's hint.
		{"wscale added", C{Field: correlate.FieldWScale, Op: correlate.Added}, "window scale option added", proxy},
		{"sack-permitted removed", C{Field: correlate.FieldSACKPerm, Op: correlate.Removed}, "SACK-permitted option removed", strip},
		{"sack added", C{Field: correlate.FieldSACK, Op: correlate.Added}, "SACK option added", ""},
		{"timestamp removed", C{Field: correlate.FieldTimestamp, Op: correlate.Removed}, "timestamp option removed", strip},
		{"tsval rewritten", C{Field: correlate.FieldTimestamp, Sent: 7000, Got: 9}, "timestamp 7000 -> 9", ""},
		{"md5 removed", C{Field: correlate.FieldMD5, Op: correlate.Removed}, "TCP-MD5 option removed", strip},
		{"ao added", C{Field: correlate.FieldAO, Op: correlate.Added}, "TCP-AO option added", ""},
		{"window", C{Field: correlate.FieldWindow, Sent: 0, Got: 7}, "window 0 -> 7", proxy},
		{"ack", C{Field: correlate.FieldAck, Shift: -12}, "acknowledgment number changed by -12", proxy},
		{"flags", C{Field: correlate.FieldFlags, Sent: uint32(decode.SYN), Got: uint32(decode.SYN | decode.ECE)},
			"flags " + decode.SYN.String() + " -> " + (decode.SYN | decode.ECE).String(), ""},
		{"payload", C{Field: correlate.FieldPayload, Bytes: 40}, "payload changed (40 bytes)", data},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := changeText(c.in); got != c.text {
				t.Errorf("text %q, want %q", got, c.text)
			}
			if got := changeHint(c.in); got != c.hint {
				t.Errorf("hint %q, want %q", got, c.hint)
			}
		})
	}
}
