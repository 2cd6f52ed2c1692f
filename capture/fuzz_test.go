package capture

import (
	"bytes"
	"io"
	"os"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
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
