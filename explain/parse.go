package explain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// MaxInput bounds what Read accepts: a CI log, not a disk image.
const MaxInput = 64 << 20

// MaxLine bounds one line; longer lines are cut (the messages are short).
const MaxLine = 4096

// Read explains a whole log read from r.
func Read(r io.Reader) (Result, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return Result{}, fmt.Errorf("explain: reading the log: %w", err)
	}
	if len(b) > MaxInput {
		return Result{}, fmt.Errorf("explain: the log is longer than %d MiB: give the part around the error", MaxInput>>20)
	}
	return Text(string(b)), nil
}

// ReadContext is Read that gives up when ctx ends: Ctrl-C at a terminal
// must stop a read that waits for a paste. (The read itself goes on, on a
// goroutine of its own, until r ends.)
func ReadContext(ctx context.Context, r io.Reader) (Result, error) {
	type res struct {
		r   Result
		err error
	}
	ch := make(chan res, 1)
	go func() {
		r, err := Read(r)
		ch <- res{r, err}
	}()
	select {
	case x := <-ch:
		return x.r, x.err
	case <-ctx.Done():
		return Result{}, errors.New("explain: interrupted while reading the log")
	}
}

// ErrNothing is returned by Check when a text holds no OpenSSH message or
// debug line rstsniff knows.
var ErrNothing = errors.New("no OpenSSH client message recognised")

// Check returns ErrNothing when the result recognised nothing at all.
func (r *Result) Check() error {
	if len(r.Messages) == 0 && r.Stage == StageNone && r.Bare == BareNone {
		return ErrNothing
	}
	return nil
}

// priority: which message of an episode says what happened. What the
// user's ssh printed about the mux beats the master's own message; a
// specific message beats the generic "Connection reset by" that follows
// it; scp's "lost connection" only repeats that ssh died.
func priority(k Kind) int {
	switch {
	case k.Mux():
		return 3
	case k == KindResetBy || k == KindClosedBy:
		return 1
	case k == KindScpLost || k == KindSftpClosed:
		return 0
	}
	return 2
}

type episode struct {
	first    int // index of its first message
	stage    Stage
	host     string
	addr     string
	port     int
	mux      bool
	hasDebug bool
	// preBanner: the server's first line before its identification string.
	preBanner string
}

