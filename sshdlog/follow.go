package sshdlog

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Follower reads the lines appended to a log file, as tail -F does. The
// zero value is invalid; construct with NewFollower.
type Follower struct {
	path string
	f    *os.File
	br   *bufio.Reader
	ino  uint64
	off  int64
	mod  time.Time // the file's mtime when it was read to off
	// suspect is the new mtime of a file seen at the size read: a write
	// under way (Linux sets the time before the size) or a rewrite to that
	// size; the second look decides.
	suspect time.Time
	n       int
}

// NewFollower opens the file at path now (so that a caller may drop
// privileges after) and positions it at its end: only lines written from
// now on are read. A path that does not exist yet is waited for.
func NewFollower(path string) (*Follower, error) {
	fl := &Follower{path: path}
	if err := fl.open(true); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return fl, nil
}

func (fl *Follower) open(fromEnd bool) error {
	g, err := os.Open(fl.path)
	if err != nil {
		return err
	}
	fi, err := g.Stat()
	if err != nil {
		g.Close()
		return err
	}
	if fl.f != nil {
		fl.f.Close()
	}
	fl.f, fl.ino, fl.off, fl.n, fl.mod, fl.suspect = g, inode(fi), 0, 0, fi.ModTime(), time.Time{}
	if fromEnd {
		if fl.off, err = fl.f.Seek(0, io.SeekEnd); err != nil {
			return err
		}
	}
	fl.br = bufio.NewReaderSize(fl.f, 64<<10)
	return nil
}

// Follow is NewFollower then Run.
func Follow(ctx context.Context, path string, opt ReadOptions, poll time.Duration, out chan<- Line) error {
	fl, err := NewFollower(path)
	if err != nil {
		return err
	}
	return fl.Run(ctx, opt, poll, out)
}

// Run sends each sshd or fail2ban line appended to the file on out until
// ctx ends: when the file is rotated (the path names another file, or the
// file shrank, or was rewritten to the size read), it finishes the old one
// and reads the new one from its start. It returns ctx's error, or the
// first error reading or reopening the file. poll is how often it looks
// (0: 200 ms).
func (fl *Follower) Run(ctx context.Context, opt ReadOptions, poll time.Duration, out chan<- Line) error {
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	defer func() {
		if fl.f != nil {
			fl.f.Close()
		}
	}()
	path := fl.path
	var partial []byte
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		// Read what is there, whole lines only.
		before := fl.off
		for fl.f != nil {
			chunk, err := fl.br.ReadSlice('\n')
			if len(partial)+len(chunk) <= maxLineBytes {
				partial = append(partial, chunk...)
			}
			fl.off += int64(len(chunk))
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err != io.EOF {
					return err
				}
				break
			}
			fl.n++
			if l, ok, known := ParseLine(string(partial), path, fl.n, opt); ok && known {
				select {
				case out <- l:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			partial = partial[:0]
		}
		if fl.f != nil && fl.off != before {
			if fi, err := fl.f.Stat(); err == nil && fi.Size() == fl.off {
				fl.mod = fi.ModTime()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		// Rotated or truncated? The old file was read to its end above. A
		// file still of the size read whose time changed, seen twice, was
		// truncated and written again to that size (appends make it
		// longer; a write under way shows its time before its size).
		fi, err := os.Stat(path)
		rewritten := false
		if err == nil && fl.f != nil && inode(fi) == fl.ino && fi.Size() == fl.off && !fi.ModTime().Equal(fl.mod) {
			rewritten = fi.ModTime().Equal(fl.suspect)
			fl.suspect = fi.ModTime()
		} else {
			fl.suspect = time.Time{}
		}
		switch {
		case err != nil && errors.Is(err, os.ErrNotExist):
			continue // between the rename and the new file
		case err != nil:
			return err
		case fl.f == nil || inode(fi) != fl.ino || fi.Size() < fl.off || rewritten:
			partial = partial[:0]
			if err := fl.open(false); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// FollowCommand runs a command that writes log lines as they come
// (journalctl -f -o json) and sends each sshd line on out until ctx ends or
// the command exits; source names the lines.
func FollowCommand(ctx context.Context, argv []string, source string, opt ReadOptions, out chan<- Line) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(stdout, 64<<10)
	for n := 1; ; n++ {
		raw, err := readLine(br)
		if len(raw) > 0 {
			if l, ok, known := ParseLine(string(raw), source, n, opt); ok && known {
				select {
				case out <- l:
				case <-ctx.Done():
				}
			}
		}
		if err != nil {
			break
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
