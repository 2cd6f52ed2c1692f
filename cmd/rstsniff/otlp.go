package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/metrics"
	"github.com/rstsniff/rstsniff/otlp"
	"github.com/rstsniff/rstsniff/report"
)

// otlpFlush bounds the flush at exit: what the collector has not taken by
// then is dropped and counted.
const otlpFlush = 5 * time.Second

// otlpSink sends each abnormal connection's record and the summary's to
// an OpenTelemetry collector (--otlp or OTEL_EXPORTER_OTLP_*). A nil
// *otlpSink does nothing.
type otlpSink struct {
	s      *otlp.Sender
	multi  bool
	target string
	mu     sync.Mutex // stderr, written from the export goroutine too
	stderr io.Writer
}

// startOTLP starts the sender when an endpoint is given or named by the
// environment; m (live, --metrics) gets its counters.
func startOTLP(ctx context.Context, o *options, multi bool, stderr io.Writer, m *metrics.Metrics) (*otlpSink, error) {
	if !otlp.Configured(o.otlp) {
		return nil, nil
	}
	k := &otlpSink{multi: multi, target: otlp.Target(o.otlp), stderr: stderr}
	// Reading files, a full queue waits for a collector that takes records
	// (rather than drop what a slower reader would have sent); live, it
	// never waits.
	s, err := otlp.New(ctx, otlp.Config{Endpoint: o.otlp, Protocol: o.otlpProtocol, Queue: o.otlpQueue, Version: version, Wait: o.iface == "",
		OnError: func(err error) {
			k.warn(fmt.Sprintf("OTLP: cannot send to %s: %v; holding up to %d records and trying again", k.target, err, o.otlpQueue))
		}})
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--otlp: %v", err)}
	}
	k.s = s
	m.OTLP(s.Dropped, s.Sent)
	return k, nil
}

func (k *otlpSink) warn(s string) {
	k.mu.Lock()
	fmt.Fprintf(k.stderr, "rstsniff: warning: %s\n", report.Safe(s))
	k.mu.Unlock()
}

// flow sends an abnormal connection's record; it never waits for the
// network.
func (k *otlpSink) flow(f *analyze.Flow) {
	if k == nil || !f.Notable() {
		return
	}
	k.s.Emit(report.FlowLog(f, k.multi))
}

// close sends the summary (r, when the run got that far), flushes and
// says what could not be sent.
func (k *otlpSink) close(r *report.Run) {
	if k == nil {
		return
	}
	if r != nil {
		k.s.Emit(report.SummaryLog(r))
	}
	ctx, cancel := context.WithTimeout(context.Background(), otlpFlush)
	defer cancel()
	err := k.s.Close(ctx)
	if n := k.s.Dropped(); n > 0 {
		why := ""
		if err != nil {
			why = ": " + strings.TrimPrefix(err.Error(), "otlp: ")
		}
		k.warn(fmt.Sprintf("OTLP: %d record%s not delivered to %s (%d delivered)%s", n, plural(int(n)), k.target, k.s.Sent(), why))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
