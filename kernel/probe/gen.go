package probe

// Regenerate the BPF objects with `make generate-bpf` (needs clang and
// libbpf-dev; the target installs them on Debian). Both byte orders are
// built, so the package builds, and the witness loads, on big-endian
// Linux (s390x, ppc64, mips) as well.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -go-package probe witness witness.bpf.c
