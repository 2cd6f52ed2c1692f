package otlp

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/report"
)

// Flush bounds the flush at Close: what the collector has not taken by
// then is dropped and counted.
const Flush = 5 * time.Second

// Flows sends each abnormal connection's record and the summary's
// (report's words) to an OpenTelemetry collector (--otlp or
// OTEL_EXPORTER_OTLP_*), and words its warnings for warn. A nil *Flows
// does nothing.
type Flows struct {
	s      *Sender
	multi  bool
	target string
	mu     sync.Mutex // warn, called from the export goroutine too
	warn   func(string)
}

// StartFlows starts the sender when cfg's endpoint is given or named by the
// environment (nil, nil otherwise). multi names each record's capture
// file. warn is called, one call at a time, with each warning: the first
// failure of an outage (cfg.OnError is set here) and, at Close, what was
// not delivered.
func StartFlows(ctx context.Context, cfg Config, multi bool, warn func(string)) (*Flows, error) {
	if !Configured(cfg.Endpoint) {
		return nil, nil
	}
	k := &Flows{multi: multi, target: Target(cfg.Endpoint), warn: warn}
	cfg.OnError = func(err error) { k.say(report.OTLPCannotSend(k.target, err, cfg.Queue)) }
	s, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	k.s = s
	return k, nil
}

// Sender is the sender, for its counters (--metrics).
func (k *Flows) Sender() *Sender { return k.s }

func (k *Flows) say(s string) {
	k.mu.Lock()
	k.warn(s)
	k.mu.Unlock()
}

// Flow sends an abnormal connection's record; it never waits for the
// network.
func (k *Flows) Flow(f *analyze.Flow) {
	if k == nil || !f.Notable() {
		return
	}
	k.s.Emit(report.FlowLog(f, k.multi))
}

// Close sends the summary (r, when the run got that far), flushes within
// Flush and says what could not be sent.
func (k *Flows) Close(r *report.Run) {
	if k == nil {
		return
	}
	if r != nil {
		k.s.Emit(report.SummaryLog(r))
	}
	ctx, cancel := context.WithTimeout(context.Background(), Flush)
	defer cancel()
	err := k.s.Close(ctx)
	if n := k.s.Dropped(); n > 0 {
		why := ""
		if err != nil {
			why = ": " + strings.TrimPrefix(err.Error(), "otlp: ")
		}
		k.say(report.OTLPUndelivered(n, k.target, k.s.Sent(), why))
	}
}
