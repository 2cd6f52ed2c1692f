package runner

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rstsniff/rstsniff/runcmd"
)

// sampler reads, every SampleInterval, the sockets of the command's
// processes from /proc: their TCP connections (the fallback attribution)
// and their Unix sockets' peers outside the tree (a ControlMaster), whose
// TCP connections it follows too.
type sampler struct {
	child      int
	cg         *cgroup
	self       int
	childStart uint64

	mu      sync.Mutex
	seen    map[int]uint64  // pids of the tree seen so far -> start time (clock ticks)
	known   map[uint64]bool // socket inodes classified (TCP, Unix or given up)
	pending map[uint64]int  // socket inodes not found yet -> samples tried
	found   []runcmd.Conn   // in order first seen
	have    map[[2]netip.AddrPort]bool
	masters map[int]*runcmd.Master
	lastTCP time.Time
}

func newSampler(child int, cg *cgroup) *sampler {
	s := &sampler{child: child, cg: cg, self: os.Getpid(), seen: map[int]uint64{}, known: map[uint64]bool{},
		pending: map[uint64]int{}, have: map[[2]netip.AddrPort]bool{}, masters: map[int]*runcmd.Master{}}
	s.childStart, _, _ = procStat(child)
	if cg == nil {
		// Orphans of the tree (a daemonised ControlPersist master) come
		// back to rstsniff, so that they are seen and ended too.
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	return s
}

func (s *sampler) loop(stop <-chan struct{}) {
	t := time.NewTicker(SampleInterval)
	defer t.Stop()
	s.sample()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.sample()
		}
	}
}

// pids are the processes of the command now: its cgroup's, or its tree's.
func (s *sampler) pids() []int {
	if s.cg != nil {
		return s.cg.procs()
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := []int{}
	queue := []int{s.child}
	// Orphans handed to rstsniff (a subreaper) that were of the tree, and
	// any process of the tree seen before that is still the same process.
	for _, p := range children[s.self] {
		if _, ok := s.seen[p]; ok && p != s.child {
			queue = append(queue, p)
		}
	}
	done := map[int]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if done[p] {
			continue
		}
		done[p] = true
		out = append(out, p)
		queue = append(queue, children[p]...)
	}
	return out
}

// sample takes one look.
func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	pids := s.pids()
	inTree := map[int]bool{}
	var fresh []uint64
	for _, p := range pids {
		st, _, ok := procStat(p)
		if !ok {
			continue
		}
		inTree[p] = true
		if _, ok := s.seen[p]; !ok {
			s.seen[p] = st
		}
		for _, ino := range socketInodes(p) {
			if !s.known[ino] {
				if _, ok := s.pending[ino]; !ok {
					fresh = append(fresh, ino)
					s.pending[ino] = 0
				}
			}
		}
	}
	if len(s.pending) > 0 && (len(fresh) > 0 || time.Since(s.lastTCP) > 100*time.Millisecond) {
		s.lastTCP = time.Now()
		tcp := tcpTable(s.child)
		var unixIno []uint64
		for ino := range s.pending {
			if c, ok := tcp[ino]; ok {
				s.add(c)
				s.known[ino] = true
				delete(s.pending, ino)
				continue
			}
			unixIno = append(unixIno, ino)
		}
		if len(unixIno) > 0 {
			peers := unixPeers()
			for _, ino := range unixIno {
				peer, isUnix := peers[ino]
				s.pending[ino]++
				if !isUnix && s.pending[ino] < 50 {
					continue // a TCP socket before connect(), or one to try again
				}
				s.known[ino] = true
				delete(s.pending, ino)
				if peer == 0 {
					continue
				}
				owner := socketOwner(peer)
				if owner <= 0 || inTree[owner] || s.masters[owner] != nil {
					continue
				}
				st, _, _ := procStat(owner)
				comm, _ := os.ReadFile("/proc/" + strconv.Itoa(owner) + "/comm")
				s.masters[owner] = &runcmd.Master{PID: owner, Comm: strings.TrimSpace(string(comm)), Before: st < s.childStart}
			}
		}
	}
	// The masters' TCP connections.
	for pid, m := range s.masters {
		inos := socketInodes(pid)
		if len(inos) == 0 {
			continue
		}
		tcp := tcpTable(pid)
		for _, ino := range inos {
			if c, ok := tcp[ino]; ok {
				c.Via = m
				s.add(c)
			}
		}
	}
}

func (s *sampler) add(c runcmd.Conn) {
	k := [2]netip.AddrPort{c.Local, c.Remote}
	if s.have[k] {
		return
	}
	s.have[k] = true
	s.found = append(s.found, c)
}

func (s *sampler) conns() []runcmd.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]runcmd.Conn(nil), s.found...)
}

// killLeft ends the processes of the tree seen while the command ran that
// are still there (the same process: same start time), and reaps those
// handed to rstsniff. It returns how many there were.
func (s *sampler) killLeft() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for pid, st := range s.seen {
		if pid == s.child {
			continue
		}
		now, ppid, ok := procStat(pid)
		if !ok || now != st {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
			if ppid == s.self {
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			}
		}
	}
	return n
}

// procStat reads a process's start time (clock ticks after boot) and
// parent from /proc/PID/stat.
func procStat(pid int) (start uint64, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	start, _ = strconv.ParseUint(f[19], 10, 64)
	return start, ppid, true
}

// socketInodes are the inodes of a process's sockets.
func socketInodes(pid int) []uint64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []uint64
	for _, e := range ents {
		l, err := os.Readlink(dir + e.Name())
		if err != nil {
			continue
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// socketOwner finds a process holding the socket inode, 0 if none (or
// none rstsniff may look into).
func socketOwner(ino uint64) int {
	want := "socket:[" + strconv.FormatUint(ino, 10) + "]"
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name() + "/fd/"
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(dir + fd.Name()); err == nil && l == want {
				return pid
			}
		}
	}
	return 0
}

// tcpTable maps socket inodes to TCP connections, from /proc/PID/net/tcp
// and tcp6 (the network namespace of that process). Listening sockets and
// sockets without a peer are left out.
func tcpTable(pid int) map[uint64]runcmd.Conn {
	out := map[uint64]runcmd.Conn{}
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/net/" + name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			ino, c, ok := parseTCPLine(sc.Text())
			if ok {
				out[ino] = c
			}
		}
		f.Close()
	}
	return out
}

// parseTCPLine reads one line of /proc/net/tcp or tcp6:
// "sl local_address rem_address st ... uid timeout inode ...".
func parseTCPLine(line string) (uint64, runcmd.Conn, bool) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return 0, runcmd.Conn{}, false
	}
	local, ok1 := parseProcAddr(f[1])
	remote, ok2 := parseProcAddr(f[2])
	ino, err := strconv.ParseUint(f[9], 10, 64)
	if !ok1 || !ok2 || err != nil || ino == 0 || remote.Port() == 0 {
		return 0, runcmd.Conn{}, false
	}
	return ino, runcmd.Conn{Local: local, Remote: remote}, true
}

// parseProcAddr reads "0100007F:0016": the address as the kernel's 32-bit
// words in host byte order, then the port.
func parseProcAddr(s string) (netip.AddrPort, bool) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(a)
	port, err2 := strconv.ParseUint(p, 16, 16)
	if err != nil || err2 != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, false
	}
	var b []byte
	for i := 0; i < len(raw); i += 4 {
		// The text is each word's value; its bytes in memory are the address.
		b = binary.NativeEndian.AppendUint32(b, binary.BigEndian.Uint32(raw[i:i+4]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), true
}
