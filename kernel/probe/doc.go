// Package probe loads the kernel witness's eBPF programs (witness.bpf.c,
// compiled by bpf2go: `make generate-bpf`) and turns what they report into
// kernel.Event values.
//
// Programs: tp_btf tcp_send_reset and tcp_receive_reset (BTF, Linux 6.10 or
// later for the reset's reason), fentry on nf_send_reset and nf_send_reset6
// for REJECT rules, and, where fentry does not load, tp_btf kfree_skb for
// packets netfilter dropped. Attaching needs neither tracefs nor kprobes.
// Only events of one network namespace leave the kernel.
//
// Open fails with an *UnavailableError whose text is the one line to show
// when the witness is off: no BTF, no capabilities, a kernel too old.
package probe
