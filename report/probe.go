package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/rstsniff/rstsniff/probe"
)

// The words for `rstsniff probe`: what each probe connection's socket saw,
// and where --locate found the reset forged. The facts come from package
// probe; everything the server sent is escaped here.

// stepText says what a connection completed.
var stepText = map[probe.Step]string{
	probe.StepNone:     "TCP handshake not completed",
	probe.StepTCP:      "TCP connected, no identification string from the server",
	probe.StepBanner:   "server identification string received, no KEXINIT",
	probe.StepKexInit:  "server KEXINIT received, key exchange not finished",
	probe.StepKex:      "key exchange done, no answer to the \"none\" authentication request",
	probe.StepAuthNone: "\"none\" authentication answered, no answer to the large packet",
	probe.StepLarge:    "large packet answered",
	probe.StepDone:     "every step done, closed by the probe",
}

var errText = map[probe.ErrKind]string{
	probe.ErrRefused:     "refused (RST to the SYN)",
	probe.ErrTimeout:     "timed out",
	probe.ErrReset:       "reset (RST)",
	probe.ErrClosed:      "closed by the other end",
	probe.ErrUnreachable: "ICMP unreachable",
	probe.ErrProtocol:    "SSH protocol error",
	probe.ErrOther:       "error",
}

// ProbeNoCapture is the one line said when the probe could not capture.
func ProbeNoCapture(reason string) string {
	return "rstsniff probe: no packet capture (" + Safe(reason) + "): this is what the sockets saw; whether a reset was forged cannot be judged without CAP_NET_RAW"
}

