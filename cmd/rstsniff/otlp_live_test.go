package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a buffer written by a process and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOTLPCollectorRestartLive captures live in a network namespace of its
// own while the collector is stopped and started again: the connections
// refused while it was away arrive when it is back, as many as the queue
// holds (the newest), and the drop counter counts the rest, exactly.
func TestOTLPCollectorRestartLive(t *testing.T) {
	needLab(t, "curl", "bash")
	col := otelcolBinary(t)
	bin := buildRstsniff(t)
	dir := keptDir(t, "rstsniff-otlp-live-")
	ns := fmt.Sprintf("rstsniff-otlp-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v\n%s", err, out)
	}
	const addr, queue = "127.0.0.1:4318", 20
	refuse := func(n int) { // n connections to port 22, where nothing listens: n refused
		script := fmt.Sprintf("for i in $(seq %d); do : 2>/dev/null <>/dev/tcp/127.0.0.1/22; done; true", n)
		if out, err := exec.Command("ip", "netns", "exec", ns, "bash", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("connecting: %v\n%s", err, out)
		}
	}
	metric := func(name string) int {
		out, err := exec.Command("ip", "netns", "exec", ns, "curl", "-sf", "http://127.0.0.1:9122/metrics").Output()
		if err != nil {
			return -1
		}
		m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindSubmatch(out)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}

	c1 := startCollector(t, col, ns, addr, filepath.Join(dir, "before.json"))
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-i", "lo", "--no-kernel", "--format", "json", "--grace", "200ms",
		"--otlp", "http://"+addr, "--otlp-queue", strconv.Itoa(queue), "--metrics", "127.0.0.1:9122")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitUntil(t, "the capture and its metrics", func() bool { return metric("rstsniff_otlp_dropped_total") == 0 })
	flows := func() []string { // client ports of the connections printed, in order
		var ports []string
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			if m := regexp.MustCompile(`"client":"127\.0\.0\.1:(\d+)"`).FindStringSubmatch(sc.Text()); m != nil {
				ports = append(ports, m[1])
			}
		}
		return ports
	}
	clientPorts := func(recs []otlpRecord) []string {
		var ports []string
		for _, r := range recs {
			if r.event == "rstsniff.connection" {
				ports = append(ports, strconv.FormatInt(r.attrs["source.port"].(int64), 10))
			}
		}
		return ports
	}

	// Collector up: every record arrives.
	refuse(5)
	waitUntil(t, "5 verdicts", func() bool { return len(flows()) == 5 })
	waitUntil(t, "5 records at the collector", func() bool { return len(clientPorts(readRecords(t, c1.out))) == 5 })
	c1.stop()

	// Collector away: 30 more; the queue keeps the newest 20.
	refuse(30)
	waitUntil(t, "35 verdicts", func() bool { return len(flows()) == 35 })
	waitUntil(t, "10 records counted as dropped", func() bool { return metric("rstsniff_otlp_dropped_total") == 10 })
	waitUntil(t, "a try while the collector is away", func() bool { return strings.Contains(stderr.String(), "OTLP: cannot send") })

	// Collector back: the 20 held arrive, in order.
	c2 := startCollector(t, col, ns, addr, filepath.Join(dir, "after.json"))
	waitUntil(t, "the queue at the collector", func() bool { return len(clientPorts(readRecords(t, c2.out))) >= queue })
	if got, want := clientPorts(readRecords(t, c2.out)), flows()[15:]; !slices.Equal(got, want) {
		t.Errorf("after the restart the collector got the connections from ports\n%v\nwant the newest %d\n%v", got, queue, want)
	}
	if got, want := clientPorts(readRecords(t, c1.out)), flows()[:5]; !slices.Equal(got, want) {
		t.Errorf("before: %v, want %v", got, want)
	}
	if n := metric("rstsniff_otlp_sent_total"); n != 25 {
		t.Errorf("rstsniff_otlp_sent_total %d, want 25", n)
	}

	// Stopped: the summary is flushed, the drops said once.
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	waitUntil(t, "the summary", func() bool { return countEvent(readRecords(t, c2.out), "rstsniff.summary") == 1 })
	for _, r := range readRecords(t, c2.out) {
		if r.event == "rstsniff.summary" && r.attrs["rstsniff.connections"] != int64(35) {
			t.Errorf("summary: %v connections, want 35", r.attrs["rstsniff.connections"])
		}
	}
	errs := stderr.String()
	if n := strings.Count(errs, "OTLP: cannot send"); n != 1 {
		t.Errorf("%d warnings for one outage:\n%s", n, errs)
	}
	if !strings.Contains(errs, "OTLP: 10 records not delivered") {
		t.Errorf("no count of the records dropped:\n%s", errs)
	}
}
