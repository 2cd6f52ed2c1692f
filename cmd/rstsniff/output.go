package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile is an output (-o, -w) written to a temporary file beside its
// target and renamed over it only when the run has written it whole: a
// run that fails leaves an existing file as it was, and a reader never
// sees half a report.
type atomicFile struct {
	*os.File
	target string
	done   bool
}

func createAtomic(target string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return nil, err
	}
	// CreateTemp makes it 0600; an output is as readable as one made by
	// os.Create under the usual umask.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &atomicFile{File: f, target: target}, nil
}

// commit closes the file and renames it over the target.
func (a *atomicFile) commit() error {
	if a.done {
		return nil
	}
	a.done = true
	if err := a.File.Close(); err != nil {
		os.Remove(a.Name())
		return err
	}
	return os.Rename(a.Name(), a.target)
}

// abort drops the temporary file, if commit has not renamed it; the
// target is untouched.
func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.Name())
}

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
