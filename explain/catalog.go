package explain

// Src is one piece of evidence in openssh-portable's source that a
// message is printed: a literal fragment (any of Any) found in one of the
// files named in File (space-separated). TestCatalogAgainstOpenSSH checks
// every fragment at every release tag from V_7_0_P1 to Newest and that
// First and Last are the first and last tags where all of a pattern's
// fragments are present.
type Src struct {
	File string
	Any  []string
}

// Newest is the newest openssh-portable release the catalog was checked
// against; a pattern whose Last is Newest is still printed today.
const Newest = "V_10_5_P1"

// Pattern is one wording of one client message.
type Pattern struct {
	Kind Kind
	// Re matches the message anywhere in a line (CI logs prefix lines with
	// time stamps and job names). Named groups: host, port, reason.
	Re *Regexp
	// Wire is what the message means; WireUnknown: decided by the reason
	// (errno or SSH error text), see reasonWire.
	Wire Wire
	// Stage is the stage the message alone shows.
	Stage Stage
	// Verbose: from First on, printed only with -v (the default log level
	// does not show it).
	Verbose bool
	// Src is where openssh-portable prints it; First and Last are the
	// release tags between which all of Src is present.
	Src         []Src
	First, Last string
}

// Host and reason fragments of the patterns. A host is printed with %s or
// %.200s/%.300s: any run of non-space characters.
const (
	host   = `(?P<host>[^\s]+)`
	port   = `(?P<port>\d+)`
	reason = `(?P<reason>.*?)`
)

