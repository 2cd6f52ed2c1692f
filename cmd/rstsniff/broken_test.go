package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/internal/pcaptest"
)

type tframe struct {
	data   []byte
	ts     time.Time
	length int
	link   uint16
}

func readFrames(t testing.TB, path string) []tframe {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []tframe
	for {
		d, ci, err := src.ReadFrame()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tframe{append([]byte(nil), d...), ci.Timestamp, ci.Length, ci.LinkType})
	}
}

// encodePcap writes frames as classic pcap.
func encodePcap(frames []tframe, order binary.ByteOrder, nano bool, link uint16, snaplen uint32) []byte {
	fs := make([]pcaptest.Frame, len(frames))
	for i, f := range frames {
		fs[i] = pcaptest.Frame{Data: f.data, TS: f.ts, Length: f.length}
	}
	return pcaptest.Encode(fs, order, nano, link, snaplen)
}

func labCaptures(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob("../../testdata/pcaps/*/capture.pcap")
	if err != nil || len(m) < 15 {
		t.Fatalf("lab captures: %v", err)
	}
	return m
}

// Every lab capture cut at many offsets: what lies before the cut is still
// analysed, a warning names the frame and byte, and the exit status is 2
// only when nothing could be read.
func TestCutEveryCapture(t *testing.T) {
	for _, path := range labCaptures(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(raw)/60)
		for cut := 0; cut < len(raw); cut += step {
			out, errOut, code := runCLI(t, string(raw[:cut]), "-r", "-", "--format", "json")
			switch {
			case cut < 24:
				if code != exitUsage || errOut == "" {
					t.Errorf("%s cut at %d: exit %d, stderr %q; want 2 with an error", path, cut, code, errOut)
				}
			case code == exitUsage:
				if !strings.Contains(errOut, "no packet could be read") {
					t.Errorf("%s cut at %d: exit 2: %s", path, cut, errOut)
				}
			case !strings.Contains(out, `"type":"summary"`):
				t.Errorf("%s cut at %d: no summary (exit %d)", path, cut, code)
			}
		}
	}
}

func verdictsOf(t *testing.T, args ...string) []verdict {
	t.Helper()
	out, errOut, code := runCLI(t, "", append(args, "--format", "json")...)
	if code == exitUsage {
		t.Fatalf("rstsniff %v: %s", args, errOut)
	}
	return verdicts(t, out)
}

func TestBrokenInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := "../../testdata/pcaps/reject-banner/capture.pcap"
	frames := readFrames(t, clean)
	want := verdictsOf(t, "-r", clean)
	raw := encodePcap(frames, binary.LittleEndian, false, 1, 262144)

	for name, c := range map[string]struct {
		in   []byte
		code int
		msg  string
	}{
		"empty":   {nil, exitUsage, "empty input"},
		"garbage": {[]byte(strings.Repeat("not a capture ", 20)), exitUsage, "not a pcap or pcapng capture"},
		// The magic of the other byte order makes every header field wrong.
		"swapped magic": {append([]byte{0xa1, 0xb2, 0xc3, 0xd4}, raw[4:]...), -1, ""},
	} {
		_, errOut, code := runCLI(t, "", "-r", write(name, c.in))
		if c.code >= 0 && (code != c.code || !strings.Contains(errOut, c.msg)) {
			t.Errorf("%s: exit %d, %q; want %d and %q", name, code, errOut, c.code, c.msg)
		}
		if c.code < 0 && code == exitUsage && errOut == "" {
			t.Errorf("%s: exit 2 without a message", name)
		}
	}

	// Records longer than the snapshot length the header announces.
	if got := verdictsOf(t, "-r", write("snaplen.pcap", encodePcap(frames, binary.LittleEndian, false, 1, 60))); !reflect.DeepEqual(got, want) {
		t.Errorf("caplen > snaplen: %+v, want %+v", got, want)
	}
	// Every packet twice, as a badly configured capture gives: retransmissions, same verdicts.
	var twice []tframe
	for _, f := range frames {
		twice = append(twice, f, f)
	}
	if got := verdictsOf(t, "-r", write("twice.pcap", encodePcap(twice, binary.LittleEndian, false, 1, 262144))); len(got) != 1 || got[0].Outcome != want[0].Outcome || got[0].Origins[:9] != "middlebox" {
		t.Errorf("duplicated packets: %+v, want %+v", got, want)
	}
	// Timestamps going backwards: no crash, the connections are still found.
	back := append([]tframe(nil), frames...)
	back[3].ts, back[4].ts = back[4].ts.Add(time.Second), back[3].ts.Add(-time.Hour)
	if got := verdictsOf(t, "-r", write("back.pcap", encodePcap(back, binary.LittleEndian, false, 1, 262144))); len(got) != 1 {
		t.Errorf("timestamps backwards: %+v", got)
	}
	// tcpdump -s 96: payloads cut short; the outcome stands, the notes say bytes are missing.
	cleanFrames := readFrames(t, "../../testdata/pcaps/clean/capture.pcap")
	var short []tframe
	for _, f := range cleanFrames {
		g := f
		if len(g.data) > 96 {
			g.data = g.data[:96]
		}
		short = append(short, g)
	}
	out, _, _ := runCLI(t, "", "-r", write("s96.pcap", encodePcap(short, binary.LittleEndian, false, 1, 96)), "--format", "json")
	if !strings.Contains(out, `"outcome":"closed"`) || !strings.Contains(out, "bytes missing from the capture") {
		t.Errorf("-s 96:\n%s", out)
	}

	// pcapng with an unknown block between packets, and with a damaged one.
	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if i == 3 {
			w.Flush()
			unknown := make([]byte, 16) // block type 0x0BADB10C, length 16, 4 bytes of body
			binary.LittleEndian.PutUint32(unknown[0:], 0x0BADB10C)
			binary.LittleEndian.PutUint32(unknown[4:], 16)
			binary.LittleEndian.PutUint32(unknown[12:], 16)
			ng.Write(unknown)
		}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: f.length}, f.data)
	}
	w.Flush()
	if got := verdictsOf(t, "-r", write("unknown-block.pcapng", ng.Bytes())); !reflect.DeepEqual(got, want) {
		t.Errorf("pcapng with an unknown block: %+v, want %+v", got, want)
	}
	damaged := append([]byte(nil), ng.Bytes()...)
	// Damage the fourth packet's block (after the SHB, IDB, 3 EPBs and the
	// unknown block); the warning points where reading stopped: just after
	// the third packet.
	off, after3 := 0, 0
	for i := 0; i < 6; i++ {
		if i == 5 {
			after3 = off
		}
		off += int(binary.LittleEndian.Uint32(damaged[off+4:]))
	}
	binary.LittleEndian.PutUint32(damaged[off+4:], 0xfffffff0)
	out, _, code := runCLI(t, "", "-r", write("damaged.pcapng", damaged), "--format", "json")
	if code == exitUsage || !strings.Contains(out, fmt.Sprintf("capture damaged or cut short after 3 packets (byte %d)", after3)) {
		t.Errorf("damaged pcapng block at byte %d (exit %d):\n%s", off, code, out)
	}
}

