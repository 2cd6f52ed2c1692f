package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Tunnels a traffic mirror or an overlay puts around the packets it
// carries, for TestSameVerdictsWhateverTheWrapping: the same connections
// read through them must be judged the same (decode's tunnel.go).
var tunnelKinds = []string{"vxlan", "erspan2", "geneve-ipv6", "mpls", "pppoe"}

// tunnelFrame wraps an Ethernet frame in kind, between tunnel endpoints
// of their own (192.0.2.0/24, 2001:db8:ffff::/64), as an Ethernet frame;
// mpls and pppoe put their shim between its Ethernet header and its IP
// packet instead.
func tunnelFrame(kind string, eth []byte) []byte {
	var payload []byte
	var proto byte
	switch kind {
	case "mpls": // two labels, the bottom one marked
		return append(append(outerEthernet(0x8847), 0x00, 0x10, 0x00, 64, 0x00, 0x11, 0x01, 64), eth[14:]...)
	case "pppoe":
		ppp := uint16(0x0021)
		if eth[12] == 0x86 {
			ppp = 0x0057
		}
		h := []byte{0x11, 0, 0x00, 0x07, 0, 0, byte(ppp >> 8), byte(ppp)}
		binary.BigEndian.PutUint16(h[4:], uint16(len(eth)-14+2))
		return append(append(outerEthernet(0x8864), h...), eth[14:]...)
	case "vxlan":
		proto, payload = 17, udpDatagram(4789, append([]byte{0x08, 0, 0, 0, 0, 0, 0x2a, 0}, eth...))
	case "erspan2":
		gre := []byte{0x10, 0, 0x88, 0xbe, 0, 0, 0, 1} // sequence number present: ERSPAN type II
		erspan := []byte{0x10, 0x07, 0x00, 0x01, 0, 0, 0, 0}
		proto, payload = 47, append(append(gre, erspan...), eth...)
	case "geneve-ipv6":
		// One 8-byte option (a class, a type, a length of one word, one word).
		gen := []byte{2, 0, 0x65, 0x58, 0, 0, 0x2a, 0, 0x01, 0x08, 0x01, 0x01, 0, 0, 0, 9}
		d := udpDatagram(6081, append(gen, eth...))
		ip := make([]byte, 40)
		binary.BigEndian.PutUint32(ip[0:], 6<<28)
		binary.BigEndian.PutUint16(ip[4:], uint16(len(d)))
		ip[6], ip[7] = 17, 255
		copy(ip[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 15: 1})
		copy(ip[24:], []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 15: 2})
		return append(outerEthernet(0x86dd), append(ip, d...)...)
	default:
		panic("unknown tunnel " + kind)
	}
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 255, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	return append(outerEthernet(0x0800), append(ip, payload...)...)
}

func udpDatagram(port uint16, p []byte) []byte {
	h := []byte{0xc0, 0x00, byte(port >> 8), byte(port), 0, 0, 0, 0}
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(p)))
	return append(h, p...)
}

func outerEthernet(et uint16) []byte {
	return binary.BigEndian.AppendUint16([]byte{0x02, 0, 0, 0, 0, 0x22, 0x02, 0, 0, 0, 0, 0x21}, et)
}

