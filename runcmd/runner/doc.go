// Package runner runs a command for `rstsniff run` and says, as facts,
// which TCP connections were its own: it starts the command with standard
// input and output passed through and standard error also kept (bounded),
// forwards SIGINT, SIGTERM and SIGHUP to it, leaves none of its processes
// behind, and returns its exit status (127 when it cannot be found, 128+N
// for signal N, as a shell would).
//
// Attribution (which connections are the command's) uses, best first:
//
//   - a cgroup v2 of its own for the command (CLONE_INTO_CGROUP, so the
//     child is in it before it runs a single instruction of the command),
//     with a BPF sock_ops program attached to that cgroup that records the
//     addresses and ports of every TCP connect() made inside it, however
//     short the connection lived (a refused SYN included);
//   - otherwise (no cgroup v2 the process may write, or no CAP_BPF and
//     CAP_NET_ADMIN), the sockets of the command's process tree, sampled
//     from /proc every SampleInterval while it runs: a connection that
//     opens and closes between two samples can be missed, and Result says
//     which method was used.
//
// Either way the sampler also follows the Unix sockets of the command's
// processes to their peers: a connection to an OpenSSH ControlMaster
// started before the command (ssh -S, ControlPath) makes that master's TCP
// connections the command's too, marked as reached through the master
// (runcmd.Conn.Via).
//
// It writes no sentence: report/run.go words the facts.
//
// Goroutines: Run's caller owns the Result; Run starts a goroutine copying
// standard error, one forwarding signals and one sampling sockets, and
// ends each before it returns.
package runner
