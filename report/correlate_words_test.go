package report

import (
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
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

// Each finding's sentence, from its facts alone, as correlate worded it
// before it returned facts. The golden files hold no injected-on-path,
// nothing the server sent changed, and no loss with retransmissions.
func TestFindingSummary(t *testing.T) {
	r := &correlate.Result{Captures: [2]*correlate.Capture{{Name: "c.pcap"}, {Name: "s.pcap"}}}
	at := func(us int) time.Time { return time.Date(2026, 11, 21, 8, 0, 1, us*1000, time.UTC) }
	c, s := analyze.Client, analyze.Server
	for _, x := range []struct {
		name string
		f    correlate.Finding
		want string
	}{
		{"forged one", correlate.Finding{ID: correlate.FindForged, From: s, Sender: 1, Packets: 1, Frames: [2][]int{{5}, nil}, Span: [2]time.Time{at(1), at(250)}},
			"The reset the client received in the server's name (c.pcap frame 5) never left the server: s.pcap recorded the connection from 08:00:01.000001 to 08:00:01.000250 (by its clock) without it. Something between the two capture points made it."},
		{"forged three", correlate.Finding{ID: correlate.FindForged, From: c, Sender: 0, Packets: 3, Frames: [2][]int{nil, {6, 7, 8}}, Span: [2]time.Time{at(1), at(2)}},
			"3 resets the server received in the client's name (s.pcap frames 6-8) never left the client: c.pcap recorded the connection from 08:00:01.000001 to 08:00:01.000002 (by its clock) without them. Something between the two capture points made them."},
		{"injected one", correlate.Finding{ID: correlate.FindInjected, From: s, Sender: 1, Packets: 1, Frames: [2][]int{{9}, nil}},
			"A packet the client received from the server's address (c.pcap frame 9) was never sent: s.pcap does not have it."},
		{"injected two", correlate.Finding{ID: correlate.FindInjected, From: c, Sender: 0, Packets: 2, Frames: [2][]int{nil, {4, 9}}},
			"2 packets the server received from the client's address (s.pcap frames 4, 9) were never sent: c.pcap does not have them."},
		{"dropped one", correlate.Finding{ID: correlate.FindDropped, From: c, Sender: 0, Packets: 1, Frames: [2][]int{{4}, nil}, Span: [2]time.Time{at(7), at(7)},
			Lost: correlate.Carried{Segments: 1, Bytes: 21, Largest: 21}},
			"A packet the client sent never reached the server (c.pcap frame 4; 21 bytes of data): lost between the two capture points, at 08:00:01.000007 by the client's clock."},
		{"dropped many", correlate.Finding{ID: correlate.FindDropped, From: s, Sender: 1, Packets: 7, Frames: [2][]int{nil, {2, 10, 11, 12, 13, 14, 16}}, Span: [2]time.Time{at(7), at(9)},
			Lost: correlate.Carried{SYNs: 1, Segments: 5, Bytes: 5440, Largest: 1088, Retransmitted: 4, Empty: 1}},
			"7 packets the server sent never reached the client (s.pcap frames 2, 10-14, 16; a SYN, 5 data segments with 5440 bytes, the largest 1088, 4 of them retransmissions, one without data): lost between the two capture points, from 08:00:01.000007 to 08:00:01.000009 by the server's clock."},
		{"modified one", correlate.Finding{ID: correlate.FindModified, From: s, Sender: 1, Packets: 1, Frames: [2][]int{{2}, {2}},
			Change: correlate.Change{Field: correlate.FieldMSS, Sent: 1460, Got: 1200}, First: correlate.KindSYNACK},
			"The server's SYN-ACK changed on the way: MSS 1460 -> 1200 (sent as s.pcap frame 2, received as c.pcap frame 2). A firewall or router clamps the MSS (iptables TCPMSS, \"ip tcp adjust-mss\"): harmless unless the path MTU is smaller still."},
		{"modified two", correlate.Finding{ID: correlate.FindModified, From: c, Sender: 0, Packets: 2, Frames: [2][]int{{4, 6}, {5, 7}},
			Change: correlate.Change{Field: correlate.FieldTimestamp, Op: correlate.Removed}, First: correlate.KindData, FirstLen: 40},
			"2 packets from the client (the first a 40 bytes of data) changed on the way: timestamp option removed (sent as c.pcap frames 4, 6, received as s.pcap frames 5, 7). A middlebox strips TCP options."},
	} {
		t.Run(x.name, func(t *testing.T) {
			if got := findingSummary(r, &x.f); got != x.want {
				t.Errorf("\n got %s\nwant %s", got, x.want)
			}
		})
	}
}

// Packets and resets the other capture lacks, from a time it holds nothing
// of, are worded on a condition, never as lost, forged or clean.
func TestAbsentWords(t *testing.T) {
	at := func(us int) time.Time { return time.Date(2026, 11, 21, 5, 39, 51, us*1000, time.UTC) }
	r := &correlate.Result{Captures: [2]*correlate.Capture{{Name: "c.pcap", Start: at(0), End: at(9000000)}, {Name: "s.pcap", Start: at(0), End: at(0)}}}
	c, s := analyze.Client, analyze.Server
	f := correlate.Finding{ID: correlate.FindAbsent, From: c, Sender: 0, Packets: 2, Frames: [2][]int{{7, 9}, nil}, Span: [2]time.Time{at(5), at(8000000)}, Would: correlate.Dropped}
	if got, want := findingSummary(r, &f), "2 packets that left the client's side (c.pcap frames 7, 9, from 05:39:51.000005 to 05:39:59.000000 by its clock) are absent from s.pcap, which holds nothing after 05:39:51.000000: if it was running then, they were lost on the path. A capture file does not record when capturing stopped, so the path is not called clean either."; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	names := [2]string{"c.pcap", "s.pcap"}
	p := &correlate.Pair{ClientSide: 0}
	rp := correlate.ResetProof{From: s, Fate: correlate.Unseen, Frames: [2]int{12, 0}, Absent: 1, At: at(8000000), Would: correlate.Injected}
	if got, want := proofText(r, rp, names, p), "unproven: if s.pcap was still running at 05:39:59.000000, this reset was FORGED on the path (it never left the server): it holds nothing after 05:39:51.000000"; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// residual-block's words, for one client and for other clients.
func TestResidualWords(t *testing.T) {
	at := time.Date(2026, 11, 21, 5, 27, 35, 817000000, time.UTC)
	f := &analyze.Flow{Outcome: analyze.OutcomeRefused, Resets: []analyze.Reset{{Packet: 14, Time: at, From: analyze.Server}}}
	fd := analyze.Finding{ID: analyze.FindResidualBlock, Side: analyze.Server, Reset: 14, Delay: 2016 * time.Millisecond, Count: 2}
	if got, want := summary(f, &fd), "This connection was refused by a reset forged in the server's name (frame 14), 2.0 s after the first forged reset between these hosts (at 05:27:33.801; 2 connections with forged resets before this one): a residual block, the device on the path still resets every new connection between these hosts."; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	fd.AllClients, fd.Count = true, 1
	if got, want := summary(f, &fd), "This connection was refused by a reset forged in the server's name (frame 14), 2.0 s after the first forged reset between other clients and this server (at 05:27:33.801; 1 connection with forged resets before this one): a residual block, the device on the path still resets every new connection to this server, whatever the client."; got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// What one capture said of a reset, against what the second proved: a
// firewall on the claimed sender's own host sends from beyond every point,
// so a reset that left the point nearer that host proves it right.
func TestGuessText(t *testing.T) {
	for _, c := range []struct {
		sender      analyze.Sender
		fate        correlate.Fate
		said, right string
	}{
		{analyze.SenderServerFirewall, correlate.Delivered, "server-firewall, strong", "right"},
		{analyze.SenderClientFirewall, correlate.Dropped, "client-firewall, strong", "right"},
		{analyze.SenderServerFirewall, correlate.Injected, "server-firewall, strong", "wrong"},
		{analyze.SenderPath, correlate.Injected, "middlebox, strong", "right"},
		{analyze.SenderPath, correlate.Delivered, "middlebox, strong", "wrong"},
		{analyze.SenderServer, correlate.Delivered, "endpoint, strong", "right"},
		{analyze.SenderServer, correlate.Injected, "endpoint, strong", "wrong"},
	} {
		rp := correlate.ResetProof{Fate: c.fate, Guessed: c.sender.Verdict(), GuessedSender: c.sender, GuessedStrength: analyze.StrengthStrong}
		if said, right := guessText(rp); said != c.said || right != c.right {
			t.Errorf("%v, %v: %q (%s), want %q (%s)", c.sender, c.fate, said, right, c.said, c.right)
		}
	}
}
