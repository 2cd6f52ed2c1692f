// Package metrics serves Prometheus counters about a live capture:
// connections by outcome and stage, resets by claimed side, origin and
// stage, findings by ID, packets and kernel drops. Labels carry no
// addresses, so cardinality stays small. A nil *Metrics does nothing.
package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rstsniff/rstsniff/analyze"
)

// Metrics holds the counters and the HTTP server that exposes them.
type Metrics struct {
	srv         *http.Server
	connections *prometheus.CounterVec
	resets      *prometheus.CounterVec
	findings    *prometheus.CounterVec
	packets     prometheus.Counter
	drops       prometheus.Gauge
	ifDrops     prometheus.Gauge
	kernel      *prometheus.CounterVec
	reg         *prometheus.Registry
}

// Serve starts an HTTP server on addr with /metrics (a registry of its own,
// not the global one).
func Serve(addr string) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rstsniff_connections_total",
			Help: "SSH connections handed over, by outcome and furthest stage."}, []string{"outcome", "stage"}),
		resets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rstsniff_resets_total",
			Help: "TCP resets, by the side whose address they carry, who really sent them and the stage."}, []string{"side", "origin", "stage"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rstsniff_findings_total",
			Help: "Findings, by ID."}, []string{"id"}),
		packets: prometheus.NewCounter(prometheus.CounterOpts{Name: "rstsniff_packets_total",
			Help: "Packets captured."}),
		drops: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rstsniff_kernel_drops",
			Help: "Packets the kernel dropped for lack of buffer since the capture started."}),
		ifDrops: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rstsniff_interface_drops",
			Help: "Packets the interface dropped since the capture started."}),
		kernel: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rstsniff_kernel_resets_total",
			Help: "Resets this host sent, by the kernel's reason (REJECT: a netfilter rule), as its kernel witnessed them."}, []string{"reason"}),
	}
	m.reg = reg
	reg.MustRegister(m.connections, m.resets, m.findings, m.packets, m.drops, m.ifDrops, m.kernel)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the capture goes on without metrics
		}
	}()
	return m, nil
}

// Flow counts a handed-over connection.
func (m *Metrics) Flow(f *analyze.Flow) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(f.Outcome.String(), f.Stage.String()).Inc()
	for _, r := range f.Resets {
		m.resets.WithLabelValues(r.From.String(), r.Sender.Verdict().Origin(), r.Stage.String()).Inc()
	}
	for _, fd := range f.Findings {
		m.findings.WithLabelValues(fd.ID.String()).Inc()
	}
}

// Packet counts a captured packet.
func (m *Metrics) Packet() {
	if m != nil {
		m.packets.Inc()
	}
}

// Drops records libpcap's drop counters.
func (m *Metrics) Drops(kernel, iface int) {
	if m != nil {
		m.drops.Set(float64(kernel))
		m.ifDrops.Set(float64(iface))
	}
}

// Close stops the server.
func (m *Metrics) Close() error {
	if m == nil {
		return nil
	}
	return m.srv.Close()
}
