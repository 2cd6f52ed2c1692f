package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/internal/pcaptest"
)

// FuzzCapture: any bytes read as a capture give frames or a clean error,
// never a panic or an endless loop.
func FuzzCapture(f *testing.F) {
	for _, name := range []string{"refused", "reject-banner", "post-handshake"} {
		b, err := os.ReadFile("../testdata/pcaps/" + name + "/capture.pcap")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a})
	f.Add(gz([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}))
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 64 // thousands of readers a second, each with its buffers
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		defer s.Close()
		// gzip may expand the input, so bound frames by libpcap's maximum
		// and the loop by a count no honest test input reaches.
		for i := 0; i < 1<<20; i++ {
			d, _, err := s.ReadFrame()
			if err != nil {
				if err != io.EOF && s.(*fileSource).failed == nil {
					t.Fatal("an error that does not stick")
				}
				return
			}
			if len(d) > 262144 {
				t.Fatalf("a %d-byte frame", len(d))
			}
		}
	})
}

// FuzzPcapLikePcapgo: the classic pcap reader gives the frames, times and
// lengths pcapgo gives, and stops where it stops.
func FuzzPcapLikePcapgo(f *testing.F) {
	for _, name := range []string{"refused", "reject-banner"} {
		b, err := os.ReadFile("../testdata/pcaps/" + name + "/capture.pcap")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-7])
		f.Add(b[:40])
	}
	f.Add([]byte{0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0})
	defer func(n int) { chunkSize = n }(chunkSize)
	chunkSize = 64 // thousands of readers a second, each with its buffers
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			return // pcapgo would decompress; ours does that a layer up
		}
		want, werr := pcapgo.NewReader(bytes.NewReader(data))
		// Reads of a few bytes each make pieces that records straddle.
		r := &smallReads{r: bytes.NewReader(data), max: 1 + len(data)%23}
		got, gerr := newPcapReader(bufio.NewReaderSize(r, 16), r, 0, len(data)%2 == 0, chunkSize)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("opening: pcapgo %v, ours %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		defer got.close()
		for i := 0; ; i++ {
			wd, ci, werr := want.ReadPacketData()
			var fr Frame
			gerr := got.read(&fr)
			gd, ts, length := fr.Data, fr.Timestamp, fr.Length
			if werr != nil || gerr != nil {
				switch {
				case werr == io.EOF && gerr == io.EOF:
				case werr == io.EOF && gerr == io.ErrUnexpectedEOF:
					// pcapgo says EOF when a record's header is whole and
					// its data missing; ReadFrame turned that into a cut.
				case werr != nil && gerr != nil && werr != io.EOF && gerr != io.EOF:
				default:
					t.Fatalf("record %d: pcapgo %v, ours %v", i, werr, gerr)
				}
				return
			}
			if !bytes.Equal(wd, gd) || !ci.Timestamp.Equal(ts) || ci.Length != length {
				t.Fatalf("record %d differs: %d/%d bytes, %v/%v, length %d/%d", i, len(wd), len(gd), ci.Timestamp, ts, ci.Length, length)
			}
		}
	})
}

// A record longer than the reader's buffer (a jumbo frame under a large
// snap length) is read whole.
func TestPcapRecordLargerThanBuffer(t *testing.T) {
	big := bytes.Repeat([]byte{0xab}, 3<<20)
	big[0], big[len(big)-1] = 1, 2
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	file := pcaptest.Encode([]pcaptest.Frame{{Data: []byte("small"), TS: t0}, {Data: big, TS: t0.Add(time.Second)}, {Data: []byte("after"), TS: t0.Add(2 * time.Second)}},
		binary.LittleEndian, false, 1, 4<<20)
	s, err := NewReader("big", bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	frames, err := readAll(t, s)
	if err != nil || len(frames) != 3 || !bytes.Equal(frames[1].data, big) || string(frames[2].data) != "after" {
		t.Fatalf("%d frames, %v", len(frames), err)
	}
	cut, err := NewReader("big", bytes.NewReader(file[:len(file)-len("after")-16-100]))
	if err != nil {
		t.Fatal(err)
	}
	frames, err = readAll(t, cut)
	var re *ReadError
	if len(frames) != 1 || !errors.As(err, &re) || re.Frame != 2 {
		t.Fatalf("cut inside the large record: %d frames, %v", len(frames), err)
	}
}

// smallReads returns at most max bytes per Read.
type smallReads struct {
	r   io.Reader
	max int
}

func (s *smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.max)]) }
