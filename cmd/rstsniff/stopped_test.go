package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// A pcapng capture that records when it stopped (an interface statistics
// block's isb_endtime, as dumpcap writes) settles what a pcap cannot: the
// client's capture cut after frame 9 but recorded as running 5 s longer,
// so the server's packets it lacks were lost on the path (issue 20, item 6).
func TestPairsStoppedRecorded(t *testing.T) {
	dir := "../../testdata/pairs/drop-large"
	all := readFrames(t, filepath.Join(dir, "client.pcap"))
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "c0", LinkType: layers.LinkType(all[0].link), SnapLength: 262144}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all[:9] {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: f.length}, f.data); err != nil {
			t.Fatal(err)
		}
	}
	end := all[len(all)-1].ts.Add(5 * time.Second)
	if err := w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: end, StartTime: all[0].ts, EndTime: end}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	client := filepath.Join(t.TempDir(), "client.pcapng")
	if err := os.WriteFile(client, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := correlateJSON(t, client, filepath.Join(dir, "server.pcap"))
	if _, ok := got.frames["absent-after-capture"]; ok || len(got.frames["dropped-on-path"][1]) == 0 {
		t.Errorf("findings %v, want the server's packets dropped-on-path and nothing absent", got.frames)
	}
	if got.unseen != 0 {
		t.Errorf("%d packets outside the other capture, want 0: it says it ran until %v", got.unseen, end)
	}
}
