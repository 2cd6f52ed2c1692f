package live

import (
	"bufio"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Recording writes a live capture to a pcap file (nanosecond timestamps)
// from a goroutine of its own until Stop: rstsniff probe keeps its own
// packets so. The zero value is invalid: construct it with Record. Stop
// and Remove are called from one goroutine, once each.
type Recording struct {
	src     *Source
	path    string
	temp    bool
	f       *os.File
	bw      *bufio.Writer
	w       *pcapgo.Writer
	stopped chan struct{}
	quit    chan struct{}
	once    sync.Once
	err     error
}

// Record opens the capture o describes and writes its frames to path, or
// to a temporary file when path is "" (Remove deletes it). o.Timeout
// bounds how late Stop is heard.
func Record(o Options, path string) (*Recording, error) {
	src, err := Open(o)
	if err != nil {
		return nil, err
	}
	c := &Recording{src: src, path: path, stopped: make(chan struct{}), quit: make(chan struct{})}
	if c.path == "" {
		f, err := os.CreateTemp("", "rstsniff-probe-*.pcap")
		if err != nil {
			src.Close()
			return nil, err
		}
		c.f, c.path, c.temp = f, f.Name(), true
	} else if c.f, err = os.Create(c.path); err != nil {
		src.Close()
		return nil, err
	}
	c.bw = bufio.NewWriter(c.f)
	c.w = pcapgo.NewWriterNanos(c.bw)
	if err := c.w.WriteFileHeader(262144, layers.LinkType(src.LinkType())); err != nil {
		src.Close()
		c.f.Close()
		return nil, err
	}
	go c.loop()
	return c, nil
}

// Path is the file the frames go to.
func (c *Recording) Path() string { return c.path }

func (c *Recording) loop() {
	defer close(c.stopped)
	for {
		select {
		case <-c.quit:
			return
		default:
		}
		data, ci, err := c.src.ReadFrame()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			c.err = err
			return
		}
		if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: ci.Length}, data); err != nil {
			c.err = err
			return
		}
	}
}

// Stop waits linger for late packets, then ends the capture and closes the
// file; its error is the first of reading, writing and closing.
func (c *Recording) Stop(linger time.Duration) error {
	time.Sleep(linger)
	close(c.quit)
	<-c.stopped
	c.src.Close()
	err := c.err
	if e := c.bw.Flush(); err == nil {
		err = e
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	return err
}

// Remove deletes the file if it is a temporary one.
func (c *Recording) Remove() {
	if c.temp {
		os.Remove(c.path)
	}
}
