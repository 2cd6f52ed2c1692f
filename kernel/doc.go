// Package kernel holds the facts this host's kernel gives about TCP resets
// during a live capture, and joins them to the resets seen in packets.
//
// An [Event] is one thing the kernel did: its TCP stack sent a reset (with
// the reason, Linux 6.10 and later), a local socket accepted one, netfilter's
// REJECT sent one (with its hook), or netfilter dropped a TCP packet. Events
// come from kernel/probe (eBPF); this package has no BPF code and no I/O, so
// analyze and report can use its types.
//
// A [Journal] keeps recent events of one network namespace; [Journal.Attribute]
// answers, for one reset in the capture, a [Witness]: who on this host sent
// it and on what that rests, whether a local socket accepted it, and what
// the kernel sent afterwards. [Journal.Dropped] lists a connection's
// packets the firewall dropped with no reset answering them ([Drops]).
// [Rules] names the firewall rule behind a firewall event ([Rule],
// [Candidate]; read by kernel/rules from nftables). Values only: report/
// words them.
package kernel
