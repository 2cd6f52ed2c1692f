package sshdlog

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ReadFiles reads every log named (- for stdin) with Read, in order: the
// lines of all, and each file's Stats.
func ReadFiles(names []string, stdin io.Reader, opt ReadOptions) ([]Line, []Stats, error) {
	var lines []Line
	var stats []Stats
	for _, name := range names {
		ls, st, err := readFile(name, stdin, opt)
		if err != nil {
			return nil, nil, err
		}
		lines = append(lines, ls...)
		stats = append(stats, st)
	}
	return lines, stats, nil
}

// readFile reads one log file (- for stdin).
func readFile(name string, stdin io.Reader, opt ReadOptions) ([]Line, Stats, error) {
	if name == "-" {
		return Read(stdin, "-", opt)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, Stats{}, err
	}
	defer f.Close()
	return Read(f, name, opt)
}

// ParseZone reads a zone name (Europe/Berlin, UTC) or an offset (+01:00,
// -0500): the zone of log lines that carry none (ReadOptions.Zone).
func ParseZone(s string) (*time.Location, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				_, off := t.Zone()
				return time.FixedZone(s, off), nil
			}
		}
		return nil, fmt.Errorf("bad offset %q: use +hh:mm", s)
	}
	return time.LoadLocation(s)
}

// Missing is the first of names (logs for ReadFiles) that is not there,
// with os.Stat's error; standard input ("-") and the journal
// (JournalSource) are always there. It returns a nil error when all are.
func Missing(names []string) (string, error) {
	for _, n := range names {
		if n == "-" || n == JournalSource {
			continue
		}
		if _, err := os.Stat(n); err != nil {
			return n, err
		}
	}
	return "", nil
}
