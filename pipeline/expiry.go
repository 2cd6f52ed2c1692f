package pipeline

import "time"

// Expiry says by which clock connections are handed over and how: the one
// thing that differs between reading a file and capturing live. Its zero
// value is not usable: use PacketTime or WallClock.
type Expiry struct {
	// wall: the clock is time.Now, checked after every read (a frame or a
	// timeout); otherwise it is the timestamp of the latest frame.
	wall bool
	// every is how often, by that clock, ended connections are collected
	// (and at once when the table holds more than Config.MaxFlows).
	every time.Duration
	// ordered: flows go to the sink in order of first packet (each waits
	// for every earlier-starting connection still open, up to maxPending),
	// and may be judged on a goroutine of their own. Otherwise each goes
	// to the sink as soon as it is judged, in the order the connections
	// ended, on the packet loop.
	ordered bool
	// checkMask: the context is looked at (it costs a lock) when the
	// frames read so far, masked with it, are 0: 4095 every 4096 frames,
	// 0 before every read.
	checkMask int
}

// PacketTime is the expiry for capture files: packet time, once a second
// of it from the first packet, flows in order of first packet, the
// context looked at every 4096 frames.
func PacketTime() Expiry {
	return Expiry{every: time.Second, ordered: true, checkMask: 4096 - 1}
}

// WallClock is the expiry for a live capture, whose packet timestamps come
// from the system clock: the clock, every 250 ms from the start, each flow
// printed as soon as it is judged, the context looked at before every
// read.
func WallClock() Expiry {
	return Expiry{wall: true, every: 250 * time.Millisecond}
}
