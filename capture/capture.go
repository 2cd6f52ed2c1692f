package capture

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// Info describes one frame.
type Info struct {
	Timestamp time.Time
	Length    int    // length on the wire
	LinkType  uint16 // LINKTYPE_ value of the frame's interface
}

// Frame is one frame and what the capture says of it.
type Frame struct {
	Data []byte
	Info
}

// FrameReader is implemented by sources that can fill a Frame in place:
// ReadFrame's results are copied through memory, for every packet.
type FrameReader interface {
	// ReadFrameTo reads the next frame into f, as ReadFrame would return it.
	ReadFrameTo(f *Frame) error
}

// Source yields frames one at a time. The slice returned by ReadFrame is
// owned by the Source and valid until the next ReadFrame or Close. ReadFrame
// returns io.EOF at a clean end and a *ReadError when the input is damaged;
// the frames read before it remain good.
type Source interface {
	ReadFrame() ([]byte, Info, error)
	// Format describes the input, such as "pcap (ns, big-endian)".
	Format() string
	Close() error
}

// ReadError reports a capture that could not be read to its end.
type ReadError struct {
	Name   string // file name, "-" for standard input
	Frame  int    // 1-based number of the frame that could not be read
	Offset int64  // byte offset in the (uncompressed) stream where reading that frame began, right after the last frame read
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("capture: %s: frame %d at byte %d: %v", e.Name, e.Frame, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// OpenError reports an input that could not be opened or is not a capture.
type OpenError struct {
	Name string
	Err  error
}

func (e *OpenError) Error() string { return fmt.Sprintf("capture: %s: %v", e.Name, e.Err) }
func (e *OpenError) Unwrap() error { return e.Err }

// ErrTimeout is returned by the ReadFrame of a live source when no frame
// came within its read timeout; reading may go on. Files never return it.
var ErrTimeout = errors.New("capture: no frame within the read timeout")

// ErrUnknownFormat is returned for input that is neither pcap nor pcapng.
var ErrUnknownFormat = errors.New("not a pcap or pcapng capture (unknown magic number)")

// countingReader counts the bytes its consumer has taken.
type countingReader struct {
	r io.Reader
	n int64
	// shown is n for other goroutines (a progress bar).
	shown atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.shown.Store(c.n)
	return n, err
}

type fileSource struct {
	name    string
	closer  io.Closer
	offset  *bufCount
	format  string
	pcap    *pcapReader
	ng      *pcapgo.NgReader
	link    uint16
	ngLinks []uint16 // link type by pcapng interface index
	frame   int
	failed  error
	raw     *countingReader // bytes taken from the input itself (compressed, for gzip)
	stopped time.Time       // the latest isb_endtime of a pcapng interface statistics block
	isbs    int             // pcapng interface statistics blocks read
}

// Stopper is implemented by sources that may know when capturing stopped:
// a pcapng file whose interface statistics blocks carry isb_endtime
// (dumpcap writes one per interface at the end). Stopped is zero when the
// input did not say; it is complete once ReadFrame returned io.EOF.
type Stopper interface{ Stopped() time.Time }

// Stopped is when capturing stopped, as the file recorded it, or zero.
func (s *fileSource) Stopped() time.Time { return s.stopped }

// Progress is implemented by sources that can say how much of their input
// they have read, for a progress bar.
type Progress interface {
	BytesRead() int64
}

// BytesRead returns how many bytes of the input (as stored) were read.
// It may be called from another goroutine than ReadFrame's.
func (s *fileSource) BytesRead() int64 { return s.raw.shown.Load() }

// Open opens a capture file, or standard input when name is "-".
func Open(name string) (Source, error) {
	var f io.ReadCloser
	if name == "-" {
		f = io.NopCloser(os.Stdin)
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return nil, &OpenError{Name: name, Err: err}
		}
		f = fh
	}
	s, err := NewReader(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.(*fileSource).closer = f
	return s, nil
}

// bufferFor is how large the read buffers for r are: 1 MiB, or less for a
// file that holds less. A small capture then allocates a few hundred
// kilobytes, not 5 MiB: under the collector's first goal (4 MB), so that a
// short run needs no collection, whose scan of the global variables
// (gopacket's tables, 5 MB) cost as much as the rest of its start
// (measurement, docs/performance.md).
func bufferFor(r io.Reader) int {
	const most, least = 1 << 20, 64 << 10
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < most {
			return max(least, int(fi.Size()+least-1)/least*least)
		}
	}
	return most
}

// NewReader reads a capture from r; name is used in messages. Closing the
// Source does not close r.
func NewReader(name string, r io.Reader) (Source, error) {
	raw := &countingReader{r: r}
	size := bufferFor(r)
	br := bufio.NewReaderSize(raw, size)
	// top is what the format readers read; below it, counted, the file
	// itself or its decompressed stream.
	top, below := br, raw
	compressed := ""
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &OpenError{Name: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		below = &countingReader{r: zr}
		top = bufio.NewReaderSize(below, 1<<20)
		compressed = ", gzip"
	}
	magic, err := top.Peek(4)
	if err != nil {
		if len(magic) == 0 {
			return nil, &OpenError{Name: name, Err: errors.New("empty input")}
		}
		return nil, &OpenError{Name: name, Err: ErrUnknownFormat}
	}
	// Offsets are what the counting reader passed up, less what the
	// buffer above it still holds.
	s := &fileSource{name: name, offset: &bufCount{br: top, c: below}, raw: raw}
	switch {
	case magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a:
		ng, err := pcapgo.NewNgReader(top, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true,
			StatisticsCallback: func(_ int, st pcapgo.NgInterfaceStatistics) {
				s.isbs++
				if st.EndTime.After(s.stopped) {
					s.stopped = st.EndTime
				}
			}})
		if err != nil {
			return nil, &OpenError{Name: name, Err: fmt.Errorf("pcapng: %w", err)}
		}
		s.ng = ng
		s.format = "pcapng" + compressed
	case isPcapMagic(magic):
		if compressed != "" {
			size = 1 << 20 // what it inflates to is not known
		}
		pr, err := newPcapReader(top, below, s.offset.Offset(), runtime.GOMAXPROCS(0) > 1, size)
		if err != nil {
			return nil, &OpenError{Name: name, Err: fmt.Errorf("pcap: %w", err)}
		}
		s.pcap = pr
		s.link = pr.link
		s.format = pcapFormat(magic) + compressed
	default:
		return nil, &OpenError{Name: name, Err: ErrUnknownFormat}
	}
	return s, nil
}

