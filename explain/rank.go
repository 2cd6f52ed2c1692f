package explain

import (
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
)

// Forged resets, whatever the evidence a capture would give: one cause.
var forged = Cause{[]analyze.FindingID{analyze.FindTTLMismatch, analyze.FindResetRace, analyze.FindResetBothEnds, analyze.FindResetBurst, analyze.FindResidualBlock}}

var (
	sshdBeforeBanner = Cause{[]analyze.FindingID{analyze.FindCloseBeforeBan, analyze.FindRateLimit}}
	hostFirewall     = Cause{[]analyze.FindingID{analyze.FindHostFirewall}}
	serverReset      = Cause{[]analyze.FindingID{analyze.FindServerReset}}
	idleTimeout      = Cause{[]analyze.FindingID{analyze.FindIdleTimeoutReset}}
	postSynAck       = Cause{[]analyze.FindingID{analyze.FindPostSynAckReset}}
	refusedByRST     = Cause{[]analyze.FindingID{analyze.FindRefused, analyze.FindRateLimit, analyze.FindResidualBlock}}
	icmpError        = Cause{[]analyze.FindingID{analyze.FindICMPUnreachable}}
	synTimeout       = Cause{[]analyze.FindingID{analyze.FindSynTimeout}}
	mtuBlackhole     = Cause{[]analyze.FindingID{analyze.FindMTUBlackhole}}
	notSSH           = Cause{[]analyze.FindingID{analyze.FindNotSSH}}
	malformed        = Cause{[]analyze.FindingID{analyze.FindMalformedSSH}}
)

// causesFor ranks the causes of what the wire did at a stage: the likeliest
// first. It is the one place the ranking lives.
func causesFor(w Wire, cs Stage) []Cause {
	st := cs.Wire()
	switch w {
	case WireReset, WireWriteAfter:
		if cs == StageConnected {
			// Connected, and reset before the client sent a byte: no
			// content to match yet; a device that blocks after the
			// handshake.
			return []Cause{postSynAck, forged, hostFirewall}
		}
		switch st {
		case analyze.StageHandshake:
			// Reset right after the SYN-ACK, before ssh checked its connect.
			return []Cause{postSynAck, forged, hostFirewall}
		case analyze.StageBanner:
			// A device matching "SSH-" in the client's banner, or sshd
			// refusing before its own (MaxStartups, PerSourcePenalties).
			return []Cause{forged, sshdBeforeBanner, hostFirewall, postSynAck}
		case analyze.StageKexInit, analyze.StageKex, analyze.StageAuth:
			return []Cause{forged, serverReset, hostFirewall}
		case analyze.StageSession:
			// Long sessions: state dropped on the path while idle, or a
			// ban on the server mid-session.
			return []Cause{idleTimeout, hostFirewall, forged, serverReset}
		}
		return []Cause{forged, serverReset, hostFirewall, idleTimeout}
	case WireFIN:
		switch st {
		case analyze.StageHandshake, analyze.StageBanner:
			return []Cause{sshdBeforeBanner, notSSH}
		case analyze.StageKexInit, analyze.StageKex:
			// The key exchange's large packets (the client's KEXINIT and
			// KEX_ECDH_INIT, post-quantum ones above 1,200 bytes) dropped
			// on a path with a smaller MTU, until sshd's LoginGraceTime
			// closes the connection with a FIN.
			return []Cause{mtuBlackhole, serverReset}
		case analyze.StageSession:
			return []Cause{serverReset, idleTimeout}
		}
		return []Cause{serverReset, sshdBeforeBanner}
	case WireRefused:
		// A RST to the SYN, or (same errno) an ICMP port unreachable.
		return []Cause{refusedByRST, icmpError}
	case WireNoAnswer:
		return []Cause{synTimeout, icmpError}
	case WireICMP:
		return []Cause{icmpError, synTimeout}
	case WireSilence:
		switch st {
		case analyze.StageHandshake, analyze.StageBanner:
			// Handshake done, then nothing: a box that lets the handshake
			// through and holds the rest, or sshd not answering.
			return []Cause{postSynAck, sshdBeforeBanner}
		case analyze.StageSession:
			return []Cause{idleTimeout, mtuBlackhole}
		}
		// KEXINIT is the first large packet: the path MTU shows here.
		return []Cause{mtuBlackhole, idleTimeout}
	case WireBadData:
		if st <= analyze.StageBanner {
			return []Cause{notSSH, malformed}
		}
		return []Cause{malformed, mtuBlackhole}
	case WireLocal:
		// The master's own TCP connection died (a master lives long and
		// idles), or the master process went away.
		return []Cause{idleTimeout, hostFirewall, forged, serverReset}
	}
	return nil
}

// reasonWire reads an errno or SSH error text (strerror, ssh_err) as what
// happened on the wire.
func reasonWire(k Kind, reason string) Wire {
	r := strings.ToLower(strings.TrimSpace(reason))
	switch {
	case strings.Contains(r, "connection refused"):
		return WireRefused
	case strings.Contains(r, "connection reset by peer"):
		return WireReset
	case strings.Contains(r, "broken pipe"):
		return WireWriteAfter
	case strings.Contains(r, "timed out"):
		if k == KindConnect {
			return WireNoAnswer
		}
		return WireSilence
	case strings.Contains(r, "no route to host"), strings.Contains(r, "network is unreachable"),
		strings.Contains(r, "host is unreachable"), strings.Contains(r, "permission denied"),
		strings.Contains(r, "host is down"), strings.Contains(r, "protocol not available"):
		// Linux turns ICMP errors into these (net/ipv4/icmp.c icmp_err_convert).
		if k == KindConnect {
			return WireICMP
		}
	case strings.Contains(r, "message authentication code incorrect"), strings.Contains(r, "corrupted mac"),
		strings.Contains(r, "bad packet length"), strings.Contains(r, "invalid format"),
		strings.Contains(r, "packet corrupt"):
		return WireBadData
	case strings.Contains(r, "connection closed"):
		return WireFIN
	}
	return WireUnknown
}

// lastStage is the latest stage of the client at which a cause can act:
// sshd's refusals before its identification string (MaxStartups,
// PerSourcePenalties, TCP wrappers) and a firewall's limit on new
// connections act before the server's banner, and so does a device that
// resets right after the handshake; a refused, unanswered or rejected SYN
// acts at the connect. Other causes can act at any stage.
func lastStage(c Cause) Stage {
	switch c.Findings[0] {
	case analyze.FindCloseBeforeBan, analyze.FindPostSynAckReset:
		return StageIdentSent
	case analyze.FindRefused, analyze.FindSynTimeout, analyze.FindICMPUnreachable:
		return StageConnecting
	}
	return StageSession
}

// byStage drops the causes that cannot act at the stage the client
// reached: a client that received the server's identification string was
// not refused by MaxStartups. Causes of the stage reached then rank
// first. With nothing left, the ranking stays as it was.
func byStage(cs []Cause, reached Stage) []Cause {
	if reached == StageNone {
		return cs
	}
	if reached == StagePastIdent {
		reached = StageIdentReceived
	}
	var out []Cause
	for _, c := range cs {
		if lastStage(c) >= reached {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return cs
	}
	return out
}