// ProbeTable writes one line per probe connection, then what the server
// said of itself (from the first connection that got that far).
func ProbeTable(w io.Writer, rs []probe.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Probe connections (what the client's sockets saw):\n")
	for _, r := range rs {
		local := "-"
		if r.Local.IsValid() {
			local = r.Local.String()
		}
		line := fmt.Sprintf("  #%d %s -> %s  %.1f ms  %s", r.N, local, r.Remote, float64(r.Duration.Microseconds())/1000, stepText[r.Reached])
		if r.Err != probe.ErrNone {
			line += ": " + errText[r.Err] + " (" + Safe(r.ErrText) + ")"
		}
		if len(r.PreBanner) > 0 {
			line += "; before its banner the server said " + Safe(strings.Join(r.PreBanner, " | "))
		}
		if r.LargeSkipped {
			line += "; the large packet was not sent (the server offers no publickey method to carry it)"
		}
		b.WriteString(line + "\n")
	}
	for _, r := range rs {
		if r.Banner == "" {
			continue
		}
		fmt.Fprintf(&b, "Server: %s\n", Safe(r.Banner))
		if r.HostKey != "" {
			fmt.Fprintf(&b, "  host key %s %s\n", Safe(r.HostKeyType), r.HostKey)
		}
		if r.Kex != "" {
			fmt.Fprintf(&b, "  kex %s, cipher %s, mac %s\n", Safe(r.Kex), Safe(r.Cipher), Safe(orDash(r.MAC)))
		}
		if r.HASSHServer != "" {
			fmt.Fprintf(&b, "  HASSH server %s, client (this probe) %s\n", r.HASSHServer, r.HASSH)
		}
		if len(r.AuthMethods) > 0 {
			fmt.Fprintf(&b, "  authentication methods offered: %s\n", Safe(strings.Join(r.AuthMethods, ",")))
		}
		break
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// probeLine is a probe connection in JSON.
type probeLine struct {
	Type string `json:"type"`
	// SchemaVersion is report.SchemaVersion, in every line.
	SchemaVersion int `json:"schema_version"`
	// The line.
	N            int      `json:"n"`
	Local        string   `json:"local,omitempty"`
	Remote       string   `json:"remote"`
	Start        jsonTime `json:"start"`
	DurationMS   float64  `json:"duration_ms"`
	Reached      string   `json:"reached"`
	Error        string   `json:"error,omitempty"`
	ErrorText    string   `json:"error_text,omitempty"`
	PreBanner    []string `json:"pre_banner,omitempty"`
	Banner       string   `json:"banner,omitempty"`
	HostKeyType  string   `json:"host_key_type,omitempty"`
	HostKey      string   `json:"host_key,omitempty"`
	Kex          string   `json:"kex,omitempty"`
	Cipher       string   `json:"cipher,omitempty"`
	MAC          string   `json:"mac,omitempty"`
	HASSH        string   `json:"hassh,omitempty"`
	HASSHServer  string   `json:"hassh_server,omitempty"`
	AuthMethods  []string `json:"auth_methods,omitempty"`
	NoneAccepted bool     `json:"none_accepted,omitempty"`
	LargeSent    int      `json:"large_sent,omitempty"`
	LargeSkipped bool     `json:"large_skipped,omitempty"`
	MSS          int      `json:"mss,omitempty"`
}

// ProbeJSON writes one {"type":"probe"} line per connection.
func ProbeJSON(w io.Writer, rs []probe.Result) error {
	for _, r := range rs {
		l := probeLine{Type: "probe", SchemaVersion: SchemaVersion, N: r.N, Remote: r.Remote.String(), Start: jsonTime(r.Start),
			DurationMS: float64(r.Duration.Microseconds()) / 1000, Reached: r.Reached.String(),
			ErrorText: r.ErrText, PreBanner: r.PreBanner, Banner: r.Banner, HostKeyType: r.HostKeyType,
			HostKey: r.HostKey, Kex: r.Kex, Cipher: r.Cipher, MAC: r.MAC, HASSH: r.HASSH, HASSHServer: r.HASSHServer,
			AuthMethods: r.AuthMethods, NoneAccepted: r.NoneAccepted, LargeSent: r.LargeSent, LargeSkipped: r.LargeSkipped, MSS: r.MSS}
		if r.Local.IsValid() {
			l.Local = r.Local.String()
		}
		if r.Err != probe.ErrNone {
			l.Error = r.Err.String()
		}
		if err := writeLine(w, l); err != nil {
			return err
		}
	}
	return nil
}

// LocateText says where the reset was forged, with each TTL's answer.
func LocateText(w io.Writer, l *probe.Location) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Locate (trigger: %s, repeated with TTL 1, 2, ...):\n", l.Trigger)
	for _, h := range l.Hops {
		line := fmt.Sprintf("  TTL %d: %s", h.TTL, h.Answer)
		if h.From.IsValid() {
			line += " from " + h.From.String()
		}
		b.WriteString(line + "\n")
	}
	switch {
	case l.ResetTTL == 1:
		b.WriteString("The reset is forged before the first router: at this host or on its first link.\n")
	case l.ResetTTL > 1:
		last, ok := l.LastHop()
		hop := fmt.Sprintf("hop %d", l.ResetTTL-1)
		if ok && last.From.IsValid() {
			hop += " (" + last.From.String() + ")"
		}
		fmt.Fprintf(&b, "The reset is forged between %s and hop %d: the first TTL to draw it was %d, so the device that forges it is %s or on the link after it.\n",
			hop, l.ResetTTL, l.ResetTTL, hop)
	case l.ServerTTL > 0:
		fmt.Fprintf(&b, "No reset: the trigger reached the server at TTL %d, so no device on the path reset it this time.\n", l.ServerTTL)
	default:
		b.WriteString("No reset and no answer from the server within the TTLs tried.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type locateHop struct {
	TTL    int    `json:"ttl"`
	Answer string `json:"answer"`
	From   string `json:"from,omitempty"`
}

// LocateJSON writes the {"type":"locate"} line.
func LocateJSON(w io.Writer, l *probe.Location) error {
	v := struct {
		Type string `json:"type"`
		// SchemaVersion is report.SchemaVersion, in every line.
		SchemaVersion int `json:"schema_version"`
		// The line.
		Trigger   string      `json:"trigger"`
		ResetTTL  int         `json:"reset_ttl"`
		ServerTTL int         `json:"server_ttl"`
		Hop       int         `json:"hop,omitempty"`
		HopAddr   string      `json:"hop_addr,omitempty"`
		Hops      []locateHop `json:"hops"`
	}{Type: "locate", SchemaVersion: SchemaVersion, Trigger: l.Trigger.String(), ResetTTL: l.ResetTTL, ServerTTL: l.ServerTTL, Hops: []locateHop{}}
	if last, ok := l.LastHop(); ok {
		v.Hop = last.TTL
		if last.From.IsValid() {
			v.HopAddr = last.From.String()
		}
	}
	for _, h := range l.Hops {
		lh := locateHop{TTL: h.TTL, Answer: h.Answer.String()}
		if h.From.IsValid() {
			lh.From = h.From.String()
		}
		v.Hops = append(v.Hops, lh)
	}
	return writeLine(w, v)
}

// MTUCheckText says what the small-MSS connection showed.
func MTUCheckText(w io.Writer, m *probe.MTUCheck) error {
	var s string
	if m.BlackHole() {
		s = fmt.Sprintf("MTU black hole: %d connection%s stalled after the TCP handshake, while connection #%d, with its MSS clamped to %d, went through every step: a link on the path has a smaller MTU and its ICMP \"fragmentation needed\" (IPv6 \"packet too big\") never arrives. Lower the MTU or clamp the MSS on the path, or let those ICMP messages through.\n",
			m.Stalled, plural(m.Stalled), m.Check.N, m.Check.MSS)
	} else {
		s = fmt.Sprintf("Not an MTU black hole: %d connection%s stalled after the TCP handshake, and connection #%d, with its MSS clamped to %d, stalled too (%s).\n",
			m.Stalled, plural(m.Stalled), m.Check.N, m.Check.MSS, stepText[m.Check.Reached])
	}
	_, err := io.WriteString(w, s)
	return err
}

// MTUCheckJSON writes the {"type":"probe-mtu"} line.
func MTUCheckJSON(w io.Writer, m *probe.MTUCheck) error {
	return writeLine(w, struct {
		Type string `json:"type"`
		// SchemaVersion is report.SchemaVersion, in every line.
		SchemaVersion int `json:"schema_version"`
		// The line.
		Stalled      int    `json:"stalled"`
		CheckN       int    `json:"check_n"`
		CheckMSS     int    `json:"check_mss"`
		CheckReached string `json:"check_reached"`
		BlackHole    bool   `json:"black_hole"`
	}{"probe-mtu", SchemaVersion, m.Stalled, m.Check.N, m.Check.MSS, m.Check.Reached.String(), m.BlackHole()})
}
