package runner

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rstsniff/rstsniff/runcmd"
)

func needBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
}

// modes: the cgroup and BPF route and the ancestry route (root only),
// then the /proc fallback.
func modes(t *testing.T, f func(t *testing.T, o Options)) {
	t.Run("cgroup", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("the cgroup route needs root")
		}
		f(t, Options{})
	})
	t.Run("ancestry", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("the ancestry route needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON")
		}
		f(t, Options{NoOwnCgroup: true})
	})
	t.Run("sampled", func(t *testing.T) { f(t, Options{NoCgroup: true}) })
}

func (o Options) want() runcmd.Method {
	switch {
	case o.NoCgroup:
		return runcmd.MethodSampled
	case o.NoOwnCgroup:
		return runcmd.MethodAncestry
	}
	return runcmd.MethodCgroup
}

func TestExitStatus(t *testing.T) {
	needBash(t)
	cases := []struct {
		name string
		args []string
		want runcmd.Exit
	}{
		{"zero", []string{"true"}, runcmd.Exit{Code: 0}},
		{"three", []string{"bash", "-c", "exit 3"}, runcmd.Exit{Code: 3}},
		{"signal", []string{"bash", "-c", "kill -TERM $$"}, runcmd.Exit{Code: 143, Signal: 15}},
		{"missing", []string{"rstsniff-no-such-command"}, runcmd.Exit{Code: 127, NotFound: true}},
		{"not-executable", []string{"/etc/hostname"}, runcmd.Exit{Code: 126, NoExec: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Run(context.Background(), Options{Args: c.args, NoCgroup: true})
			if err != nil {
				t.Fatal(err)
			}
			got := r.Exit
			got.Err = ""
			if got != c.want {
				t.Errorf("exit %+v, want %+v", r.Exit, c.want)
			}
			if (c.want.NotFound || c.want.NoExec) && r.Exit.Err == "" {
				t.Errorf("no reason given for %+v", r.Exit)
			}
		})
	}
}

func TestStderrKept(t *testing.T) {
	needBash(t)
	var out, errOut bytes.Buffer
	r, err := Run(context.Background(), Options{Args: []string{"bash", "-c", "echo out; echo 'kex_exchange_identification: read: Connection reset by peer' >&2; exit 255"},
		Stdout: &out, Stderr: &errOut, NoCgroup: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "kex_exchange_identification: read: Connection reset by peer\n"
	if out.String() != "out\n" || errOut.String() != want || string(r.Stderr) != want || r.Exit.Code != 255 {
		t.Errorf("stdout %q, stderr %q, kept %q, exit %d", out.String(), errOut.String(), r.Stderr, r.Exit.Code)
	}
}

func TestTailBuffer(t *testing.T) {
	var tb tailBuffer
	tb.Write(bytes.Repeat([]byte("a"), StderrLimit))
	tb.Write([]byte("the end"))
	b, cut := tb.bytes()
	if len(b) != StderrLimit || cut != len("the end") || !bytes.HasSuffix(b, []byte("the end")) {
		t.Errorf("kept %d bytes, cut %d, ends %q", len(b), cut, b[len(b)-10:])
	}
}

// TestSignalForwarded: a signal rstsniff receives reaches the command,
// whose status is then 128+N.
func TestSignalForwarded(t *testing.T) {
	needBash(t)
	modes(t, func(t *testing.T, mode Options) {
		sigs := make(chan os.Signal, 1)
		started := make(chan int, 1)
		go func() {
			<-started
			time.Sleep(100 * time.Millisecond)
			sigs <- syscall.SIGHUP
		}()
		o := mode
		o.Args, o.Signals, o.Started = []string{"sleep", "30"}, sigs, func(pid int) { started <- pid }
		r, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Exit.Code != 129 || len(r.Signals) != 1 || r.Signals[0] != int(syscall.SIGHUP) {
			t.Errorf("exit %+v, forwarded %v; want 129 after SIGHUP", r.Exit, r.Signals)
		}
	})
}

// TestNothingLeftBehind: a process the command leaves running is ended.
func TestNothingLeftBehind(t *testing.T) {
	needBash(t)
	modes(t, func(t *testing.T, mode Options) {
		var out bytes.Buffer
		// The background sleep's pid on stdout; sleep a little so that the
		// sampler sees the tree (the cgroup holds it anyway).
		o := mode
		o.Args, o.Stdout = []string{"bash", "-c", "sleep 300 </dev/null >/dev/null 2>&1 & echo $!; sleep 0.2"}, &out
		r, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatalf("stdout %q", out.String())
		}
		if r.Killed != 1 {
			t.Errorf("killed %d, want 1", r.Killed)
		}
		if _, _, alive := procStat(pid); alive {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("pid %d left running", pid)
		}
	})
}

// TestConnections: the command's connections are its own; one the test
// makes at the same time is not. With the cgroup, a refused connect is
// caught too.
func TestConnections(t *testing.T) {
	needBash(t)
	modes(t, func(t *testing.T, mode Options) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { time.Sleep(300 * time.Millisecond); c.Close() }()
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		// A closed port: listen, note it, close.
		cl, _ := net.Listen("tcp", "127.0.0.1:0")
		closed := cl.Addr().(*net.TCPAddr).Port
		cl.Close()
		// The test's own connection, made while the command runs (the
		// test process is in the same cgroup as rstsniff's would be).
		otherc := make(chan net.Conn, 1)
		script := fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d; sleep 0.2; exec 3>&-; (exec 4<>/dev/tcp/127.0.0.1/%d) 2>/dev/null; true", port, closed)
		o := mode
		o.Args = []string{"bash", "-c", script}
		o.Started = func(int) {
			go func() {
				time.Sleep(50 * time.Millisecond)
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Error(err)
				}
				otherc <- c
			}()
		}
		r, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if want := mode.want(); r.Method != want {
			t.Errorf("method %v, want %v (fallback: %s)", r.Method, mode.want(), r.Fallback)
		}
		other := <-otherc
		if other == nil {
			t.FailNow()
		}
		defer other.Close()
		srv := netip.MustParseAddrPort(ln.Addr().String())
		var mine, refused int
		for _, c := range r.Conns {
			t.Logf("conn %v -> %v via %v", c.Local, c.Remote, c.Via)
			switch {
			case c.Remote == srv:
				mine++
			case c.Remote.Port() == uint16(closed):
				refused++
			}
		}
		if mine != 1 {
			t.Errorf("%d connections to the listener attributed, want the command's 1", mine)
		}
		if own, _ := r.Own(netip.MustParseAddrPort(other.LocalAddr().String()), srv); own {
			t.Errorf("the test's own connection %v was attributed to the command", other.LocalAddr())
		}
		if !mode.NoCgroup && refused != 1 {
			t.Errorf("refused connect not recorded (%d)", refused)
		}
	})
}

func TestParseProcAddr(t *testing.T) {
	cases := map[string]string{
		"0100007F:0016":                         "127.0.0.1:22",
		"026433C6:C8F2":                         "198.51.100.2:51442",
		"B80D0120000000000000000002000000:0016": "[2001:db8::2]:22",
		"0000000000000000FFFF00000100007F:1F90": "127.0.0.1:8080",
	}
	for in, want := range cases {
		got, ok := parseProcAddr(in)
		if !ok || got.String() != want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, ok, want)
		}
	}
}
