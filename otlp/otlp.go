// Package otlp sends rstsniff's verdicts as OpenTelemetry log records over
// OTLP/HTTP (protobuf, or JSON with Config.Protocol http/json), with the
// official Go SDK (go.opentelemetry.io/otel/sdk/log and its otlploghttp
// exporter; json.go for OTLP/JSON, which that exporter does not speak), to
// a collector that forwards them to a fleet's log store.
//
// The words are report's (report.LogRecord); this package only carries
// them. Emit never blocks: a record goes into a bounded queue (Config.Queue)
// and one goroutine exports batches from it. When the endpoint is away,
// that goroutine keeps its batch and retries it with backoff, forever,
// while the queue fills; past the bound the oldest records are dropped and
// counted (Dropped). The exporter itself retries 429, 502, 503 and 504
// answers, honouring Retry-After; every other failure (a refused
// connection, a timeout) is retried here. Close flushes what is held,
// within its context's deadline, and counts what it could not send.
//
// The SDK's own BatchProcessor also drops the oldest records past its
// bound, but counts them only in a log line and drops a batch for good
// once the exporter gives up (a refused connection at once): hence a queue
// of our own in front of the exporter.
//
// Flows (flows.go) is what a run sends: each abnormal connection's record
// and the summary's, with the warnings (in report's words) handed to the
// caller; a nil *Flows sends nothing.
package otlp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/rstsniff/rstsniff/report"
)

// Defaults of Config.
const (
	DefaultQueue    = 4096
	DefaultBatch    = 512
	DefaultInterval = time.Second
	// maxBackoff bounds the wait between two tries of a batch while the
	// endpoint is away, so that records flow again soon after it is back.
	maxBackoff = 5 * time.Second
	// stall is how long a request may take before Config.Wait stops
	// waiting for it.
	stall = 2 * time.Second
)

// Config says where to send and how much to hold. The zero value sends to
// the endpoint the standard environment variables name, with the defaults.
type Config struct {
	// Endpoint is the collector's URL (--otlp). A URL without a path means
	// the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT does:
	// /v1/logs is added. Empty: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, then
	// OTEL_EXPORTER_OTLP_ENDPOINT, then http://localhost:4318/v1/logs.
	Endpoint string
	// Queue is how many records are held while the endpoint cannot take
	// them (besides the batch being sent); past it the oldest are dropped.
	Queue int
	// Batch is the most records sent in one request.
	Batch int
	// Interval is how long a record waits, at most, for others to fill a
	// batch.
	Interval time.Duration
	// Version is service.version.
	Version string
	// OnError is called, on the export goroutine, with the first failure
	// of each outage (not with the retries that follow it).
	OnError func(error)
	// Backoff is the first wait before a failed batch is tried again
	// (doubling up to 5 s); 0 means 500 ms.
	Backoff time.Duration
	// Protocol is http/protobuf (the default) or http/json; empty:
	// OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL.
	Protocol string
	// Wait makes Emit wait for room in a full queue while the endpoint
	// takes records (reading files: none is lost to the reader's speed).
	// While it fails, and always without Wait (a live capture), the
	// oldest records are dropped instead.
	Wait bool
}

// Configured reports whether records are to be sent: an endpoint is given
// or named by the standard environment variables, and OTEL_LOGS_EXPORTER
// does not say none.
func Configured(endpoint string) bool {
	if endpoint != "" {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_LOGS_EXPORTER")), "none") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// Target is the URL records go to, for messages: the endpoint given, else
// the one the environment names (with /v1/logs added to a base URL).
func Target(endpoint string) string {
	if endpoint != "" {
		u, err := logsURL(endpoint)
		if err != nil {
			return endpoint
		}
		return u
	}
	if e := os.Getenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"); e != "" {
		return e
	}
	if e := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); e != "" {
		return strings.TrimSuffix(e, "/") + "/v1/logs"
	}
	return "http://localhost:4318/v1/logs"
}

// logsURL checks an endpoint URL and adds /v1/logs to a URL without a path.
func logsURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("otlp: %q is not a URL: %v", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("otlp: %q is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:4318)", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/logs"
	}
	return u.String(), nil
}

// errTimeout is why Close gave up when its context ended first.
var errTimeout = errors.New("no answer before the deadline")

