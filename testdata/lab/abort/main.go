// Command abort is the lab's aborting client: it connects to an SSH server,
// sends an identification string, reads the server's banner and its first
// binary packet (KEXINIT), then closes with SO_LINGER 0 so the kernel sends
// a RST instead of a FIN. With -early it closes as soon as it has
// connected, before the server's banner.
//
// It waits for both however long the server takes (up to ten seconds): on a
// busy machine twenty sshd children forking at once can take more than half
// a second to answer, and a reset that arrives before the child has read its
// peer's address leaves no line in sshd's log at all (sshd's child, or
// sshd-session from OpenSSH 9.8, exits on "ssh_remote_port failed", a DEBUG
// message). The lab's cases expect an abort after the banners, so the abort
// must not depend on the machine's load.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	early := len(os.Args) == 3 && os.Args[1] == "-early"
	if len(os.Args) != 2 && !early {
		fmt.Fprintln(os.Stderr, "usage: abort [-early] HOST:PORT")
		os.Exit(2)
	}
	c, err := net.DialTimeout("tcp", os.Args[len(os.Args)-1], 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "abort:", err)
		os.Exit(1)
	}
	tc := c.(*net.TCPConn)
	if early {
		// -early: reset at once, before the server's banner (sshd's child
		// for it has not started yet).
		fmt.Fprintln(os.Stderr, "abort: connected, closing at once with SO_LINGER 0")
		tc.SetLinger(0)
		tc.Close()
		return
	}
	if _, err := tc.Write([]byte("SSH-2.0-rstsniff_lab_abort\r\n")); err != nil {
		fmt.Fprintln(os.Stderr, "abort:", err)
		os.Exit(1)
	}
	buf := make([]byte, 64<<10)
	n := 0
	tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for !kexinitRead(buf[:n]) && n < len(buf) {
		m, err := tc.Read(buf[n:])
		n += m
		if err != nil {
			fmt.Fprintln(os.Stderr, "abort: reading the server's banner and KEXINIT:", err)
			break
		}
	}
	fmt.Fprintf(os.Stderr, "abort: read %d bytes from the server, closing with SO_LINGER 0\n", n)
	tc.SetLinger(0)
	tc.Close()
}

// kexinitRead reports whether b holds the server's identification line
// (after any lines before it, RFC 4253 4.2) and one whole binary packet.
func kexinitRead(b []byte) bool {
	for {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			return false
		}
		line := b[:nl]
		b = b[nl+1:]
		if bytes.HasPrefix(line, []byte("SSH-")) {
			break
		}
	}
	if len(b) < 4 {
		return false
	}
	return uint64(len(b)) >= 4+uint64(binary.BigEndian.Uint32(b))
}
