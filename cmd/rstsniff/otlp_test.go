package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// The OpenTelemetry Collector of these tests is built from upstream
// modules (deploy/otel, a Go module of its own: the OTLP receiver and the
// file exporter) once per change of its sources, and kept in the temporary
// directory: a first build takes minutes, a cached one nothing.
// RSTSNIFF_OTELCOL names a collector built already (make otelcol).
var otelcol struct {
	once sync.Once
	path string
	err  error
}

func otelcolBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no OpenTelemetry Collector build")
	}
	otelcol.once.Do(func() {
		if p := os.Getenv("RSTSNIFF_OTELCOL"); p != "" {
			if !filepath.IsAbs(p) {
				p = filepath.Join("../..", p) // from the top of the repository
			}
			otelcol.path = p
			return
		}
		dir, err := filepath.Abs("../../deploy/otel")
		if err != nil {
			otelcol.err = err
			return
		}
		h := sha256.New()
		for _, f := range []string{"go.mod", "go.sum", "main.go", "full.go"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				otelcol.err = err
				return
			}
			h.Write(b)
		}
		bin := filepath.Join(os.TempDir(), "rstsniff-otelcol-"+hex.EncodeToString(h.Sum(nil))[:16])
		if _, err := os.Stat(bin); err == nil {
			otelcol.path = bin
			return
		}
		tmp := bin + fmt.Sprintf(".%d", os.Getpid())
		cmd := exec.Command("go", "build", "-o", tmp, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			otelcol.err = fmt.Errorf("building the collector in deploy/otel: %v\n%s", err, out)
			return
		}
		otelcol.path, otelcol.err = bin, os.Rename(tmp, bin)
	})
	if otelcol.err != nil {
		t.Fatal(otelcol.err)
	}
	return otelcol.path
}

// collectorProc is a running collector writing what it receives to out.
type collectorProc struct {
	cmd *exec.Cmd
	out string
	log bytes.Buffer
}

// unusedAddr is a loopback address and port nothing listens on (a port
// the kernel just handed out and took back), for a collector to start on,
// or for one that stays unreachable.
func unusedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startCollector runs the collector with deploy/otel/file.yaml, listening
// on addr, in network namespace ns ("" for this one), and waits until it
// takes connections.
func startCollector(t *testing.T, bin, ns, addr, out string) *collectorProc {
	t.Helper()
	cfg, _ := filepath.Abs("../../deploy/otel/file.yaml")
	args := []string{bin, "--config=" + cfg}
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	c := &collectorProc{cmd: exec.Command(args[0], args[1:]...), out: out}
	c.cmd.Env = append(os.Environ(), "RSTSNIFF_OTLP_ADDR="+addr, "RSTSNIFF_OTLP_FILE="+out)
	c.cmd.Stdout, c.cmd.Stderr = &c.log, &c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.stop() })
	host, port, _ := net.SplitHostPort(addr)
	waitUntil(t, "the collector listening on "+addr, func() bool {
		if ns != "" {
			return exec.Command("ip", "netns", "exec", ns, "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port).Run() == nil
		}
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	return c
}

// stop ends the collector as an operator would (SIGTERM): it flushes its
// file first.
func (c *collectorProc) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// otlpRecord is one log record the collector wrote, with its resource.
type otlpRecord struct {
	resource map[string]any
	event    string
	severity string
	body     string
	attrs    map[string]any
}

func anyValue(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		var out []any
		for _, e := range x.ArrayValue.Values {
			out = append(out, anyValue(e))
		}
		return out
	}
	return nil
}

func kvMap(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.Key] = anyValue(kv.Value)
	}
	return m
}

// readRecords parses the file exporter's output: a line of OTLP JSON per
// batch.
func readRecords(t *testing.T, path string) []otlpRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []otlpRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var d logspb.LogsData
		if err := protojson.Unmarshal(sc.Bytes(), &d); err != nil {
			return out // a line being written
		}
		for _, rl := range d.ResourceLogs {
			res := kvMap(rl.Resource.GetAttributes())
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					out = append(out, otlpRecord{res, lr.EventName, lr.SeverityText, lr.Body.GetStringValue(), kvMap(lr.Attributes)})
				}
			}
		}
	}
	return out
}

