package analyze

import (
	"time"
)

// Config sets up an Analyzer. The zero value analyses port 22.
type Config struct {
	// Ports are the TCP ports taken for SSH servers. Flows on other ports
	// are followed only when their first payload starts with "SSH-".
	Ports []uint16
	// File names the capture in the results (with several inputs).
	File string
	// IdleThreshold is the silence after which a reset drawn by the next
	// packet is an idle-timeout reset; 0 means DefaultIdleThreshold.
	IdleThreshold time.Duration
	// RateWindow is how soon after a successful connection a refused or
	// reset one counts as rate limited; 0 means DefaultRateWindow.
	RateWindow time.Duration
	// Grace is how long an ended connection waits for late packets (data
	// racing a forged reset) before Expire reports it; 0 means DefaultGrace.
	Grace time.Duration
	// FlowTimeout: an established connection silent this long is reported
	// (as open) and forgotten; 0 means DefaultFlowTimeout. Connections whose
	// handshake never completed are reported after HandshakeTimeout.
	FlowTimeout time.Duration
	// MaxFlows caps the connections held at once; past it the least
	// recently active are reported early and counted as evicted. 0 means
	// DefaultMaxFlows.
	MaxFlows int
	// KeepPackets, when positive, keeps up to that many packets of each
	// connection in Flow.Log (the first two thirds and the latest third).
	KeepPackets int
	// HandleBase starts the numbering of Flow.Handle, so that analyzers
	// running side by side hand out different handles.
	HandleBase uint64
}
