package live

import (
	"fmt"

	"github.com/rstsniff/rstsniff/capture"
)

// Frames is s as the pipeline reads a live capture: count (nil: none) is
// called for each frame read (the metrics), a read error names the
// interface, and a timeout passes as it is, so that the clock goes on.
func Frames(s *Source, iface string, count func()) capture.Source {
	return frames{s, count, iface}
}

type frames struct {
	*Source
	count func()
	iface string
}

func (l frames) ReadFrame() ([]byte, capture.Info, error) {
	data, ci, err := l.Source.ReadFrame()
	switch {
	case err == nil:
		if l.count != nil {
			l.count()
		}
	case err != ErrTimeout:
		err = fmt.Errorf("reading %s: %v", l.iface, err)
	}
	return data, ci, err
}