// Catalog is every client message rstsniff explains, the most specific
// first: a line is matched by the first pattern that fits.
var Catalog = []Pattern{
	// sshconnect.c ssh_exchange_identification():
	// fatal("ssh_exchange_identification: " "read: %.100s", strerror(errno)).
	{Kind: KindIdentReset, Re: re(`ssh_exchange_identification: read: Connection reset by peer`), Wire: WireReset, Stage: StageIdentSent,
		Src:   []Src{{"sshconnect.c", []string{`fatal("ssh_exchange_identification: "`}}, {"sshconnect.c", []string{`"read: %.100s", strerror(errno));`}}},
		First: "V_7_0_P1", Last: "V_7_9_P1"},
	// kex.c kex_exchange_identification(): error("%s: read: %.100s",
	// __func__, ...) (8.0), error_f("read: %.100s", ...) (8.5 on).
	{Kind: KindIdentReset, Re: re(`kex_exchange_identification: read: Connection reset by peer`), Wire: WireReset, Stage: StageIdentSent,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`error("%s: read: %.100s",`, `error_f("read: %.100s"`}}},
		First: "V_8_0_P1", Last: Newest},
	{Kind: KindIdentRead, Re: re(`ssh_exchange_identification: read: ` + reason + `\s*$`), Stage: StageIdentSent,
		Src:   []Src{{"sshconnect.c", []string{`fatal("ssh_exchange_identification: "`}}, {"sshconnect.c", []string{`"read: %.100s", strerror(errno));`}}},
		First: "V_7_0_P1", Last: "V_7_9_P1"},
	{Kind: KindIdentRead, Re: re(`kex_exchange_identification: read: ` + reason + `\s*$`), Stage: StageIdentSent,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`error("%s: read: %.100s",`, `error_f("read: %.100s"`}}},
		First: "V_8_0_P1", Last: Newest},
	// sshconnect.c ssh_exchange_identification(): on EPIPE (the read saw
	// end of file), fatal("ssh_exchange_identification: " "Connection
	// closed by remote host").
	{Kind: KindIdentClosed, Re: re(`ssh_exchange_identification: Connection closed by remote host`), Wire: WireFIN, Stage: StageIdentSent,
		Src:   []Src{{"sshconnect.c", []string{`fatal("ssh_exchange_identification: "`}}, {"sshconnect.c", []string{`"Connection closed by remote host");`}}},
		First: "V_7_0_P1", Last: "V_7_9_P1"},
	// kex.c kex_exchange_identification(): error(), then from 9.5 on
	// verbose_f("Connection closed by remote host"): only with -v.
	{Kind: KindIdentClosed, Re: re(`kex_exchange_identification: Connection closed by remote host`), Wire: WireFIN, Stage: StageIdentSent,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`error("%s: Connection closed by remote host",`, `error_f("Connection closed by remote host");`}}},
		First: "V_8_0_P1", Last: "V_9_4_P1"},
	{Kind: KindIdentClosed, Re: re(`kex_exchange_identification: Connection closed by remote host`), Wire: WireFIN, Stage: StageIdentSent, Verbose: true,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`verbose_f("Connection closed by remote host");`}}},
		First: "V_9_5_P1", Last: Newest},
	// kex.c kex_exchange_identification(): a NUL, or text after a CR, in a
	// line before the identification string.
	{Kind: KindIdentInvalid, Re: re(`kex_exchange_identification: banner line contains invalid characters`), Wire: WireBadData, Stage: StageIdentSent,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`"%s: banner line contains invalid "`, `error_f("banner line contains invalid "`}}},
		First: "V_8_0_P1", Last: "V_9_4_P1"},
	{Kind: KindIdentInvalid, Re: re(`kex_exchange_identification: banner line contains invalid characters`), Wire: WireBadData, Stage: StageIdentSent, Verbose: true,
		Src: []Src{{"kex.c", []string{"kex_exchange_identification(struct ssh *ssh"}},
			{"kex.c", []string{`verbose_f("banner line contains invalid "`}}},
		First: "V_9_5_P1", Last: Newest},
	// sshconnect.c ssh_exchange_identification() (7.x), kex.c
	// kex_exchange_identification() (8.0 on): ConnectTimeout ran out
	// waiting for the server's identification string.
	{Kind: KindIdentTimeout, Re: re(`Connection timed out during banner exchange`), Wire: WireSilence, Stage: StageIdentSent,
		Src:   []Src{{"sshconnect.c kex.c", []string{`"Connection timed out during "`}}, {"sshconnect.c kex.c", []string{`"banner exchange"`}}},
		First: "V_7_0_P1", Last: Newest},
	// sshconnect.c ssh_connect_direct(): error("ssh: connect to host %s
	// port %s: %s", host, strport, strerror(errno)).
	{Kind: KindConnect, Re: re(`connect to host ` + host + ` port ` + port + `: ` + reason + `\s*$`), Stage: StageConnecting,
		Src:   []Src{{"sshconnect.c", []string{`"ssh: connect to host %s port %s: %s"`}}},
		First: "V_7_0_P1", Last: Newest},
	// clientloop.c client_loop(): fatal("%s: send disconnect: %s",
	// __func__, ...) (8.0), fatal_fr(r, "send disconnect") (8.5 on).
	{Kind: KindSendDisconnect, Re: re(`client_loop: send disconnect: ` + reason + `\s*$`), Stage: StageSession,
		Src:   []Src{{"clientloop.c", []string{`fatal("%s: send disconnect: %s", __func__`, `fatal_fr(r, "send disconnect");`}}},
		First: "V_8_0_P1", Last: Newest},
	// clientloop.c client_loop(): sshpkt_fatal(ssh, r, "%s:
	// ssh_packet_write_poll", __func__): a write in the session failed.
	{Kind: KindWritePoll, Re: re(`client_loop: ssh_packet_write_poll: Connection to ` + host + ` port ` + port + `: ` + reason + `\s*$`), Stage: StageSession,
		Src:   []Src{{"clientloop.c", []string{`"%s: ssh_packet_write_poll", __func__);`}}},
		First: "V_8_2_P1", Last: Newest},
	// sshconnect.c ssh_login(): sshpkt_fatal(ssh, r, "banner exchange")
	// when kex_exchange_identification() fails, for errors other than a reset, a FIN or a timeout
	// (those have their own words): "invalid format" for a line that is
	// not SSH.
	{Kind: KindBannerExchange, Re: re(`banner exchange: Connection to ` + host + ` port ` + port + `: ` + reason + `\s*$`), Stage: StageIdentSent,
		Src:   []Src{{"sshconnect.c", []string{`sshpkt_fatal(ssh, r, "banner exchange");`}}},
		First: "V_8_3_P1", Last: Newest},
	// opacket.c packet_write_wait(): sshpkt_fatal(active_state, __func__,
	// r), worded by packet.c sshpkt_fatal()'s default case.
	{Kind: KindPacketWriteWait, Re: re(`packet_write_wait: Connection to ` + host + `(?: port ` + port + `)?: ` + reason + `\s*$`), Stage: StageSession,
		Src: []Src{{"opacket.c", []string{"packet_write_wait(void)"}}, {"opacket.c", []string{"sshpkt_fatal(active_state, __func__, r);"}},
			{"packet.c", []string{`"%s%sConnection to %.200s: %s"`, `"%s%sConnection %s %.200s port %d: %s"`, `"%s%sConnection %s %s: %s"`}}},
		First: "V_7_0_P1", Last: "V_7_9_P1"},
	// dispatch.c ssh_dispatch_run_fatal(): sshpkt_fatal() with __func__ as
	// the tag; the reason is ssh_err(): an errno or an SSH error.
	{Kind: KindDispatchFatal, Re: re(`ssh_dispatch_run_fatal: Connection to ` + host + `(?: port ` + port + `)?: ` + reason + `\s*$`), Stage: StagePastIdent,
		Src: []Src{{"dispatch.c", []string{"ssh_dispatch_run_fatal(struct ssh *ssh"}},
			{"dispatch.c", []string{"sshpkt_fatal(ssh, __func__, r);", `sshpkt_fatal(ssh, r, "%s", __func__);`}},
			{"packet.c", []string{`"%s%sConnection to %.200s: %s"`, `"%s%sConnection %s %.200s port %d: %s"`, `"%s%sConnection %s %s: %s"`, `"%s%sConnection %s %s",`}}},
		First: "V_7_0_P1", Last: Newest},
	// clientloop.c client_process_buffered_input() and later
	// client_process_net_input(): "Read from remote host %s: %s" (queued
	// for exit; lost when writing the disconnect fails first).
	{Kind: KindReadFromRemote, Re: re(`Read from remote host ` + host + `: ` + reason + `\s*$`), Stage: StageSession,
		Src:   []Src{{"clientloop.c", []string{`"Read from remote host %.300s: %.100s\r\n"`, `"Read from remote host %s: %s"`}}},
		First: "V_7_0_P1", Last: Newest},
	// clientloop.c: the server's end of the session closed while the
	// client still had something to send.
	{Kind: KindClosedByRemote, Re: re(`Connection to ` + host + ` closed by remote host\.`), Wire: WireFIN, Stage: StageSession,
		Src:   []Src{{"clientloop.c", []string{`"Connection to %.300s closed by remote host.\r\n"`, `"Connection to %s closed by remote host."`}}},
		First: "V_7_0_P1", Last: Newest},
	// clientloop.c server_alive_check(): ServerAliveCountMax keepalives
	// went unanswered.
	{Kind: KindServerTimeout, Re: re(`Timeout, server ` + host + ` not responding\.`), Wire: WireSilence, Stage: StageSession,
		Src:   []Src{{"clientloop.c", []string{`"Timeout, server %s not responding."`}}},
		First: "V_7_0_P1", Last: Newest},
	// packet.c sshpkt_fatal(): SSH_ERR_CONN_TIMEOUT.
	{Kind: KindConnTimedOut, Re: re(`Connection to ` + host + `(?: port ` + port + `)? timed out`), Wire: WireSilence, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`"Connection to %.200s timed out"`, `"Connection %s %.200s port %d timed out",`, `logdie("Connection %s %s timed out",`}}},
		First: "V_7_0_P1", Last: Newest},
	// sshconnect2.c ssh_userauth2()/input_userauth_failure(): no method
	// left; "%s@%s: " was added in 7.? (checked: see First).
	{Kind: KindAuthDenied, Re: re(`(?:[^\s@]+@` + host + `: )?Permission denied \((?P<reason>[^)]*)\)\.`), Wire: WireAuthDenied, Stage: StageAuth,
		Src:   []Src{{"sshconnect2.c", []string{`"Permission denied (%s).", authlist);`, `"%s@%s: Permission denied (%s).",`}}},
		First: "V_7_0_P1", Last: Newest},
	// packet.c ssh_packet_read_poll2(): the server sent SSH_MSG_DISCONNECT.
	{Kind: KindDisconnectRecv, Re: re(`Received disconnect from ` + host + `(?: port ` + port + `)?:\s*` + reason + `\s*$`), Wire: WireDisconnect, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`"Received disconnect from %s: %u: %.400s",`, `"Received disconnect from %s port %d:"`}}},
		First: "V_7_0_P1", Last: Newest},
	// mux.c mux_client_*(): fatal("%s: read from master failed: %s",
	// __func__, ...) (7.x-8.x), fatal_f/error_f (8.5 on).
	{Kind: KindMuxRead, Re: re(`(?P<func>mux_client_\w+): read from master failed: ` + reason + `\s*$`), Wire: WireLocal, Stage: StageNone,
		Src:   []Src{{"mux.c", []string{`"%s: read from master failed: %s",`, `("read from master failed: %s", strerror(errno));`}}},
		First: "V_7_0_P1", Last: Newest},
	// monitor_fdpass.c mm_send_fd(): error("%s: sendmsg(%d): %s",
	// __func__, fd, ...), error_f (8.5 on): passing stdin/out/err to the
	// master failed.
	{Kind: KindMuxSendFd, Re: re(`mm_send_fd: sendmsg\(\d+\): ` + reason + `\s*$`), Wire: WireLocal, Stage: StageNone,
		Src: []Src{{"monitor_fdpass.c", []string{"mm_send_fd(int sock, int fd)"}},
			{"monitor_fdpass.c", []string{`error("%s: sendmsg(%d): %s", __func__, fd,`, `error_f("sendmsg(%d): %s", fd, strerror(errno));`}}},
		First: "V_7_0_P1", Last: Newest},
	{Kind: KindMuxSendFds, Re: re(`(?P<func>mux_client_\w+): send fds failed`), Wire: WireLocal, Stage: StageNone,
		Src:   []Src{{"mux.c", []string{`fatal("%s: send fds failed", __func__);`, `fatal_f("send fds failed");`}}},
		First: "V_7_0_P1", Last: Newest},
	// mux.c muxclient(): the ControlPath socket could not be connected to.
	{Kind: KindMuxConnect, Re: re(`Control socket connect\((?P<path>.*)\): ` + reason + `\s*$`), Wire: WireLocal, Stage: StageNone,
		Src:   []Src{{"mux.c", []string{`"Control socket connect(%.100s): %s"`}}},
		First: "V_7_0_P1", Last: Newest},
	{Kind: KindMuxSocketExists, Re: re(`ControlSocket (?P<path>.*) already exists, disabling multiplexing`), Wire: WireLocal, Stage: StageNone,
		Src:   []Src{{"mux.c", []string{`"ControlSocket %s already exists, `}}},
		First: "V_7_0_P1", Last: Newest},
	{Kind: KindMuxHello, Re: re(`muxclient: master hello exchange failed`), Wire: WireLocal, Stage: StageNone,
		Src: []Src{{"mux.c", []string{"muxclient(const char *path)"}},
			{"mux.c", []string{`error("%s: master hello exchange failed", __func__);`, `error_f("master hello exchange failed");`}}},
		First: "V_7_0_P1", Last: Newest},
	// The generic forms last: the specific messages above contain them.
	// packet.c sshpkt_fatal()/sshpkt_vfatal(), SSH_ERR_SYSTEM_ERROR with
	// ECONNRESET. The remote id gained " port %d" in 7.2 (from 7.5 through
	// fmt_connection_id(): "%.200s%s%s port %d").
	{Kind: KindResetBy, Re: re(`Connection reset by ` + host + ` port ` + port), Wire: WireReset, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`"Connection reset by %.200s port %d"`, `logdie("Connection reset by %s", remote_id);`}}},
		First: "V_7_2_P1", Last: Newest},
	{Kind: KindResetBy, Re: re(`Connection reset by ` + host + `\s*$`), Wire: WireReset, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`logit("Connection reset by %.200s",`}}},
		First: "V_7_0_P1", Last: "V_7_1_P1"},
	// packet.c sshpkt_fatal(): SSH_ERR_CONN_CLOSED, the server's FIN.
	{Kind: KindClosedBy, Re: re(`Connection closed by ` + host + ` port ` + port), Wire: WireFIN, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`"Connection closed by %.200s port %d"`, `logdie("Connection closed by %s", remote_id);`}}},
		First: "V_7_2_P1", Last: Newest},
	{Kind: KindClosedBy, Re: re(`Connection closed by ` + host + `\s*$`), Wire: WireFIN, Stage: StagePastIdent,
		Src:   []Src{{"packet.c", []string{`logit("Connection closed by %.200s", ssh_remote_ipaddr(ssh));`}}},
		First: "V_7_0_P1", Last: "V_7_1_P1"},
	// scp.c: the ssh it runs went away (read failed or end of file).
	{Kind: KindScpLost, Re: re(`^(?:.*[\s:])?lost connection\s*$`), Stage: StageNone,
		Src:   []Src{{"scp.c", []string{`SCREWUP("lost connection");`}}, {"scp.c", []string{`"lost connection\n"`}}},
		First: "V_7_0_P1", Last: Newest},
	// sftp-client.c: fatal("Connection closed") when the ssh under sftp,
	// or under scp speaking SFTP (the default from 9.0), went away; log.c
	// prefixes the program's name.
	{Kind: KindSftpClosed, Re: re(`(?:^|\s)(?:scp|sftp): Connection closed\s*$`), Stage: StageNone,
		Src:   []Src{{"sftp-client.c", []string{`fatal("Connection closed");`}}},
		First: "V_7_0_P1", Last: Newest},
}

