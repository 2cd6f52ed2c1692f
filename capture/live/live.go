// Package live captures frames from a network interface through libpcap
// (gopacket/pcap, cgo). It is kept apart from package capture so that
// reading files needs no C library. Record writes a live capture to a pcap
// file on a goroutine of its own (rstsniff probe's own packets). Frames
// is a source as the pipeline reads a live capture (counted, a read error
// naming the interface).
package live

import (
	"fmt"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"

	"github.com/rstsniff/rstsniff/capture"
)

// Options set up a live capture. The zero value captures nothing: give Interface.
type Options struct {
	Interface string
	Snaplen   int  // bytes per packet kept; 0 means 262144, as tcpdump
	BufferKiB int  // kernel buffer in KiB (tcpdump -B); 0 means DefaultBufferKiB
	Promisc   bool // promiscuous mode; off unless asked
	// Filter is a pcap-filter(7) expression; empty means DefaultFilter(ports).
	Filter string
	Ports  []uint16
	// Timeout bounds how long ReadFrame blocks, so the caller can act on
	// time passing without packets; 0 means 250 ms.
	Timeout time.Duration
}

// DefaultBufferKiB is the kernel capture buffer when none is asked for
// (libpcap's own default is 2 MiB).
const DefaultBufferKiB = 16 << 10

// ErrTimeout is returned by ReadFrame when no packet came within Timeout:
// capture.ErrTimeout, which the pipeline knows.
var ErrTimeout = capture.ErrTimeout

// Source is a live capture. Frames returned by ReadFrame are valid until the
// next call.
type Source struct {
	h      *pcap.Handle
	iface  string
	link   uint16
	filter string
}

var _ capture.Source = (*Source)(nil)

// DefaultFilter builds the BPF expression for the SSH ports, VLAN-tagged
// frames included where the link has them.
func DefaultFilter(ports []uint16, ethernet bool) string {
	if len(ports) == 0 {
		ports = []uint16{22}
	}
	var ps []string
	for _, p := range ports {
		ps = append(ps, fmt.Sprintf("port %d", p))
	}
	f := "tcp and (" + strings.Join(ps, " or ") + ")"
	// ICMP errors tell why a SYN failed (a firewall's REJECT, a router
	// with no route) and ask for a smaller MTU; they are few.
	f = "(" + f + ") or " + icmpErrors
	if ethernet {
		f = "(" + f + ") or (vlan and (" + f + "))"
	}
	return f
}

// icmpErrors matches ICMP destination unreachable and time exceeded, and
// ICMPv6 destination unreachable, packet too big and time exceeded (the
// type byte right after a fixed IPv6 header).
const icmpErrors = "icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed or (icmp6 and ip6[40] >= 1 and ip6[40] <= 3)"

// Open starts capturing. Errors name the interface and say what to do.
func Open(o Options) (*Source, error) {
	if o.Snaplen <= 0 {
		o.Snaplen = 262144
	}
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.Interface != "any" {
		devs, err := pcap.FindAllDevs()
		if err == nil {
			found := false
			for _, d := range devs {
				found = found || d.Name == o.Interface
			}
			if !found {
				return nil, fmt.Errorf("live: no interface %q (rstsniff -D lists them)", o.Interface)
			}
		}
	}
	in, err := pcap.NewInactiveHandle(o.Interface)
	if err != nil {
		return nil, openError(o.Interface, err)
	}
	defer in.CleanUp()
	if err := in.SetSnapLen(o.Snaplen); err != nil {
		return nil, openError(o.Interface, err)
	}
	if err := in.SetPromisc(o.Promisc); err != nil {
		return nil, openError(o.Interface, err)
	}
	if err := in.SetTimeout(o.Timeout); err != nil {
		return nil, openError(o.Interface, err)
	}
	// Not immediate mode: libpcap then reads the kernel's TPACKET_V3 blocks
	// and keeps up with far more packets (in the bench, immediate mode
	// dropped 7.7% at 300k packets/s where this drops none). The read
	// timeout still hands packets over at least every Timeout, well within
	// the grace period before a verdict.
	if err := in.SetImmediateMode(false); err != nil {
		return nil, openError(o.Interface, err)
	}
	if o.BufferKiB <= 0 {
		o.BufferKiB = DefaultBufferKiB
	}
	if err := in.SetBufferSize(o.BufferKiB * 1024); err != nil {
		return nil, openError(o.Interface, err)
	}
	h, err := in.Activate()
	if err != nil {
		return nil, openError(o.Interface, err)
	}
	if o.Interface == "any" {
		// Cooked v2 carries the interface index and direction, as tcpdump 4.99 writes.
		_ = h.SetLinkType(layers.LinkTypeLinuxSLL2)
	}
	s := &Source{h: h, iface: o.Interface, link: uint16(h.LinkType())}
	s.filter = o.Filter
	if s.filter == "" {
		s.filter = DefaultFilter(o.Ports, s.link == 1)
	}
	if err := h.SetBPFFilter(s.filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("live: bad filter expression %q: %v", s.filter, err)
	}
	return s, nil
}

