// Package explain reads what the OpenSSH client printed (one error line, or
// a whole ssh -v/-vvv, scp -v or CI log) and returns facts: which messages
// it recognised, what each means on the wire, the last stage the client
// reached, the host and port, and the findings (by ID, ranked) that explain
// it. It writes no sentence: report/explain.go does, with the advice of the
// findings catalog. The catalog's patterns are compiled on first use
// (Regexp, lazyre.go): a run that explains nothing does not pay for them.
package explain

import "github.com/rstsniff/rstsniff/analyze"

// Kind is one OpenSSH client message, whatever the version's wording.
type Kind uint8

const (
	KindNone            Kind = iota
	KindIdentReset           // {ssh,kex}_exchange_identification: read: Connection reset by peer
	KindIdentRead            // {ssh,kex}_exchange_identification: read: <other errno>
	KindIdentClosed          // {ssh,kex}_exchange_identification: Connection closed by remote host
	KindIdentInvalid         // kex_exchange_identification: banner line contains invalid characters
	KindIdentTimeout         // Connection timed out during banner exchange
	KindConnect              // ssh: connect to host H port P: <errno>
	KindResetBy              // Connection reset by H port P
	KindClosedBy             // Connection closed by H port P
	KindConnTimedOut         // Connection to H port P timed out
	KindSendDisconnect       // client_loop: send disconnect: <errno>
	KindPacketWriteWait      // packet_write_wait: Connection to H port P: <errno>
	KindReadFromRemote       // Read from remote host H: <errno>
	KindClosedByRemote       // Connection to H closed by remote host.
	KindDispatchFatal        // ssh_dispatch_run_fatal: Connection to H port P: <error>
	KindServerTimeout        // Timeout, server H not responding.
	KindAuthDenied           // user@H: Permission denied (methods).
	KindDisconnectRecv       // Received disconnect from H port P:<code>: <text>
	KindScpLost              // lost connection (scp)
	KindMuxRead              // mux_client_*: read from master failed: <errno>
	KindMuxSendFd            // mm_send_fd: sendmsg(N): <errno>
	KindMuxSendFds           // mux_client_*: send fds failed
	KindMuxConnect           // Control socket connect(PATH): <errno>
	KindMuxSocketExists      // ControlSocket PATH already exists, disabling multiplexing
	KindMuxHello             // muxclient: master hello exchange failed
	KindWritePoll            // client_loop: ssh_packet_write_poll: Connection to H port P: <errno>
	KindBannerExchange       // banner exchange: Connection to H port P: <error>
	KindSftpClosed           // scp: Connection closed (scp over SFTP, sftp)
	kindCount
)

var kindNames = [...]string{"none", "ident-reset", "ident-read", "ident-closed", "ident-invalid", "ident-timeout",
	"connect", "reset-by", "closed-by", "conn-timed-out", "send-disconnect", "packet-write-wait", "read-from-remote",
	"closed-by-remote", "dispatch-fatal", "server-timeout", "auth-denied", "disconnect-received", "scp-lost",
	"mux-read", "mux-send-fd", "mux-send-fds", "mux-connect", "mux-socket-exists", "mux-hello", "write-poll",
	"banner-exchange", "sftp-closed"}

// String is the kind's stable name (part of the JSON output).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "none"
}

// Mux reports whether the message comes from a ControlMaster client
// talking to its master over a Unix socket.
func (k Kind) Mux() bool { return k >= KindMuxRead && k <= KindMuxHello }

// Wire is what a message means on the wire (or off it).
type Wire uint8

const (
	WireUnknown    Wire = iota
	WireReset           // a RST arrived on an established connection
	WireWriteAfter      // a write failed (EPIPE) because a RST had already arrived
	WireFIN             // the server's side closed with FIN
	WireRefused         // the SYN was answered by a RST (or an ICMP port unreachable)
	WireNoAnswer        // the SYN and its retransmissions were never answered
	WireICMP            // the SYN drew an ICMP error (no route, administratively prohibited)
	WireSilence         // established, but the peer stopped answering (timeouts, keepalives)
	WireBadData         // bytes arrived that are not valid SSH (corrupted, rewritten, another protocol)
	WireAuthDenied      // a normal SSH exchange in which the server refused every method
	WireDisconnect      // the server sent an SSH DISCONNECT message, then closed
	WireLocal           // not the network: the Unix socket to the ControlMaster process
	wireCount
)

var wireNames = [...]string{"unknown", "reset", "write-after-reset", "fin", "refused", "no-answer", "icmp-error",
	"silence", "bad-data", "auth-denied", "disconnect", "local-socket"}

// String is the wire meaning's stable name (part of the JSON output).
func (w Wire) String() string {
	if int(w) < len(wireNames) {
		return wireNames[w]
	}
	return "unknown"
}

// Stage is how far the client got, as its debug1 lines (or its error
// message) show it.
type Stage uint8

