package runcmd

import (
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Ports are the SSH ports a command line names: ssh's -p N, scp's and
// sftp's -P N, -o Port=N (any of them), and ssh://, scp:// or sftp:// URLs
// with a port (git and others pass those on). An argument holding spaces
// (sh -c 'scp -P 2222 ...', a CI step) is read as words too. Nil when it
// names none.
func Ports(args []string) []uint16 {
	var words []string
	for i, a := range args {
		if strings.ContainsAny(a, " \t\n") && (i == 0 || args[i-1] != "-o") {
			words = append(words, strings.Fields(a)...)
		} else {
			words = append(words, a)
		}
	}
	var out []uint16
	add := func(s string) {
		n, err := strconv.ParseUint(strings.Trim(s, `'";`), 10, 16)
		if err != nil || n == 0 || slices.Contains(out, uint16(n)) {
			return
		}
		out = append(out, uint16(n))
	}
	portFlag := "" // of the client named last: -p for ssh, -P for scp and sftp
	for i := 0; i < len(words); i++ {
		a := words[i]
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch base := filepath.Base(strings.Trim(a, `'"`)); {
		case base == "ssh" || base == "autossh" || base == "ssh-keyscan":
			portFlag = "-p"
		case base == "scp" || base == "sftp":
			portFlag = "-P"
		case strings.ContainsAny(a, ";|&") || a == "&&" || a == "||":
			portFlag = "" // another command
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
			if p, ok := urlPort(a); ok {
				add(p)
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
