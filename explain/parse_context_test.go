package explain

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestReadContext: a log is read whole; a read that waits is given up
// when the context ends.
func TestReadContext(t *testing.T) {
	r, err := ReadContext(context.Background(), strings.NewReader("kex_exchange_identification: read: Connection reset by peer\n"))
	if err != nil || r.Check() != nil {
		t.Fatalf("%+v %v", r, err)
	}
	pr, pw := io.Pipe() // nothing is ever written: the read waits
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := ReadContext(ctx, pr); err == nil || err.Error() != "explain: interrupted while reading the log" {
		t.Errorf("a waiting read ended with %v", err)
	}
}
