package runcmd

import (
	"net/netip"
	"time"
)

// Method is how the command's connections were told from other traffic.
type Method uint8

const (
	MethodNone     Method = iota // nothing could be attributed (no /proc either)
	MethodCgroup                 // a cgroup of its own and a BPF sock_ops program on it: every connect()
	MethodSampled                // the process tree's sockets, sampled from /proc
	MethodAncestry               // every connect() in rstsniff's own cgroup (BPF sock_ops), kept when the command is among the connecting process's parents
)

var methodNames = [...]string{"none", "cgroup", "sampled", "ancestry"}

// String is the method's stable name (JSON).
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "none"
}

// Conn is one TCP connection of the command: its local and remote ends
// (IPv4-mapped addresses unmapped).
type Conn struct {
	Local, Remote netip.AddrPort
	// Via is set when the connection belongs to another process that the
	// command reached over a Unix socket (an OpenSSH ControlMaster started
	// before it); nil for the command's own connections.
	Via *Master
}

// Master is a process outside the command's tree whose connections the
// command used.
type Master struct {
	PID  int
	Comm string // its /proc comm (untrusted: escape it)
	// Before: the process was running before the command started (a
	// master the command started itself is in its own tree).
	Before bool
}

// Exit is how the command ended.
type Exit struct {
	Code     int    // the exit status rstsniff returns: the command's, 127 not found, 126 not executable, 128+N for signal N
	Signal   int    // the signal that ended it, 0 if it exited
	NotFound bool   // it could not be found (Code 127)
	NoExec   bool   // it was found but could not be run (Code 126)
	Err      string // why it could not be started, when NotFound or NoExec
}

// Result is what Run learnt.
type Result struct {
	Exit     Exit
	Start    time.Time
	End      time.Time
	Stderr   []byte // what the command wrote on standard error, up to StderrLimit (the last bytes kept when more)
	Cut      int    // bytes of standard error that were not kept
	Method   Method
	Conns    []Conn // the command's connections, first seen first
	Signals  []int  // signals forwarded to the command, in order
	Killed   int    // processes it left behind that Run ended (SIGKILL)
	Fallback string // why attribution fell back from MethodCgroup (empty when it did not)
}

// Own reports whether a connection with these two ends (either way round)
// is one of the command's, and through which master if not its own.
func (r *Result) Own(a, b netip.AddrPort) (bool, *Master) {
	a = unmap(a)
	b = unmap(b)
	for _, c := range r.Conns {
		if c.Local == a && c.Remote == b || c.Local == b && c.Remote == a {
			return true, c.Via
		}
	}
	return false, nil
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
