package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rstsniff/rstsniff/catalog"
	"github.com/rstsniff/rstsniff/sshdlog"
)

// The server's log as a witness: its words (sshdlog.go), its view
// (sshdlog_view.go), the terminal's account (sshdlog_text.go), its JSON
// lines (sshdlog_json.go) and its section of a Markdown or HTML page
// (sshdlog_section.go).

// ServerLog is what --sshd-log and --fail2ban-log read, joined to the
// connections: the server's word, rendered beside each connection.
type ServerLog struct {
	Files  []ServerLogFile
	Result *sshdlog.Result
	// Capture names the capture the log was joined to when there are
	// several (--correlate); empty otherwise.
	Capture string
}

// ServerLogFile is one log read.
type ServerLogFile struct {
	Name  string
	Stats sshdlog.Stats
}

// serverSource names the log a finding comes from.
func serverSource(id string) string {
	e, ok := serverEntry(id)
	if !ok {
		return catalog.SourceSSHDLog.String()
	}
	return e.Source.String()
}

// appendNew appends the strings s does not hold yet.
func appendNew(s []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(s, a) {
			s = append(s, a)
		}
	}
	return s
}

// serverEntry is a finding from the server's log in the one catalog
// (package catalog): its meaning, usual blame, causes and next steps.
func serverEntry(id string) (catalog.Entry, bool) { return catalog.Lookup(id) }

// What an account with findings but no line says (sshd-silent-early-reset):
// after the connection's title on the terminal, as a sentence on a page.
const (
	noLogLine         = "the server's log has no line about it"
	noLogLineSentence = "The server's log has no line about it."
)

// serverFindingWords returns the sentence for a finding, with the facts it
// carries.
func serverFindingWords(fd sshdlog.Finding) string {
	adv, ok := serverEntry(fd.ID)
	if !ok {
		return fd.ID
	}
	s := adv.Meaning
	if fd.ID == sshdlog.FindResetBoth && fd.Beside {
		return "a reset in the server's name reached the client while sshd logged a reset from the client: sshd's socket sent neither; the resets came from the server's own distance, so a firewall on the server itself (a REJECT --reject-with tcp-reset rule, a fail2ban or firewalld ban) most likely sent them"
	}
	if fd.ID == sshdlog.FindAuthFailed && fd.Failures == 0 {
		return "the connection ended during authentication, unauthenticated (sshd logs a refused public key only at LogLevel VERBOSE)"
	}
	if fd.ID == sshdlog.FindCrashed {
		s += fmt.Sprintf(" (after %s", fd.Lasted.Round(time.Millisecond))
		if fd.Unauthenticated {
			s += ", before any authentication line"
		}
		s += ")"
	}
	return s
}

// serverBlame is the finding's blame: the table's, but the server's for
// resets at both ends that a firewall on the server sent.
func serverBlame(fd sshdlog.Finding) string {
	if fd.ID == sshdlog.FindResetBoth && fd.Beside {
		return "server"
	}
	adv, _ := serverEntry(fd.ID)
	return adv.Blame.String()
}

// logClock is when the line happened on the capture's clock (the log's
// skew and zone taken off), or zero for a line with no time.
func logClock(l *sshdlog.Line, res *sshdlog.Result) time.Time { return res.CaptureTime(l) }

var whyWords = map[sshdlog.Why]string{
	sshdlog.WhyNoConnection: "name a client no connection in the capture has",
	sshdlog.WhyAmbiguous:    "could be any of several connections (never guessed)",
	sshdlog.WhyNoClue:       "name no client and no process rstsniff could place",
	sshdlog.WhyOutside:      "fall outside the capture's time",
}

// serverLogSummary is what the logs held, in sentences.
func serverLogSummary(sl *ServerLog) []string {
	res := sl.Result
	var out []string
	for _, f := range sl.Files {
		out = append(out, fmt.Sprintf("Server log %s (%s): %d lines, %d from sshd or fail2ban, %d skipped, %d unreadable.",
			Safe(f.Name), f.Stats.Format, f.Stats.Lines, f.Stats.SSHD, f.Stats.Skipped, f.Stats.Bad))
	}
	joined := 0
	var how []string
	for _, by := range []sshdlog.JoinBy{sshdlog.ByPort, sshdlog.ByPID, sshdlog.ByAddrTime, sshdlog.ByOrder, sshdlog.ByBan} {
		if n := res.JoinedBy[by]; n > 0 {
			joined += n
			how = append(how, fmt.Sprintf("%d by %s", n, strings.ReplaceAll(by.String(), "_", " and ")))
		}
	}
	n := res.Spoken()
	s := fmt.Sprintf("Joined %d of %d lines to %d connection%s", joined, res.Lines, n, plural(n))
	if len(how) > 0 {
		s += " (" + strings.Join(how, ", ") + ")"
	}
	out = append(out, s+".")
	switch {
	case res.SkewLines > 0:
		s := fmt.Sprintf("The log's clock is %s %s the capture's (median of %d lines joined by port); lines without a port join within %s of a connection.",
			absDur(res.Skew).Round(time.Millisecond), aheadBehind(res.Skew), res.SkewLines, res.Tolerance)
		if res.ZoneFound {
			s += fmt.Sprintf(" The log's times carry no zone: they read as UTC%s.", zoneName(res.ZoneOffset))
		}
		out = append(out, s)
	case res.Lines > 0:
		out = append(out, "The log's clock could not be compared with the capture's (no line with a time joined by port).")
	}
	if res.JoinsNothing {
		s := fmt.Sprintf("None of the log's %d lines naming a client's address and port matches a connection in the capture: the log is from another host, or another time.", res.PortLines)
		if res.ForeignServers {
			s += " It names the server address " + joinAddrs(res) + ", which no connection in the capture has."
		}
		if len(res.Hosts) > 0 {
			s += " Its lines name the host " + Safe(strings.Join(res.Hosts, ", ")) + "."
		}
		out = append(out, s)
	}
	if n := len(res.Unjoined); n > 0 {
		count := map[sshdlog.Why]int{}
		for _, u := range res.Unjoined {
			count[u.Why]++
		}
		var parts []string
		for _, w := range []sshdlog.Why{sshdlog.WhyNoConnection, sshdlog.WhyAmbiguous, sshdlog.WhyNoClue, sshdlog.WhyOutside} {
			if count[w] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", count[w], whyWords[w]))
			}
		}
		out = append(out, fmt.Sprintf("%d lines joined no connection: %s (--all lists them).", n, strings.Join(parts, "; ")))
	}
	return out
}

func joinAddrs(res *sshdlog.Result) string {
	var s []string
	for _, a := range res.LogServers {
		s = append(s, a.String())
	}
	return strings.Join(s, ", ")
}

func aheadBehind(d time.Duration) string {
	if d < 0 {
		return "behind"
	}
	return "ahead of"
}

func zoneName(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