// wrap re-encodes a frame's IP packet in another link type.
func wrap(f tframe, link uint16, vlans int) []byte {
	var et uint16
	var ip []byte
	switch f.link {
	case 1:
		et, ip = binary.BigEndian.Uint16(f.data[12:14]), f.data[14:]
	case 276:
		et, ip = binary.BigEndian.Uint16(f.data[0:2]), f.data[20:]
	default:
		panic("unexpected link type")
	}
	var b []byte
	switch link {
	case 1:
		b = append(b, 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1)
		for i := 0; i < vlans; i++ {
			tpid := uint16(0x8100)
			if i == 0 && vlans == 2 {
				tpid = 0x88a8
			}
			b = binary.BigEndian.AppendUint16(b, tpid)
			b = binary.BigEndian.AppendUint16(b, uint16(10+i))
		}
		b = binary.BigEndian.AppendUint16(b, et)
	case 113:
		b = append(b, 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
		b = binary.BigEndian.AppendUint16(b, et)
	case 276:
		b = binary.BigEndian.AppendUint16(b, et)
		b = append(b, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
	case 101:
	}
	return append(b, ip...)
}

// Every lab capture re-encoded in other formats and link types, behind MPLS
// labels or PPPoE, or carried in a tunnel (VXLAN, ERSPAN, Geneve), gives
// the same verdicts. (inject-both is kept to the file formats: its copies are
// told apart by the interface and direction its Linux cooked header holds.)
func TestSameVerdictsWhateverTheWrapping(t *testing.T) {
	dir := t.TempDir()
	for _, path := range labCaptures(t) {
		name := filepath.Base(filepath.Dir(path))
		frames := readFrames(t, path)
		want := verdictsOf(t, append([]string{"-r", path}, scenarioArgs(filepath.Dir(path))...)...)
		link := frames[0].link
		variants := map[string][]byte{
			"pcap-us-le": encodePcap(frames, binary.LittleEndian, false, link, 262144),
			"pcap-ns-be": encodePcap(frames, binary.BigEndian, true, link, 262144),
			"pcap-us-be": encodePcap(frames, binary.BigEndian, false, link, 262144),
		}
		var ng bytes.Buffer
		w, _ := pcapgo.NewNgWriter(&ng, layers.LinkType(link))
		for _, f := range frames {
			w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: f.length}, f.data)
		}
		w.Flush()
		variants["pcapng"] = ng.Bytes()
		if name != "inject-both" {
			for _, v := range []struct {
				name  string
				link  uint16
				vlans int
			}{{"vlan", 1, 1}, {"qinq", 1, 2}, {"sll", 113, 0}, {"sll2", 276, 0}, {"raw", 101, 0}, {"ethernet", 1, 0}} {
				var fs []tframe
				for _, f := range frames {
					d := wrap(f, v.link, v.vlans)
					fs = append(fs, tframe{d, f.ts, len(d), v.link})
				}
				variants[v.name] = encodePcap(fs, binary.LittleEndian, true, v.link, 262144)
			}
			for _, k := range tunnelKinds {
				var fs []tframe
				for _, f := range frames {
					d := tunnelFrame(k, wrap(f, 1, 0))
					fs = append(fs, tframe{d, f.ts, len(d), 1})
				}
				variants[k] = encodePcap(fs, binary.LittleEndian, true, 1, 262144)
			}
		}
		for vn, b := range variants {
			p := filepath.Join(dir, name+"-"+vn)
			os.WriteFile(p, b, 0o644)
			got := verdictsOf(t, append([]string{"-r", p}, scenarioArgs(filepath.Dir(path))...)...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s as %s: %+v, want %+v", name, vn, got, want)
			}
		}
	}
}