// StageLine is a debug line that shows the client reached a stage.
type StageLine struct {
	Stage       Stage
	Re          *Regexp
	Src         []Src
	First, Last string
}

// StageLines are the debug1 lines (ssh -v and more) that mark stages.
var StageLines = []StageLine{
	// sshconnect.c ssh_connect_direct(): also gives host and address.
	{StageConnecting, re(`debug1: Connecting to ` + host + ` \[(?P<addr>[^\]]*)\] port ` + port + `\.`),
		[]Src{{"sshconnect.c", []string{`"Connecting to %.200s [%.100s] port %s."`}}}, "V_7_0_P1", Newest},
	{StageConnected, re(`debug1: Connection established\.`),
		[]Src{{"sshconnect.c", []string{`debug("Connection established.");`}}}, "V_7_0_P1", Newest},
	{StageIdentSent, re(`debug1: Local version string SSH-`),
		[]Src{{"sshconnect.c kex.c", []string{`"Local version string %.100s"`}}}, "V_7_0_P1", Newest},
	{StageIdentReceived, re(`debug1: Remote protocol version \d+\.\d+, remote software version`),
		[]Src{{"sshconnect.c kex.c", []string{`"Remote protocol version %d.%d, remote software version %.100s"`}}}, "V_7_0_P1", Newest},
	{StageKexInitSent, re(`debug1: SSH2_MSG_KEXINIT sent`),
		[]Src{{"kex.c", []string{`debug("SSH2_MSG_KEXINIT sent");`}}}, "V_7_0_P1", Newest},
	{StageKexInitRecv, re(`debug1: SSH2_MSG_KEXINIT received`),
		[]Src{{"kex.c", []string{`debug("SSH2_MSG_KEXINIT received");`}}}, "V_7_0_P1", Newest},
	// kexc25519c.c/kexecdhc.c (7.x), kexgen.c (8.1 on).
	{StageKexReply, re(`debug1: expecting SSH2_MSG_KEX(?:_ECDH|DH|_DH_GEX)_(?:REPLY|GROUP)`),
		[]Src{{"kexc25519c.c kexecdhc.c kexgen.c", []string{`debug("expecting SSH2_MSG_KEX_ECDH_REPLY");`}}}, "V_7_0_P1", Newest},
	{StageNewKeys, re(`debug1: SSH2_MSG_NEWKEYS received`),
		[]Src{{"kex.c", []string{`debug("SSH2_MSG_NEWKEYS received");`}}}, "V_7_0_P1", Newest},
	{StageServiceAccept, re(`debug1: SSH2_MSG_SERVICE_ACCEPT received`),
		[]Src{{"sshconnect2.c", []string{`debug("SSH2_MSG_SERVICE_ACCEPT received");`}}}, "V_7_0_P1", Newest},
	{StageAuth, re(`debug1: Authentications that can continue: `),
		[]Src{{"sshconnect2.c", []string{`"Authentications that can continue: %s"`}}}, "V_7_0_P1", Newest},
	// sshconnect2.c: debug "Authentication succeeded (%s)." (7.x-8.x),
	// ssh.c then sshconnect2.c: verbose "Authenticated to %s ...".
	{StageAuthenticated, re(`debug1: Authentication succeeded \(|Authenticated to ` + host + ` \(`),
		[]Src{{"sshconnect2.c ssh.c", []string{`"Authentication succeeded (%s).", authctxt.method->name);`, `"Authenticated to %s ([%s]:%d)`}}}, "V_7_0_P1", Newest},
	// channels.c: "channel %d: new [%s]", later "channel %d: new %s [%s]
	// ...", with ssh.c's "client-session"; clientloop.c.
	{StageSession, re(`debug1: channel \d+: new (?:\w+ )?\[client-session\]|debug1: Entering interactive session\.|debug1: Sending command: `),
		[]Src{{"ssh.c", []string{`"client-session"`}}, {"clientloop.c", []string{`debug("Entering interactive session.");`}}}, "V_7_0_P1", Newest},
}

