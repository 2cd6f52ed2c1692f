package record

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/pipeline"
)

// runThrough reads a lab capture through the pipeline with rec as its
// recorder and hands each flow to keep.
func runThrough(t *testing.T, scenario string, rec pipeline.Recorder, keep func(*analyze.Flow)) {
	t.Helper()
	src, err := capture.Open("../../testdata/pcaps/" + scenario + "/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := pipeline.Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows, Recorder: rec}
	if _, err := pipeline.Run(context.Background(), src, cfg, pipeline.PacketTime(), func(f *analyze.Flow) error {
		keep(f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// packets counts the packets of a pcapng file.
func packets(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// TestWriterKeepsAbnormal: the rate-limit capture's refused connection
// (one SYN, one RST) is written, its three sessions that closed are not;
// a clean capture leaves a valid, empty file.
func TestWriterKeepsAbnormal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ev.pcapng")
	w, err := Create(path, "-w "+path, "rstsniff test")
	if err != nil {
		t.Fatal(err)
	}
	notable := 0
	runThrough(t, "rate-limit", w, func(f *analyze.Flow) {
		if f.Notable() {
			notable++
		}
	})
	if _, err := os.Stat(path); err == nil {
		t.Error("the file is in place before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Flows != notable || notable != 1 || w.Packets != 2 || w.Omitted != 0 {
		t.Errorf("wrote %d flows (%d notable), %d packets, %d omitted", w.Flows, notable, w.Packets, w.Omitted)
	}
	if n := packets(t, path); n != w.Packets {
		t.Errorf("the file holds %d packets, the writer says %d", n, w.Packets)
	}
	clean := filepath.Join(dir, "clean.pcapng")
	w, err = Create(clean, "-w "+clean, "rstsniff test")
	if err != nil {
		t.Fatal(err)
	}
	runThrough(t, "clean", w, func(*analyze.Flow) {})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := packets(t, clean); n != 0 || w.Flows != 0 {
		t.Errorf("a clean capture wrote %d packets, %d flows", n, w.Flows)
	}
}

// TestHeld: nothing is written on the pipeline's hand-over; Keep writes an
// abnormal connection, Drop forgets one.
func TestHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.pcapng")
	w, err := Create(path, "-w "+path, "rstsniff test")
	if err != nil {
		t.Fatal(err)
	}
	h := &Held{Writer: w}
	var flows []*analyze.Flow
	runThrough(t, "rate-limit", h, func(f *analyze.Flow) { flows = append(flows, f) })
	if w.Flows != 0 || len(w.flows) != len(flows) {
		t.Fatalf("on hand-over: %d written, %d held of %d", w.Flows, len(w.flows), len(flows))
	}
	for _, f := range flows {
		if f.Notable() {
			h.Drop(f)
		} else if err := h.Keep(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := packets(t, path); n != 0 || len(w.flows) != 0 {
		t.Errorf("the dropped connection was written (%d packets) or frames stay held (%d)", n, len(w.flows))
	}
	var none *Held
	none.Drop(flows[0])
	if none.Keep(flows[0]) != nil {
		t.Error("a nil Held failed")
	}
}
