// Command abort is the lab's aborting client: it connects to an SSH server,
// sends an identification string, reads what the server sends for a moment
// (its banner and KEXINIT), then closes with SO_LINGER 0 so the kernel sends
// a RST instead of a FIN.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: abort HOST:PORT")
		os.Exit(2)
	}
	c, err := net.DialTimeout("tcp", os.Args[1], 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "abort:", err)
		os.Exit(1)
	}
	tc := c.(*net.TCPConn)
	if _, err := tc.Write([]byte("SSH-2.0-rstsniff_lab_abort\r\n")); err != nil {
		fmt.Fprintln(os.Stderr, "abort:", err)
		os.Exit(1)
	}
	buf := make([]byte, 64<<10)
	n := 0
	tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	for {
		m, err := tc.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	fmt.Fprintf(os.Stderr, "abort: read %d bytes from the server, closing with SO_LINGER 0\n", n)
	tc.SetLinger(0)
	tc.Close()
}