// Text explains one message or a whole log. A log may hold several
// connection attempts (each begins with debug1 "Connecting to"): the
// result is about the one whose message says most (the last of equal
// weight), or the last one.
func Text(s string) Result {
	res := Result{Main: -1}
	var msgs []Message
	var eps []episode
	cur := func() *episode {
		if len(eps) == 0 {
			eps = append(eps, episode{})
		}
		return &eps[len(eps)-1]
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	res.Lines = len(lines)
	for n, line := range lines {
		if len(line) > MaxLine {
			line = line[:MaxLine]
		}
		line = strings.TrimRight(line, "\r \t")
		if line == "" {
			continue
		}
		if st, groups, ok := stageOf(line); ok {
			if st == StageConnecting {
				eps = append(eps, episode{first: len(msgs)})
				res.Episodes++
			}
			e := cur()
			e.hasDebug = true
			if st > e.stage {
				e.stage = st
			}
			if h := groups["host"]; h != "" && e.host == "" {
				e.host = h
			}
			if a := groups["addr"]; a != "" && e.addr == "" {
				e.addr = a
			}
			if p, err := strconv.Atoi(groups["port"]); err == nil && e.port == 0 {
				e.port = p
			}
			continue
		}
		if !mayMatch(line) {
			continue
		}
		if m := knownHostLine.Re.FindStringSubmatch(line); m != nil {
			g := groups(knownHostLine.Re.SubexpNames(), m)
			e := cur()
			if e.host == "" {
				e.host = g["host"] + g["bhost"]
				e.port, _ = strconv.Atoi(g["port"])
			}
			continue
		}
		if text, ok := preBanner(line); ok {
			if e := cur(); e.preBanner == "" {
				e.preBanner = text
			}
			continue
		}
		if isMux(line) {
			cur().mux = true
			continue
		}
		if m, ok := match(line); ok {
			m.Line = n + 1
			cur()
			msgs = append(msgs, m)
		}
	}
	if len(eps) == 0 {
		return bare(s, res)
	}
	// The episode of the message that says most (the last one of equal
	// weight): a ControlMaster client's failure beats the error of the
	// direct connection ssh falls back to; with no message, the last
	// episode.
	ei := len(eps) - 1
	best, bestEp := -1, -1
	for i := range eps {
		end := len(msgs)
		if i+1 < len(eps) {
			end = eps[i+1].first
		}
		for _, m := range msgs[eps[i].first:end] {
			if best < 0 || priority(m.Kind) >= best {
				best, bestEp = priority(m.Kind), i
			}
		}
	}
	if bestEp >= 0 {
		ei = bestEp
	}
	e := eps[ei]
	end := len(msgs)
	if ei+1 < len(eps) {
		end = eps[ei+1].first
	}
	res.Messages = msgs[e.first:end]
	best = -1
	for i, m := range res.Messages {
		if best < 0 || priority(m.Kind) >= priority(res.Messages[best].Kind) {
			best = i
		}
	}
	res.Main = best
	res.Mux = e.mux
	if e.hasDebug {
		res.Stage, res.StageFrom = e.stage, FromDebug
	}
	if best >= 0 {
		m := res.Messages[best]
		res.Wire = m.Wire
		if m.Kind.Mux() {
			res.Mux = true
			if ei+1 < len(eps) {
				res.Fallback = msgs[eps[ei+1].first:]
			}
			// The master's own message, when its stderr is in the log
			// too: one about an established connection (ssh's fallback
			// to a direct connection prints a connect or identification
			// error of its own, which is not the master's).
			for i := len(res.Messages) - 1; i >= 0; i-- {
				if o := res.Messages[i]; established(o.Kind) && o.Wire != WireUnknown {
					res.MasterWire = o.Wire
					break
				}
			}
		}
		if !e.hasDebug || m.Stage > res.Stage && m.Stage != StagePastIdent {
			// The message alone says where it happened, or says more
			// than the debug lines (an -v log cut short).
			if st := m.Stage; st != StageNone {
				res.Stage, res.StageFrom = st, FromMessage
			}
		}
		res.Host, res.Port = m.Host, m.Port
	}
	for _, m := range res.Messages {
		if res.Host == "" && m.Host != "" {
			res.Host, res.Port = m.Host, m.Port
		}
	}
	if res.Host == "" {
		res.Host = e.host
	}
	if res.Host == "" {
		// A ControlMaster client names no host: the direct connection
		// it falls back to does.
		for _, m := range msgs {
			if m.Host != "" {
				res.Host, res.Port = m.Host, m.Port
				break
			}
		}
		for _, x := range eps {
			if res.Host == "" && x.host != "" {
				res.Host, res.Port = x.host, x.port
			}
		}
	}
	res.Addr = e.addr
	if res.Port == 0 && (res.Host == e.host || e.host == "") {
		res.Port = e.port
	}
	if best < 0 && e.hasDebug && e.stage >= StageConnected && e.stage < StageSession {
		// No error, and the debug lines stop before the session: ssh
		// waited for an answer that never came (and was killed, or the
		// log was cut).
		res.Stalled = true
		res.Wire = WireSilence
	}
	res.PreBanner = e.preBanner
	for _, x := range SshdRefusals {
		res.SshdRefused = res.SshdRefused || (res.PreBanner != "" && strings.Contains(res.PreBanner, x.Text))
	}
	if res.Wire != WireUnknown {
		res.Causes = byStage(causesFor(res.Wire, res.Stage), res.Stage)
	}
	if res.SshdRefused && (res.Wire == WireReset || res.Wire == WireFIN) {
		// sshd wrote why it refused: its refusal goes first.
		res.Causes = slices.DeleteFunc(res.Causes, func(c Cause) bool { return c.Findings[0] == sshdBeforeBanner.Findings[0] })
		res.Causes = append([]Cause{sshdBeforeBanner}, res.Causes...)
	}
	return res
}

// stageOf matches a debug line that marks a stage.
func stageOf(line string) (Stage, map[string]string, bool) {
	if !strings.Contains(line, "debug1: ") && !strings.Contains(line, "Authenticated to ") {
		return StageNone, nil, false
	}
	for _, s := range StageLines {
		if m := s.Re.FindStringSubmatch(line); m != nil {
			return s.Stage, groups(s.Re.SubexpNames(), m), true
		}
	}
	return StageNone, nil, false
}

// match finds the first catalog pattern that fits a line.
func match(line string) (Message, bool) {
	for i, p := range Catalog {
		m := p.Re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g := groups(p.Re.SubexpNames(), m)
		if p.Kind == KindResetBy && g["host"] == "peer" {
			continue // "...: Connection reset by peer" of a message not in the catalog
		}
		msg := Message{Kind: p.Kind, Text: line, Host: g["host"], Reason: g["reason"], Wire: p.Wire, Pattern: i}
		if v, err := strconv.Atoi(g["port"]); err == nil && v > 0 && v < 65536 {
			msg.Port = v
		}
		if msg.Wire == WireUnknown {
			msg.Wire = reasonWire(p.Kind, msg.Reason)
		}
		msg.Stage = p.Stage
		if p.Kind == KindConnect && msg.Wire == WireReset {
			// A reset answering the SYN is "Connection refused": this
			// one came after the handshake, before ssh checked its
			// non-blocking connect.
			msg.Stage = StageConnected
		}
		return msg, true
	}
	return Message{}, false
}

func groups(names, m []string) map[string]string {
	g := make(map[string]string, len(names))
	for i, n := range names {
		if n != "" && i < len(m) {
			g[n] = m[i]
		}
	}
	return g
}

// established: the kind speaks of an established connection, as a
// ControlMaster's does.
func established(k Kind) bool {
	switch k {
	case KindResetBy, KindClosedBy, KindClosedByRemote, KindReadFromRemote, KindSendDisconnect,
		KindPacketWriteWait, KindWritePoll, KindDispatchFatal, KindServerTimeout, KindConnTimedOut:
		return true
	}
	return false
}

func isMux(line string) bool {
	for _, l := range muxLines {
		if l.Re.MatchString(line) {
			return true
		}
	}
	return false
}

// preBanner matches a debug line that shows a line the server sent before
// its identification string.
func preBanner(line string) (string, bool) {
	if !strings.Contains(line, "_exchange_identification: ") || strings.Contains(line, "exchange_identification: read: ") {
		return "", false
	}
	for _, l := range preBannerLines {
		if m := l.Re.FindStringSubmatch(line); m != nil {
			return groups(l.Re.SubexpNames(), m)["text"], true
		}
	}
	return "", false
}

// keys: every message, known-hosts, pre-banner and mux line holds one of
// them (TestMessages and the lab logs hold the catalog to it). Lines
// without any skip the regular expressions: a CI log is mostly other text.
var keys = []string{"onnect", "exchange_identification", "client_loop", "packet_write_wait", "Read from remote",
	"Timeout, server", "Permission denied", "disconnect", "master", "mm_send_fd", "ControlSocket", "banner exchange",
	"ssh_dispatch_run_fatal", "Permanently added", "mux_client"}

func mayMatch(line string) bool {
	for _, k := range keys {
		if strings.Contains(line, k) {
			return true
		}
	}
	return false
}

// bareTexts are the error texts ssh prints inside its messages, as people
// paste them alone: strerror(3)'s words, sshconnect.c's and kex.c's
// "Connection closed by remote host", mux.c's ControlPersist failure.
var bareTexts = []struct {
	text string
	bare Bare
	wire Wire
}{
	{"failed to connect to new control master", BareMaster, WireLocal},
	{"connection reset by peer", BareReset, WireReset},
	{"broken pipe", BarePipe, WireWriteAfter},
	{"connection closed by remote host", BareClosed, WireFIN},
	{"connection refused", BareRefused, WireRefused},
}

// bare explains a text that holds no whole message and no debug line but
// one of ssh's error texts: what the wire did, and its causes at no
// particular stage.
func bare(s string, res Result) Result {
	l := strings.ToLower(s)
	for _, b := range bareTexts {
		if strings.Contains(l, b.text) {
			res.Bare, res.Wire = b.bare, b.wire
			res.Mux = b.wire == WireLocal
			res.Causes = causesFor(b.wire, StageNone)
			if b.bare == BareMaster {
				// A master that has just started has not idled: its
				// connection failed as a direct one would.
				res.Causes = causesFor(WireReset, StageNone)
				res.Causes = slices.DeleteFunc(res.Causes, func(c Cause) bool { return c.Findings[0] == idleTimeout.Findings[0] })
			}
			return res
		}
	}
	return res
}
