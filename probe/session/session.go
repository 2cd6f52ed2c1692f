package session

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/ingest"
	"github.com/rstsniff/rstsniff/kernel/watch"
	"github.com/rstsniff/rstsniff/probe"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// Config is one probe of one target.
type Config struct {
	Addr            netip.AddrPort
	Count, Parallel int
	Interval        time.Duration
	Probe           probe.Config
	Write           string // -w's file ("": a temporary capture, removed)
	Interface       string // "": the one the route to Addr leaves by
	Locate          bool
	MaxTTL          int
	Kernel          *watch.Watcher // the kernel witness (nil: none)
	// Ingest is how the capture is read and judged (its ports are Addr's).
	Ingest *ingest.Config
	// Logs reads the server's logs near a time (nil: none given).
	Logs func(near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error)
}

// Result is what a probe found.
type Result struct {
	Run       *report.Run       // the verdicts on the probe's capture; nil without one
	ServerLog *report.ServerLog // nil without a log
	Section   *report.ProbeSection
	// LocateStopped is why --locate stopped before its last TTL (it says
	// what it found up to there).
	LocateStopped error
	abnormal      bool
}

// Abnormal reports whether a connection failed, by the sockets' word or
// by the verdicts on the packets (the exit status of -r on them).
func (r *Result) Abnormal() bool { return r.abnormal }

// Linger is how long the capture waits for late packets (a server's reply
// to a close, the first retransmission of a SYN-ACK a second on).
const Linger = 1200 * time.Millisecond

// Run probes c.Addr: capture, connections, the MTU check, the verdicts on
// the capture, and --locate. A capture that cannot start is no error
// (Section.NoCapture says why) unless -w asked for one.
func Run(ctx context.Context, c *Config) (*Result, error) {
	// Capture first, so the first SYN is in it.
	pc, capErr := startCapture(c)
	if capErr != nil && c.Write != "" {
		return nil, fmt.Errorf("-w: %v", capErr)
	}
	results := probe.Run(ctx, c.Addr, c.Count, c.Parallel, c.Interval, c.Probe, nil)
	// A connection that stalled after the handshake: once more with a small
	// MSS, to tell an MTU black hole from a server that stopped answering.
	mtu := probe.CheckMTU(ctx, c.Addr, results, c.Probe)
	if mtu != nil {
		results = append(results, mtu.Check)
	}
	res := &Result{Section: &report.ProbeSection{Results: results, MTU: mtu}}
	for _, r := range results {
		if r.Abnormal() {
			res.abnormal = true
		}
	}
	// The probe's own packets judged as -r judges a capture, in this
	// process: the flows, and the server's log joined to them.
	if pc != nil {
		if err := pc.Stop(Linger); err != nil {
			return nil, fmt.Errorf("capture: %v", err)
		}
		defer pc.Remove()
		jc := *c.Ingest
		jc.Ports = []uint16{c.Addr.Port()}
		var err error
		res.Run, res.ServerLog, err = Judge(ctx, &jc, pc.Path(), c.Logs)
		if err != nil {
			return nil, fmt.Errorf("analysis: %v", err)
		}
		c.Kernel.Attribute(res.Run.Flows)
		if res.Run.Abnormal() {
			res.abnormal = true // the exit status of -r on the same packets
		}
	} else {
		res.Section.NoCapture = capErr.Error()
	}
	// --locate only for a reset forged on the path: a host's own firewall
	// has no hop to find.
	if c.Locate {
		plan := report.LocatePlan{Why: report.LocateNoCapture}
		if res.Run != nil {
			plan = PlanLocate(res.Run.Flows)
		}
		res.Section.Plan = &plan
		if plan.Run() {
			loc, err := probe.Locate(ctx, c.Addr, Trigger(plan.Reset), probe.LocateConfig{MaxTTL: c.MaxTTL})
			if err != nil && loc == nil {
				return nil, fmt.Errorf("--locate: %v", err)
			}
			res.LocateStopped = err
			res.Section.Locate = loc
		}
	}
	return res, nil
}

// startCapture records, on the interface the route to c.Addr leaves by,
// exactly the probe's server and port plus the ICMP errors sent to this
// host (to -w's file, else a temporary one).
func startCapture(c *Config) (*live.Recording, error) {
	iface, local, err := probe.Route(c.Addr, c.Interface)
	if err != nil {
		return nil, err
	}
	return live.Record(live.Options{Interface: iface, Filter: probe.CaptureFilter(c.Addr, local), Timeout: 50 * time.Millisecond}, c.Write)
}

// Judge reads the probe's capture through the pipeline and the analyzer,
// as -r does (every connection kept), and joins the server's logs to its
// connections when logs is not nil.
func Judge(ctx context.Context, c *ingest.Config, path string, logs func(near time.Time) ([]sshdlog.Line, []report.ServerLogFile, error)) (*report.Run, *report.ServerLog, error) {
	r := &report.Run{Tally: &report.Tally{}}
	budget := 0
	if err := ingest.Files(ctx, c, []string{path}, nil, io.Discard, &budget, nil, ingest.KeepAll(r, nil), r); err != nil {
		return nil, nil, err
	}
	if logs == nil {
		return r, nil, nil
	}
	lines, files, err := logs(ingest.Near(r))
	if err != nil {
		return nil, nil, err
	}
	return r, &report.ServerLog{Files: files, Result: ingest.JoinServerLog(r.Flows, lines)}, nil
}

// PlanLocate decides --locate on the analysis's verdicts: it runs for the
// first reset whose sender is a device on the path, never for one from a
// host's own firewall or an endpoint's stack.
func PlanLocate(flows []*analyze.Flow) report.LocatePlan {
	var other report.LocatePlan
	found := false
	for _, f := range flows {
		for i := range f.Resets {
			r := &f.Resets[i]
			if r.Sender == analyze.SenderPath {
				return report.LocatePlan{Why: report.LocatePath, Flow: f, Reset: r}
			}
			if found {
				continue
			}
			found = true
			other = report.LocatePlan{Why: report.LocateNotForged, Flow: f, Reset: r}
			if s := r.Sender; s == analyze.SenderServerFirewall || s == analyze.SenderClientFirewall {
				other.Why = report.LocateHostFirewall
			}
		}
	}
	if !found {
		return report.LocatePlan{Why: report.LocateNoReset}
	}
	// A host firewall's reset anywhere says more than an endpoint's.
	for _, f := range flows {
		for i := range f.Resets {
			if s := f.Resets[i].Sender; s == analyze.SenderServerFirewall || s == analyze.SenderClientFirewall {
				return report.LocatePlan{Why: report.LocateHostFirewall, Flow: f, Reset: &f.Resets[i]}
			}
		}
	}
	return other
}

// Trigger picks what to repeat for a reset forged on the path: the SYN
// when it answered the handshake, the KEXINIT when it came once the
// banners were exchanged (also when the server's KEXINIT crossed the
// client's on the way, which makes the stage kex), the banner otherwise.
func Trigger(r *analyze.Reset) probe.Trigger {
	switch r.Stage {
	case analyze.StageHandshake:
		return probe.TriggerSYN
	case analyze.StageKexInit, analyze.StageKex:
		return probe.TriggerKexInit
	}
	return probe.TriggerBanner
}
