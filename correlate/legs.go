package correlate

import (
	"net/netip"
	"sort"
	"time"

	"github.com/rstsniff/rstsniff/analyze"
)

// Jump is a jump host's two legs, from a capture taken on the jump host
// (tcpdump -i any): leg 1 from the client to the jump host's sshd, leg 2
// from the jump host to the target, opened while leg 1 was up (ssh -J,
// ProxyJump).
type Jump struct {
	Legs [2]*analyze.Flow
	// First is the leg that ended first (0 or 1), by its first reset or
	// its last packet; Gap is how long before the other it ended.
	First int
	Gap   time.Duration
	Ends  [2]time.Time
	// Failed says which legs ended abnormally.
	Failed [2]bool
}

// legEnd is when a leg ended: its first reset, or its last packet.
func legEnd(f *analyze.Flow) time.Time {
	if len(f.Resets) > 0 {
		return f.Resets[0].Time
	}
	return f.End
}

// LocalAddrs returns the addresses the capturing host sent from, as the
// capture recorded outgoing packets (Linux cooked captures mark them).
func LocalAddrs(c *Capture) map[netip.Addr]bool {
	local := map[netip.Addr]bool{}
	for _, f := range c.Flows {
		for _, x := range f.Log {
			if !x.Out {
				continue
			}
			if x.From == analyze.Client {
				local[f.Client.Addr()] = true
			} else {
				local[f.Server.Addr()] = true
			}
		}
	}
	return local
}

// Legs pairs, in a capture taken on a jump host, each connection the host
// opened (leg 2) with the connection to its sshd that was up when it
// opened (leg 1).
func Legs(c *Capture) []Jump {
	local := LocalAddrs(c)
	if len(local) == 0 {
		return nil
	}
	var in, out []*analyze.Flow
	for _, f := range c.Flows {
		switch {
		case local[f.Server.Addr()] && !local[f.Client.Addr()]:
			in = append(in, f)
		case local[f.Client.Addr()] && !local[f.Server.Addr()]:
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	used := map[*analyze.Flow]bool{}
	var jumps []Jump
	for _, o := range out {
		var best *analyze.Flow
		for _, i := range in {
			if used[i] || i.Start.After(o.Start) || i.End.Before(o.Start) || i.Stage < analyze.StageAuth {
				continue
			}
			if best == nil || i.Start.After(best.Start) {
				best = i
			}
		}
		if best == nil {
			continue
		}
		used[best] = true
		j := Jump{Legs: [2]*analyze.Flow{best, o}}
		j.Ends = [2]time.Time{legEnd(best), legEnd(o)}
		j.Failed = [2]bool{best.Outcome.Abnormal(), o.Outcome.Abnormal()}
		if j.Ends[1].Before(j.Ends[0]) || (j.Ends[1].Equal(j.Ends[0]) && j.Failed[1] && !j.Failed[0]) {
			j.First = 1
		}
		j.Gap = j.Ends[1-j.First].Sub(j.Ends[j.First])
		jumps = append(jumps, j)
	}
	return jumps
}
