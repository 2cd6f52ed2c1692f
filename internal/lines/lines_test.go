package lines

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/rstsniff/rstsniff/analyze"
)

// TestOrderAndError: lines come in the order sent, multi is passed on,
// and after an error nothing more is encoded and Close returns it.
func TestOrderAndError(t *testing.T) {
	var b strings.Builder
	enc := func(w io.Writer, f *analyze.Flow, multi bool) error {
		_, err := fmt.Fprintf(w, "%d %v\n", f.ID, multi)
		return err
	}
	l := Start(&b, true, enc)
	for i := 1; i <= 300; i++ {
		l.Send(&analyze.Flow{ID: i})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(got) != 300 || got[0] != "1 true" || got[299] != "300 true" {
		t.Fatalf("%d lines, first %q, last %q", len(got), got[0], got[len(got)-1])
	}
	for i, g := range got {
		if g != fmt.Sprintf("%d true", i+1) {
			t.Fatalf("line %d: %q", i+1, g)
		}
	}
	bad := errors.New("disk full")
	calls := 0
	l = Start(io.Discard, false, func(io.Writer, *analyze.Flow, bool) error { calls++; return bad })
	l.Send(&analyze.Flow{})
	l.Send(&analyze.Flow{})
	if err := l.Close(); !errors.Is(err, bad) || calls != 1 {
		t.Errorf("Close: %v after %d calls, want %v after 1", err, calls, bad)
	}
}
