package runner

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rstsniff/rstsniff/runcmd"
)

// Defaults.
const (
	StderrLimit    = 1 << 20               // bytes of the command's standard error kept for explain (the last ones)
	SampleInterval = 20 * time.Millisecond // how often the sockets of the command's processes are read
)

// Options say what to run. The zero value of each optional field works.
type Options struct {
	Args   []string // the command and its arguments; Args[0] is looked up in PATH
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer // the command's standard error is copied here as it comes, and kept
	// NoCgroup skips the cgroup and BPF routes (tests of the /proc
	// fallback); NoOwnCgroup skips only making a cgroup (tests of the
	// ancestry route).
	NoCgroup, NoOwnCgroup bool
	// Signals, when not nil, replaces the process's own SIGINT, SIGTERM
	// and SIGHUP (tests); each value received is forwarded.
	Signals <-chan os.Signal
	// Started, when not nil, is called with the command's pid once it runs.
	Started func(pid int)
}

// Run runs the command to its end and returns what it did and which
// connections were its own. The error is for rstsniff's own failures
// (none so far leave the command unrun: a command that cannot be found or
// run is a runcmd.Exit with code 127 or 126). ctx is not used to stop the
// command: only its own end, or the signals forwarded to it, do.
func Run(ctx context.Context, o Options) (*runcmd.Result, error) {
	r := &runcmd.Result{Start: time.Now()}
	if len(o.Args) == 0 {
		return nil, errors.New("run: no command")
	}
	path, err := exec.LookPath(o.Args[0])
	if err != nil {
		r.Exit = notFound(err)
		r.End = time.Now()
		return r, nil
	}
	cmd := exec.Command(path, o.Args[1:]...)
	cmd.Args = o.Args
	cmd.Stdin, cmd.Stdout = o.Stdin, o.Stdout
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errW

	var cg *cgroup
	var tracker *bpfConnects
	switch {
	case o.NoCgroup:
		r.Fallback = "off"
	default:
		cg, err = newCgroup()
		if err == nil && o.NoOwnCgroup {
			cg.remove()
			cg, err = nil, errors.New("off")
		}
		if err == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.fd}
			if tracker, err = attachConnects(cg.path, false); err != nil {
				r.Fallback = "BPF: " + err.Error()
			}
			break
		}
		// No cgroup of its own: the program on rstsniff's cgroup (which the
		// command inherits), keeping the connections of the command's
		// descendants.
		r.Fallback = "cgroup: " + err.Error()
		if own, err := ownCgroupPath(); err != nil {
			r.Fallback += "; " + err.Error()
		} else if tracker, err = attachConnects(own, true); err != nil {
			r.Fallback += "; BPF on rstsniff's own cgroup: " + err.Error()
		}
	}
	sigs := o.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}

	if err := cmd.Start(); err != nil {
		errR.Close()
		errW.Close()
		tracker.close()
		cg.remove()
		if cg != nil {
			// The cgroup may be what failed (clone3 into it): once more
			// without one of its own.
			r.Fallback = "cgroup: " + err.Error()
			o.NoOwnCgroup = true
			if rr, err2 := Run(ctx, o); err2 == nil && !rr.Exit.NoExec && !rr.Exit.NotFound {
				rr.Fallback = r.Fallback
				return rr, nil
			}
		}
		r.Exit = notFound(err)
		r.End = time.Now()
		return r, nil
	}
	errW.Close()
	pid := cmd.Process.Pid
	if o.Started != nil {
		o.Started(pid)
	}
	r.Method = runcmd.MethodSampled
	switch {
	case tracker != nil && tracker.ancestry:
		tracker.child = pid
		r.Method = runcmd.MethodAncestry
	case tracker != nil:
		r.Method = runcmd.MethodCgroup
	}

	// Standard error: copied as it comes, the last StderrLimit bytes kept.
	var tail tailBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 32<<10)
		for {
			n, err := errR.Read(buf)
			if n > 0 {
				if o.Stderr != nil {
					o.Stderr.Write(buf[:n])
				}
				tail.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()

	s := newSampler(pid, cg)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s.loop(stopSampling)
	}()

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
wait:
	for {
		select {
		case sig := <-sigs:
			if ss, ok := sig.(syscall.Signal); ok {
				r.Signals = append(r.Signals, int(ss))
			}
			cmd.Process.Signal(sig)
		case werr = <-waited:
			break wait
		}
	}
	r.End = time.Now()
	close(stopSampling)
	<-sampled
	s.sample() // the last look, before what is left is ended

	// Leave nothing behind: the cgroup's processes, or those of the tree
	// the sampler saw.
	if cg != nil {
		r.Killed = cg.kill()
	} else {
		r.Killed = s.killLeft()
	}
	// A process left behind may hold the pipe: the copy ends when the last
	// writer is gone, or soon after.
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
		errR.Close()
		<-copied
	}
	errR.Close()
	r.Stderr, r.Cut = tail.bytes()

	r.Exit = exitOf(cmd.ProcessState, werr)
	if tracker != nil {
		r.Conns = append(r.Conns, tracker.conns()...)
		tracker.close()
	}
	r.Conns = mergeConns(r.Conns, s.conns())
	cg.remove()
	return r, nil
}

// exitOf is the status a shell would give.
func exitOf(ps *os.ProcessState, err error) runcmd.Exit {
	if ps == nil {
		return runcmd.Exit{Code: 126, NoExec: true, Err: errString(err)}
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return runcmd.Exit{Code: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return runcmd.Exit{Code: ps.ExitCode()}
}

// notFound is the status of a command that could not be started: 127 when
// it does not exist, 126 when it exists but cannot be run.
func notFound(err error) runcmd.Exit {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return runcmd.Exit{Code: 127, NotFound: true, Err: errString(err)}
	}
	return runcmd.Exit{Code: 126, NoExec: true, Err: errString(err)}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mergeConns adds the sampled connections the tracker did not have.
func mergeConns(a, b []runcmd.Conn) []runcmd.Conn {
	for _, c := range b {
		dup := false
		for i := range a {
			if a[i].Local == c.Local && a[i].Remote == c.Remote {
				if a[i].Via == nil {
					a[i].Via = c.Via
				}
				dup = true
				break
			}
		}
		if !dup {
			a = append(a, c)
		}
	}
	return a
}

// tailBuffer keeps the last StderrLimit bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	cut int
}

func (t *tailBuffer) Write(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - StderrLimit; over > 0 {
		t.cut += over
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
}

func (t *tailBuffer) bytes() ([]byte, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf, t.cut
}
