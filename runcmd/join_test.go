package runcmd

import (
	"net/netip"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
)

func flow(port uint16, outcome analyze.Outcome, resets int) *analyze.Flow {
	f := &analyze.Flow{Client: netip.MustParseAddrPort("198.51.100.2:40000"), Server: netip.AddrPortFrom(netip.MustParseAddr("203.0.113.2"), port),
		Outcome: outcome, Stage: analyze.StageBanner}
	for range resets {
		f.Resets = append(f.Resets, analyze.Reset{From: analyze.Server})
	}
	return f
}

func TestJoin(t *testing.T) {
	const reset = "kex_exchange_identification: read: Connection reset by peer"
	const refused = "ssh: connect to host 203.0.113.2 port 2222: Connection refused"
	closed := flow(22, analyze.OutcomeClosed, 0)
	cases := []struct {
		name  string
		said  string
		flows []*analyze.Flow
		want  Joined
	}{
		{"reset", reset, []*analyze.Flow{closed, flow(22, analyze.OutcomeReset, 1)}, Joined{1, MatchWire}},
		{"the last of two resets", reset, []*analyze.Flow{flow(22, analyze.OutcomeReset, 1), flow(22, analyze.OutcomeReset, 2), closed}, Joined{1, MatchWire}},
		{"refused on the port named", refused, []*analyze.Flow{flow(22, analyze.OutcomeRefused, 1), flow(2222, analyze.OutcomeRefused, 1)}, Joined{1, MatchWire}},
		{"another port only", refused, []*analyze.Flow{flow(22, analyze.OutcomeRefused, 1)}, Joined{-1, MatchNone}},
		{"only one abnormal, another ending", reset, []*analyze.Flow{flow(22, analyze.OutcomeTimeout, 0)}, Joined{0, MatchOnly}},
		{"several, none as said", reset, []*analyze.Flow{flow(22, analyze.OutcomeTimeout, 0), flow(22, analyze.OutcomeUnreachable, 0)}, Joined{1, MatchLastOne}},
		{"nothing abnormal", reset, []*analyze.Flow{closed}, Joined{-1, MatchNone}},
		{"nothing recognised", "hello", []*analyze.Flow{flow(22, analyze.OutcomeReset, 1)}, Joined{-1, MatchNone}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := explain.Text(c.said)
			if got := Join(&r, c.flows); got != c.want {
				t.Errorf("Join = %+v, want %+v", got, c.want)
			}
		})
	}
	if got := Join(nil, []*analyze.Flow{closed}); got.Match != MatchNone {
		t.Errorf("Join(nil) = %+v", got)
	}
}
