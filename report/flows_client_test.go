package report

import (
	"net/netip"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

func TestClientErrorWording(t *testing.T) {
	mk := func(banner string, outcome analyze.Outcome) *analyze.Flow {
		return &analyze.Flow{Server: netip.MustParseAddrPort("203.0.113.2:22"), ClientBanner: banner, Outcome: outcome, ClosedBy: analyze.Server, Stage: analyze.StageBanner}
	}
	for _, c := range []struct {
		banner  string
		outcome analyze.Outcome
		want    string
	}{
		{"SSH-2.0-OpenSSH_9.2p1", analyze.OutcomeClosed, "kex_exchange_identification: Connection closed by remote host\nConnection closed by 203.0.113.2 port 22"},
		{"SSH-2.0-OpenSSH_9.6", analyze.OutcomeClosed, "Connection closed by 203.0.113.2 port 22"},
		{"SSH-2.0-OpenSSH_7.4", analyze.OutcomeReset, "ssh_exchange_identification: read: Connection reset by peer\nConnection reset by 203.0.113.2 port 22"},
		{"SSH-2.0-OpenSSH_10.0", analyze.OutcomeReset, "kex_exchange_identification: read: Connection reset by peer\nConnection reset by 203.0.113.2 port 22"},
	} {
		if got := clientError(mk(c.banner, c.outcome)); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.banner, c.outcome, got, c.want)
		}
	}
}
