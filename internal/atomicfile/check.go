package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SameFile reports whether two paths name one file, existing or not ("-",
// standard input or output, is no file).
func SameFile(a, b string) bool {
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

// IsDir reports whether path names a directory.
func IsDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// Reason is an os error's cause without the path and the call it names
// ("no such file or directory"), for a message that names the path as
// given.
func Reason(err error) error {
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

// CheckPath refuses a path that cannot become a file before anything is
// written: a directory, or one in a directory that does not exist ("" and
// "-" pass). The error names the path as given and starts with it, for the
// caller to put the flag before.
func CheckPath(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if IsDir(path) {
		return fmt.Errorf("%s is a directory: give a file name, e.g. %s", path, filepath.Join(path, "rstsniff-report.html"))
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s: directory %s: %v", path, dir, Reason(err))
	case !st.IsDir():
		return fmt.Errorf("%s: %s is not a directory", path, dir)
	}
	return nil
}
