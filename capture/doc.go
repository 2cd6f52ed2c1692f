// Package capture reads frames from capture files and standard input.
//
// Open detects the format from the first bytes (classic pcap in either byte
// order with micro- or nanosecond timestamps, pcapng with any number of
// interfaces and link types, either one gzip-compressed) and returns a
// Source. Frames come out zero-copy: the bytes returned by ReadFrame are
// only valid until the next call.
//
// Names (names.go): IsFile, LooksLikeCapture (by extension) and
// LeadingFiles, how many of the command line's first arguments name
// captures, which tcpdump users type without -r.
//
// Goroutines and what each owns:
//   - The caller's goroutine owns a Source: ReadFrame, ReadFrameTo, Close,
//     and the frame bytes until its next call. BytesRead (Progress) alone
//     may be called from another goroutine (a progress bar).
//   - A classic pcap file with a second CPU is read by a goroutine of its
//     own (chunks.go): it owns the io.Reader (and the gzip reader) and
//     fills free buffers; the caller parses the full ones where they lie
//     and hands them back.
//   - ReadAhead (readahead.go), for the other files (pcapng), runs one
//     goroutine that alone calls the wrapped Source's ReadFrame and copies
//     frames into batches; the caller reads a batch, then hands it back.
//   - Close ends either goroutine; it does not wait for a read under way
//     (standard input may never answer).
package capture