// muxLines mark a client that used an existing master: mux.c muxclient()
// (ControlMaster auto, -v) and mux_client_hello_exchange() (-vv).
var muxLines = []StageLine{
	{StageNone, re(`debug1: auto-mux: Trying existing master`),
		[]Src{{"mux.c", []string{`debug("auto-mux: Trying existing master");`, `debug("auto-mux: Trying existing master at '%s'", path);`}}}, "V_7_0_P1", Newest},
	{StageNone, re(`debug2: mux_client_hello_exchange: master version \d+`),
		[]Src{{"mux.c", []string{`debug2("%s: master version %u", __func__, ver);`, `debug2_f("master version %u", ver);`}}, {"mux.c", []string{"mux_client_hello_exchange(int fd"}}}, "V_7_0_P1", Newest},
}

// knownHostLine names the host (and a port other than 22, as
// "[host]:port") when ssh adds its key: sshconnect.c check_host_key().
var knownHostLine = StageLine{StageNone, re(`Warning: Permanently added '(?:\[(?P<bhost>[^\]]+)\]:(?P<port>\d+)|(?P<host>[^']+))' \(`),
	[]Src{{"sshconnect.c", []string{`"Warning: Permanently added '%.200s' (%s) to the "`}}}, "V_7_0_P1", Newest}