func countEvent(recs []otlpRecord, event string) int {
	n := 0
	for _, r := range recs {
		if r.event == event {
			n++
		}
	}
	return n
}

func strs(v any) []string {
	a, _ := v.([]any)
	out := []string{}
	for _, e := range a {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestOTLPCollector sends the verdicts of every bundled capture to a real
// collector and checks each abnormal connection's record against the JSON
// output of the same run: the addresses, community ID, outcome, stage,
// findings, each reset's strength, the resource.
func TestOTLPCollector(t *testing.T) {
	bin := otelcolBinary(t)
	addr := unusedAddr(t)
	out := filepath.Join(t.TempDir(), "records.json")
	startCollector(t, bin, "", addr, out)

	captures, _ := filepath.Glob("../../testdata/pcaps/*/capture.pcap")
	if len(captures) < 20 {
		t.Fatalf("%d bundled captures", len(captures))
	}
	args := []string{"--format", "json", "--otlp", "http://" + addr}
	for _, c := range captures {
		args = append(args, "-r", c)
	}
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=ci")
	var stdout, stderr bytes.Buffer
	code := exitStatus(run(context.Background(), args, strings.NewReader(""), &stdout, &stderr), &stderr)
	if code != exitAbnormal {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), "OTLP") {
		t.Errorf("warnings with the collector up:\n%s", stderr.String())
	}
	want := map[string]jsonFlow{} // by file and connection ID
	for _, f := range jsonFlows(t, stdout.String()) {
		if f.Outcome != "closed" && f.Outcome != "open" || len(f.Findings) > 0 {
			want[fmt.Sprintf("%s#%d", f.File, f.ID)] = f
		}
	}
	flows := -1
	for _, sum := range decodeLines[struct{ Flows int }](t, stdout.String(), "summary") {
		flows = sum.Flows
	}
	if len(want) < 20 {
		t.Fatalf("%d abnormal connections in the bundled captures", len(want))
	}
	var recs []otlpRecord
	waitUntil(t, "every record at the collector", func() bool {
		recs = readRecords(t, out)
		return countEvent(recs, "rstsniff.summary") == 1 && countEvent(recs, "rstsniff.connection") >= len(want)
	})
	host, _ := os.Hostname()
	seen := map[string]bool{}
	for _, r := range recs {
		for k, v := range map[string]string{"service.name": "rstsniff", "service.version": version, "host.name": host, "deployment.environment.name": "ci"} {
			if r.resource[k] != v {
				t.Errorf("resource %s = %v, want %s", k, r.resource[k], v)
			}
		}
		if r.event == "rstsniff.summary" {
			if r.attrs["rstsniff.connections"] != int64(flows) || r.severity != "INFO" {
				t.Errorf("summary: %d connections (want %d), %s", r.attrs["rstsniff.connections"], flows, r.severity)
			}
			continue
		}
		key := fmt.Sprintf("%s#%d", r.attrs["rstsniff.file"], r.attrs["rstsniff.connection_id"])
		f, ok := want[key]
		if !ok || seen[key] {
			t.Errorf("record %s: not an abnormal connection of the JSON output, or twice", key)
			continue
		}
		seen[key] = true
		client, _ := netip.ParseAddrPort(f.Client)
		server, _ := netip.ParseAddrPort(f.Server)
		for k, v := range map[string]any{
			"source.ip": client.Addr().Unmap().String(), "source.port": int64(client.Port()),
			"destination.ip": server.Addr().Unmap().String(), "destination.port": int64(server.Port()),
			"network.community_id": f.CommunityID, "event.outcome": "failure", "rstsniff.outcome": f.Outcome,
			"rstsniff.stage": f.Stage, "event.dataset": "rstsniff.connection",
		} {
			if f.Outcome == "closed" || f.Outcome == "open" {
				if k == "event.outcome" {
					continue // a finding on a connection that ended normally
				}
			}
			if r.attrs[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", key, k, r.attrs[k], v)
			}
		}
		var findings []string
		for _, x := range f.Findings {
			findings = append(findings, x.ID)
		}
		var strengths []string
		for _, x := range f.Resets {
			strengths = append(strengths, x.Strength)
		}
		if got := strs(r.attrs["rstsniff.findings"]); !slices.Equal(got, append([]string{}, findings...)) {
			t.Errorf("%s: findings %v, want %v", key, got, findings)
		}
		if len(findings) > 0 && r.attrs["rule.name"] != findings[0] {
			t.Errorf("%s: rule.name %v, want %s", key, r.attrs["rule.name"], findings[0])
		}
		if len(strengths) > 0 && !slices.Equal(strs(r.attrs["rstsniff.reset.strength"]), strengths) {
			t.Errorf("%s: strengths %v, want %v", key, r.attrs["rstsniff.reset.strength"], strengths)
		}
		if r.severity != "WARN" && r.severity != "ERROR" {
			t.Errorf("%s: severity %q", key, r.severity)
		}
		if !strings.Contains(r.body, f.Client+" -> "+f.Server) {
			t.Errorf("%s: body %q", key, r.body)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d of %d abnormal connections reached the collector", len(seen), len(want))
	}
}

// TestOTLPUnreachable: with nothing listening at the endpoint, the output
// is what it is without --otlp, with one warning for the outage and one
// counting the records not delivered.
func TestOTLPUnreachable(t *testing.T) {
	addr := unusedAddr(t)
	capture := "../../testdata/pcaps/rate-limit/capture.pcap"
	var plain, stdout, stderr bytes.Buffer
	run(context.Background(), []string{"-r", capture, "--format", "json"}, strings.NewReader(""), &plain, io.Discard)
	code := exitStatus(run(context.Background(), []string{"-r", capture, "--format", "json", "--otlp", "http://" + addr},
		strings.NewReader(""), &stdout, &stderr), io.Discard)
	if code != exitAbnormal || !bytes.Equal(stdout.Bytes(), plain.Bytes()) {
		t.Errorf("exit %d; output differs from the run without --otlp: %v", code, !bytes.Equal(stdout.Bytes(), plain.Bytes()))
	}
	// The export goroutine may not have tried before the end of the run:
	// then the flush at exit is the only try, and the only warning.
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	if len(lines) > 2 || len(lines) == 2 && !strings.Contains(lines[0], "OTLP: cannot send to http://"+addr+"/v1/logs") ||
		!strings.Contains(last, "records not delivered to http://"+addr+"/v1/logs (0 delivered): ") || !strings.Contains(last, "refused") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestOTLPCollectorJSON: the real collector takes OTLP/JSON too
// (--otlp-protocol http/json): a reset forged at the banner arrives as an
// ERROR record with the verdict line as its body, and the summary.
func TestOTLPCollectorJSON(t *testing.T) {
	bin := otelcolBinary(t)
	addr := unusedAddr(t)
	out := filepath.Join(t.TempDir(), "records.json")
	startCollector(t, bin, "", addr, out)
	var stdout, stderr bytes.Buffer
	code := exitStatus(run(context.Background(), []string{"-r", "../../testdata/pcaps/reject-banner/capture.pcap", "--otlp", "http://" + addr,
		"--otlp-protocol", "http/json"}, strings.NewReader(""), &stdout, &stderr), &stderr)
	if code != exitAbnormal || strings.Contains(stderr.String(), "OTLP") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var recs []otlpRecord
	for deadline := time.Now().Add(20 * time.Second); len(recs) < 2 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		recs = readRecords(t, out)
	}
	if countEvent(recs, "rstsniff.connection") != 1 || countEvent(recs, "rstsniff.summary") != 1 {
		t.Fatalf("records %+v", recs)
	}
	for _, r := range recs {
		if r.event == "rstsniff.connection" && (r.severity != "ERROR" || !strings.Contains(r.body, "FORGED in the server's name")) {
			t.Errorf("record %+v", r)
		}
	}
}
