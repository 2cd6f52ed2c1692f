package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rstsniff/rstsniff/pipeline/record"
)

// sameFile reports whether two paths name one file, existing or not.
func sameFile(a, b string) bool {
	if a == "-" || b == "-" {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	pa, errA := filepath.Abs(a)
	pb, errB := filepath.Abs(b)
	return errA == nil && errB == nil && pa == pb
}

// checkOutputs refuses an output that is also an input or the other output:
// writing it would destroy what is read.
func checkOutputs(o *options) error {
	outs := []struct{ flag, path string }{{"-o", o.output}, {"-w", o.write}}
	for _, out := range outs {
		if out.path == "" {
			continue
		}
		for _, in := range o.reads {
			if sameFile(out.path, in) {
				return &usageError{fmt.Sprintf("%s %s is also an input (-r): rstsniff never writes over a capture it reads", out.flag, out.path)}
			}
		}
	}
	if o.output != "" && o.write != "" && sameFile(o.output, o.write) {
		return &usageError{fmt.Sprintf("-o and -w both name %s", o.output)}
	}
	return nil
}

// statReason is an os error's cause without the path and the call it
// names ("no such file or directory"): the message names the flag and the
// path as given.
func statReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// checkOutputPath refuses an -o that cannot become a file before anything
// is read: a directory, or a directory that does not exist. The message
// names the path as given.
func checkOutputPath(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if isDir(path) {
		return &usageError{fmt.Sprintf("-o %s is a directory: give a file name, e.g. %s", path, filepath.Join(path, "rstsniff-report.html"))}
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return &usageError{fmt.Sprintf("-o %s: directory %s: %v", path, dir, statReason(err))}
	case !st.IsDir():
		return &usageError{fmt.Sprintf("-o %s: %s is not a directory", path, dir)}
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
