package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// clientError is what the OpenSSH client most likely printed (lines joined
// by newlines), worded for the client's version when its banner says it.
// Every wording below was seen from the real client in the lab (OpenSSH
// 9.2p1) or comes from OpenSSH's sources for other versions.
func clientError(f *analyze.Flow) string {
	// Most connections need no message: the text is made only when one is.
	if f.ClosedBy != analyze.Server && f.Outcome != analyze.OutcomeRefused && f.Outcome != analyze.OutcomeTimeout && f.Outcome != analyze.OutcomeUnreachable &&
		!(f.Outcome == analyze.OutcomeClosed && f.Stage == analyze.StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess) {
		return ""
	}
	host := f.Server.Addr().Unmap().String()
	port := f.Server.Port()
	major, minor, openssh := opensshVersion(f.ClientBanner)
	// 9.5 moved "kex_exchange_identification: Connection closed by remote
	// host" to verbose; 8.0 renamed ssh_exchange_identification.
	newWording := !openssh || major > 9 || (major == 9 && minor >= 5)
	kexPrefix := "kex_exchange_identification"
	if openssh && major < 8 {
		kexPrefix = "ssh_exchange_identification"
	}
	// Made only when returned: one of them at most is.
	by := func(how string) string {
		return "Connection " + how + " by " + host + " port " + strconv.Itoa(int(port))
	}
	switch f.Outcome {
	case analyze.OutcomeRefused:
		return fmt.Sprintf("ssh: connect to host %s port %d: Connection refused", host, port)
	case analyze.OutcomeUnreachable:
		if e, ok := f.RefusingICMP(); ok {
			return fmt.Sprintf("ssh: connect to host %s port %d: %s", host, port, errnoText(e.Errno()))
		}
		return ""
	case analyze.OutcomeTimeout:
		if f.Stage == analyze.StageHandshake {
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection timed out", host, port)
		}
		return ""
	}
	if f.ClosedBy != analyze.Server {
		if f.Outcome == analyze.OutcomeClosed && f.Stage == analyze.StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess {
			return fmt.Sprintf("<user>@%s: Permission denied (<methods>).", host)
		}
		return ""
	}
	reset := f.Outcome == analyze.OutcomeReset
	switch f.Stage {
	case analyze.StageHandshake:
		if reset {
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection reset by peer", host, port)
		}
	case analyze.StageBanner:
		switch {
		case reset && f.ClientBanner == "":
			// The reset beat ssh's check of its non-blocking connect.
			return fmt.Sprintf("ssh: connect to host %s port %d: Connection reset by peer", host, port)
		case reset:
			return kexPrefix + ": read: Connection reset by peer\n" + by("reset")
		case newWording:
			return by("closed")
		}
		return kexPrefix + ": Connection closed by remote host\n" + by("closed")
	case analyze.StageKexInit, analyze.StageKex, analyze.StageAuth:
		if reset {
			return by("reset")
		}
		return by("closed")
	case analyze.StageSession:
		if reset {
			// "Read from remote host ..." is queued, then writing the
			// disconnect fails and ssh exits before printing it.
			return "client_loop: send disconnect: Broken pipe"
		}
		if f.ClientSentAfterClose {
			return fmt.Sprintf("Connection to %s closed by remote host.", host)
		}
		// The session had ended: the client's disconnect went out before
		// the server's FIN and ssh printed nothing.
		return ""
	}
	return ""
}

// opensshVersion reads "SSH-2.0-OpenSSH_9.2p1 ..." as 9, 2.
func opensshVersion(banner string) (major, minor int, ok bool) {
	i := strings.Index(banner, "OpenSSH_")
	if i < 0 {
		return 0, 0, false
	}
	v := banner[i+len("OpenSSH_"):]
	dot := strings.IndexByte(v, '.')
	if dot < 0 {
		return 0, 0, false
	}
	major, err := strconv.Atoi(v[:dot])
	if err != nil {
		return 0, 0, false
	}
	j := dot + 1
	for j < len(v) && v[j] >= '0' && v[j] <= '9' {
		j++
	}
	minor, _ = strconv.Atoi(v[dot+1 : j])
	return major, minor, true
}