// fragmentLarge cuts every IPv4 packet of 600 bytes or more of an Ethernet
// capture in two, as the kernel cuts them: the first fragment with the
// UDP header and more to come, the rest at its offset. whole has both
// fragments, cut the first only; split is how many packets were cut, and
// first the frame of the first one's fragment in cut.
func fragmentLarge(t *testing.T, path string) (whole, cut []tframe, split, first int) {
	t.Helper()
	for _, f := range readFrames(t, path) {
		ip := f.data[14:]
		if binary.BigEndian.Uint16(f.data[12:14]) != 0x0800 || len(ip) < 600 {
			whole, cut = append(whole, f), append(cut, f)
			continue
		}
		at := 20 + (len(ip)-20)/2&^7
		a := append([]byte(nil), f.data[:14+at]...)
		binary.BigEndian.PutUint16(a[14+2:], uint16(at))
		binary.BigEndian.PutUint16(a[14+6:], 0x2000)
		b := append(append([]byte(nil), f.data[:14+20]...), ip[at:]...)
		binary.BigEndian.PutUint16(b[14+2:], uint16(20+len(ip)-at))
		binary.BigEndian.PutUint16(b[14+6:], uint16((at-20)/8))
		whole = append(whole, tframe{a, f.ts, len(a), 1}, tframe{b, f.ts, len(b), 1})
		cut = append(cut, tframe{a, f.ts, len(a), 1}) // the rest never came
		if split++; first == 0 {
			first = len(cut)
		}
	}
	if split == 0 {
		t.Fatal("no datagram large enough to fragment")
	}
	return whole, cut, split, first
}

// A VXLAN overlay whose MTU is its path's (1500 on 1500) makes the kernel
// fragment the larger datagrams, as the lab's first try of tunnel-vxlan
// did. Put back together, they give the verdicts of the capture they were
// cut from; with fragments missing, the summary says how many packets could
// not be, and where the first was, in every format.
func TestTunnelFragments(t *testing.T) {
	capture := "../../testdata/pcaps/tunnel-vxlan/capture.pcap"
	whole, cut, split, first := fragmentLarge(t, capture)
	dir := t.TempDir()
	write := func(name string, fs []tframe) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, encodePcap(fs, binary.LittleEndian, false, 1, 262144), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w, c := write("whole.pcap", whole), write("cut.pcap", cut)
	if got, want := verdictsOf(t, "-r", w), verdictsOf(t, "-r", capture); !reflect.DeepEqual(got, want) {
		t.Errorf("fragmented: %+v\nwhole: %+v", got, want)
	}
	if out, _, _ := runCLI(t, "", "-r", w, "--format", "json"); strings.Contains(out, "fragmented") {
		t.Errorf("put back together, yet a warning:\n%s", out)
	}
	want := fmt.Sprintf("%d fragmented IP packets of TCP or a tunnel could not be put back together (fragments missing or more than 30 s apart), the first from frame %d", split, first)
	for _, format := range []string{"json", "table"} {
		got, _, _ := runCLI(t, "", "-r", c, "--format", format)
		if !strings.Contains(got, want) {
			t.Errorf("--format %s does not say %q:\n%s", format, want, got)
		}
	}
}

