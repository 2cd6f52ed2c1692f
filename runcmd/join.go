package runcmd

import (
	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
)

// Match is why a connection was joined to what the command printed.
type Match uint8

const (
	MatchNone    Match = iota // nothing printed was recognised, or no connection of the command ended abnormally
	MatchWire                 // the message's meaning on the wire is how the connection ended (a reset, a refusal...)
	MatchOnly                 // the message says nothing the connection contradicts, and it is the command's only abnormal one
	MatchLastOne              // several ended abnormally and none as the message says: the last one
)

var matchNames = [...]string{"none", "wire", "only", "last"}

func (m Match) String() string {
	if int(m) < len(matchNames) {
		return matchNames[m]
	}
	return "none"
}

// Joined ties the command's main message to one of its connections.
type Joined struct {
	Flow  int // index in the flows given to Join; -1 when Match is MatchNone
	Match Match
}

// Join finds the connection the command's main message speaks of among
// flows (the command's own, in order of first packet): an abnormal one
// whose ending is what the message means on the wire (a reset for
// "Connection reset by peer", a refusal for "Connection refused", ...), on
// the port the message names if it names one; the latest such one, as a
// client that retries prints the last failure.
func Join(r *explain.Result, flows []*analyze.Flow) Joined {
	none := Joined{Flow: -1}
	if r == nil || r.Main < 0 {
		return none
	}
	var abnormal []int
	for i, f := range flows {
		if f.Notable() && (r.Port == 0 || int(f.Server.Port()) == r.Port) {
			abnormal = append(abnormal, i)
		}
	}
	if len(abnormal) == 0 {
		return none
	}
	for k := len(abnormal) - 1; k >= 0; k-- {
		if wireMatches(r.Wire, flows[abnormal[k]]) {
			return Joined{Flow: abnormal[k], Match: MatchWire}
		}
	}
	if len(abnormal) == 1 {
		return Joined{Flow: abnormal[0], Match: MatchOnly}
	}
	return Joined{Flow: abnormal[len(abnormal)-1], Match: MatchLastOne}
}

// wireMatches reports whether a connection ended as the message says.
func wireMatches(w explain.Wire, f *analyze.Flow) bool {
	switch w {
	case explain.WireReset, explain.WireWriteAfter:
		return f.Outcome == analyze.OutcomeReset || len(f.Resets) > 0 && f.Outcome != analyze.OutcomeRefused
	case explain.WireRefused:
		return f.Outcome == analyze.OutcomeRefused || f.Outcome == analyze.OutcomeUnreachable
	case explain.WireICMP:
		return f.Outcome == analyze.OutcomeUnreachable
	case explain.WireNoAnswer:
		return f.Outcome == analyze.OutcomeTimeout && f.Stage == analyze.StageHandshake
	case explain.WireSilence:
		return f.Outcome == analyze.OutcomeTimeout || f.Outcome == analyze.OutcomeOpen
	case explain.WireFIN, explain.WireDisconnect:
		return f.Outcome == analyze.OutcomeClosed
	}
	return false
}
