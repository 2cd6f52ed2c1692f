package hugeheap

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const thp = "/sys/kernel/mm/transparent_hugepage/"

// Reserve makes the next n bytes the heap grows into eligible for huge
// pages, when the kernel gives them only where asked. It runs a garbage
// collection. It reports whether it asked.
func Reserve(n int) bool {
	size := pageSize()
	if size == 0 || n < 2*size || !Advised() || strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return false
	}
	// No collection for the allocation itself (it would find b alive):
	// the one below frees it.
	gogc := debug.SetGCPercent(-1)
	b := make([]byte, n) // a fresh mapping, not touched: no memory yet
	base := uintptr(unsafe.Pointer(&b[0]))
	start := (base + uintptr(size) - 1) &^ (uintptr(size) - 1)
	end := (base + uintptr(n)) &^ (uintptr(size) - 1)
	err := unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&b[0]), start-base)), end-start), unix.MADV_HUGEPAGE)
	runtime.KeepAlive(b)
	b = nil
	debug.SetGCPercent(gogc)
	runtime.GC() // b is freed: its pages are the heap's to reuse, lowest first
	return err == nil
}

// Advised reports whether the kernel gives huge pages only where they are
// asked for (the "madvise" setting): under "always" they come anyway,
// under "never" not at all.
func Advised() bool {
	b, err := os.ReadFile(thp + "enabled")
	return err == nil && bytes.Contains(b, []byte("[madvise]"))
}

// pageSize is the kernel's transparent huge page size, 0 when unknown.
func pageSize() int {
	b, err := os.ReadFile(thp + "hpage_pmd_size")
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 || n&(n-1) != 0 {
		return 0
	}
	return n
}
