package main

import (
	"fmt"

	"github.com/rstsniff/rstsniff/internal/atomicfile"
	"github.com/rstsniff/rstsniff/pipeline/record"
)

// checkOutputs refuses an output that is also an input or the other output:
// writing it would destroy what is read.
func checkOutputs(o *options) error {
	outs := []struct{ flag, path string }{{"-o", o.output}, {"-w", o.write}}
	for _, out := range outs {
		if out.path == "" {
			continue
		}
		for _, in := range o.reads {
			if atomicfile.SameFile(out.path, in) {
				return &usageError{fmt.Sprintf("%s %s is also an input (-r): rstsniff never writes over a capture it reads", out.flag, out.path)}
			}
		}
	}
	if o.output != "" && o.write != "" && atomicfile.SameFile(o.output, o.write) {
		return &usageError{fmt.Sprintf("-o and -w both name %s", o.output)}
	}
	return nil
}

// checkOutputPath refuses an -o that cannot become a file before anything
// is read (atomicfile.CheckPath).
func checkOutputPath(path string) error {
	if err := atomicfile.CheckPath(path); err != nil {
		return &usageError{"-o " + err.Error()}
	}
	return nil
}

// newRecorder opens -w's file (pipeline/record); with no -w (path "") it
// returns nil, whose Abort does nothing: callers open, defer Abort and
// Close when done.
func newRecorder(path string) (*record.Writer, error) {
	if path == "" {
		return nil, nil
	}
	w, err := record.Create(path, "-w "+path, "rstsniff "+version)
	if err != nil {
		return nil, fmt.Errorf("-w: %v", err)
	}
	return w, nil
}