// Sender sends log records. Its methods are safe for concurrent use; the
// zero value is invalid: construct it with New. A nil *Sender does nothing.
type Sender struct {
	cfg      Config
	provider *sdklog.LoggerProvider
	logger   log.Logger
	exporter sdklog.Exporter

	mu     sync.Mutex
	ring   []sdklog.Record // the queue: n records from ring[head] on, oldest first
	head   int
	n      int
	first  uint64 // the number of the oldest record held (counting every record pushed)
	closed bool
	// A request carries the records numbered below flightEnd; evicted of
	// them were pushed out of the queue meanwhile.
	flightEnd, evicted uint64
	failing            bool // the last request failed (the export goroutine's)
	refused            bool // the last request failed (under mu, for push)
	room               sync.Cond
	lastErr            error // why the flush at Close gave up

	wake    chan struct{} // a batch is full
	closing chan struct{} // Close was called
	done    chan struct{} // the export goroutine has returned
	// run is the exports' context, cancelled when Close's context ends.
	run    context.Context
	cancel context.CancelFunc

	dropped, sent atomic.Uint64
}

// New starts a sender: the exporter, with the environment's settings
// (headers, TLS, timeout, compression) and the endpoint given, and the
// export goroutine. The resource is service.name=rstsniff,
// service.version, host.name, then OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME over them.
func New(ctx context.Context, cfg Config) (*Sender, error) {
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	opts := []otlploghttp.Option{otlploghttp.WithRetry(otlploghttp.RetryConfig{
		Enabled: true, InitialInterval: time.Second, MaxInterval: 5 * time.Second, MaxElapsedTime: 30 * time.Second,
	})}
	if cfg.Endpoint != "" {
		u, err := logsURL(cfg.Endpoint)
		if err != nil {
			return nil, err
		}
		opts = append(opts, otlploghttp.WithEndpointURL(u))
	}
	proto, err := protocol(cfg.Protocol)
	if err != nil {
		return nil, err
	}
	var exp sdklog.Exporter
	if proto == ProtocolJSON {
		exp, err = newJSONExporter(Target(cfg.Endpoint))
	} else {
		exp, err = otlploghttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("otlp: %v", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "rstsniff"), attribute.String("service.version", cfg.Version)),
		resource.WithHost(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("otlp: resource attributes (OTEL_RESOURCE_ATTRIBUTES): %v", err)
	}
	s := &Sender{cfg: cfg, exporter: exp, ring: make([]sdklog.Record, cfg.Queue),
		wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	s.room.L = &s.mu
	s.run, s.cancel = context.WithCancel(context.Background())
	s.provider = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(queueProcessor{s}),
		// report's attribute names are unique: no deduplication to pay for.
		sdklog.WithAllowKeyDuplication())
	s.logger = s.provider.Logger("github.com/rstsniff/rstsniff", log.WithInstrumentationVersion(cfg.Version))
	go s.loop()
	return s, nil
}

// Emit queues one record; it never blocks on the network.
func (s *Sender) Emit(r report.LogRecord) {
	if s == nil {
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.dropped.Add(1)
		return
	}
	var rec log.Record
	rec.SetTimestamp(r.Time)
	rec.SetObservedTimestamp(time.Now())
	rec.SetEventName(r.Event)
	rec.SetSeverity(severity(r.Severity))
	rec.SetSeverityText(r.Severity.String())
	rec.SetBody(attribute.StringValue(r.Body))
	kvs := make([]attribute.KeyValue, 0, len(r.Attrs))
	for _, a := range r.Attrs {
		if kv, ok := keyValue(a); ok {
			kvs = append(kvs, kv)
		}
	}
	rec.AddAttributes(kvs...)
	s.logger.Emit(context.Background(), rec)
}

// Dropped is how many records were dropped: pushed out of the full queue,
// or still held when Close gave up.
func (s *Sender) Dropped() uint64 {
	if s == nil {
		return 0
	}
	return s.dropped.Load()
}

// Sent is how many records the endpoint accepted.
func (s *Sender) Sent() uint64 {
	if s == nil {
		return 0
	}
	return s.sent.Load()
}

// Close sends what is held, trying each batch once more, until ctx ends;
// what is left then is dropped and counted, and the error says why.
// Records emitted after Close are dropped and counted too.
func (s *Sender) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.room.Broadcast()
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	close(s.closing)
	<-s.done
	s.cancel()
	s.provider.Shutdown(ctx)
	s.exporter.Shutdown(ctx)
	if s.lastErr != nil {
		return fmt.Errorf("otlp: records left unsent at exit: %w", s.lastErr)
	}
	return nil
}

