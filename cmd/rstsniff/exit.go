package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit statuses.
const (
	exitOK       = 0 // no connection was reset, refused or timed out
	exitAbnormal = 1 // some connection was
	exitUsage    = 2 // bad flags or unreadable input
)

// exitStatusError ends a run with an exit status other than 0 and, when
// err is not nil, a message. Any other error from run exits with
// exitUsage.
type exitStatusError struct {
	status int
	err    error // nil: nothing to print (the output said it)
}

func (e *exitStatusError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.status)
	}
	return e.err.Error()
}

func (e *exitStatusError) Unwrap() error { return e.err }

// exitWith is the error that ends a run with status and, when err is not
// nil, its message: nil for exitOK with nothing to say. A subcommand that
// said what it had to say itself returns exitWith(status, nil); a run
// that found an abnormal connection exitWith(exitAbnormal, nil).
func exitWith(status int, err error) error {
	if status == exitOK && err == nil {
		return nil
	}
	return &exitStatusError{status: status, err: err}
}

// exitStatus is the one conversion of run's error to the process's exit
// status: it prints err's message on stderr, "rstsniff: ..." on one line,
// and returns the status it carries.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitStatusError
	if !errors.As(err, &ee) {
		ee = &exitStatusError{status: exitUsage, err: err}
	}
	if ee.err != nil {
		fmt.Fprintf(stderr, "rstsniff: %v\n", ee.err)
		var ue *usageError
		if errors.As(ee.err, &ue) {
			fmt.Fprintln(stderr, "see rstsniff --help")
		}
	}
	return ee.status
}
