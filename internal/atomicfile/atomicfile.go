// Package atomicfile writes an output file (rstsniff's -o and -w) to a
// temporary file beside its target and renames it over the target only when
// it has been written whole: a run that fails leaves an existing file as it
// was, and a reader never sees half a report. Before anything is read,
// CheckPath refuses a path that cannot become a file and SameFile tells
// an output that is also an input (check.go). Standard library only.
package atomicfile

import (
	"os"
	"path/filepath"
)

// File is an output being written. Its zero value is invalid: construct it
// with Create. Exactly one of Commit and Abort ends it (either may be
// called again, and does nothing then). It is not safe for concurrent use.
type File struct {
	*os.File
	target string
	done   bool
}

// Create opens a temporary file beside target, readable as one made by
// os.Create under the usual umask.
func Create(target string) (*File, error) {
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
	return &File{File: f, target: target}, nil
}

// Commit closes the file and renames it over the target. When either
// fails, the temporary file is removed and the target is untouched.
func (a *File) Commit() error {
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

// Abort drops the temporary file, if Commit has not renamed it; the
// target is untouched.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.Name())
}
