// Package pcaptest writes classic pcap files for tests: either byte order,
// micro- or nanosecond timestamps, any link type and snapshot length. It
// imports no other rstsniff package, so every package's tests can use it.
package pcaptest

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Frame is one record to write.
type Frame struct {
	Data   []byte
	TS     time.Time
	Length int // length on the wire; 0 means len(Data)
}

// Encode returns a pcap file holding frames.
func Encode(frames []Frame, order binary.ByteOrder, nano bool, link uint16, snaplen uint32) []byte {
	var b bytes.Buffer
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	hdr := make([]byte, 24)
	order.PutUint32(hdr[0:], magic)
	order.PutUint16(hdr[4:], 2)
	order.PutUint16(hdr[6:], 4)
	order.PutUint32(hdr[16:], snaplen)
	order.PutUint32(hdr[20:], uint32(link))
	b.Write(hdr)
	for _, f := range frames {
		rec := make([]byte, 16)
		frac := f.TS.Nanosecond() / 1000
		if nano {
			frac = f.TS.Nanosecond()
		}
		length := f.Length
		if length == 0 {
			length = len(f.Data)
		}
		order.PutUint32(rec[0:], uint32(f.TS.Unix()))
		order.PutUint32(rec[4:], uint32(frac))
		order.PutUint32(rec[8:], uint32(len(f.Data)))
		order.PutUint32(rec[12:], uint32(length))
		b.Write(rec)
		b.Write(f.Data)
	}
	return b.Bytes()
}
