// Package term says how output fits where it goes (a terminal's width and
// colour, or a pipe) and draws rstsniff's progress bar on a terminal's
// standard error. It holds no state between calls but a bar's goroutine.
package term

import (
	"io"
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"
)

// Terminal says how the table output should fit where it goes: the width
// of the terminal (or $COLUMNS, for a pipe that asks), and whether to use
// colour (a terminal, and NO_COLOR unset: no-color.org). The zero value is
// a pipe of unknown width.
type Terminal struct {
	TTY   bool
	Width int
	Color bool
}

// Of says what w is.
func Of(w io.Writer) Terminal {
	var t Terminal
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		t.TTY = true
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			t.Width = int(ws.Col)
		}
		t.Color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		t.Width = n
	}
	return t
}

// IsTerminal reports whether r is a terminal (standard input typed at,
// not a pipe or a file).
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
