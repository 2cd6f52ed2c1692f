package report

import (
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
)

// rankedAdvice collects the advice of ranked causes from the findings
// catalog, the first cause's first, without repeats: the same words as a
// capture's findings get.
func rankedAdvice(cs []explain.Cause) (causes, next []string) {
	var ids []analyze.FindingID
	for _, c := range cs {
		ids = append(ids, c.Findings...)
	}
	return adviceFor(ids)
}

// writeAdvice writes causes and next steps in the words and layout of
// Explain (--explain on a capture): the same situation reads the same.
func writeAdvice(b *strings.Builder, causes, next []string) {
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(b, "  %s:\n", title)
		for _, it := range items {
			fmt.Fprintf(b, "    - %s\n", it)
		}
	}
	list("Likely causes", causes)
	list("What to check next", next)
}

var wireWords = map[explain.Wire]string{
	explain.WireReset:      "a TCP reset (RST) arrived on the established connection: sent by the server's kernel, by a firewall on the server, or forged in the server's name by a device on the path",
	explain.WireWriteAfter: "ssh's write failed (broken pipe): a reset had already arrived and torn the connection down; the reset is what to look for",
	explain.WireFIN:        "the server's side closed the connection with a FIN, an orderly close: a process on that side chose to end it",
	explain.WireRefused:    "the SYN was answered by a reset (nothing listening, or a firewall rejecting in the server's name) or by an ICMP port unreachable: the kernel gives ssh the same error for both",
	explain.WireNoAnswer:   "the SYN and its retransmissions were never answered: dropped on the way or at the server, or the host is down",
	explain.WireICMP:       "the SYN drew an ICMP error (host or network unreachable, administratively prohibited) from the server or from a router on the path",
	explain.WireSilence:    "the connection was up but the other end stopped answering: packets lost, dropped or held back on the path",
	explain.WireBadData:    "bytes arrived that are not valid SSH: another protocol on the port, a broken peer, or a device rewriting the stream",
	explain.WireAuthDenied: "nothing wrong on the wire: the SSH exchange worked and the server refused every authentication method offered",
	explain.WireDisconnect: "the server sent an SSH disconnect message (its reason is in the message) and closed: a decision of sshd, not a network fault",
	explain.WireLocal:      "not the network: this ssh talks to a ControlMaster process over a Unix socket, and that socket failed; the master's own TCP connection to the server died, or the master process exited",
}

var stageWords = map[explain.Stage]string{
	explain.StageConnecting:    "TCP handshake (connecting)",
	explain.StageConnected:     "TCP connected, identification strings not yet exchanged",
	explain.StageIdentSent:     "the client's identification string sent, the server's not received",
	explain.StageIdentReceived: "identification strings exchanged, key exchange not started",
	explain.StageKexInitSent:   "the client's KEXINIT sent",
	explain.StageKexInitRecv:   "key exchange started (both KEXINITs)",
	explain.StageKexReply:      "key exchange: waiting for the server's reply",
	explain.StageNewKeys:       "keys exchanged, authentication not started",
	explain.StageServiceAccept: "authentication started",
	explain.StageAuth:          "authentication",
	explain.StageAuthenticated: "authenticated, session not yet open",
	explain.StageSession:       "session open",
	explain.StagePastIdent:     "after the identification strings, before the session (key exchange or authentication; ssh -v tells which)",
}

// sshdLog is what to look for in sshd's log at each stage. The search
// words are sshd's own: sshd.c drop_connection() ("drop connection #",
// "past MaxStartups"; "penalty" from srclimit.c, 9.8 on), sshd.c
// grace_alarm_handler() ("Timeout before authentication"), serverloop.c
// ("Timeout, client not responding", "Read error from remote host").
var sshdLog = map[analyze.Stage]string{
	analyze.StageHandshake: "nothing: the connection never reached sshd; look at the firewall's counters and logs on the server and the path",
	analyze.StageBanner:    "lines with the client's address, and 'drop connection #' (MaxStartups, and PerSourcePenalties' 'penalty' from OpenSSH 9.8 on); no line at all means sshd never saw the connection",
	analyze.StageKexInit:   "lines with the client's address: 'Connection reset by', 'Connection closed by', 'Unable to negotiate'; none means sshd never saw the reset (a device on the path sent it)",
	analyze.StageKex:       "lines with the client's address: 'Connection reset by', 'Connection closed by', 'Timeout before authentication'; none means sshd never saw the reset (a device on the path sent it)",
	analyze.StageAuth:      "lines with the client's address: 'Failed', 'Invalid user', 'Connection closed by', 'Timeout before authentication'",
	analyze.StageSession:   "the session's lines: 'Timeout, client not responding', 'Read error from remote host', 'Connection reset by', 'Disconnected from'; sshd restarts or OOM kills (dmesg) at that time",
}

