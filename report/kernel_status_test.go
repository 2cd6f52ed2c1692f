package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestKernelLossWarnings(t *testing.T) {
	for _, c := range []struct {
		l    KernelLosses
		want string // "" for no warning
	}{
		{KernelLosses{}, ""},
		{KernelLosses{Full: 2}, "kernel witness: 2 events lost (2 for a full ring buffer, 0 runs"},
		{KernelLosses{Skipped: 1}, "kernel witness: 1 event lost (0 for a full ring buffer, 1 runs the kernel skipped"},
		{KernelLosses{Err: errors.New("bad descriptor")}, "kernel witness: cannot tell whether events were lost (bad descriptor)"},
	} {
		got := KernelLossWarnings(c.l)
		if c.want == "" && len(got) != 0 || c.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], c.want)) {
			t.Errorf("KernelLossWarnings(%+v) = %q, want %q", c.l, got, c.want)
		}
	}
}

// The losses are an input's warnings: the summary says them in every
// format, as it says a damaged capture.
func TestKernelLossesInSummary(t *testing.T) {
	in := Input{Name: "eth0", Format: "live", Warnings: KernelLossWarnings(KernelLosses{Full: 3})}
	r := &Run{Inputs: []Input{in}, Tally: &Tally{}}
	want := "kernel witness: 3 events lost"
	for _, f := range []Format{FormatJSON, FormatTable} {
		var out, errOut bytes.Buffer
		if err := WriteSummary(&out, &errOut, f, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%v summary lacks %q:\n%s", f, want, out.String())
		}
	}
}

func TestKernelStartLines(t *testing.T) {
	for _, c := range []struct {
		s    KernelStart
		want []string
	}{
		{KernelStart{Off: true}, []string{"kernel witness off (--no-kernel)"}},
		{KernelStart{Err: errors.New("kernel witness off: no BTF")}, []string{"kernel witness off: no BTF"}},
		{KernelStart{Netns: 7}, []string{"kernel witness on: network namespace 7, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall not watched"}},
		{KernelStart{Netns: 7, Firewall: "kfree_skb NETFILTER_DROP", Rules: 3, Counted: 1, Legacy: true}, []string{
			"firewall rules: 3 nftables rules read, 1 with counters, read again on each firewall event; iptables-legacy tables exist too, and their rules cannot be named",
			"kernel witness on: network namespace 7, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall by kfree_skb NETFILTER_DROP"}},
		{KernelStart{Netns: 7, Firewall: "kfree_skb NETFILTER_DROP", RulesErr: errors.New("netlink: permission denied")}, []string{
			"firewall rules will not be named: netlink: permission denied",
			"kernel witness on: network namespace 7, resets of the TCP stack (tcp_send_reset, tcp_receive_reset), firewall by kfree_skb NETFILTER_DROP"}},
	} {
		got := KernelStartLines(c.s)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("KernelStartLines(%+v) =\n%q\nwant\n%q", c.s, got, c.want)
		}
	}
}
