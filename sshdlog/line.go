package sshdlog

import (
	"net/netip"
	"time"
)

// Kind is what an sshd or fail2ban line says. The names are part of the JSON
// contract and never change.
type Kind uint8

const (
	KindOther              Kind = iota // an sshd line rstsniff does not classify
	KindConnectionFrom                 // "Connection from A port P on B port Q" (LogLevel VERBOSE)
	KindClosed                         // "Connection closed by [user U] A port P [preauth]"
	KindResetBy                        // "Connection reset by A port P": sshd read ECONNRESET
	KindReadErrorReset                 // "Read error from remote host A port P: Connection reset by peer"
	KindReadError                      // "Read error from remote host A port P: <other error>"
	KindKexIdentReset                  // "kex_exchange_identification: read: Connection reset by peer" (no address)
	KindKexIdentClosed                 // "kex_exchange_identification: Connection closed by remote host" (no address)
	KindKexIdentOther                  // other kex_exchange_identification errors (no address)
	KindBannerError                    // "banner exchange: Connection from A port P: <reason>"
	KindMaxStartupsDrop                // "drop connection #N from [A]:P on [B]:Q past MaxStartups"
	KindPenaltyDrop                    // "drop connection #N from [A]:P on [B]:Q penalty: <reason>"
	KindLoginGraceTimeout              // "Timeout before authentication for A port P" (or "for connection from A to B, pid = N")
	KindAccepted                       // "Accepted <method> for U from A port P ssh2"
	KindFailed                         // "Failed <method> for [invalid user ]U from A port P ssh2"
	KindInvalidUser                    // "Invalid user U from A port P"
	KindMaxAuthTries                   // "maximum authentication attempts exceeded for U from A port P ssh2"
	KindReceivedDisconnect             // "Received disconnect from A port P:N: <text>"
	KindDisconnected                   // "Disconnected from [user U] A port P"
	KindDisconnecting                  // "Disconnecting [user U] A port P: <reason>" (sshd ended it)
	KindNegotiationFailed              // "Unable to negotiate with A port P: <reason>"
	KindTimedOut                       // "Connection from A port P timed out"
	KindSessionKilled                  // "session process N for connection from A to B killed by signal S" (sshd 9.8+)
	KindTerminating                    // "Received signal 15; terminating." (the listener stops)
	KindListener                       // the listener about itself: "Server listening on", MaxStartups throttling, SIGHUP, penalties
	KindBan                            // fail2ban "Ban A" (or "Restore Ban A")
	KindUnban                          // fail2ban "Unban A"
	kindCount
)

var kindNames = [kindCount]string{"other", "connection_from", "closed", "reset_by", "read_error_reset", "read_error",
	"kex_ident_reset", "kex_ident_closed", "kex_ident_other", "banner_error", "maxstartups_drop", "penalty_drop",
	"login_grace_timeout", "accepted", "failed", "invalid_user", "max_auth_tries", "received_disconnect",
	"disconnected", "disconnecting", "negotiation_failed", "timed_out", "session_killed", "terminating", "listener", "ban", "unban"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "other"
}

// Closing reports whether sshd writes the line as the connection ends: a
// connection whose lines hold none of these never said goodbye.
func (k Kind) Closing() bool {
	switch k {
	case KindClosed, KindResetBy, KindReadErrorReset, KindReadError, KindKexIdentReset, KindKexIdentClosed,
		KindKexIdentOther, KindBannerError, KindMaxStartupsDrop, KindPenaltyDrop, KindLoginGraceTimeout,
		KindMaxAuthTries, KindDisconnected, KindDisconnecting, KindNegotiationFailed, KindTimedOut, KindSessionKilled:
		return true
	}
	return false
}

// ResetFromClient reports whether the line says sshd's socket read a reset
// (ECONNRESET) from the client's side.
func (k Kind) ResetFromClient() bool {
	return k == KindResetBy || k == KindReadErrorReset || k == KindKexIdentReset
}

// Format is the kind of file a line came from.
type Format uint8

const (
	FormatUnknown     Format = iota
	FormatSyslog             // "Nov 27 04:35:01 host sshd[123]: ..." (no year, no zone)
	FormatRFC3339            // "2026-11-27T04:35:01.123456+00:00 host sshd[123]: ..." (rsyslog, journalctl -o short-iso)
	FormatJournalJSON        // journalctl -o json
	FormatBare               // sshd -E: the message alone, no time, no pid
	FormatFail2ban           // fail2ban.log: "2026-11-27 04:35:01,123 fail2ban.actions [1]: NOTICE [sshd] Ban A"
)

var formatNames = [...]string{"unknown", "syslog", "rfc3339", "journal-json", "sshd-E", "fail2ban"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "unknown"
}

// Line is one log line about sshd's connections. The zero value is an
// empty, unclassified line. Every string came from the log: untrusted.
type Line struct {
	Source string // the file it was read from
	Number int    // 1-based line number in Source
	Format Format
	// Time is when the log says the line was written, as read (the zone
	// from the log, or the caller's when the log has none); zero for sshd -E
	// files, which carry no time.
	Time time.Time
	// TimeHasZone is false when the log gave no zone and Time was read in
	// the caller's zone (ReadOptions.Zone): Join may then find the log's
	// zone from the connections.
	TimeHasZone bool
	Host        string // the host name the line names (syslog, journald); empty when none
	Program     string // sshd, sshd-session, sshd-auth, fail2ban...
	PID         int    // the process that wrote it; 0 when unknown
	Kind        Kind
	// Client is the client's address and port the line names; Port() is 0
	// when it names the address alone, and the address is invalid when it
	// names neither.
	Client netip.AddrPort
	// Local is the server's address and port, when the line names them
	// ("Connection from", MaxStartups and penalty drops).
	Local netip.AddrPort
	// ChildPID is the pre-authentication process a listener's line is
	// about ("..., pid = N" in sshd 9.8 and later); 0 when none.
	ChildPID int
	User     string // the user the line names, when it does
	Preauth  bool   // the line ends in "[preauth]"
	// Detail is the part of the message after the address (a reason, a
	// method, a disconnect text): clipped, untrusted.
	Detail string
	// Message is the whole message after the program's tag, clipped to
	// MaxMessage bytes: untrusted.
	Message string
}

// MaxMessage bounds the text kept per line.
const MaxMessage = 512

// HasPort reports whether the line names the client's port: such a line
// joins its connection exactly.
func (l *Line) HasPort() bool { return l.Client.IsValid() && l.Client.Port() != 0 }
