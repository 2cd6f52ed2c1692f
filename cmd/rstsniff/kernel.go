package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/kernel"
	"github.com/rstsniff/rstsniff/kernel/probe"
	"github.com/rstsniff/rstsniff/metrics"
)

// kernelWitness asks this host's kernel, through eBPF, which resets it sent
// and received during a live capture, in the capture's network namespace
// (the one rstsniff runs in). A nil *kernelWitness is off and does nothing.
type kernelWitness struct {
	p    *probe.Probe
	j    *kernel.Journal
	m    *metrics.Metrics
	done chan struct{}
	// fw names the firewall rules behind firewall events; nil when
	// netfilter is not watched or nftables cannot be read.
	fw *firewallRules
}

// startKernel loads the witness unless --no-kernel; when it cannot, it
// writes one line saying why and returns nil: the capture goes on without.
// Call it before dropping privileges (-Z).
func startKernel(o *options, stderr io.Writer, m *metrics.Metrics) *kernelWitness {
	if o.noKernel {
		fmt.Fprintf(stderr, "rstsniff: kernel witness off (--no-kernel)\n")
		return nil
	}
	p, err := probe.Open(probe.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", err)
		return nil
	}
	local := localAddrs()
	j := kernel.NewJournal(kernel.JournalOptions{Netns: p.Netns, Start: p.Start, Lost: p.Lost,
		Local: func(a netip.Addr) bool { return local[a] }, Firewall: p.Firewall != probe.FirewallNone})
	k := &kernelWitness{p: p, j: j, m: m, done: make(chan struct{})}
	if p.Firewall != probe.FirewallNone {
		k.fw = startRules(stderr)
	}
	go func() {
		defer close(k.done)
		for {
			e, err := p.Read()
			if err != nil {
				return
			}
			if j.Add(e) {
				m.KernelEvent(&e)
				if e.Kind == kernel.FirewallDropped || e.Kind == kernel.FirewallSent {
					k.fw.poke(e.Time)
				}
			}
		}
	}()
	fmt.Fprintf(stderr, "rstsniff: kernel witness on: network namespace %d, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall by %s\n", p.Netns, p.Firewall)
	return k
}

// localAddrs are this namespace's addresses.
func localAddrs() map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return m
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			m[p.Addr().Unmap()] = true
		}
	}
	return m
}

// attribute gives each reset of the flows what the kernel said about it.
func (k *kernelWitness) attribute(fs []*analyze.Flow) {
	if k == nil {
		return
	}
	var qs []kernel.Query
	for _, f := range fs {
		qs = qs[:0]
		for _, r := range f.Resets {
			src, dst := f.Client, f.Server
			if r.From == analyze.Server {
				src, dst = f.Server, f.Client
			}
			qs = append(qs, kernel.Query{Src: src, Dst: dst, Time: r.Time})
		}
		for i, w := range k.j.AttributeAll(qs) {
			f.Resets[i].Kernel = w
			if w != nil && w.Basis == kernel.BasisDropInference {
				// Counted here: only the join makes a drop a REJECT's reset.
				k.m.KernelEvent(&kernel.Event{Kind: kernel.FirewallSent})
			}
			if w != nil && w.Sender == kernel.SenderFirewall {
				w.Rules = k.fw.attribute(w.Sent)
			}
		}
		if d := k.j.Dropped(f.Client, f.Server, f.Start, f.End); d != nil {
			for i := range d.Events {
				d.Rules = append(d.Rules, k.fw.attribute(&d.Events[i]))
			}
			f.Dropped = d
		}
	}
}

// close detaches the programs.
func (k *kernelWitness) close() {
	if k == nil {
		return
	}
	k.p.Close()
	<-k.done
	k.fw.close()
}
