package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/internal/pcaptest"
)

type frame struct {
	data []byte
	ts   time.Time
	link uint16
}

// readAll reads every frame of a source, copying the zero-copy buffers.
func readAll(t *testing.T, s Source) ([]frame, error) {
	t.Helper()
	var out []frame
	for {
		data, ci, err := s.ReadFrame()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, frame{append([]byte(nil), data...), ci.Timestamp, ci.LinkType})
	}
}

// labFrames reads a real lab capture (tcpdump, Ethernet, µs).
func labFrames(t *testing.T, name string) []frame {
	t.Helper()
	s, err := Open(filepath.Join("..", "testdata", "pcaps", name, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := readAll(t, s)
	if err != nil || len(f) < 10 {
		t.Fatalf("%d frames, %v", len(f), err)
	}
	return f
}

// encodePcap writes frames as classic pcap.
func encodePcap(frames []frame, order binary.ByteOrder, nano bool, link uint16) []byte {
	fs := make([]pcaptest.Frame, len(frames))
	for i, f := range frames {
		fs[i] = pcaptest.Frame{Data: f.data, TS: f.ts}
	}
	return pcaptest.Encode(fs, order, nano, link, 262144)
}

func same(t *testing.T, got, want []frame, link uint16) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].data, want[i].data) || !got[i].ts.Equal(want[i].ts) || got[i].link != link {
			t.Fatalf("frame %d differs: ts %v/%v link %d", i+1, got[i].ts, want[i].ts, got[i].link)
		}
	}
}

func TestPcapVariants(t *testing.T) {
	want := labFrames(t, "clean")
	for _, c := range []struct {
		name   string
		order  binary.ByteOrder
		nano   bool
		format string
	}{
		{"le-us", binary.LittleEndian, false, "pcap (µs, little-endian)"},
		{"be-us", binary.BigEndian, false, "pcap (µs, big-endian)"},
		{"le-ns", binary.LittleEndian, true, "pcap (ns, little-endian)"},
		{"be-ns", binary.BigEndian, true, "pcap (ns, big-endian)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := encodePcap(want, c.order, c.nano, 1)
			for _, gz := range []bool{false, true} {
				in := raw
				format := c.format
				if gz {
					var zb bytes.Buffer
					zw := gzip.NewWriter(&zb)
					zw.Write(raw)
					zw.Close()
					in = zb.Bytes()
					format += ", gzip"
				}
				s, err := NewReader("test", bytes.NewReader(in))
				if err != nil {
					t.Fatal(err)
				}
				if s.Format() != format {
					t.Errorf("format %q, want %q", s.Format(), format)
				}
				got, err := readAll(t, s)
				if err != nil {
					t.Fatal(err)
				}
				same(t, got, want, 1)
			}
		})
	}
}

// A pcapng file with two interfaces of different link types (Ethernet and
// Linux cooked v2) yields every packet with its own link type.
func TestPcapngMixedLinks(t *testing.T) {
	eth, any := labFrames(t, "clean"), labFrames(t, "any")
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "c0", LinkType: layers.LinkTypeEthernet, SnapLength: 262144}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface(pcapgo.NgInterface{Name: "any", LinkType: layers.LinkType(276), SnapLength: 262144})
	if err != nil {
		t.Fatal(err)
	}
	var want []frame
	for i := 0; i < 10; i++ {
		for _, f := range []frame{{eth[i].data, eth[i].ts, 1}, {any[i].data, any[i].ts, 276}} {
			ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}
			if f.link == 276 {
				ci.InterfaceIndex = id
			}
			if err := w.WritePacket(ci, f.data); err != nil {
				t.Fatal(err)
			}
			want = append(want, f)
		}
	}
	w.Flush()
	s, err := NewReader("mixed.pcapng", &b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].link != want[i].link || !bytes.Equal(got[i].data, want[i].data) {
			t.Fatalf("frame %d: link %d, want %d", i+1, got[i].link, want[i].link)
		}
	}
}

// A capture cut anywhere gives back every whole frame before the cut and a
// ReadError naming the frame and the byte offset, also when it comes in
// reads of a few bytes (a pipe), which records straddle.
func TestTruncated(t *testing.T) {
	for _, max := range []int{1 << 30, 5} {
		testTruncated(t, func(b []byte) io.Reader { return &smallReads{r: bytes.NewReader(b), max: max} })
	}
}

func testTruncated(t *testing.T, reader func([]byte) io.Reader) {
	want := labFrames(t, "clean")
	raw := encodePcap(want, binary.LittleEndian, false, 1)
	ends := []int{24} // offset where each frame ends
	for _, f := range want {
		ends = append(ends, ends[len(ends)-1]+16+len(f.data))
	}
	for cut := 25; cut < len(raw); cut += 7 {
		s, err := NewReader("cut", reader(raw[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, s)
		s.Close()
		whole := 0
		for whole+1 < len(ends) && ends[whole+1] <= cut {
			whole++
		}
		if len(got) != whole {
			t.Fatalf("cut at %d: %d frames, want %d", cut, len(got), whole)
		}
		if cut == ends[whole] {
			if err != nil {
				t.Fatalf("cut at a frame boundary %d: %v", cut, err)
			}
			continue
		}
		var re *ReadError
		if !errors.As(err, &re) || re.Frame != whole+1 || re.Offset != int64(ends[whole]) {
			t.Fatalf("cut at %d: %v, want ReadError at frame %d offset %d", cut, err, whole+1, ends[whole])
		}
	}
}

func TestNotACapture(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":   nil,
		"garbage": []byte("this is not a capture at all"),
		"short":   {0xd4, 0xc3},
		"gzipped": gz([]byte("hello")),
	} {
		if _, err := NewReader(name, bytes.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func gz(b []byte) []byte {
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(b)
	zw.Close()
	return zb.Bytes()
}

// A pcapng file's interface statistics block says when capturing stopped
// (isb_endtime): Stopped gives it once the frames are read; a file
// without one, and classic pcap, give zero.
func TestPcapngStopped(t *testing.T) {
	eth := labFrames(t, "clean")
	for _, withISB := range []bool{true, false} {
		var b bytes.Buffer
		w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{Name: "c0", LinkType: layers.LinkTypeEthernet, SnapLength: 262144}, pcapgo.DefaultNgWriterOptions)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range eth[:3] {
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}, f.data); err != nil {
				t.Fatal(err)
			}
		}
		end := eth[2].ts.Add(5 * time.Second).UTC().Truncate(time.Microsecond)
		if withISB {
			if err := w.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: end, StartTime: eth[0].ts, EndTime: end}); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		s, err := NewReader("stats.pcapng", &b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(t, s); err != nil {
			t.Fatal(err)
		}
		got := s.(Stopper).Stopped()
		if withISB && !got.Equal(end) || !withISB && !got.IsZero() {
			t.Errorf("isb %v: stopped %v, want %v", withISB, got, end)
		}
	}
}
