package sshdlog

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFollowRotation: lines appended after Follow starts arrive, the old
// ones do not; after logrotate's rename and a new file, and after a
// copytruncate, the new lines arrive too, none twice.
func TestFollowRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	write := func(p, s string) {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	line := func(port string) string {
		return "2026-11-27T04:00:00+00:00 h sshd[1]: Connection closed by 198.51.100.2 port " + port + "\n"
	}
	write(path, line("1"))
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Line, 16)
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, ReadOptions{}, 20*time.Millisecond, out) }()
	time.Sleep(100 * time.Millisecond)
	write(path, line("2"))
	write(path, "2026-11-27T04:00:00+00:00 h sshd[1]: Connection closed by 198.51.100.2 port 3") // no newline yet
	time.Sleep(100 * time.Millisecond)
	write(path, "\n")
	time.Sleep(100 * time.Millisecond)
	os.Rename(path, path+".1")  // logrotate's default
	write(path+".1", line("4")) // sshd still writes to the old file a moment
	time.Sleep(100 * time.Millisecond)
	write(path, line("5"))
	time.Sleep(100 * time.Millisecond)
	os.Truncate(path, 0) // copytruncate
	write(path, line("6"))
	want := []uint16{2, 3, 4, 5, 6}
	for i, w := range want {
		select {
		case l := <-out:
			if l.Client.Port() != w {
				t.Errorf("line %d: port %d, want %d", i, l.Client.Port(), w)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("line %d (port %d) never came", i, w)
		}
	}
	cancel()
	<-done
	select {
	case l := <-out:
		t.Errorf("an extra line: %+v", l.Message)
	default:
	}
}
