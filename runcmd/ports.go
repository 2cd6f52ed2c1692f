package runcmd

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Ports are the SSH ports a command line names: ssh's -p N, scp's and
// sftp's -P N, -o Port=N (any of them), and ssh://, scp:// or sftp:// URLs
// with a port (git and others pass those on). Nil when it names none.
func Ports(args []string) []uint16 {
	if len(args) == 0 {
		return nil
	}
	portFlag := ""
	switch filepath.Base(args[0]) {
	case "ssh", "autossh", "ssh-keyscan":
		portFlag = "-p"
	case "scp", "sftp":
		portFlag = "-P"
	}
	var out []uint16
	add := func(s string) {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
		if err != nil || n == 0 {
			return
		}
		for _, p := range out {
			if p == uint16(n) {
				return
			}
		}
		out = append(out, uint16(n))
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		switch {
		case portFlag != "" && a == portFlag:
			add(next)
			i++
		case portFlag != "" && strings.HasPrefix(a, portFlag) && len(a) > 2 && a[2] >= '0' && a[2] <= '9':
			add(a[2:])
		case a == "-o":
			if v, ok := portOption(next); ok {
				add(v)
			}
			i++
		case strings.HasPrefix(a, "-o"):
			if v, ok := portOption(a[2:]); ok {
				add(v)
			}
		default:
			for _, w := range strings.Fields(a) { // also inside sh -c '...'
				if p, ok := urlPort(w); ok {
					add(p)
				}
			}
		}
	}
	return out
}

// portOption reads "Port=N" or "Port N" (case-insensitive, as ssh does).
func portOption(s string) (string, bool) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		k, v, ok = strings.Cut(s, " ")
	}
	if !ok || !strings.EqualFold(strings.TrimSpace(k), "port") {
		return "", false
	}
	return v, true
}

func urlPort(s string) (string, bool) {
	if !strings.HasPrefix(s, "ssh://") && !strings.HasPrefix(s, "scp://") && !strings.HasPrefix(s, "sftp://") && !strings.HasPrefix(s, "git+ssh://") {
		return "", false
	}
	u, err := url.Parse(strings.Trim(s, `'"`))
	if err != nil || u.Port() == "" {
		return "", false
	}
	return u.Port(), true
}
