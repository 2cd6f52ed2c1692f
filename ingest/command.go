package ingest

import (
	"bytes"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/explain"
	"github.com/rstsniff/rstsniff/pipeline/record"
	"github.com/rstsniff/rstsniff/report"
	"github.com/rstsniff/rstsniff/runcmd"
)

// CommandEnded is rstsniff run's sequence once the command has ended and
// its capture stopped with every connection it saw (all; none without a
// capture): how the command ended and how its connections were attributed
// go into facts, its own connections are picked from all (the others are
// only counted), -w (rec; nil: none) drops the others' packets, keeps its
// own and is closed, and what the command printed on its standard error is
// read (explain) and joined to its connection. The errors are -w's, in
// order, for the caller to print; none stops the sequence.
func CommandEnded(facts *report.RunFacts, res *runcmd.Result, all []*analyze.Flow, rec *record.Held) []error {
	var errs []error
	facts.Exit, facts.Method, facts.Fallback, facts.Killed = res.Exit, res.Method, res.Fallback, res.Killed
	if res.Exit.NotFound || res.Exit.NoExec {
		facts.Method = runcmd.MethodNone
	}
	// Only the command's own connections are reported and written (-w).
	own, via, others := res.Pick(all)
	facts.Flows, facts.Via, facts.Others = own, via, len(others)
	for _, f := range others {
		rec.Drop(f)
	}
	for _, f := range own {
		if err := rec.Keep(f); err != nil {
			errs = append(errs, err)
		}
	}
	if rec != nil {
		if err := rec.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(res.Stderr) > 0 {
		if said, err := explain.Read(bytes.NewReader(res.Stderr)); err == nil {
			facts.Said = &said
			facts.Joined = runcmd.Join(&said, facts.Flows)
		}
	}
	return errs
}

// CommandReport is the report of rstsniff run's -o: the command's
// connections (facts.Flows) tallied, captured on in (nil: no capture).
func CommandReport(facts *report.RunFacts, in *report.Input) *report.Run {
	r := &report.Run{Tally: &report.Tally{}}
	if in != nil {
		r.Inputs = []report.Input{*in}
	}
	for _, fl := range facts.Flows {
		r.Tally.Add(fl)
		r.Flows = append(r.Flows, fl)
	}
	return r
}
