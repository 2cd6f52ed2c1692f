//go:build !linux

package probe

import (
	"errors"
	"time"

	"github.com/rstsniff/rstsniff/kernel"
)

// Firewall is how netfilter's resets are watched.
type Firewall uint8

const FirewallNone Firewall = 0

func (f Firewall) String() string { return "none" }

// Options configure Open.
type Options struct {
	Netns    uint32
	NoFentry bool
}

// UnavailableError says why the witness is off, in one line.
type UnavailableError struct{ Why string }

func (e *UnavailableError) Error() string { return "kernel witness off: " + e.Why }

// Probe is never loaded outside Linux.
type Probe struct {
	Netns    uint32
	Firewall Firewall
	Start    time.Time
}

// Open fails: eBPF is Linux's.
func Open(Options) (*Probe, error) {
	return nil, &UnavailableError{Why: "eBPF needs Linux"}
}

func (p *Probe) Lost() (uint64, error) {
	return 0, &UnavailableError{Why: "eBPF needs Linux"}
}
func (p *Probe) Losses() (full, skipped uint64, err error) {
	return 0, 0, &UnavailableError{Why: "eBPF needs Linux"}
}
func (p *Probe) Read() (kernel.Event, error) {
	return kernel.Event{}, &UnavailableError{Why: "eBPF needs Linux"}
}
func (p *Probe) Close() error { return nil }

// ErrFlushed is what Read returns, once, after Flush.
var ErrFlushed = errors.New("kernel witness: flushed")

func (p *Probe) Flush() error { return &UnavailableError{Why: "eBPF needs Linux"} }
