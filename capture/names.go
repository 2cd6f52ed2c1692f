package capture

import (
	"os"
	"strings"
)

// IsFile reports whether path names a regular file (a capture to read).
func IsFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// LooksLikeCapture reports whether a name is a capture file's by its
// extension (.pcap, .pcapng, .cap, .dmp, each perhaps .gz), existing or
// not: "rstsniff missing.pcap" should say the file is missing, not that
// there is nothing to read.
func LooksLikeCapture(name string) bool {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range []string{".pcap", ".pcapng", ".cap", ".dmp"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// LeadingFiles counts the arguments at the start of args that name files
// or captures by their name (IsFile or LooksLikeCapture): tcpdump users
// type "rstsniff file.pcap port 22", the files then the filter.
func LeadingFiles(args []string) int {
	n := 0
	for n < len(args) && (IsFile(args[n]) || LooksLikeCapture(args[n])) {
		n++
	}
	return n
}
