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

// Follow reads the lines appended to the file at path from now on, as
// tail -F does, and sends each sshd or fail2ban line on out until ctx ends:
// when the file is rotated (the path names another file, or the file
// shrank), it finishes the old one and reads the new one from its start.
// A path that does not exist yet is waited for. It returns ctx's error, or
// the first error reading the file. poll is how often it looks (0: 200 ms).
func Follow(ctx context.Context, path string, opt ReadOptions, poll time.Duration, out chan<- Line) error {
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	var f *os.File
	var br *bufio.Reader
	var ino uint64
	var off int64
	var mod time.Time // the file's mtime when it was read to off
	n := 0
	open := func(fromEnd bool) error {
		g, err := os.Open(path)
		if err != nil {
			return err
		}
		fi, err := g.Stat()
		if err != nil {
			g.Close()
			return err
		}
		if f != nil {
			f.Close()
		}
		f, ino, off, n = g, inode(fi), 0, 0
		if fromEnd {
			if off, err = f.Seek(0, io.SeekEnd); err != nil {
				return err
			}
		}
		br = bufio.NewReaderSize(f, 64<<10)
		return nil
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	if err := open(true); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var partial []byte
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		// Read what is there, whole lines only.
		for f != nil {
			chunk, err := br.ReadSlice('\n')
			if len(partial)+len(chunk) <= maxLineBytes {
				partial = append(partial, chunk...)
			}
			off += int64(len(chunk))
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err != io.EOF {
					return err
				}
				break
			}
			n++
			if l, ok, known := ParseLine(string(partial), path, n, opt); ok && known {
				select {
				case out <- l:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			partial = partial[:0]
		}
		if f != nil {
			if fi, err := f.Stat(); err == nil && fi.Size() == off {
				mod = fi.ModTime()
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		// Rotated or truncated? The old file was read to its end above. A
		// file of the size read whose time changed was truncated and
		// written again to that size (appends make it longer).
		fi, err := os.Stat(path)
		switch {
		case err != nil && errors.Is(err, os.ErrNotExist):
			continue // between the rename and the new file
		case err != nil:
			return err
		case f == nil || inode(fi) != ino || fi.Size() < off || (fi.Size() == off && !fi.ModTime().Equal(mod)):
			partial = partial[:0]
			if err := open(false); err != nil && !errors.Is(err, os.ErrNotExist) {
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
