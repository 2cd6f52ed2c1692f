package otlp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/rstsniff/rstsniff/report"
)

// collector is an OTLP/HTTP logs endpoint: it keeps what it receives, and
// answers status (200 unless set) to each request.
type collector struct {
	srv      *httptest.Server
	mu       sync.Mutex
	reqs     []*collogpb.ExportLogsServiceRequest
	paths    []string
	headers  []http.Header
	status   atomic.Int32
	requests atomic.Int32
	delay    atomic.Int64 // before answering
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.status.Store(200)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		time.Sleep(time.Duration(c.delay.Load()))
		body, _ := io.ReadAll(r.Body)
		if st := int(c.status.Load()); st != 200 {
			w.WriteHeader(st)
			return
		}
		var req collogpb.ExportLogsServiceRequest
		unmarshal := proto.Unmarshal
		if r.Header.Get("Content-Type") == "application/json" {
			unmarshal = protojson.Unmarshal
		}
		if err := unmarshal(body, &req); err != nil {
			w.WriteHeader(400)
			return
		}
		c.mu.Lock()
		c.reqs = append(c.reqs, &req)
		c.paths = append(c.paths, r.URL.Path)
		c.headers = append(c.headers, r.Header.Clone())
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collogpb.ExportLogsServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// bodies are the records' bodies, in the order received.
func (c *collector) bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, req := range c.reqs {
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					out = append(out, lr.Body.GetStringValue())
				}
			}
		}
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]*commonpb.AnyValue {
	m := map[string]*commonpb.AnyValue{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func record(i int) report.LogRecord {
	return report.LogRecord{Time: time.Unix(1700000000, 0), Severity: report.SeverityWarn, Event: report.LogEventConnection,
		Body: strconv.Itoa(i), Attrs: []report.LogAttr{{Key: "n", Value: int64(i)}}}
}

// sampleRecord is a connection record with every kind of attribute value.
func sampleRecord() report.LogRecord {
	return report.LogRecord{Time: time.Unix(1700000000, 5), Severity: report.SeverityError, Event: report.LogEventConnection, Body: "forged",
		Attrs: []report.LogAttr{{Key: "source.ip", Value: "198.51.100.2"}, {Key: "source.port", Value: int64(51186)},
			{Key: "rstsniff.forged", Value: true}, {Key: "rstsniff.findings", Value: []string{"reset-race", "ttl-mismatch"}},
			{Key: "rstsniff.reset.packet", Value: []int64{5, 7}}, {Key: "x.ratio", Value: 0.5}}}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRecordsArrive(t *testing.T) {
	c := newCollector(t)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,host.name=jump1")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret")
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(sampleRecord())
	s.Emit(report.LogRecord{Severity: report.SeverityInfo, Event: report.LogEventSummary, Body: "summary"})
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Sent() != 2 || s.Dropped() != 0 {
		t.Fatalf("sent %d, dropped %d", s.Sent(), s.Dropped())
	}
	if len(c.reqs) == 0 || c.paths[0] != "/v1/logs" {
		t.Fatalf("requests %d, paths %v: a URL without a path goes to /v1/logs", len(c.reqs), c.paths)
	}
	if got := c.headers[0].Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization %q from OTEL_EXPORTER_OTLP_HEADERS", got)
	}
	rl := c.reqs[0].ResourceLogs[0]
	res := attrs(rl.Resource.Attributes)
	for k, v := range map[string]string{"service.name": "rstsniff", "service.version": "1.2.3", "host.name": "jump1", "deployment.environment.name": "test"} {
		if got := res[k].GetStringValue(); got != v {
			t.Errorf("resource %s = %q, want %q", k, got, v)
		}
	}
	lr := rl.ScopeLogs[0].LogRecords[0]
	if lr.SeverityNumber != 17 || lr.SeverityText != "ERROR" || lr.EventName != "rstsniff.connection" || lr.TimeUnixNano != 1700000000000000005 {
		t.Errorf("severity %d %q, event %q, time %d", lr.SeverityNumber, lr.SeverityText, lr.EventName, lr.TimeUnixNano)
	}
	a := attrs(lr.Attributes)
	if a["source.ip"].GetStringValue() != "198.51.100.2" || a["source.port"].GetIntValue() != 51186 || !a["rstsniff.forged"].GetBoolValue() || a["x.ratio"].GetDoubleValue() != 0.5 {
		t.Errorf("attributes %v", a)
	}
	var findings []string
	for _, v := range a["rstsniff.findings"].GetArrayValue().GetValues() {
		findings = append(findings, v.GetStringValue())
	}
	if !slices.Equal(findings, []string{"reset-race", "ttl-mismatch"}) {
		t.Errorf("findings %v", findings)
	}
	if n := len(a["rstsniff.reset.packet"].GetArrayValue().GetValues()); n != 2 {
		t.Errorf("%d packets", n)
	}
	if got := c.bodies(); !slices.Equal(got, []string{"forged", "summary"}) {
		t.Errorf("bodies %v", got)
	}
}

// While the endpoint fails, the queue keeps the newest records up to its
// bound; the rest are counted, and the kept ones arrive once it is back.
func TestQueueBoundWhileAway(t *testing.T) {
	c := newCollector(t)
	c.status.Store(500) // not retried by the exporter itself: our own retries
	var errs atomic.Int32
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL + "/v1/logs", Queue: 10, Batch: 4,
		Interval: 5 * time.Millisecond, Backoff: 50 * time.Millisecond, OnError: func(error) { errs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(record(0))
	waitFor(t, "a failed request", func() bool { return errs.Load() == 1 })
	for i := 1; i < 25; i++ {
		s.Emit(record(i))
	}
	waitFor(t, "a few retries", func() bool { return c.requests.Load() >= 4 })
	c.status.Store(200)
	waitFor(t, "the queue sent", func() bool { return s.Sent()+s.Dropped() == 25 })
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := c.bodies()
	if s.Dropped() != 15 || s.Sent() != 10 || len(got) != 10 {
		t.Errorf("dropped %d, sent %d, received %d: want 15, 10, 10", s.Dropped(), s.Sent(), len(got))
	}
	var want []string
	for i := 15; i < 25; i++ {
		want = append(want, strconv.Itoa(i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("received %v, want the newest ten %v", got, want)
	}
	if errs.Load() != 1 {
		t.Errorf("%d errors reported for one outage", errs.Load())
	}
}

// Close gives up when its context ends and counts what it held; records
// emitted after Close are counted too.
func TestCloseCountsWhatItCannotSend(t *testing.T) {
	c := newCollector(t)
	c.status.Store(500)
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		s.Emit(record(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s.Close(ctx)
	s.Emit(record(30))
	if s.Dropped() != 31 || s.Sent() != 0 {
		t.Errorf("dropped %d, sent %d: want 31, 0", s.Dropped(), s.Sent())
	}
}

// A 503 is retried by the exporter itself (its retry configuration), with
// no failure reported.
func TestRetryOn503(t *testing.T) {
	c := newCollector(t)
	c.status.Store(503)
	var errs atomic.Int32
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Interval: 5 * time.Millisecond, OnError: func(error) { errs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(record(1))
	waitFor(t, "a 503", func() bool { return c.requests.Load() >= 1 })
	c.status.Store(200)
	waitFor(t, "the record sent", func() bool { return s.Sent() == 1 })
	s.Close(context.Background())
	if errs.Load() != 0 || c.requests.Load() < 2 {
		t.Errorf("%d failures reported, %d requests: want none, and a second try", errs.Load(), c.requests.Load())
	}
}

func TestBadEndpoint(t *testing.T) {
	for _, e := range []string{"127.0.0.1:4318", "ftp://127.0.0.1/", "http://", "http://[::1"} {
		if _, err := New(context.Background(), Config{Endpoint: e}); err == nil {
			t.Errorf("%q accepted", e)
		}
	}
	var s *Sender
	s.Emit(record(1))
	if s.Dropped() != 0 || s.Close(context.Background()) != nil {
		t.Error("a nil sender does something")
	}
}

func TestConfigured(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "")
	t.Setenv("OTEL_LOGS_EXPORTER", "")
	if Configured("") {
		t.Error("configured with no endpoint")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://192.0.2.1:4318")
	if !Configured("") || Target("") != "http://192.0.2.1:4318/v1/logs" {
		t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %v %s", Configured(""), Target(""))
	}
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	if Configured("") || !Configured("http://192.0.2.2:4318") {
		t.Error("OTEL_LOGS_EXPORTER=none")
	}
	if got := Target("http://192.0.2.2:4318"); got != "http://192.0.2.2:4318/v1/logs" {
		t.Errorf("target %s", got)
	}
}

// With Wait, a full queue holds Emit back while the endpoint takes records
// (a slow one here): nothing is dropped. Without it, the oldest go.
func TestWaitWhileTaken(t *testing.T) {
	for _, wait := range []bool{true, false} {
		c := newCollector(t)
		c.delay.Store(int64(20 * time.Millisecond))
		s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Queue: 4, Batch: 2, Interval: time.Hour, Wait: wait})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 {
			s.Emit(record(i))
		}
		s.Close(context.Background())
		got := len(c.bodies())
		if wait && (got != 40 || s.Dropped() != 0) || !wait && (s.Dropped() == 0 || got+int(s.Dropped()) != 40) {
			t.Errorf("wait %v: received %d, dropped %d of 40", wait, got, s.Dropped())
		}
	}
}

// emitWithin emits n records and fails the test with why when that takes
// more than 20 seconds.
func emitWithin(t *testing.T, s *Sender, n int, why string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		for i := range n {
			s.Emit(record(i))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal(why)
	}
}

// With Wait, an endpoint that fails does not hold Emit back: past the
// first failure the oldest records are dropped as without it.
func TestWaitNotWhileFailing(t *testing.T) {
	c := newCollector(t)
	c.status.Store(500)
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Queue: 4, Batch: 2, Interval: time.Hour, Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	emitWithin(t, s, 40, "Emit held back by a failing endpoint")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	s.Close(ctx)
	if s.Dropped() != 40 {
		t.Errorf("dropped %d of 40", s.Dropped())
	}
}

// With Wait, an endpoint that takes a request and never answers (packets
// dropped) holds Emit back only for a while (stall), not for the
// exporter's whole retry time.
func TestWaitNotForAHangingRequest(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	var errs atomic.Int32
	s, err := New(context.Background(), Config{Endpoint: srv.URL, Queue: 4, Batch: 2, Interval: time.Hour, Wait: true,
		OnError: func(error) { errs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	emitWithin(t, s, 40, "Emit held back by a request that never ends")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = s.Close(ctx)
	if s.Dropped() != 40 || err == nil || !strings.Contains(err.Error(), "no answer before the deadline") || errs.Load() != 0 {
		t.Errorf("dropped %d of 40, Close: %v, %d errors reported", s.Dropped(), err, errs.Load())
	}
}

// TestRecordsArriveJSON: OTLP/JSON (http/json, from the environment as the
// OTLP specification names it) carries the same records, resource and
// headers, with typed attribute values.
func TestRecordsArriveJSON(t *testing.T) {
	c := newCollector(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret")
	s, err := New(context.Background(), Config{Endpoint: c.srv.URL, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(sampleRecord())
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Sent() != 1 || len(c.reqs) != 1 {
		t.Fatalf("sent %d, %d requests", s.Sent(), len(c.reqs))
	}
	if ct := c.headers[0].Get("Content-Type"); ct != "application/json" || c.paths[0] != "/v1/logs" {
		t.Errorf("Content-Type %q, path %q", ct, c.paths[0])
	}
	if got := c.headers[0].Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization %q from OTEL_EXPORTER_OTLP_HEADERS", got)
	}
	rl := c.reqs[0].ResourceLogs[0]
	if got := attrs(rl.Resource.Attributes)["service.version"].GetStringValue(); got != "1.2.3" {
		t.Errorf("service.version %q", got)
	}
	lr := rl.ScopeLogs[0].LogRecords[0]
	if lr.SeverityNumber != 17 || lr.EventName != "rstsniff.connection" || lr.TimeUnixNano != 1700000000000000005 || lr.Body.GetStringValue() != "forged" {
		t.Errorf("severity %d, event %q, time %d, body %v", lr.SeverityNumber, lr.EventName, lr.TimeUnixNano, lr.Body)
	}
	a := attrs(lr.Attributes)
	if a["source.ip"].GetStringValue() != "198.51.100.2" || a["source.port"].GetIntValue() != 51186 || !a["rstsniff.forged"].GetBoolValue() ||
		a["x.ratio"].GetDoubleValue() != 0.5 || len(a["rstsniff.findings"].GetArrayValue().GetValues()) != 2 ||
		a["rstsniff.reset.packet"].GetArrayValue().GetValues()[1].GetIntValue() != 7 {
		t.Errorf("attributes %v", lr.Attributes)
	}
	// A protocol rstsniff does not speak is a clear error.
	if _, err := New(context.Background(), Config{Endpoint: c.srv.URL, Protocol: "grpc"}); err == nil || !strings.Contains(err.Error(), "http/json") {
		t.Errorf("protocol grpc: %v", err)
	}
}
