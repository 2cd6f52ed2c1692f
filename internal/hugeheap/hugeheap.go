// Package hugeheap lets the Go heap of a run that reads large capture
// files grow into transparent huge pages.
//
// Reading a large capture, rstsniff's heap grows to about 100 MB, and the
// kernel faults each 4 KiB page of it in on first touch. The Go runtime
// asks for no huge pages for its heap (it stopped in Go 1.21), and under
// the kernel's usual setting ("madvise": huge pages only where asked) it
// gets none. On the virtual machines this project is measured on, a page
// fault costs several microseconds: a third of the CPU time of a
// 10,000-connection run went to them (docs/performance.md).
//
// Reserve has the runtime map a stretch of heap, asks the kernel for huge
// pages there (MADV_HUGEPAGE: a hint, which changes no contents), and
// frees it: the heap grows into it later, 2 MiB at a fault. A live
// capture does not call it: its heap is steady after a minute.
package hugeheap

import (
	"io"
	"os"
)

// Size is the heap stretch a large run reserves: a little more than the
// heap of a million connections of the failing mix (measurement,
// docs/performance.md). Pages it never touches cost nothing.
const Size = 128 << 20

// MinInput is the least the capture files must hold together for a
// reservation to pay: a smaller run's heap stays small, and the
// reservation costs a garbage collection, whose first scan of the global
// variables faults in 5 MB of them.
const MinInput = 32 << 20

// ForFiles reserves Size when the capture files among names hold at least
// MinInput bytes together; it reports whether huge pages were asked for.
// A name that is not a regular file counts nothing, and "-" is stdin,
// which counts when it is a regular file (rstsniff -r - <file), never when
// it is a pipe, whose length is unknown.
func ForFiles(names []string, stdin io.Reader) bool {
	if inputSize(names, stdin) < MinInput {
		return false
	}
	return Reserve(Size)
}

// inputSize is how many bytes the regular files among names hold.
func inputSize(names []string, stdin io.Reader) int64 {
	var total int64
	for _, n := range names {
		var fi os.FileInfo
		var err error
		if n == "-" {
			f, ok := stdin.(*os.File)
			if !ok {
				continue
			}
			fi, err = f.Stat()
		} else {
			fi, err = os.Stat(n)
		}
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
	}
	return total
}