var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$`)

// shellHost returns a host safe to put in a shell command, or "HOST":
// the text came from a log and is not trusted.
func shellHost(h string) string {
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil && a.Zone() == "" {
		return a.String()
	}
	if hostName.MatchString(h) {
		return h
	}
	return "HOST"
}

// Capture is what to capture for an explained message, commands ready to
// run with the host and port from the text.
type Capture struct {
	ClientTcpdump, ClientRstsniff string
	ServerTcpdump                 string
	Correlate                     string
	Probe                         string
	SshdLog                       string
	Master                        string // for a ControlMaster failure: how to catch the master's connection
}

// CaptureFor returns the capture advice for a result.
func CaptureFor(r *explain.Result) Capture {
	h := shellHost(r.Host)
	if r.Addr != "" && shellHost(r.Addr) != "HOST" {
		h = shellHost(r.Addr)
	}
	port := r.Port
	if port == 0 {
		port = 22
	}
	p := strconv.Itoa(port)
	c := Capture{
		ClientTcpdump:  fmt.Sprintf("tcpdump -i any -s 0 -w ssh-client.pcap '(host %s and tcp port %s) or icmp or icmp6'", h, p),
		ClientRstsniff: fmt.Sprintf("rstsniff -i any --ports %s -w ssh-client.pcapng 'host %s and tcp port %s'", p, h, p),
		ServerTcpdump:  fmt.Sprintf("tcpdump -i any -s 0 -w ssh-server.pcap 'tcp port %s'", p),
		Correlate:      "rstsniff --correlate -r ssh-client.pcap -r ssh-server.pcap",
		Probe:          fmt.Sprintf("rstsniff probe %s:%s", h, p),
		SshdLog:        sshdLog[r.Stage.Wire()],
	}
	if strings.Contains(h, ":") {
		c.Probe = fmt.Sprintf("rstsniff probe [%s]:%s", h, p)
	}
	if c.SshdLog == "" {
		c.SshdLog = "lines with the client's address at the time of the failure"
	}
	if r.Mux {
		c.Master = fmt.Sprintf("the connection to capture is the master's, opened when the master started and idle since: start the client capture before the master starts (ssh -O exit to the old one), keep it running until the failure, and check the master with ssh -O check -S <ControlPath> %s", h)
	}
	return c
}

// ExplainText writes an explanation of what ssh printed.
func ExplainText(w io.Writer, r *explain.Result) error {
	var b strings.Builder
	m, ok := r.MainMessage()
	switch {
	case ok:
		p := explain.Catalog[m.Pattern]
		fmt.Fprintf(&b, "ssh printed (line %d): %s\n", m.Line, Safe(m.Text))
		fmt.Fprintf(&b, "  Message: %s, printed by OpenSSH %s to %s", m.Kind, release(p.First), release(p.Last))
		if p.Verbose {
			b.WriteString(" with -v only")
		}
		b.WriteString("\n")
	case r.Stalled:
		b.WriteString("ssh printed no error: its debug lines stop before the session, while it waited for the server (killed by a timeout, or the log was cut)\n")
	default:
		b.WriteString("No OpenSSH error message recognised")
		if r.Stage != explain.StageNone {
			fmt.Fprintf(&b, "; the debug lines show the client reached: %s (rstsniff stage %s)", stageWords[r.Stage], r.Stage.Wire())
		}
		b.WriteString(".\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for i, o := range r.Messages {
		if i != r.Main {
			fmt.Fprintf(&b, "  Also (line %d): %s\n", o.Line, Safe(o.Text))
		}
	}
	for _, o := range r.Fallback {
		fmt.Fprintf(&b, "  Then, on the direct connection ssh fell back to (line %d): %s\n", o.Line, Safe(o.Text))
	}
	if r.PreBanner != "" {
		fmt.Fprintf(&b, "  Before its identification string the server wrote: \"%s\"", Safe(r.PreBanner))
		if r.SshdRefused {
			b.WriteString(": sshd itself refused the connection (MaxStartups, or PerSourcePenalties from OpenSSH 9.8 on)")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  On the wire: %s.\n", wireWords[r.Wire])
	if r.Mux && r.MasterWire != explain.WireUnknown && r.MasterWire != explain.WireLocal {
		fmt.Fprintf(&b, "  The master's own message says: %s.\n", wireWords[r.MasterWire])
	}
	if r.Stage != explain.StageNone {
		from := "the message alone"
		if r.StageFrom == explain.FromDebug {
			from = "the debug1 lines"
		}
		fmt.Fprintf(&b, "  Stage: %s (rstsniff stage %s, from %s)\n", stageWords[r.Stage], r.Stage.Wire(), from)
	}
	if r.Host != "" {
		fmt.Fprintf(&b, "  Server: %s", Safe(r.Host))
		if r.Port != 0 {
			fmt.Fprintf(&b, " port %d", r.Port)
		}
		b.WriteString("\n")
	}
	if len(r.Causes) > 0 {
		b.WriteString("  Causes, most likely first (findings):\n")
		for i, c := range r.Causes {
			fmt.Fprintf(&b, "    %d. %s\n", i+1, strings.Join(findingNames(c.Findings), ", "))
		}
	}
	// The advice of the two likeliest causes; the others by name above.
	causes, next := rankedAdvice(r.Causes[:min(2, len(r.Causes))])
	writeAdvice(&b, causes, next)
	if r.Wire != explain.WireAuthDenied && r.Wire != explain.WireDisconnect && r.Wire != explain.WireUnknown {
		c := CaptureFor(r)
		b.WriteString("  What to capture:\n")
		if c.Master != "" {
			fmt.Fprintf(&b, "    - %s\n", c.Master)
		}
		fmt.Fprintf(&b, "    - on the client: %s\n", c.ClientTcpdump)
		fmt.Fprintf(&b, "      or, keeping only the connections that end badly: %s\n", c.ClientRstsniff)
		fmt.Fprintf(&b, "    - on the server, at the same time: %s\n", c.ServerTcpdump)
		fmt.Fprintf(&b, "      then compare the two: %s\n", c.Correlate)
		fmt.Fprintf(&b, "    - reproduce it: %s\n", c.Probe)
		fmt.Fprintf(&b, "    - in sshd's log (journalctl -u ssh -u sshd, /var/log/auth.log or /var/log/secure): %s\n", c.SshdLog)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// release turns "V_9_5_P1" into "9.5p1".
func release(tag string) string {
	s := strings.TrimPrefix(tag, "V_")
	s = strings.Replace(s, "_P", "p", 1)
	return strings.Replace(s, "_", ".", 1)
}

// ExplainJSON writes the explanation as one JSON object and a newline.
func ExplainJSON(w io.Writer, r *explain.Result) error {
	o := jsonObject{b: []byte{'{'}, first: true}
	o.str("type", "explain")
	o.int("schema_version", SchemaVersion)
	o.objects("messages", false, len(r.Messages), func(i int) {
		m := r.Messages[i]
		p := explain.Catalog[m.Pattern]
		o.int("line", int64(m.Line))
		o.str("kind", m.Kind.String())
		o.str("wire", m.Wire.String())
		o.str("text", m.Text)
		o.str("host", m.Host)
		o.int("port", int64(m.Port))
		o.str("reason", m.Reason)
		o.str("first_release", p.First)
		o.str("last_release", p.Last)
		o.bool("verbose_only", p.Verbose)
	})
	o.objects("fallback", r.Fallback == nil, len(r.Fallback), func(i int) {
		m := r.Fallback[i]
		o.int("line", int64(m.Line))
		o.str("kind", m.Kind.String())
		o.str("wire", m.Wire.String())
		o.str("text", m.Text)
	})
	o.int("main", int64(r.Main))
	o.str("stage", r.Stage.String())
	o.str("wire_stage", r.Stage.Wire().String())
	o.str("stage_from", r.StageFrom.String())
	o.str("host", r.Host)
	o.str("addr", r.Addr)
	o.int("port", int64(r.Port))
	o.str("wire", r.Wire.String())
	o.bool("mux", r.Mux)
	o.str("master_wire", r.MasterWire.String())
	o.str("pre_banner", r.PreBanner)
	o.bool("sshd_refused", r.SshdRefused)
	o.bool("stalled", r.Stalled)
	o.objects("causes", false, len(r.Causes), func(i int) {
		c := r.Causes[i]
		o.int("rank", int64(i+1))
		o.strs("findings", findingNames(c.Findings))
		cc, nn := rankedAdvice(r.Causes[i : i+1])
		o.strs("causes", cc)
		o.strs("next_steps", nn)
	})
	if r.Wire != explain.WireAuthDenied && r.Wire != explain.WireDisconnect && r.Wire != explain.WireUnknown {
		c := CaptureFor(r)
		o.open("capture")
		o.str("client_tcpdump", c.ClientTcpdump)
		o.str("client_rstsniff", c.ClientRstsniff)
		o.str("server_tcpdump", c.ServerTcpdump)
		o.str("correlate", c.Correlate)
		o.str("probe", c.Probe)
		o.str("sshd_log", c.SshdLog)
		if c.Master != "" {
			o.str("master", c.Master)
		}
		o.close()
	}
	o.b = append(o.b, '}', '\n')
	_, err := w.Write(o.b)
	return err
}

// findingNames are the stable names of finding IDs.
func findingNames(ids []analyze.FindingID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