// preBannerLines are the lines a server sent before its identification
// string, as ssh -v shows them (text untrusted).
var preBannerLines = []StageLine{
	// sshconnect.c ssh_exchange_identification() (7.x).
	{StageNone, re(`debug1: ssh_exchange_identification: (?P<text>.*)$`),
		[]Src{{"sshconnect.c", []string{`debug("ssh_exchange_identification: %s", buf);`}}}, "V_7_0_P1", "V_7_9_P1"},
	// kex.c kex_exchange_identification() (8.0 on).
	{StageNone, re(`debug1: kex_exchange_identification: banner line \d+: (?P<text>.*)$`),
		[]Src{{"kex.c", []string{`debug("%s: banner line %zu: %s", __func__, n, cp);`, `debug_f("banner line %zu: %s", n, cp);`}}}, "V_8_0_P1", Newest},
}

// SshdRefusal is a line sshd writes instead of its identification string
// when it refuses a connection (sshd.c, MaxStartups and, from 9.8,
// PerSourcePenalties).
type SshdRefusal struct {
	Text        string
	Src         []Src
	First, Last string
}

// SshdRefusals are the lines that prove sshd itself refused before its
// banner.
var SshdRefusals = []SshdRefusal{
	{"Exceeded MaxStartups", []Src{{"sshd.c", []string{`"Exceeded MaxStartups\r\n"`}}}, "V_8_2_P1", "V_9_7_P1"},
	{"Not allowed at this time", []Src{{"sshd.c", []string{`"Not allowed at this time\r\n"`}}}, "V_9_8_P1", Newest},
}