// TestTunnelLive runs lab.sh's tunnel-vxlan with rstsniff capturing live on
// the router, given the tunnel's filter ('udp port 4789'): the verdicts it
// streams are those of the capture tcpdump took there, and both hold the
// lab's truth. Needs root.
func TestTunnelLive(t *testing.T) {
	needLab(t)
	bin := buildRstsniff(t)
	out := keptDir(t, "rstsniff-tunnel-")
	cmd := exec.Command("bash", "../../testdata/lab/lab.sh", out, "tunnel-vxlan")
	cmd.Env = append(os.Environ(), "RSTSNIFF="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("lab.sh: %v\n%s", err, b)
	}
	dir := filepath.Join(out, "tunnel-vxlan")
	live, err := os.ReadFile(filepath.Join(dir, "live.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	client, _ := os.ReadFile(filepath.Join(dir, "client.txt"))
	checkTruth(t, "tunnel-vxlan", parseVerdicts(t, string(live), true), string(client))
	if got, want := verdicts(t, string(live)), verdictsOf(t, "-r", filepath.Join(dir, "capture.pcap")); !reflect.DeepEqual(got, want) {
		t.Errorf("live: %+v\nfrom tcpdump's capture: %+v", got, want)
	}
}

// A capture may hold each packet twice, as sent and wrapped in a tunnel (a
// mirror of a VTEP's two sides, or two captures merged), with nothing else
// to tell the copies apart: each is counted once, each reset listed once.
func TestTunnelCopiesCountedOnce(t *testing.T) {
	inner := "../../testdata/pcaps/tunnel-vxlan/inner.pcap"
	var fs []tframe
	for _, f := range readFrames(t, inner) {
		w := tunnelFrame("vxlan", f.data)
		fs = append(fs, f, tframe{w, f.ts, len(w), 1})
	}
	p := filepath.Join(t.TempDir(), "both.pcap")
	if err := os.WriteFile(p, encodePcap(fs, binary.LittleEndian, false, 1, 262144), 0o644); err != nil {
		t.Fatal(err)
	}
	counts := func(path string) string {
		out, _, _ := runCLI(t, "", "-r", path, "--format", "json")
		var s []string
		for _, f := range jsonFlows(t, out) {
			s = append(s, fmt.Sprintf("%d resets", len(f.Resets)))
		}
		return fmt.Sprint(verdictsOf(t, "-r", path), s)
	}
	if got, want := counts(p), counts(inner); got != want {
		t.Errorf("both copies: %s\none: %s", got, want)
	}
}

// The summary says how many packets were read inside a tunnel: tshark finds
// 82 TCP segments in suricata-verify's AWS Traffic Mirroring capture (four
// SSH sessions: 23, 21, 21 and 17) and 22 in Zeek's GRE capture; the plain
// lab capture has none, and says nothing of tunnels.
func TestTunnelledPacketsCounted(t *testing.T) {
	for _, c := range []struct {
		path string
		want int
	}{
		{"../../testdata/external/suricata-verify/vxlan-decoder-03.pcap", 82},
		{"../../testdata/external/zeek/gre-sample.pcap", 22},
		{"../../testdata/pcaps/clean/capture.pcap", 0},
	} {
		out, _, _ := runCLI(t, "", "-r", c.path, "--format", "json")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var sum struct {
			Inputs []struct {
				Tunnelled int `json:"tunnelled_packets"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || len(sum.Inputs) != 1 {
			t.Fatalf("%s: %v: %s", c.path, err, out)
		}
		if sum.Inputs[0].Tunnelled != c.want {
			t.Errorf("%s: %d packets read inside a tunnel, want %d", c.path, sum.Inputs[0].Tunnelled, c.want)
		}
		table, _, _ := runCLI(t, "", "-r", c.path, "--all")
		if said := strings.Contains(table, "read inside a tunnel"); said != (c.want > 0) {
			t.Errorf("%s: the table's summary says %v of tunnels:\n%s", c.path, said, table)
		}
	}
}

// -w keeps every fragment of a packet put back together, so the evidence
// capture reads as the capture did: the fragmented tunnel-vxlan capture's
// evidence gives the verdict of its reset connection, with no warning of
// fragments lost.
func TestTunnelFragmentsRecorded(t *testing.T) {
	dir := t.TempDir()
	fs, _, _, _ := fragmentLarge(t, "../../testdata/pcaps/tunnel-vxlan/capture.pcap")
	in, ev := filepath.Join(dir, "fragmented.pcap"), filepath.Join(dir, "evidence.pcapng")
	if err := os.WriteFile(in, encodePcap(fs, binary.LittleEndian, false, 1, 262144), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "-r", in, "-w", ev); code == exitUsage {
		t.Fatal(errOut)
	}
	all := verdictsOf(t, "-r", in)
	got := verdictsOf(t, "-r", ev)
	if len(all) != 2 || len(got) != 1 || !reflect.DeepEqual(got[0], all[1]) {
		t.Errorf("the evidence: %+v, want the reset connection's verdict of %+v", got, all)
	}
	if out, _, _ := runCLI(t, "", "-r", ev, "--format", "json"); strings.Contains(out, "could not be put back together") {
		t.Errorf("the evidence lacks fragments:\n%s", out)
	}
}
