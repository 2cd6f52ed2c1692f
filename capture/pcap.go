package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// pcapReader reads classic pcap records straight out of the pieces the
// stream is read in: a record inside one piece (all but the few that
// straddle two) is returned as a slice of it, without copying. It reads
// what pcapgo.Reader reads and fails where it fails, with its messages,
// and is several times faster (pcapgo adds its own buffer and copies every
// frame).
type pcapReader struct {
	in      *chunks
	cur     []byte // the current piece
	pos     int    // in cur
	base    int64  // stream offset of cur[0]
	carry   []byte // a record or header that straddles pieces
	order   binary.ByteOrder
	factor  uint32 // nanoseconds per timestamp unit
	snaplen uint32
	link    uint16
}

// eagerReadMax is the longest record taken when the file declares a
// shorter snap length, as pcapgo and tcpdump do: writers that do not
// truncate to what they declare exist.
const eagerReadMax = 262144

// newPcapReader reads the file header from br, then the records from what
// br has buffered followed by the rest of below, br's source; at is the
// stream offset br has read up to. With ahead, a goroutine reads ahead.
// Its reads take up to size bytes.
func newPcapReader(br *bufio.Reader, below io.Reader, at int64, ahead bool, size int) (*pcapReader, error) {
	var hdr [24]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, err
	}
	buffered, _ := br.Peek(br.Buffered())
	p := &pcapReader{base: at + 24}
	switch binary.LittleEndian.Uint32(hdr[0:4]) {
	case 0xa1b2c3d4:
		p.order, p.factor = binary.LittleEndian, 1000
	case 0xd4c3b2a1:
		p.order, p.factor = binary.BigEndian, 1000
	case 0xa1b23c4d:
		p.order, p.factor = binary.LittleEndian, 1
	case 0x4d3cb2a1:
		p.order, p.factor = binary.BigEndian, 1
	default:
		return nil, fmt.Errorf("Unknown magic %x", binary.LittleEndian.Uint32(hdr[0:4]))
	}
	if v := p.order.Uint16(hdr[4:6]); v != 2 {
		return nil, fmt.Errorf("Unknown major version %d", v)
	}
	if v := p.order.Uint16(hdr[6:8]); v != 4 {
		return nil, fmt.Errorf("Unknown minor version %d", v)
	}
	p.snaplen = p.order.Uint32(hdr[16:20])
	p.link = uint16(p.order.Uint32(hdr[20:24]))
	p.in = newChunks(buffered, below, ahead, size)
	return p, nil
}

func (p *pcapReader) maxCaptureLength() int {
	if p.snaplen > eagerReadMax {
		return int(p.snaplen)
	}
	return eagerReadMax
}

// offset is the stream offset of the next record.
func (p *pcapReader) offset() int64 { return p.base + int64(p.pos) }

// take returns the next n bytes, valid until the next take: a slice of the
// current piece, or the carry buffer filled from the pieces they span. It
// grows the carry only as bytes come, so a lying length cannot make it
// allocate gigabytes. Short of n bytes it returns what there was and the
// stream's error: io.EOF when it ended.
func (p *pcapReader) take(n int) ([]byte, error) {
	if len(p.cur)-p.pos >= n {
		b := p.cur[p.pos : p.pos+n : p.pos+n]
		p.pos += n
		return b, nil
	}
	p.carry = append(p.carry[:0], p.cur[p.pos:]...)
	for len(p.carry) < n {
		p.base += int64(len(p.cur))
		p.cur, p.pos = nil, 0
		b, err := p.in.next()
		if err != nil {
			return p.carry, err
		}
		k := min(n-len(p.carry), len(b))
		p.carry = append(p.carry, b[:k]...)
		p.cur, p.pos = b, k
	}
	return p.carry, nil
}

// read reads the next record's data, time and length on the wire into f;
// it returns io.EOF at a clean end, io.ErrUnexpectedEOF when the file stops
// inside a record.
func (p *pcapReader) read(f *Frame) error {
	hdr, err := p.take(16)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	f.Timestamp = time.Unix(int64(p.order.Uint32(hdr[0:4])), int64(p.order.Uint32(hdr[4:8])*p.factor)).UTC()
	capLen := int(p.order.Uint32(hdr[8:12]))
	f.Length = int(p.order.Uint32(hdr[12:16]))
	switch {
	case capLen > p.maxCaptureLength():
		return fmt.Errorf("capture length exceeds snap length: %d > %d", capLen, p.snaplen)
	case capLen > f.Length:
		return fmt.Errorf("capture length exceeds original packet length: %d > %d", capLen, f.Length)
	}
	f.Data, err = p.take(capLen)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func (p *pcapReader) close() { p.in.close() }
