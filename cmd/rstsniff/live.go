package main

import (
	"context"
	"fmt"
	"io"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/capture/live"
	"github.com/rstsniff/rstsniff/metrics"
	"github.com/rstsniff/rstsniff/report"
)

// runLive captures on an interface and prints each connection's verdict
// as soon as it is known; on SIGINT/SIGTERM, -c or --duration it prints the
// summary.
func runLive(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	src, err := live.Open(live.Options{Interface: o.iface, Snaplen: o.snaplen, BufferKiB: o.bufKiB,
		Promisc: o.promisc, Filter: o.filter, Ports: o.ports})
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	defer src.Close()
	ll, err := startLiveLog(ctx, o, stderr) // --sshd-log: sshdlog_live.go
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	var m *metrics.Metrics
	if o.metrics != "" {
		// Listen before dropping privileges, as a low port may need them.
		if m, err = metrics.Serve(o.metrics); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
			return exitUsage
		}
		defer m.Close()
	}
	if o.user != "" {
		if err := dropPrivileges(o.user); err != nil {
			fmt.Fprintf(stderr, "rstsniff: -Z %s: %v\n", o.user, err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "rstsniff: dropped privileges to %s\n", o.user)
	}
	var ev *evidence
	if o.write != "" {
		// Opened after dropping privileges, as tcpdump does.
		if ev, err = newEvidence(o.write); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
			return exitUsage
		}
	}
	fmt.Fprintf(stderr, "rstsniff: %s\n", src.Format())

	in := report.Input{Name: o.iface, Format: src.Format()}
	tally := &report.Tally{Outcomes: map[string]int{}}
	fd := &feeder{a: newAnalyzer(o, o.iface), ev: ev, unknownLT: map[uint16]int{}}
	nextID := 1
	emit := func(fs []*analyze.Flow) error {
		fs, err := fd.handOver(fs)
		for _, f := range fs {
			f.ID = nextID
			nextID++
			tally.Add(f)
			m.Flow(f)
			if o.format == "json" {
				if err := ll.jsonFlow(stdout, f); err != nil {
					return err
				}
			} else if o.all || f.Notable() {
				if err := ll.streamLine(stdout, f, o.explain); err != nil {
					return err
				}
			}
		}
		return err
	}
	start := time.Now()
	lastExpire := start
	for {
		stop := ctx.Err() != nil || (o.count > 0 && in.Frames >= o.count) ||
			(o.duration > 0 && time.Since(start) >= o.duration)
		if stop {
			break
		}
		data, ci, err := src.ReadFrame()
		switch err {
		case nil:
			in.Frames++
			m.Packet()
			if in.Start.IsZero() {
				in.Start = ci.Timestamp
			}
			in.End = ci.Timestamp
			fr := capture.Frame{Data: data, Info: ci}
			if err := fd.frame(in.Frames, &fr); err != nil {
				fmt.Fprintf(stderr, "rstsniff: %v\n", err)
				return exitUsage
			}
		case live.ErrTimeout:
		default:
			fmt.Fprintf(stderr, "rstsniff: reading %s: %v\n", o.iface, err)
			return exitUsage
		}
		// Live packet timestamps come from the system clock, so the capture's
		// "now" is the clock too.
		if now := time.Now(); now.Sub(lastExpire) >= 250*time.Millisecond || fd.a.Open() > o.maxFlows {
			if err := emit(fd.a.Expire(now)); err != nil {
				fmt.Fprintf(stderr, "rstsniff: %v\n", err)
				return exitUsage
			}
			lastExpire = now
			if st, err := src.Stats(); err == nil {
				m.Drops(st.Dropped, st.IfDropped)
			}
		}
	}
	if err := emit(fd.a.Finish()); err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return exitUsage
	}
	in.Warnings = append(in.Warnings, fd.warnings()...)
	st, err := src.Stats()
	if err == nil {
		tally.Capture = &report.CaptureStats{Received: st.Received, Dropped: st.Dropped, IfDropped: st.IfDropped}
	}
	tally.Evicted = fd.a.Evicted()
	if ev != nil {
		tally.Evidence = &report.EvidenceStats{Path: o.write, Flows: ev.Flows, Packets: ev.Packets, Omitted: ev.Omitted}
		if err := ev.Close(); err != nil {
			fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		}
	}
	r := &report.Run{Inputs: []report.Input{in}, Tally: tally}
	if o.format == "json" {
		err = report.JSONSummary(stdout, r)
	} else {
		err = report.Summary(stdout, r)
	}
	if err != nil {
		return exitUsage
	}
	if r.Abnormal() {
		return exitAbnormal
	}
	return exitOK
}

// dropPrivileges switches to user name for good: supplementary groups, then
// group, then user (Go applies each to every thread).
func dropPrivileges(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fmt.Errorf("setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid: %v", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %v", err)
	}
	return nil
}