const (
	StageNone          Stage = iota // nothing says
	StageConnecting                 // debug1: Connecting to H [A] port P.
	StageConnected                  // debug1: Connection established. (TCP handshake done)
	StageIdentSent                  // debug1: Local version string ...
	StageIdentReceived              // debug1: Remote protocol version ...
	StageKexInitSent                // debug1: SSH2_MSG_KEXINIT sent
	StageKexInitRecv                // debug1: SSH2_MSG_KEXINIT received
	StageKexReply                   // debug1: expecting SSH2_MSG_KEX_ECDH_REPLY (or another KEX reply)
	StageNewKeys                    // debug1: SSH2_MSG_NEWKEYS received
	StageServiceAccept              // debug1: SSH2_MSG_SERVICE_ACCEPT received
	StageAuth                       // debug1: Authentications that can continue: ...
	StageAuthenticated              // debug1: Authentication succeeded / Authenticated to H
	StageSession                    // debug1: channel 0: new [client-session], Entering interactive session, Sending command
	StagePastIdent                  // inferred from a message: past the identification strings, before the session
)

var stageNames = [...]string{"none", "connecting", "connected", "ident-sent", "ident-received", "kexinit-sent",
	"kexinit-received", "kex-reply", "newkeys", "service-accept", "auth", "authenticated", "session", "past-ident"}

// String is the stage's stable name (part of the JSON output).
func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return "none"
}

// Wire maps the client's stage to the stage rstsniff names from a capture.
func (s Stage) Wire() analyze.Stage {
	switch s {
	case StageConnecting:
		return analyze.StageHandshake
	case StageConnected, StageIdentSent:
		return analyze.StageBanner
	case StageIdentReceived, StageKexInitSent:
		return analyze.StageKexInit
	case StageKexInitRecv, StageKexReply, StageNewKeys, StagePastIdent:
		return analyze.StageKex
	case StageServiceAccept, StageAuth:
		return analyze.StageAuth
	case StageAuthenticated, StageSession:
		return analyze.StageSession
	}
	return analyze.StageUnknown
}

// StageFrom says where the stage came from.
type StageFrom uint8

const (
	FromNothing StageFrom = iota
	FromDebug             // the client's debug1 lines
	FromMessage           // the error message alone
)

func (f StageFrom) String() string {
	switch f {
	case FromDebug:
		return "debug"
	case FromMessage:
		return "message"
	}
	return "none"
}

// Cause is one ranked explanation: the findings (catalog IDs) that
// describe it, the most specific first. Their advice is the findings
// catalog's.
type Cause struct {
	Findings []analyze.FindingID
}

// Message is one recognised line.
type Message struct {
	Line   int    // 1-based line number in the input
	Kind   Kind   //
	Text   string // the line as printed (untrusted: escape it)
	Host   string // host or address the message names, if any (untrusted)
	Port   int    // port the message names, 0 if none
	Reason string // the error text after the last colon (errno or SSH error), if any (untrusted)
	Wire   Wire
	Stage  Stage // the stage the message alone shows
	// Pattern is the index of the catalog entry that matched.
	Pattern int
}

// Bare is an error text that is not a whole OpenSSH message: the
// system's error string (strerror) ssh puts at the end of its messages, or
// a fragment of one, which is what people paste most. It says what the
// wire did, not the stage.
type Bare uint8

const (
	BareNone    Bare = iota
	BareReset        // "Connection reset by peer" (ECONNRESET)
	BarePipe         // "Broken pipe" (EPIPE)
	BareClosed       // "Connection closed by remote host"
	BareRefused      // "Connection refused" (ECONNREFUSED)
	BareMaster       // "Failed to connect to new control master" (ControlPersist)
)

var bareNames = [...]string{"none", "connection-reset-by-peer", "broken-pipe", "connection-closed-by-remote-host",
	"connection-refused", "control-master-failed"}

// String is the fragment's stable name (part of the JSON output).
func (b Bare) String() string {
	if int(b) < len(bareNames) {
		return bareNames[b]
	}
	return "none"
}

// Result is what one log (or one message) says.
type Result struct {
	Messages  []Message // recognised lines of the episode explained, in order
	Main      int       // index in Messages of the line that says what happened; -1 if none
	Stage     Stage
	StageFrom StageFrom
	Host      string // from the messages or the debug lines (untrusted)
	Addr      string // the address ssh connected to (debug1 "Connecting to"), if any (untrusted)
	Port      int    // 0 if the text names none
	Wire      Wire   // what the main message means on the wire
	Causes    []Cause
	// Mux: the failing ssh talked to a ControlMaster. MasterWire is what
	// the master's own TCP connection did, when the log holds the master's
	// message too (WireUnknown otherwise).
	Mux        bool
	MasterWire Wire
	// PreBanner is the first line the server sent before its
	// identification string, when an ssh -v log shows it (untrusted);
	// SshdRefused says it is one of sshd's own refusals (SshdRefusals),
	// which puts sshd's refusal first among the causes.
	PreBanner   string
	SshdRefused bool
	// Fallback: for a ControlMaster failure, the recognised lines of the
	// direct connection ssh tried after it (a later episode), if any.
	Fallback []Message
	// Stalled: no error message, and the debug lines stop before the
	// session (ssh was waiting when it was killed or the log was cut);
	// Wire is then WireSilence at the last stage reached.
	Stalled bool
	// Bare: no whole message, but an error text ssh prints inside its
	// messages (Wire and Causes follow from it; Stage is unknown).
	Bare Bare
	// Lines is how many lines were read; Episodes how many connection
	// attempts (debug1 "Connecting to" lines) the log holds.
	Lines, Episodes int
}

// MainMessage returns the main message, if any.
func (r *Result) MainMessage() (Message, bool) {
	if r.Main < 0 || r.Main >= len(r.Messages) {
		return Message{}, false
	}
	return r.Messages[r.Main], true
}
