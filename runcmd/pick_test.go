package runcmd

import (
	"net/netip"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// TestPick: the command's connections (either way round, IPv4-mapped or
// not) are numbered in order with their master; the rest are others.
func TestPick(t *testing.T) {
	ap := netip.MustParseAddrPort
	m := &Master{PID: 7, Comm: "ssh"}
	r := &Result{Conns: []Conn{{Local: ap("10.0.0.1:5000"), Remote: ap("10.0.0.2:22")}, {Local: ap("10.0.0.1:5001"), Remote: ap("10.0.0.3:22"), Via: m}}}
	flows := []*analyze.Flow{
		{ID: 9, Client: ap("10.0.0.9:1"), Server: ap("10.0.0.2:22")},
		{ID: 9, Client: ap("[::ffff:10.0.0.1]:5001"), Server: ap("10.0.0.3:22")},
		{ID: 9, Client: ap("10.0.0.2:22"), Server: ap("10.0.0.1:5000")},
	}
	own, via, others := r.Pick(flows)
	if len(own) != 2 || own[0] != flows[1] || own[1] != flows[2] || own[0].ID != 1 || own[1].ID != 2 {
		t.Fatalf("own %v", own)
	}
	if via[0] != m || via[1] != nil || len(others) != 1 || others[0] != flows[0] || others[0].ID != 9 {
		t.Errorf("via %v, others %v", via, others)
	}
}
