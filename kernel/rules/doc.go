// Package rules reads this host's firewall ruleset with its counters from
// nftables over netlink (github.com/google/nftables; iptables-nft's rules
// are there too), read-only, and names the rule behind each firewall event
// of the kernel witness: the rules whose packet counter rose around the
// event, whose verdict drops or rejects, and whose match covers the
// connection's packet (kept as a candidate, and said so, when a match
// cannot be evaluated from addresses and ports alone).
//
// Snapshots are kernel.Rule facts: family, table, chain, handle, verdict,
// counter, the rule in nft syntax (and iptables-save syntax for
// iptables-nft tables), its owner (fail2ban's f2b-* chains, firewalld's
// zones). report/ words them. Linux only; elsewhere Open fails.
//
// Files: read_linux.go reads over netlink (Reader, Snapshot, Legacy);
// compile.go turns one rule into its facts and names its owner; render.go
// writes nft syntax, iptables.go iptables-save syntax; match.go evaluates
// a rule's match against a connection's packet; snapshot.go keeps the
// reads (History) and names the rules behind an event (Attribute);
// watch.go reads again after each firewall event, at most every 20 ms, on
// a goroutine of its own (Watcher, for a live capture).
//
// Reading nf_tables needs CAP_NET_ADMIN in the namespace: root, as the
// kernel witness runs, has it; after -Z drops privileges a read fails and
// the event says the rules could not be read.
package rules
