package main

import (
	"errors"
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
	if err := os.Rename(a.Name(), a.target); err != nil {
		os.Remove(a.Name())
		return err
	}
	return nil
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
