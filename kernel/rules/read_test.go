//go:build linux

package rules

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rstsniff/rstsniff/kernel"
)

// netns makes a network namespace of the test's own (root only) and
// returns its name and an open handle.
func netns(t *testing.T) (string, *os.File) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (a network namespace, nft)")
	}
	for _, tool := range []string{"ip", "nft", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	name := fmt.Sprintf("rstsniff-rules-%d", os.Getpid())
	if b, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, b)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return name, f
}

func inNS(t *testing.T, ns string, args ...string) {
	t.Helper()
	if b, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, b)
	}
}

// TestReadRuleset reads a ruleset made with iptables-nft and nft in a
// namespace of its own and checks the facts against the commands that
// made it, the text in both syntaxes, and that reading changed nothing.
func TestReadRuleset(t *testing.T) {
	ns, f := netns(t)
	inNS(t, ns, "iptables", "-N", "f2b-sshd")
	inNS(t, ns, "iptables", "-A", "f2b-sshd", "-s", "198.51.100.7", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset")
	inNS(t, ns, "iptables", "-A", "f2b-sshd", "-j", "RETURN")
	inNS(t, ns, "iptables", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "22", "-j", "f2b-sshd")
	inNS(t, ns, "iptables", "-A", "INPUT", "-s", "198.51.100.10", "-j", "DROP")
	inNS(t, ns, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-m", "conntrack", "--ctstate", "NEW", "-m", "recent", "--name", "ssh", "--update", "--seconds", "60", "--hitcount", "4", "-j", "DROP")
	inNS(t, ns, "nft", "add table inet fw")
	inNS(t, ns, "nft", "add chain inet fw input { type filter hook input priority 0; policy accept; }")
	inNS(t, ns, "nft", `add rule inet fw input ip saddr 198.51.100.11 tcp dport 22 counter reject with tcp reset comment "block 11"`)
	inNS(t, ns, "nft", "add rule inet fw input ip saddr { 198.51.100.12, 198.51.100.13 } tcp dport 22 drop")
	inNS(t, ns, "nft", "add rule inet fw input ip saddr 203.0.113.0/24 tcp dport != 80 counter drop")
	before, _ := exec.Command("ip", "netns", "exec", ns, "nft", "-s", "list", "ruleset").Output()

	r, err := Open(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := r.Snapshot()
	if s.Err != nil {
		t.Fatal(s.Err)
	}
	t.Logf("%d rules read in %v", len(s.Facts()), s.End.Sub(s.Begin))
	got := map[string]kernel.Rule{}
	for _, rule := range s.Facts() {
		got[rule.Table+"/"+rule.Chain+"/"+rule.Text] = rule
	}
	want := []struct {
		key, ipt string
		verdict  kernel.Verdict
		counted  bool
		owner    kernel.Owner
	}{
		{"filter/f2b-sshd/meta l4proto tcp ip saddr 198.51.100.7 counter xt target REJECT", "-A f2b-sshd -s 198.51.100.7/32 -p tcp -j REJECT --reject-with tcp-reset", kernel.VerdictReject, true, kernel.OwnerFail2ban},
		{"filter/INPUT/ip saddr 198.51.100.10 counter drop", "-A INPUT -s 198.51.100.10/32 -j DROP", kernel.VerdictDrop, true, kernel.OwnerNone},
		{"filter/INPUT/tcp dport 22 xt match conntrack xt match recent counter drop", "-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name ssh --mask 255.255.255.255 --rsource -j DROP", kernel.VerdictDrop, true, kernel.OwnerNone},
		{`fw/input/ip saddr 198.51.100.11 tcp dport 22 counter reject with tcp reset comment "block 11"`, "", kernel.VerdictReject, true, kernel.OwnerNone},
		{"fw/input/ip saddr { 198.51.100.12, 198.51.100.13 } tcp dport 22 drop", "", kernel.VerdictDrop, false, kernel.OwnerNone},
		{"fw/input/ip saddr 203.0.113.0/24 tcp dport != 80 counter drop", "", kernel.VerdictDrop, true, kernel.OwnerNone},
	}
	for _, w := range want {
		g, ok := got[w.key]
		if !ok {
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			t.Errorf("no rule %q; have:\n%s", w.key, strings.Join(keys, "\n"))
			continue
		}
		if g.Iptables != w.ipt || g.Verdict != w.verdict || g.Counted != w.counted || g.Owner != w.owner || g.Handle == 0 {
			t.Errorf("%s: iptables %q verdict %s counted %v owner %s handle %d; want %q %s %v %s", w.key, g.Iptables, g.Verdict, g.Counted, g.Owner, g.Handle, w.ipt, w.verdict, w.counted, w.owner)
		}
	}

	// Match evaluation against the sets and prefixes read.
	h := NewHistory(false)
	h.Add(s)
	pkt := func(src string) Packet {
		return Packet{Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort("192.0.2.1:22")}
	}
	for _, c := range []struct {
		src   string
		rules []string
	}{
		{"198.51.100.13:40000", []string{"fw/input/ip saddr { 198.51.100.12, 198.51.100.13 } tcp dport 22 drop"}},
		{"203.0.113.9:40000", []string{"fw/input/ip saddr 203.0.113.0/24 tcp dport != 80 counter drop"}},
	} {
		var names []string
		for _, rule := range covering(s, pkt(c.src)) {
			if rule.Table == "fw" {
				names = append(names, rule.Table+"/"+rule.Chain+"/"+rule.Text)
			}
		}
		if strings.Join(names, "|") != strings.Join(c.rules, "|") {
			t.Errorf("%s: fw rules covering %v, want %v", c.src, names, c.rules)
		}
	}
	// An unchanged ruleset is shared by the next read; a new rule is not.
	if s2 := r.Snapshot(); s2.Err != nil || s2.set != s.set {
		t.Errorf("second read of an unchanged ruleset: err %v, shared %v", s2.Err, s2.set == s.set)
	}
	time.Sleep(2 * time.Millisecond)
	after, _ := exec.Command("ip", "netns", "exec", ns, "nft", "-s", "list", "ruleset").Output()
	if string(before) != string(after) {
		t.Errorf("the ruleset changed while read:\n%s\n---\n%s", before, after)
	}
	inNS(t, ns, "nft", "add rule inet fw input ip saddr 198.51.100.99 drop")
	s3 := r.Snapshot()
	if s3.Err != nil || s3.set == s.set || len(s3.Facts()) != len(s.Facts())+1 {
		t.Errorf("after a rule was added: err %v, shared %v, %d rules (was %d)", s3.Err, s3.set == s.set, len(s3.Facts()), len(s.Facts()))
	}
}

// Legacy sees iptables-legacy's tables in the namespace it runs in, and
// none where there are none.
func TestLegacy(t *testing.T) {
	ns, f := netns(t)
	if _, err := exec.LookPath("iptables-legacy"); err != nil {
		t.Skip("needs iptables-legacy")
	}
	in := func() bool {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		defer self.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Fatal(err)
		}
		defer unix.Setns(int(self.Fd()), unix.CLONE_NEWNET)
		return Legacy()
	}
	if in() {
		t.Error("legacy tables in a new namespace")
	}
	inNS(t, ns, "iptables-legacy", "-A", "INPUT", "-s", "198.51.100.4", "-j", "DROP")
	if !in() {
		t.Error("no legacy tables after iptables-legacy -A")
	}
}

// BenchmarkSnapshot1000 reads a ruleset of 1,000 counted rules (root).
func BenchmarkSnapshot1000(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	name := fmt.Sprintf("rstsniff-rules-bench-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	var sb strings.Builder
	sb.WriteString("add table inet bench\nadd chain inet bench input { type filter hook input priority 0; policy accept; }\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, "add rule inet bench input ip saddr 198.51.%d.%d tcp dport 22 counter drop\n", 100+i/250, i%250)
	}
	cmd := exec.Command("ip", "netns", "exec", name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(sb.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("nft -f: %v: %s", err, out)
	}
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := Open(int(f.Fd()))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	for b.Loop() {
		if s := r.Snapshot(); s.Err != nil || len(s.Facts()) != 1001 {
			b.Fatalf("%v, %d rules", s.Err, len(s.Facts()))
		}
	}
}
