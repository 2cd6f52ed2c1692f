//go:build !linux

package rules

import (
	"errors"
	"time"

	"github.com/rstsniff/rstsniff/kernel"
)

// Reader reads nothing off Linux.
type Reader struct{}

// Open fails off Linux.
func Open(int) (*Reader, error) { return nil, errors.New("rules: nftables is Linux only") }

func (r *Reader) Close() error { return nil }

func (r *Reader) Snapshot() *Snapshot {
	return &Snapshot{Err: errors.New("rules: nftables is Linux only")}
}

// Snapshot is empty off Linux.
type Snapshot struct {
	Begin, End time.Time
	Err        error
	Why        kernel.RuleWhy
}

// History names nothing off Linux.
type History struct{}

func NewHistory(bool) *History                           { return &History{} }
func (h *History) Add(*Snapshot)                         {}
func (h *History) Len() int                              { return 0 }
func (h *History) Attribute(*kernel.Event) *kernel.Rules { return nil }

// Margin is as on Linux.
const Margin = time.Millisecond

// Legacy is false off Linux.
func Legacy() bool { return false }

// Facts is empty off Linux.
func (s *Snapshot) Facts() []kernel.Rule { return nil }
