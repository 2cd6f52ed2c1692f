package runner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// cgroup is a cgroup v2 made for one command. A nil *cgroup does nothing.
type cgroup struct {
	path string // its directory
	fd   int    // open on the directory, for CLONE_INTO_CGROUP and BPF attach
}

var cgroupSeq atomic.Int64

// newCgroup makes a cgroup beside rstsniff's own one (a child of the
// cgroup rstsniff is in), else at the top of the cgroup v2 hierarchy.
func newCgroup() (*cgroup, error) {
	mnt, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	own := ownCgroup()
	name := fmt.Sprintf("rstsniff-run-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	var errs []string
	parents := []string{filepath.Join(mnt, own)}
	if own != "/" {
		parents = append(parents, mnt)
	}
	for _, parent := range parents {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			os.Remove(p)
			errs = append(errs, err.Error())
			continue
		}
		return &cgroup{path: p, fd: fd}, nil
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system); when this
// mount namespace has none (ip netns exec mounts a /sys of its own), the
// one of PID 1's, through /proc/1/root (root only).
func cgroup2Mount() (string, error) {
	if m, err := mountOf("/proc/self/mountinfo"); err == nil {
		return m, nil
	}
	if m, err := mountOf("/proc/1/mountinfo"); err == nil {
		p := filepath.Join("/proc/1/root", m)
		if _, err := os.Stat(filepath.Join(p, "cgroup.procs")); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no cgroup v2 hierarchy mounted")
}

// ownCgroupPath is the directory of the cgroup rstsniff is in.
func ownCgroupPath() (string, error) {
	mnt, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	return filepath.Join(mnt, ownCgroup()), nil
}

func mountOf(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - FSTYPE SOURCE SUPER
		fields := strings.Fields(sc.Text())
		for i, x := range fields {
			if x == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	return "", errors.New("no cgroup v2 hierarchy mounted")
}

// ownCgroup is rstsniff's cgroup v2 path ("0::/path"), "/" if unknown.
func ownCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "/"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok && p != "" {
			return p
		}
	}
	return "/"
}

// procs are the pids in the cgroup.
func (c *cgroup) procs() []int {
	if c == nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(c.path, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// kill ends every process still in the cgroup (cgroup.kill from Linux
// 5.14, else SIGKILL to each) and waits, up to 2 s, until it is empty. It
// returns how many there were.
func (c *cgroup) kill() int {
	if c == nil {
		return 0
	}
	left := c.procs()
	if len(left) == 0 {
		return 0
	}
	if os.WriteFile(filepath.Join(c.path, "cgroup.kill"), []byte("1"), 0) != nil {
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	for i := 0; i < 200 && len(c.procs()) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	return len(left)
}

// remove closes and removes the cgroup (empty by then).
func (c *cgroup) remove() {
	if c == nil {
		return
	}
	syscall.Close(c.fd)
	for i := 0; i < 50; i++ {
		if err := os.Remove(c.path); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
