// Package runcmd holds the facts of `rstsniff run -- COMMAND`: how the
// command ended (Exit), which TCP connections were its own (Conn, with Via
// set for those of an OpenSSH ControlMaster it used) and how they were
// told from the host's other traffic (Method); Ports reads the SSH ports a
// command line names, and Join ties what the command printed (an
// explain.Result) to the connection it speaks of. It writes no sentence:
// report/run.go does. Running the command and attributing its connections
// is runcmd/runner's (cgroup, BPF, /proc); this package needs neither, so
// report can read its types.
package runcmd
