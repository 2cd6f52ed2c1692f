// Package sshdlog reads what sshd (and fail2ban) wrote about connections and
// joins each line to the connection it is about: the server's own account,
// beside the packets.
//
// Data contract: Read turns a log (syslog files in traditional or RFC 3339
// form, sshd -E files, journalctl -o json and -o short-iso, fail2ban's log;
// gzip allowed) into []Line, plain values that own their strings. Text in a
// Line came from a log, which anyone who can reach sshd can put words in:
// it is untrusted and every output must escape it. Join takes a minimal
// view of each connection (Conn) and returns a Result kept beside the
// connections, keyed by Conn.ID: the lines, typed findings that name the
// lines they rest on, the clock skew it estimated, and the lines that
// joined nothing. Nothing here formats a sentence; package report does.
//
// ReadFiles reads several logs (- for standard input) and ParseZone the
// zone of lines that carry none (--log-tz); Missing names the first log
// that is not there, before anything is read.
//
// During a live capture, Follower reads a file as tail -F does (across
// rotation and truncation), FollowCommand a command's output (journalctl
// -f -o json; JournalSource names it) and FollowReader standard input;
// ParseLine reads one line as Read does. StartLive follows them all, on
// goroutines of their own, into a Live window (LiveWindow of lines and of
// connections handed over), and Live.Join joins one connection handed
// over to what bears on it. Time comes from the
// lines, never the clock, except that ReadOptions.Near (the capture's
// start; now when unset) picks the year of a traditional syslog stamp.
//
// The package imports only the standard library, so analysis and report
// packages may both use its types.
package sshdlog