// bufCount tells how many bytes the reader above a bufio.Reader consumed.
type bufCount struct {
	br *bufio.Reader
	c  *countingReader
}

func (b *bufCount) Offset() int64 { return b.c.n - int64(b.br.Buffered()) }

func isPcapMagic(m []byte) bool {
	switch string(m) {
	case "\xd4\xc3\xb2\xa1", "\xa1\xb2\xc3\xd4", "\x4d\x3c\xb2\xa1", "\xa1\xb2\x3c\x4d":
		return true
	}
	return false
}

func pcapFormat(m []byte) string {
	switch string(m) {
	case "\xd4\xc3\xb2\xa1":
		return "pcap (µs, little-endian)"
	case "\xa1\xb2\xc3\xd4":
		return "pcap (µs, big-endian)"
	case "\x4d\x3c\xb2\xa1":
		return "pcap (ns, little-endian)"
	}
	return "pcap (ns, big-endian)"
}

func (s *fileSource) Format() string { return s.format }

// ReadsAhead reports whether a goroutine reads the input ahead of
// ReadFrame: classic pcap files are, when there is more than one core.
func (s *fileSource) ReadsAhead() bool { return s.pcap != nil && s.pcap.in.full != nil }

func (s *fileSource) offsetNow() int64 {
	if s.pcap != nil {
		return s.pcap.offset()
	}
	return s.offset.Offset()
}

func (s *fileSource) ReadFrame() ([]byte, Info, error) {
	var f Frame
	err := s.ReadFrameTo(&f)
	return f.Data, f.Info, err
}

func (s *fileSource) ReadFrameTo(f *Frame) error {
	if s.failed != nil {
		*f = Frame{}
		return s.failed
	}
	at, isbs := s.offsetNow(), s.isbs
	var err error
	if s.pcap != nil {
		if err = s.pcap.read(f); err == nil {
			s.frame++
			f.LinkType = s.link
			return nil
		}
	} else {
		var ci gopacket.CaptureInfo
		f.Data, ci, err = s.ng.ZeroCopyReadPacketData()
		f.Timestamp, f.Length = ci.Timestamp, ci.Length
		if err == nil {
			f.LinkType = s.ngLink(ci.InterfaceIndex)
		}
	}
	if err == io.EOF && s.offsetNow() > at && s.isbs == isbs {
		// pcapgo says EOF when a record header is whole but its data is
		// missing entirely: the file was cut, not finished. (Interface
		// statistics blocks at the end, as dumpcap writes them, are read
		// on the way to the end: that is a finished file.)
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		*f = Frame{}
		if err == io.EOF {
			s.failed = io.EOF
			return io.EOF
		}
		s.failed = &ReadError{Name: s.name, Frame: s.frame + 1, Offset: at, Err: err}
		return s.failed
	}
	s.frame++
	return nil
}

func (s *fileSource) ngLink(i int) uint16 {
	if i >= 0 && i < len(s.ngLinks) {
		return s.ngLinks[i]
	}
	for j := len(s.ngLinks); j < s.ng.NInterfaces(); j++ {
		iface, err := s.ng.Interface(j)
		if err != nil {
			s.ngLinks = append(s.ngLinks, 0xffff)
			continue
		}
		s.ngLinks = append(s.ngLinks, uint16(iface.LinkType))
	}
	if i >= 0 && i < len(s.ngLinks) {
		return s.ngLinks[i]
	}
	return 0xffff
}

func (s *fileSource) Close() error {
	if s.pcap != nil {
		s.pcap.close()
	}
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
