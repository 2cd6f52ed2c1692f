package probe

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// feedCleartext feeds data after a banner, in pieces of split bytes (97
// when split is out of range), as the tracer does with a server's segments,
// and checks that the follower stays within its bounds.
func feedCleartext(t *testing.T, data []byte, split int) {
	if split <= 0 || split > len(data) {
		split = 97
	}
	var c cleartext
	c.feed([]byte("SSH-2.0-x\r\n"), true)
	for j := 0; j < len(data); j += split {
		c.feed(data[j:min(j+split, len(data))], true)
	}
	if len(c.buf) > maxCleartext || len(c.pre) > maxPreLines || len(c.ident) > maxLine {
		t.Fatalf("unbounded: buffer %d, lines before the banner %d, banner %d", len(c.buf), len(c.pre), len(c.ident))
	}
}

// TestCleartextNeverPanics: random bytes after the banner, from a fixed
// seed so that a failure happens again on the next run.
func TestCleartextNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for range 200 {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		feedCleartext(t, buf, 97)
	}
}

// FuzzCleartext: whatever a server sends after its banner, split anywhere,
// the cleartext follower neither panics nor grows past its bounds.
// go test ./probe -run '^$' -fuzz FuzzCleartext -fuzztime 20s
func FuzzCleartext(f *testing.F) {
	kexinit := []byte{msgKexInit}
	kexinit = append(kexinit, make([]byte, 16)...)
	for _, s := range []string{"kex1,kex2", "hk", "c-c2s", "c-s2c", "m-c2s", "m-s2c", "none", "zlib"} {
		kexinit = nameList(kexinit, s)
	}
	packet := func(payload []byte) []byte {
		pad := 4
		b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
		b = append(b, byte(pad))
		b = append(b, payload...)
		return append(b, make([]byte, pad)...)
	}
	f.Add(packet(kexinit), 97)
	f.Add(append(packet(kexinit), packet([]byte{msgNewKeys})...), 7)
	f.Add([]byte("not a banner\r\nSSH-2.0-y\r\n"), 3)
	f.Add([]byte{0, 0, 0, 1, 0, 0}, 1)             // packet length below the minimum
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0}, 6) // far past the maximum
	seeded := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(seeded.Uint32())
	}
	f.Add(random, 97)
	f.Fuzz(feedCleartext)
}
