package probe

// Regenerate the BPF objects with `make generate-bpf` (needs clang and
// libbpf-dev; the target installs them on Debian).
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel -go-package probe witness witness.bpf.c