// push adds a record, dropping the oldest when the queue is full. A record
// dropped while a request carries it is counted only if that request
// fails (settle).
func (s *Sender) push(r sdklog.Record) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	q := len(s.ring)
	for s.cfg.Wait && s.n == q && !s.refused && !s.closed {
		select {
		case s.wake <- struct{}{}: // a full queue is a batch to send now
		default:
		}
		s.room.Wait()
	}
	if s.closed {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	if s.n == q {
		s.ring[s.head] = sdklog.Record{}
		s.head = (s.head + 1) % q
		s.n--
		if s.first < s.flightEnd {
			s.evicted++
		} else {
			s.dropped.Add(1)
		}
		s.first++
	}
	s.ring[(s.head+s.n)%q] = r
	s.n++
	full := s.n >= s.cfg.Batch
	s.mu.Unlock()
	if full {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// peek copies up to max records from the head of the queue: the batch to
// send, which stays in the queue (and within its bound) until settle.
func (s *Sender) peek(max int) []sdklog.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := min(max, s.n)
	if k == 0 {
		return nil
	}
	out := make([]sdklog.Record, k)
	q := len(s.ring)
	for i := range out {
		out[i] = s.ring[(s.head+i)%q]
	}
	s.flightEnd = s.first + uint64(k)
	return out
}

// settle ends a request that carried k records: sent, they leave the
// queue (those pushed out meanwhile were sent too); failed, they stay, and
// those pushed out meanwhile are dropped.
func (s *Sender) settle(ok bool, k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.room.Broadcast()
	s.refused = !ok
	if ok {
		s.sent.Add(uint64(k))
		q := len(s.ring)
		for ; s.first < s.flightEnd && s.n > 0; s.first++ {
			s.ring[s.head] = sdklog.Record{}
			s.head = (s.head + 1) % q
			s.n--
		}
	} else {
		s.dropped.Add(s.evicted)
	}
	s.evicted, s.flightEnd = 0, 0
}

// dropAll empties the queue, counting what it held.
func (s *Sender) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropped.Add(uint64(s.n))
	for ; s.n > 0; s.n-- {
		s.ring[s.head] = sdklog.Record{}
		s.head = (s.head + 1) % len(s.ring)
		s.first++
	}
}

// loop exports batches until Close, then flushes.
func (s *Sender) loop() {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-s.wake:
		case <-tick.C:
		case <-s.closing:
			s.flush()
			return
		}
		if !s.drain() {
			s.flush()
			return
		}
	}
}

// drain sends the queue batch by batch, trying a failed batch again with
// backoff until it goes through; false when Close interrupts it.
func (s *Sender) drain() bool {
	wait := s.cfg.Backoff
	for {
		batch := s.peek(s.cfg.Batch)
		if len(batch) == 0 {
			return true
		}
		// A request that hangs (an endpoint that drops packets: the
		// exporter tries for up to 30 s) counts as failing for Emit
		// after stall, so that a file read does not wait for it.
		slow := time.AfterFunc(stall, func() {
			s.mu.Lock()
			s.refused = true
			s.room.Broadcast()
			s.mu.Unlock()
		})
		err := s.exporter.Export(s.run, batch)
		slow.Stop()
		s.settle(err == nil, len(batch))
		if err == nil {
			s.failing, wait = false, s.cfg.Backoff
			continue
		}
		if !s.failing && s.run.Err() == nil { // not Close giving up
			s.failing = true
			if s.cfg.OnError != nil {
				s.cfg.OnError(err)
			}
		}
		select {
		case <-time.After(wait):
		case <-s.closing:
			return false
		}
		wait = min(2*wait, maxBackoff)
	}
}

// flush sends the queue, each batch once, until Close's context ends; the
// rest is dropped and counted.
func (s *Sender) flush() {
	for {
		batch := s.peek(s.cfg.Batch)
		if len(batch) == 0 {
			return
		}
		err := s.run.Err()
		if err == nil {
			err = s.exporter.Export(s.run, batch)
		}
		s.settle(err == nil, len(batch))
		if err != nil {
			s.lastErr = err
			if s.run.Err() != nil {
				s.lastErr = errTimeout
			}
			s.dropAll()
			return
		}
	}
}

// queueProcessor puts each record the SDK's logger makes into the
// sender's queue.
type queueProcessor struct{ s *Sender }

func (p queueProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (p queueProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.s.push(r.Clone())
	return nil
}
func (p queueProcessor) Shutdown(context.Context) error   { return nil }
func (p queueProcessor) ForceFlush(context.Context) error { return nil }

// severity maps report's severities to OTLP's numbers.
func severity(s report.LogSeverity) log.Severity {
	switch s {
	case report.SeverityError:
		return log.SeverityError
	case report.SeverityWarn:
		return log.SeverityWarn
	}
	return log.SeverityInfo
}

func keyValue(a report.LogAttr) (attribute.KeyValue, bool) {
	switch v := a.Value.(type) {
	case string:
		return attribute.String(a.Key, v), true
	case int64:
		return attribute.Int64(a.Key, v), true
	case float64:
		return attribute.Float64(a.Key, v), true
	case bool:
		return attribute.Bool(a.Key, v), true
	case []string:
		return attribute.StringSlice(a.Key, v), true
	case []int64:
		return attribute.Int64Slice(a.Key, v), true
	}
	return attribute.KeyValue{}, false
}
