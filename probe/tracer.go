package probe

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
	"sync"
)

// tracer is the connection the SSH library talks through: it follows the
// cleartext part of both directions (identification string, KEXINIT,
// NEWKEYS) to tell how far the server got and to compute the HASSHes.
type tracer struct {
	net.Conn
	mu             sync.Mutex
	server, client cleartext
}

func (t *tracer) Read(b []byte) (int, error) {
	n, err := t.Conn.Read(b)
	if n > 0 {
		t.mu.Lock()
		t.server.feed(b[:n], true)
		t.mu.Unlock()
	}
	return n, err
}

func (t *tracer) Write(b []byte) (int, error) {
	t.mu.Lock()
	t.client.feed(b, false)
	t.mu.Unlock()
	return t.Conn.Write(b)
}

// cleartext follows one direction up to its NEWKEYS, bounded.
type cleartext struct {
	buf    []byte
	ident  string
	pre    []string
	hassh  string
	done   bool // NEWKEYS seen, or the stream is not followable
	onStep func(Step)
}

const (
	maxCleartext = 256 << 10 // a KEXINIT is a few KB; give up past this
	maxPreLines  = 8
	maxLine      = 512
	msgKexInit   = 20
	msgNewKeys   = 21
)

func (c *cleartext) step(s Step) {
	if c.onStep != nil {
		c.onStep(s)
	}
}

func (c *cleartext) feed(b []byte, fromServer bool) {
	if c.done {
		return
	}
	c.buf = append(c.buf, b...)
	if len(c.buf) > maxCleartext {
		c.done, c.buf = true, nil
		return
	}
	for c.ident == "" {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return
		}
		line := strings.TrimRight(string(c.buf[:i]), "\r")
		c.buf = c.buf[i+1:]
		if len(line) > maxLine {
			line = line[:maxLine]
		}
		if strings.HasPrefix(line, "SSH-") {
			c.ident = line
			c.step(StepBanner)
			break
		}
		if len(c.pre) < maxPreLines {
			c.pre = append(c.pre, line)
		}
	}
	for len(c.buf) >= 6 {
		plen := int(binary.BigEndian.Uint32(c.buf))
		if plen < 2 || plen > 35000 {
			c.done, c.buf = true, nil
			return
		}
		if len(c.buf) < 4+plen {
			return
		}
		pad := int(c.buf[4])
		payload := c.buf[5 : 4+plen]
		if pad < len(payload) {
			payload = payload[:len(payload)-pad]
		}
		c.buf = c.buf[4+plen:]
		if len(payload) == 0 {
			continue
		}
		switch payload[0] {
		case msgKexInit:
			c.hassh = kexinitHASSH(payload, fromServer)
			c.step(StepKexInit)
		case msgNewKeys:
			c.step(StepKex)
			c.done, c.buf = true, nil
			return
		}
	}
}

// kexinitHASSH reads a KEXINIT payload's name-lists (RFC 4253 §7.1) and
// returns the sender's HASSH; "" when the payload is cut short.
func kexinitHASSH(p []byte, fromServer bool) string {
	if len(p) < 17 {
		return ""
	}
	p = p[17:]
	var lists [8]string
	for i := range lists {
		if len(p) < 4 {
			return ""
		}
		n := int(binary.BigEndian.Uint32(p))
		if n > len(p)-4 {
			return ""
		}
		lists[i] = string(p[4 : 4+n])
		p = p[4+n:]
	}
	// kex, host key, cipher c2s, cipher s2c, mac c2s, mac s2c, comp c2s, comp s2c
	if fromServer {
		return hassh(lists[0], lists[3], lists[5], lists[7])
	}
	return hassh(lists[0], lists[2], lists[4], lists[6])
}
