//go:build ignore

// SPDX-License-Identifier: GPL-2.0
// The kernel witness: one event for every TCP reset this host's stack sends
// (tcp:tcp_send_reset), every reset a local socket accepts
// (tcp:tcp_receive_reset), every reset netfilter's REJECT sends
// (fentry nf_send_reset / nf_send_reset6) and, where fentry does not load,
// every TCP packet netfilter dropped (skb:kfree_skb, NETFILTER_DROP).
// Addresses are those of the reset as it travels: src is its sender.
#include "witness.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

enum kind {
	KIND_STACK_SENT = 1,   // tcp:tcp_send_reset
	KIND_RECEIVED = 2,     // tcp:tcp_receive_reset
	KIND_NETFILTER = 3,    // fentry nf_send_reset(6); reason holds the hook
	KIND_NETFILTER_DROP = 4, // skb:kfree_skb NETFILTER_DROP of a TCP packet
};

struct event {
	__u64 ts; // bpf_ktime_get_ns (CLOCK_MONOTONIC)
	__u32 netns;
	__u32 pid;
	__u32 reason;
	__u16 family; // 4 or 6
	__u16 sport;
	__u16 dport;
	__u8 kind;
	__u8 state;
	__u8 active; // no packet to answer: the socket itself reset (close, timer)
	__u8 pad[3];
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[16];
};

// Set by the loader before loading.
volatile const __u32 target_netns = 0;         // 0: every namespace
volatile const __u32 netfilter_drop_reason = 0; // SKB_DROP_REASON_NETFILTER_DROP in this kernel

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

// Events the ring buffer had no room for; a global, so user space reads it
// through memory it mapped, with or without privileges.
__u64 lost_events = 0;

static __always_inline int wanted(__u32 ns)
{
	return target_netns == 0 || ns == target_netns;
}

static __always_inline struct event *reserve(void)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

// skb_tuple fills e with the addresses of the packet in skb, reversed when
// reverse is set (the reset answering it travels the other way). It returns
// 0 unless skb holds TCP over IPv4 or IPv6.
static __always_inline int skb_tuple(struct event *e, const struct sk_buff *skb, int reverse)
{
	if (!skb)
		return 0;
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 v = 0;
	struct tcphdr_ports p = {};
	__u8 *s = reverse ? e->daddr : e->saddr;
	__u8 *d = reverse ? e->saddr : e->daddr;

	if (bpf_probe_read_kernel(&v, 1, head + nh))
		return 0;
	v >>= 4;
	if (v == 4) {
		struct ip4hdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.proto != 6)
			return 0;
		__builtin_memcpy(s, &ip.saddr, 4);
		__builtin_memcpy(d, &ip.daddr, 4);
		e->family = 4;
	} else if (v == 6) {
		struct ip6hdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return 0;
		__builtin_memcpy(s, ip.saddr, 16);
		__builtin_memcpy(d, ip.daddr, 16);
		e->family = 6;
	} else {
		return 0;
	}
	if (bpf_probe_read_kernel(&p, sizeof(p), head + th))
		return 0;
	e->sport = bpf_ntohs(reverse ? p.dest : p.source);
	e->dport = bpf_ntohs(reverse ? p.source : p.dest);
	return 1;
}

// sk_tuple fills e with the socket's addresses: local to peer when out is
// set (a reset it sends), peer to local otherwise (a reset it receives).
static __always_inline void sk_tuple(struct event *e, const struct sock *sk, int out)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u8 *l = out ? e->saddr : e->daddr;
	__u8 *r = out ? e->daddr : e->saddr;
	__u16 lport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

	if (fam == 10) { // AF_INET6
		BPF_CORE_READ_INTO(l, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(r, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		e->family = 6;
	} else {
		__be32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 ra = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(l, &la, 4);
		__builtin_memcpy(r, &ra, 4);
		e->family = 4;
	}
	e->sport = out ? lport : rport;
	e->dport = out ? rport : lport;
}

static __always_inline __u32 skb_netns(const struct sk_buff *skb)
{
	if (!skb)
		return 0;
	return BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	__u32 ns = sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) : skb_netns(skb);
	if (!wanted(ns))
		return 0;
	struct event *e = reserve();
	if (!e)
		return 0;
	e->kind = KIND_STACK_SENT;
	e->netns = ns;
	e->reason = reason;
	e->state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;
	if (skb) {
		// A reset answering a packet carries that packet's addresses reversed.
		if (!skb_tuple(e, skb, 1) && sk)
			sk_tuple(e, sk, 1);
	} else {
		e->active = 1;
		if (sk)
			sk_tuple(e, sk, 1);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset, struct sock *sk)
{
	if (!sk)
		return 0;
	__u32 ns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!wanted(ns))
		return 0;
	struct event *e = reserve();
	if (!e)
		return 0;
	e->kind = KIND_RECEIVED;
	e->netns = ns;
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	sk_tuple(e, sk, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int nf_reset(struct net *net, struct sk_buff *oldskb, int hook)
{
	if (!net)
		return 0;
	__u32 ns = BPF_CORE_READ(net, ns.inum);
	if (!wanted(ns))
		return 0;
	struct event *e = reserve();
	if (!e)
		return 0;
	e->kind = KIND_NETFILTER;
	e->netns = ns;
	e->reason = hook;
	if (!skb_tuple(e, oldskb, 1)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/nf_send_reset")
int BPF_PROG(nf_send_reset, struct net *net, struct sock *sk, struct sk_buff *oldskb, int hook)
{
	return nf_reset(net, oldskb, hook);
}

SEC("fentry/nf_send_reset6")
int BPF_PROG(nf_send_reset6, struct net *net, struct sock *sk, struct sk_buff *oldskb, int hook)
{
	return nf_reset(net, oldskb, hook);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	if (netfilter_drop_reason == 0 || reason != netfilter_drop_reason)
		return 0;
	__u32 ns = skb_netns(skb);
	if (!wanted(ns))
		return 0;
	struct event *e = reserve();
	if (!e)
		return 0;
	e->kind = KIND_NETFILTER_DROP;
	e->netns = ns;
	e->reason = reason;
	// As the reset a REJECT rule would have sent: the dropped packet reversed.
	if (!skb_tuple(e, skb, 1)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
