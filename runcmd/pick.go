package runcmd

import "github.com/rstsniff/rstsniff/analyze"

// Pick splits the flows a capture saw during the command into the
// command's own (numbered 1, 2, ... in the order given, each with the
// master it came through, nil for its own connections: Own) and the
// others'.
func (r *Result) Pick(flows []*analyze.Flow) (own []*analyze.Flow, via []*Master, others []*analyze.Flow) {
	for _, f := range flows {
		ok, m := r.Own(f.Client, f.Server)
		if !ok {
			others = append(others, f)
			continue
		}
		f.ID = len(own) + 1
		own = append(own, f)
		via = append(via, m)
	}
	return own, via, others
}
