package report

import (
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

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

// hostName reports whether h looks like a host name: a letter or digit,
// then up to 252 letters, digits, dots and hyphens. Checked by hand: the
// regular expression it replaces (^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$,
// which TestHostName holds it to) took most of the program's start-up
// to compile, its counted repeat unrolled 252 times.
func hostName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// placeholder matches what people put in a pasted log instead of the real
// host: x.x.x.x, 10.x.x.x, xxx, HOST, <server> and the like. Compiled on
// first use: only explaining a client's message needs it.
var placeholder = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^(?:[x*#]+(?:\.[x*#]+)*|(?:\d{1,3}|[x*#]+)(?:\.(?:\d{1,3}|[x*#]+)){3}|host|hostname|server|ip|ip-address|redacted|example)$`)
})

// shellHost returns a host safe to put in a shell command, or "HOST":
// the text came from a log and is not trusted, and a placeholder
// (x.x.x.x) is no host to run a command against.
func shellHost(h string) string {
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil && a.Zone() == "" {
		return a.String()
	}
	if placeholder().MatchString(h) {
		return "HOST"
	}
	if hostName(h) {
		return h
	}
	return "HOST"
}

// Capture is what to capture for an explained message, commands ready to
// run with the host and port from the text.
type Capture struct {
	host, port                    string // for the words (shell-safe, HOST if none)
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
	c := Capture{host: h, port: p,
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
	if r.Wire == explain.WireFIN && (r.Stage.Wire() == analyze.StageKexInit || r.Stage.Wire() == analyze.StageKex) {
		c.SshdLog = "lines with the client's address: 'Timeout before authentication' (sshd's LoginGraceTime closed it: the client's key exchange never arrived), 'Connection closed by', 'Unable to negotiate'"
	}
	if r.Wire == explain.WireSilence && r.Stage.Wire() < analyze.StageSession {
		// Nothing came back: sshd gives up after LoginGraceTime.
		c.SshdLog = "lines with the client's address: 'Timeout before authentication' (sshd's LoginGraceTime ended the wait), 'Connection closed by'; none means sshd never heard from the client"
	}
	if c.SshdLog == "" {
		c.SshdLog = "lines with the client's address at the time of the failure"
	}
	if r.Mux {
		c.Master = fmt.Sprintf("the connection to capture is the master's, opened when the master started and idle since: start the client capture before the master starts (ssh -O exit to the old one), keep it running until the failure, and check the master with ssh -O check -S <ControlPath> %s", h)
	}
	return c
}

// ExplainText writes an explanation of what ssh printed, its lines as
// they come (see ExplainTextWidth).
func ExplainText(w io.Writer, r *explain.Result) error { return ExplainTextWidth(w, r, 0) }

// adviceLines is the most advice (likely causes and next steps together)
// an explanation gives: the two or three likeliest causes, each with what to
// check, fit on a screen with the message and the capture to make.
const adviceLines = 12

// bareWords say what a bare error text is, and what the whole message
// would have told.
var bareWords = map[explain.Bare]string{
	explain.BareReset:   "\"Connection reset by peer\" is the system's error text (ECONNRESET) that ssh prints at the end of a message; the whole line (kex_exchange_identification: ..., client_loop: ..., Read from remote host ...) says at which stage",
	explain.BarePipe:    "\"Broken pipe\" is the system's error text (EPIPE) that ssh prints at the end of a message (client_loop: send disconnect: Broken pipe, packet_write_wait: ...); the whole line says at which stage",
	explain.BareClosed:  "\"Connection closed by remote host\" ends two different messages: kex_exchange_identification: ... (before the server's identification string) and Connection to HOST closed by remote host. (during the session); the whole line says which",
	explain.BareRefused: "\"Connection refused\" is the system's error text (ECONNREFUSED) that ssh prints after ssh: connect to host HOST port PORT:",
	explain.BareMaster:  "ssh started a ControlMaster (ControlPersist) in the background and could not reach it over its Unix socket: the master's own connection failed at once, or its socket path is too long or not writable; the same command with -o ControlMaster=no -v shows which",
}

// explainChecks is what to check for each ranked cause (keyed by its first
// finding) when all there is is ssh's message: no step here reads a
// capture or a report the user does not have. {host} and {port} stand for
// the server's.
var explainChecks = map[analyze.FindingID]string{
	analyze.FindTTLMismatch:      "capture on both ends at once (below): a reset the server never sent was forged on the path; traceroute -T -p {port} {host} shows the hops between",
	analyze.FindCloseBeforeBan:   "on the server: journalctl -u ssh -u sshd | grep -i -e 'drop connection' -e MaxStartups -e penalty; if it is there, raise MaxStartups or open fewer connections at once",
	analyze.FindHostFirewall:     "on the server: iptables -L -v -n; nft list ruleset; fail2ban-client status sshd (a REJECT or a ban of the client's address)",
	analyze.FindServerReset:      "on the server: sshd's log at that time (below), and dmesg or journalctl -k for sshd restarts, crashes or OOM kills",
	analyze.FindIdleTimeoutReset: "set ServerAliveInterval 30 in ~/.ssh/config (or ClientAliveInterval 30 in sshd_config): the connection is then never idle long enough",
	analyze.FindPostSynAckReset:  "the firewall's or IPS's log for the client's address; try another port or a VPN: if that works, a device blocks port {port}",
	analyze.FindRefused:          "on the server: ss -ltnp | grep sshd; systemctl status ssh; its firewall rules for port {port}",
	analyze.FindICMPUnreachable:  "traceroute -T -p {port} {host} shows where packets stop; on the server: firewall-cmd --list-all; nft list ruleset",
	analyze.FindSynTimeout:       "nc -vz -w 5 {host} {port} from here and from another network; security groups, network ACLs and fail2ban on the way",
	analyze.FindMTUBlackhole:     "ping -M do -s 1400 {host}, then smaller sizes, finds the path MTU; a workaround: sysctl net.ipv4.tcp_mtu_probing=1 on the client, or a smaller MTU on its interface",
	analyze.FindNotSSH:           "see what answers: nc -w 5 {host} {port} </dev/null | head -c 200 (an SSH server starts with SSH-2.0-)",
	analyze.FindMalformedSSH:     "capture on both ends (below): bytes that differ were changed on the path",
}

// explainAdvice is the advice of an explanation: the likely causes (the
// findings catalog's words for each ranked cause's main finding) and one
// check per cause, none repeated, adviceLines in all at most. The checks
// of the first causes come first; causes fill what is left.
func explainAdvice(r *explain.Result) (causes, next []string) {
	c := CaptureFor(r)
	seen := map[string]bool{}
	for _, rc := range r.Causes {
		if len(next) == adviceLines/3 {
			break
		}
		if f, ok := explainChecks[rc.Findings[0]]; ok {
			n := strings.NewReplacer("{host}", c.host, "{port}", c.port).Replace(f)
			if !seen[n] {
				seen[n] = true
				next = append(next, n)
			}
		}
	}
	for _, rc := range r.Causes {
		for _, t := range rc.Findings[0].Entry().Causes {
			if len(causes)+len(next) == adviceLines {
				return causes, next
			}
			if !seen[t] {
				seen[t] = true
				causes = append(causes, t)
			}
		}
	}
	return causes, next
}

// ExplainTextWidth writes an explanation of what ssh printed, its lines
// wrapped to width (0: as they come).
func ExplainTextWidth(w io.Writer, r *explain.Result, width int) error {
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
	case r.Bare != explain.BareNone:
		fmt.Fprintf(&b, "Not a whole OpenSSH message: %s. Paste the whole line, or better the output of ssh -v, for the stage.\n", bareWords[r.Bare])
	case r.Stalled:
		fmt.Fprintf(&b, "ssh printed no error: the log ends at %s. If it was cut there, nothing failed; if ssh hung there until it was killed or timed out, it waited for the server:\n", stageWords[r.Stage])
	default:
		b.WriteString("No OpenSSH error message recognised")
		if r.Stage != explain.StageNone {
			fmt.Fprintf(&b, "; the debug lines show the client reached: %s (rstsniff stage %s)", stageWords[r.Stage], r.Stage.Wire())
			if r.Stage >= explain.StageAuthenticated && r.Stage != explain.StagePastIdent {
				b.WriteString(": nothing failed up to where the log ends")
			}
		} else {
			b.WriteString(". rstsniff explain reads what ssh, scp or sftp printed: paste the error line (for example 'kex_exchange_identification: read: Connection reset by peer'), or pipe a whole log: ssh -v HOST 2>&1 | rstsniff explain -")
		}
		b.WriteString(".\n")
		_, err := io.WriteString(w, wrap(b.String(), width))
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
	if ww, known := wireWords[r.Wire]; known {
		fmt.Fprintf(&b, "  On the wire: %s.\n", ww)
	} else if ok && (m.Kind == explain.KindScpLost || m.Kind == explain.KindSftpClosed) {
		b.WriteString("  On the wire: scp and sftp say only that the ssh under them went away; ssh's own message, printed just before, says how (run scp -v or sftp -v to see it).\n")
	}
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
	causes, next := explainAdvice(r)
	writeAdvice(&b, causes, next)
	if showCapture(r) {
		c := CaptureFor(r)
		b.WriteString("  What to capture:\n")
		if c.Master != "" {
			fmt.Fprintf(&b, "    - %s\n", c.Master)
		}
		fmt.Fprintf(&b, "    - on the client: %s\n", c.ClientTcpdump)
		fmt.Fprintf(&b, "    - on the server, at the same time: %s\n", c.ServerTcpdump)
		fmt.Fprintf(&b, "      then compare the two: %s\n", c.Correlate)
		fmt.Fprintf(&b, "    - or reproduce it: %s\n", c.Probe)
		fmt.Fprintf(&b, "    - in sshd's log (journalctl -u ssh -u sshd, /var/log/auth.log or /var/log/secure): %s\n", c.SshdLog)
	}
	_, err := io.WriteString(w, wrap(b.String(), width))
	return err
}

// showCapture: the explanation says what to capture, unless the exchange
// worked (authentication refused, sshd's own disconnect) or nothing says
// what happened.
func showCapture(r *explain.Result) bool {
	switch r.Wire {
	case explain.WireAuthDenied, explain.WireDisconnect:
		return false
	case explain.WireUnknown:
		_, ok := r.MainMessage()
		return ok
	}
	return true
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
	o.str("bare", r.Bare.String())
	if showCapture(r) {
		c := CaptureFor(r)
		o.open("capture")
		o.str("client_tcpdump", c.ClientTcpdump)
		o.str("client_rstsniff", c.ClientRstsniff)
		o.str("server_tcpdump", c.ServerTcpdump)
		o.str("correlate", c.Correlate)
		o.str("probe", c.Probe)
		o.str("sshd_log", c.SshdLog)
		o.strOmit("master", c.Master)
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
