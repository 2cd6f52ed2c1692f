package main

import (
	"io"
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"
)

// terminal says how the table output should fit where it goes: the width
// of the terminal (or $COLUMNS, for a pipe that asks), and whether to use
// colour (a terminal, and NO_COLOR unset: no-color.org).
type terminal struct {
	tty   bool
	width int
	color bool
}

func terminalOf(w io.Writer) terminal {
	var t terminal
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		t.tty = true
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			t.width = int(ws.Col)
		}
		t.color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		t.width = n
	}
	return t
}

// isTerminal reports whether r is a terminal (standard input typed at,
// not a pipe or a file).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
