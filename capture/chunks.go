package capture

import "io"

// chunks hands over a stream's bytes in large pieces. With read-ahead, a
// goroutine reads (and, under gzip, decompresses) the next pieces while
// the caller parses the current one, so the frames of a classic pcap file
// are parsed where the read put them and never copied.
type chunks struct {
	r     io.Reader
	first []byte // what a buffer above r had read already: served first
	err   error  // after the pieces delivered so far

	buf []byte // without read-ahead: the one buffer

	full   chan chunk // with read-ahead
	free   chan []byte
	quit   chan struct{}
	closed bool
	held   []byte // the piece the caller has, freed at its next call
}

type chunk struct {
	b   []byte
	err error
}

const chunksAhead = 4

// chunkSize is the most one read takes (a variable for the tests); a
// small file's reads take less (bufferFor).
var chunkSize = 1 << 20

func newChunks(first []byte, r io.Reader, ahead bool, size int) *chunks {
	c := &chunks{r: r, first: first}
	size = min(size, chunkSize)
	if !ahead {
		c.buf = make([]byte, size)
		return c
	}
	c.full = make(chan chunk, chunksAhead)
	c.free = make(chan []byte, chunksAhead)
	c.quit = make(chan struct{})
	for range chunksAhead {
		c.free <- make([]byte, size)
	}
	go readAhead(r, c.full, c.free, c.quit)
	return c
}

// readAhead fills free buffers from r and passes them on full, until an
// error (io.EOF included) or quit. It takes its channels as arguments: the
// chunks' fields belong to the caller's goroutine.
func readAhead(r io.Reader, full chan<- chunk, free <-chan []byte, quit <-chan struct{}) {
	defer close(full)
	for {
		var b []byte
		select {
		case b = <-free:
		case <-quit:
			return
		}
		n, err := readSome(r, b)
		select {
		case full <- chunk{b[:n], err}:
		case <-quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// readSome reads at least one byte unless there is an error: what one
// Read returns, so a pipe's frames are parsed as they come.
func readSome(r io.Reader, b []byte) (int, error) {
	for {
		n, err := r.Read(b)
		if n > 0 || err != nil {
			if n > 0 && err == io.EOF {
				err = nil // said again by the next Read
			}
			return n, err
		}
	}
}

// next returns the next piece of the stream, never empty; the piece it
// returned before is no longer valid. At the end it returns the reader's
// error, io.EOF for a clean end.
func (c *chunks) next() ([]byte, error) {
	if c.first != nil {
		b := c.first
		c.first = nil
		if len(b) > 0 {
			return b, nil
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.full == nil {
		n, err := readSome(c.r, c.buf)
		if err != nil {
			c.err = err
			return nil, err
		}
		return c.buf[:n], nil
	}
	if c.held != nil {
		c.free <- c.held // never blocks: free holds every buffer
		c.held = nil
	}
	ch, ok := <-c.full
	if !ok {
		c.err = io.ErrClosedPipe // after close
		return nil, c.err
	}
	if ch.err != nil {
		c.err = ch.err
		return nil, ch.err
	}
	c.held = ch.b
	return ch.b, nil
}

// close stops the read-ahead goroutine.
func (c *chunks) close() {
	if c.quit != nil && !c.closed {
		close(c.quit)
		c.closed = true
	}
}
