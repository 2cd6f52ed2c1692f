package term

import (
	"os"
	"strings"
	"testing"
)

// TestPipe: a pipe is no terminal, takes $COLUMNS as its width, gets no
// colour and no progress bar.
func TestPipe(t *testing.T) {
	t.Setenv("COLUMNS", "132")
	var b strings.Builder
	if got := Of(&b); got != (Terminal{Width: 132}) {
		t.Errorf("a builder: %+v", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := Of(w); got.TTY || got.Color || got.Width != 132 {
		t.Errorf("a pipe: %+v", got)
	}
	if IsTerminal(r) || IsTerminal(strings.NewReader("")) {
		t.Error("a pipe or a string reads as a terminal")
	}
	t.Setenv("COLUMNS", "")
	if got := Of(w); got.Width != 0 {
		t.Errorf("no COLUMNS: width %d", got.Width)
	}
	if p := StartProgress(w, "/dev/null", "x", nil); p != nil {
		t.Error("a progress bar on a pipe")
	}
	var none *Progress
	none.Stop()
}
