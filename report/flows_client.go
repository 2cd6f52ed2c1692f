package report

import (
	"strconv"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// clientError is what the OpenSSH client most likely printed (lines joined
// by newlines), worded for the client's version when its banner says it.
// Every wording below was seen from the real client in the lab (OpenSSH
// 9.2p1) or comes from OpenSSH's sources for other versions.
func clientError(f *analyze.Flow) string {
	if !needsClientError(f) {
		return ""
	}
	return string(appendClientError(nil, f))
}

// needsClientError reports whether the client printed anything worth
// showing: most connections need no message, and the text is made only
// when one is.
func needsClientError(f *analyze.Flow) bool {
	return f.ClosedBy == analyze.Server || f.Outcome == analyze.OutcomeRefused || f.Outcome == analyze.OutcomeTimeout || f.Outcome == analyze.OutcomeUnreachable ||
		(f.Outcome == analyze.OutcomeClosed && f.Stage == analyze.StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess)
}

// appendClientError appends clientError's words to b: the JSON line takes
// them straight into itself.
func appendClientError(b []byte, f *analyze.Flow) []byte {
	if !needsClientError(f) {
		return b
	}
	host := func(b []byte) []byte {
		a := f.Server.Addr().Unmap()
		if !a.IsValid() {
			return append(b, "invalid IP"...) // as String says it
		}
		return a.AppendTo(b)
	}
	connect := func(b []byte, what string) []byte { // ssh: connect to host %s port %d: <what>
		b = host(append(b, "ssh: connect to host "...))
		b = strconv.AppendUint(append(b, " port "...), uint64(f.Server.Port()), 10)
		return append(append(b, ": "...), what...)
	}
	by := func(b []byte, how string) []byte { // Connection <how> by %s port %d
		b = host(append(append(append(b, "Connection "...), how...), " by "...))
		return strconv.AppendUint(append(b, " port "...), uint64(f.Server.Port()), 10)
	}
	major, minor, openssh := opensshVersion(f.ClientBanner)
	// 9.5 moved "kex_exchange_identification: Connection closed by remote
	// host" to verbose; 8.0 renamed ssh_exchange_identification.
	newWording := !openssh || major > 9 || (major == 9 && minor >= 5)
	kexPrefix := "kex_exchange_identification"
	if openssh && major < 8 {
		kexPrefix = "ssh_exchange_identification"
	}
	switch f.Outcome {
	case analyze.OutcomeRefused:
		return connect(b, "Connection refused")
	case analyze.OutcomeUnreachable:
		if e, ok := f.RefusingICMP(); ok {
			return connect(b, errnoText(e.Errno()))
		}
		return b
	case analyze.OutcomeTimeout:
		if f.Stage == analyze.StageHandshake {
			return connect(b, "Connection timed out")
		}
		return b
	}
	if f.ClosedBy != analyze.Server {
		if f.Outcome == analyze.OutcomeClosed && f.Stage == analyze.StageAuth && f.AuthSuccess != nil && !*f.AuthSuccess {
			return append(host(append(b, "<user>@"...)), ": Permission denied (<methods>)."...)
		}
		return b
	}
	reset := f.Outcome == analyze.OutcomeReset
	switch f.Stage {
	case analyze.StageHandshake:
		if reset {
			return connect(b, "Connection reset by peer")
		}
	case analyze.StageBanner:
		switch {
		case reset && f.ClientBanner == "":
			// The reset beat ssh's check of its non-blocking connect.
			return connect(b, "Connection reset by peer")
		case reset:
			return by(append(append(b, kexPrefix...), ": read: Connection reset by peer\n"...), "reset")
		case newWording:
			return by(b, "closed")
		}
		return by(append(append(b, kexPrefix...), ": Connection closed by remote host\n"...), "closed")
	case analyze.StageKexInit, analyze.StageKex, analyze.StageAuth:
		if reset {
			return by(b, "reset")
		}
		return by(b, "closed")
	case analyze.StageSession:
		if reset {
			// "Read from remote host ..." is queued, then writing the
			// disconnect fails and ssh exits before printing it.
			return append(b, "client_loop: send disconnect: Broken pipe"...)
		}
		if f.ClientSentAfterClose {
			return append(host(append(b, "Connection to "...)), " closed by remote host."...)
		}
		// The session had ended: the client's disconnect went out before
		// the server's FIN and ssh printed nothing.
		return b
	}
	return b
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