func openError(iface string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "ermission") || strings.Contains(msg, "not permitted") {
		return fmt.Errorf("live: capturing on %s needs root or CAP_NET_RAW (and CAP_NET_ADMIN): %v", iface, err)
	}
	if strings.Contains(msg, "No such device") || strings.Contains(msg, "doesn't exist") {
		return fmt.Errorf("live: no interface %q (rstsniff -D lists them): %v", iface, err)
	}
	return fmt.Errorf("live: %s: %v", iface, err)
}

// ReadFrame returns the next frame, or ErrTimeout when none came in time.
func (s *Source) ReadFrame() ([]byte, capture.Info, error) {
	data, ci, err := s.h.ZeroCopyReadPacketData()
	if err == pcap.NextErrorTimeoutExpired {
		return nil, capture.Info{}, ErrTimeout
	}
	if err != nil {
		return nil, capture.Info{}, err
	}
	return data, capture.Info{Timestamp: ci.Timestamp, Length: ci.Length, LinkType: s.link}, nil
}

// Format describes the capture.
func (s *Source) Format() string {
	return fmt.Sprintf("live capture on %s (%s), filter %q", s.iface, layers.LinkType(s.link), s.filter)
}

// LinkType is the capture's LINKTYPE_ value.
func (s *Source) LinkType() uint16 { return s.link }

// Stats are libpcap's counters: packets the filter accepted, dropped by the
// kernel for lack of buffer, and dropped by the interface.
type Stats struct {
	Received, Dropped, IfDropped int
}

// Stats returns the capture's counters.
func (s *Source) Stats() (Stats, error) {
	st, err := s.h.Stats()
	if err != nil {
		return Stats{}, err
	}
	return Stats{st.PacketsReceived, st.PacketsDropped, st.PacketsIfDropped}, nil
}

// Close stops the capture.
func (s *Source) Close() error {
	s.h.Close()
	return nil
}

// Interface is one entry of the interface list.
type Interface struct {
	Name, Description string
	Addresses         []string
}

// String is the interface as tcpdump -D lists it, after its number: its
// name, its description in parentheses and its addresses in brackets,
// each only when it has one.
func (f Interface) String() string {
	line := f.Name
	if f.Description != "" {
		line += " (" + f.Description + ")"
	}
	if len(f.Addresses) > 0 {
		line += " [" + strings.Join(f.Addresses, ", ") + "]"
	}
	return line
}

// Interfaces lists what can be captured on, as tcpdump -D does.
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, err
	}
	var out []Interface
	for _, d := range devs {
		i := Interface{Name: d.Name, Description: d.Description}
		for _, a := range d.Addresses {
			i.Addresses = append(i.Addresses, a.IP.String())
		}
		out = append(out, i)
	}
	return out, nil
}

// Matcher applies a filter expression to frames read from files.
type Matcher struct {
	expr string
	bpf  map[uint16]*pcap.BPF
}

// NewMatcher compiles expr lazily for each link type it meets.
func NewMatcher(expr string) *Matcher { return &Matcher{expr: expr, bpf: map[uint16]*pcap.BPF{}} }

// Match reports whether the frame passes the filter.
func (m *Matcher) Match(link uint16, data []byte, length int, ts time.Time) (bool, error) {
	b := m.bpf[link]
	if b == nil {
		var err error
		b, err = pcap.NewBPF(layers.LinkType(link), 262144, m.expr)
		if err != nil {
			return false, fmt.Errorf("bad filter expression %q: %v", m.expr, err)
		}
		m.bpf[link] = b
	}
	return b.Matches(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: length}, data), nil
}
