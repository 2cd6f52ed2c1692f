// Command syslogd is the lab's syslog daemon: it receives the datagrams
// glibc's syslog() sends to /dev/log (the lab binds its socket there in
// sshd's mount namespace) and writes each as rsyslog would, in RFC 3339
// form (FILE.rfc3339) and in the traditional form (FILE.syslog), and as
// journalctl -o json would (FILE.json), stamped with the time it arrived
// plus -skew (a server whose clock is off).
//
// usage: syslogd [-skew D] [-host NAME] SOCKET FILE
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	skew := flag.Duration("skew", 0, "add `D` to every time written (a server clock that is off)")
	host := flag.String("host", "lab-server", "the host `NAME` written in each line")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: syslogd [-skew D] [-host NAME] SOCKET FILE")
		os.Exit(2)
	}
	sock, file := flag.Arg(0), flag.Arg(1)
	os.Remove(sock)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "syslogd:", err)
		os.Exit(1)
	}
	os.Chmod(sock, 0o666)
	var outs [3]*os.File
	for i, ext := range []string{".rfc3339", ".syslog", ".json"} {
		if outs[i], err = os.OpenFile(file+ext, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "syslogd:", err)
			os.Exit(1)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; c.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if err != nil {
			break
		}
		t := time.Now().Add(*skew)
		tag, msg, ok := parse(string(buf[:n]))
		if !ok {
			continue
		}
		prog, pid := tag, ""
		if i := strings.IndexByte(tag, '['); i > 0 && strings.HasSuffix(tag, "]") {
			prog, pid = tag[:i], tag[i+1:len(tag)-1]
		}
		fmt.Fprintf(outs[0], "%s %s %s: %s\n", t.UTC().Format("2006-01-02T15:04:05.000000-07:00"), *host, tag, msg)
		fmt.Fprintf(outs[1], "%s %s %s: %s\n", t.UTC().Format(time.Stamp), *host, tag, msg)
		rec, _ := json.Marshal(map[string]string{
			"__REALTIME_TIMESTAMP": strconv.FormatInt(t.UnixMicro(), 10),
			"_HOSTNAME":            *host, "SYSLOG_IDENTIFIER": prog, "_PID": pid, "MESSAGE": msg,
		})
		fmt.Fprintf(outs[2], "%s\n", rec)
	}
	for _, f := range outs {
		f.Close()
	}
}

// parse reads glibc's "<PRI>Mmm dd hh:mm:ss TAG: MSG" and returns TAG and MSG.
func parse(s string) (tag, msg string, ok bool) {
	s = strings.TrimRight(s, "\x00\n")
	if !strings.HasPrefix(s, "<") {
		return "", "", false
	}
	i := strings.IndexByte(s, '>')
	if i < 0 || len(s) < i+17 {
		return "", "", false
	}
	s = s[i+1+16:] // the "Mmm dd hh:mm:ss " glibc writes
	tag, msg, ok = strings.Cut(s, ": ")
	return tag, msg, ok
}
