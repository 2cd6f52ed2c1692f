package otlp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// OTLP/JSON (the OTLP specification's "http/json" protocol): the official
// exporter speaks protobuf only, so this one encodes the same request with
// protojson and posts it with Content-Type application/json. It does not
// retry: the Sender's queue keeps a failed batch and tries it again.

// Protocols Config.Protocol accepts (as OTEL_EXPORTER_OTLP_PROTOCOL names them).
const (
	ProtocolProtobuf = "http/protobuf"
	ProtocolJSON     = "http/json"
)

// protocol is the protocol to use: the one given, else
// OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// protobuf. gRPC is not spoken.
func protocol(given string) (string, error) {
	p := strings.TrimSpace(given)
	for _, env := range []string{"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p == "" {
			p = strings.TrimSpace(os.Getenv(env))
		}
	}
	switch strings.ToLower(p) {
	case "", ProtocolProtobuf, "protobuf":
		return ProtocolProtobuf, nil
	case ProtocolJSON, "json":
		return ProtocolJSON, nil
	}
	return "", fmt.Errorf("otlp: protocol %q: rstsniff speaks http/protobuf and http/json", p)
}

// jsonExporter posts OTLP/JSON requests.
type jsonExporter struct {
	url     string
	headers http.Header
	client  *http.Client
}

func newJSONExporter(target string) (*jsonExporter, error) {
	h := http.Header{}
	raw := os.Getenv("OTEL_EXPORTER_OTLP_LOGS_HEADERS")
	if raw == "" {
		raw = os.Getenv("OTEL_EXPORTER_OTLP_HEADERS")
	}
	for _, kv := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k, errK := url.QueryUnescape(strings.TrimSpace(k))
		v, errV := url.QueryUnescape(strings.TrimSpace(v))
		if errK != nil || errV != nil || k == "" {
			return nil, fmt.Errorf("otlp: OTEL_EXPORTER_OTLP_HEADERS: %q is not key=value", kv)
		}
		h.Set(k, v)
	}
	return &jsonExporter{url: target, headers: h, client: &http.Client{Timeout: 10 * time.Second}}, nil
}

// Export sends one request; any answer but 2xx is an error.
func (e *jsonExporter) Export(ctx context.Context, rs []sdklog.Record) error {
	if len(rs) == 0 {
		return nil
	}
	body, err := protojson.Marshal(jsonRequest(rs))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range e.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("OTLP/JSON: %s", resp.Status)
	}
	return nil
}

func (e *jsonExporter) Shutdown(context.Context) error   { return nil }
func (e *jsonExporter) ForceFlush(context.Context) error { return nil }

// jsonRequest is the records as one ExportLogsServiceRequest: rstsniff's
// records share one resource and one scope.
func jsonRequest(rs []sdklog.Record) *collogpb.ExportLogsServiceRequest {
	res := &resourcepb.Resource{}
	if r := rs[0].Resource(); r != nil {
		for _, kv := range r.Attributes() {
			res.Attributes = append(res.Attributes, &commonpb.KeyValue{Key: string(kv.Key), Value: attrValue(kv.Value)})
		}
	}
	sc := rs[0].InstrumentationScope()
	scope := &logspb.ScopeLogs{Scope: &commonpb.InstrumentationScope{Name: sc.Name, Version: sc.Version}}
	for i := range rs {
		r := &rs[i]
		lr := &logspb.LogRecord{
			TimeUnixNano:         uint64(r.Timestamp().UnixNano()),
			ObservedTimeUnixNano: uint64(r.ObservedTimestamp().UnixNano()),
			SeverityNumber:       logspb.SeverityNumber(r.Severity()),
			SeverityText:         r.SeverityText(),
			Body:                 attrValue(r.Body()),
			EventName:            r.EventName(),
		}
		if r.Timestamp().IsZero() {
			lr.TimeUnixNano = 0
		}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			lr.Attributes = append(lr.Attributes, &commonpb.KeyValue{Key: string(kv.Key), Value: attrValue(kv.Value)})
			return true
		})
		scope.LogRecords = append(scope.LogRecords, lr)
	}
	return &collogpb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{Resource: res, ScopeLogs: []*logspb.ScopeLogs{scope}}}}
}

func attrValue(v attribute.Value) *commonpb.AnyValue {
	arr := func(n int, at func(int) *commonpb.AnyValue) *commonpb.AnyValue {
		a := &commonpb.ArrayValue{}
		for i := 0; i < n; i++ {
			a.Values = append(a.Values, at(i))
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: a}}
	}
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	i64 := func(n int64) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: n}}
	}
	f64 := func(f float64) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
	}
	bl := func(b bool) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
	}
	switch v.Type() {
	case attribute.BOOL:
		return bl(v.AsBool())
	case attribute.INT64:
		return i64(v.AsInt64())
	case attribute.FLOAT64:
		return f64(v.AsFloat64())
	case attribute.STRING:
		return str(v.AsString())
	case attribute.BOOLSLICE:
		x := v.AsBoolSlice()
		return arr(len(x), func(i int) *commonpb.AnyValue { return bl(x[i]) })
	case attribute.INT64SLICE:
		x := v.AsInt64Slice()
		return arr(len(x), func(i int) *commonpb.AnyValue { return i64(x[i]) })
	case attribute.FLOAT64SLICE:
		x := v.AsFloat64Slice()
		return arr(len(x), func(i int) *commonpb.AnyValue { return f64(x[i]) })
	case attribute.STRINGSLICE:
		x := v.AsStringSlice()
		return arr(len(x), func(i int) *commonpb.AnyValue { return str(x[i]) })
	case attribute.SLICE:
		x := v.AsSlice()
		return arr(len(x), func(i int) *commonpb.AnyValue { return attrValue(x[i]) })
	case attribute.MAP:
		kvs := &commonpb.KeyValueList{}
		for _, kv := range v.AsMap() {
			kvs.Values = append(kvs.Values, &commonpb.KeyValue{Key: string(kv.Key), Value: attrValue(kv.Value)})
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: kvs}}
	}
	return nil
}
