// Command evilserver is the lab's hostile SSH server: it accepts one
// connection on ADDR, sends a text line and an identification string full
// of terminal escapes, HTML and Markdown, reads what the client sends for
// a moment, then resets the connection (SO_LINGER 0). Reports must show
// this text without obeying any of it.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

const (
	preBanner = "\x1b[31mWARNING\x1b[0m <img src=x onerror=alert(1)> | **bold** [click](http://evil.example/) `x` \u202eevil\r\n"
	banner    = "SSH-2.0-Evil\x1b]0;owned\x07<script>alert(1)</script>|*x*_y_[z](javascript:alert(1))`|\r\n"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: evilserver ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "evilserver:", err)
		os.Exit(1)
	}
	fmt.Println("listening")
	c, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "evilserver:", err)
		os.Exit(1)
	}
	tc := c.(*net.TCPConn)
	tc.Write([]byte(preBanner + banner))
	tc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 4096)
	for {
		if _, err := tc.Read(buf); err != nil {
			break
		}
	}
	tc.SetLinger(0)
	tc.Close()
}
