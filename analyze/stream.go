package analyze

// seqDiff returns a-b in sequence space (RFC 9293 modular arithmetic).
func seqDiff(a, b uint32) int64 { return int64(int32(a - b)) }

type pendingSeg struct {
	seq  uint32
	data []byte
}

// stream puts one direction's payload back in order and hands it to a
// walker exactly once. Retransmitted and overlapping bytes are trimmed;
// segments that arrive early wait (copied, bounded by maxPending) until the
// hole before them fills. The zero value needs start before use.
type stream struct {
	started      bool
	next         uint32 // next sequence number the walker expects
	pending      []pendingSeg
	pendingBytes int
	gaps         int   // holes given up on
	missing      int64 // bytes never captured
}

func (s *stream) start(seq uint32) {
	s.started = true
	s.next = seq
	// A new SYN restarts the sequence space: what was held belongs to the old one.
	s.pending, s.pendingBytes = nil, 0
}

// add offers a segment; data is the captured payload and full its length
// on the wire (larger when the capture cut the packet). It reports whether
// the segment was entirely old (a retransmission).
func (s *stream) add(seq uint32, data []byte, full int, w *walker) (old bool) {
	if full == 0 {
		return false
	}
	if !s.started {
		s.start(seq)
	}
	d := seqDiff(seq, s.next)
	switch {
	case d+int64(full) <= 0:
		return true
	case d > 0:
		s.hold(seq, data, full, w)
		return false
	}
	// d <= 0 < d+full: the segment starts at or before next.
	skip := int(-d)
	if skip < len(data) {
		s.deliver(data[skip:], w)
	}
	if len(data) < full {
		// Cut by the snapshot length: the rest of the segment is a hole.
		s.next = seq + uint32(full)
		s.missing += int64(full - max(skip, len(data)))
		s.gaps++
		w.gap()
	}
	s.drain(w)
	return false
}

func (s *stream) deliver(b []byte, w *walker) {
	s.next += uint32(len(b))
	w.feed(b)
}

func (s *stream) hold(seq uint32, data []byte, full int, w *walker) {
	if len(data) < full {
		// A future segment cut short is of no use: the hole it leaves is
		// given up on when later data or the end of the flow reaches it.
		return
	}
	if s.pendingBytes+len(data) > maxPending {
		s.skipTo(seq, w)
		s.add(seq, data, full, w)
		return
	}
	cp := make([]byte, len(data))
	copy(cp, data)
	i := len(s.pending)
	for i > 0 && seqDiff(s.pending[i-1].seq, seq) > 0 {
		i--
	}
	s.pending = append(s.pending, pendingSeg{})
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = pendingSeg{seq: seq, data: cp}
	s.pendingBytes += len(cp)
}

// drain delivers held segments that have become contiguous.
func (s *stream) drain(w *walker) {
	for len(s.pending) > 0 {
		p := s.pending[0]
		d := seqDiff(p.seq, s.next)
		if d > 0 {
			return
		}
		s.pending = s.pending[1:]
		s.pendingBytes -= len(p.data)
		if skip := int(-d); skip < len(p.data) {
			s.deliver(p.data[skip:], w)
		}
	}
	if len(s.pending) == 0 {
		s.pending = nil
	}
}

// skipTo gives up on the bytes before seq: the capture missed them.
func (s *stream) skipTo(seq uint32, w *walker) {
	if !s.started {
		s.start(seq)
		return
	}
	d := seqDiff(seq, s.next)
	if d <= 0 {
		return
	}
	s.missing += d
	s.gaps++
	s.next = seq
	w.gap()
	s.drain(w)
}

// flush gives up on every hole left at the end of the capture. It takes one
// held segment per step, so it ends whatever the held sequence numbers are
// (FuzzAnalyzer found a loop when they lay behind the expected one).
func (s *stream) flush(w *walker) {
	for len(s.pending) > 0 {
		p := s.pending[0]
		s.pending = s.pending[1:]
		s.pendingBytes -= len(p.data)
		d := seqDiff(p.seq, s.next)
		if d > 0 {
			s.missing += d
			s.gaps++
			s.next = p.seq
			w.gap()
		}
		if skip := int(max(-d, 0)); skip < len(p.data) {
			s.deliver(p.data[skip:], w)
		}
	}
	s.pending = nil
}
