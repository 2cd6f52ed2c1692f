package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// pcapReader reads classic pcap records straight out of a bufio.Reader's
// buffer: a record that fits (all but the very largest) is returned as a
// slice of that buffer, without copying. It reads what pcapgo.Reader reads
// and fails where it fails, with its messages, and is several times faster
// (pcapgo adds its own buffer and copies every frame).
type pcapReader struct {
	br      *bufio.Reader
	order   binary.ByteOrder
	factor  uint32 // nanoseconds per timestamp unit
	snaplen uint32
	link    uint16
	big     []byte // records larger than br's buffer
}

// eagerReadMax is the longest record taken when the file declares a
// shorter snap length, as pcapgo and tcpdump do: writers that do not
// truncate to what they declare exist.
const eagerReadMax = 262144

func newPcapReader(br *bufio.Reader) (*pcapReader, error) {
	var hdr [24]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, err
	}
	p := &pcapReader{br: br}
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
	return p, nil
}

func (p *pcapReader) maxCaptureLength() int {
	if p.snaplen > eagerReadMax {
		return int(p.snaplen)
	}
	return eagerReadMax
}

// read returns the next record's data, time and length on the wire; io.EOF
// at a clean end, io.ErrUnexpectedEOF when the file stops inside a record.
func (p *pcapReader) read() ([]byte, time.Time, int, error) {
	hdr, err := p.br.Peek(16)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, time.Time{}, 0, err
	}
	ts := time.Unix(int64(p.order.Uint32(hdr[0:4])), int64(p.order.Uint32(hdr[4:8])*p.factor)).UTC()
	capLen := int(p.order.Uint32(hdr[8:12]))
	length := int(p.order.Uint32(hdr[12:16]))
	if _, err := p.br.Discard(16); err != nil {
		return nil, ts, 0, err
	}
	switch {
	case capLen > p.maxCaptureLength():
		return nil, ts, 0, fmt.Errorf("capture length exceeds snap length: %d > %d", capLen, p.snaplen)
	case capLen > length:
		return nil, ts, 0, fmt.Errorf("capture length exceeds original packet length: %d > %d", capLen, length)
	}
	if capLen <= p.br.Size() {
		data, err := p.br.Peek(capLen)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, ts, 0, err
		}
		// Discard only moves the read position: data stays valid until
		// the next Peek.
		p.br.Discard(capLen)
		return data, ts, length, nil
	}
	// Larger than the buffer: read it in steps, growing the slice as the
	// bytes come, so a lying length cannot make us allocate gigabytes.
	p.big = p.big[:0]
	for len(p.big) < capLen {
		n := min(capLen-len(p.big), 1<<20)
		start := len(p.big)
		p.big = append(p.big, make([]byte, n)...)
		if _, err := io.ReadFull(p.br, p.big[start:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, ts, 0, err
		}
	}
	return p.big, ts, length, nil
}
