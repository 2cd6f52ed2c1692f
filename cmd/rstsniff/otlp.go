package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rstsniff/rstsniff/metrics"
	"github.com/rstsniff/rstsniff/otlp"
	"github.com/rstsniff/rstsniff/report"
)

// startOTLP starts sending each abnormal connection's record and the
// summary's to an OpenTelemetry collector (otlp.Flows) when an endpoint is
// given or named by the environment; its warnings go to stderr, and m
// (live, --metrics) gets its counters. Nil: none.
func startOTLP(ctx context.Context, o *options, multi bool, stderr io.Writer, m *metrics.Metrics) (*otlp.Flows, error) {
	// Reading files, a full queue waits for a collector that takes records
	// (rather than drop what a slower reader would have sent); live, it
	// never waits.
	k, err := otlp.StartFlows(ctx, otlp.Config{Endpoint: o.otlp, Protocol: o.otlpProtocol, Queue: o.otlpQueue, Version: version, Wait: o.iface == ""},
		multi, func(s string) { fmt.Fprintf(stderr, "rstsniff: warning: %s\n", report.Safe(s)) })
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--otlp: %v", err)}
	}
	if k != nil {
		m.OTLP(k.Sender().Dropped, k.Sender().Sent)
	}
	return k, nil
}
