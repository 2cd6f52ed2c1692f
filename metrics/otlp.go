package metrics

import "github.com/prometheus/client_golang/prometheus"

// OTLP adds the OpenTelemetry export's counters, read from the sender
// when scraped: records dropped (pushed out of the full queue while the
// collector was away, or left at exit) and records sent.
func (m *Metrics) OTLP(dropped, sent func() uint64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rstsniff_otlp_dropped_total",
			Help: "OpenTelemetry log records dropped: the oldest, past the queue's bound while the collector was away, or still held at exit."},
			func() float64 { return float64(dropped()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rstsniff_otlp_sent_total",
			Help: "OpenTelemetry log records the collector accepted."},
			func() float64 { return float64(sent()) }))
}
