// Package decode turns captured frames into flat per-segment facts.
//
// Decode reads the link header (Ethernet with 802.1Q/802.1ad tags, MPLS
// labels or PPPoE, Linux cooked v1 and v2, raw IPv4/IPv6, BSD and OpenBSD
// loopback), opens tunnels (GRE, ERSPAN, VXLAN, Geneve, IP in IP:
// tunnel.go), and reads the IPv4 or IPv6 header (skipping IPv6 extension
// headers) and the TCP header with its options into a Segment value. It
// never allocates, never panics on short or malformed input, and knows
// nothing of flows or SSH: that is package analyze. A Reassembler
// (reassemble.go) decodes the same way and puts fragmented IP packets back
// together, holding (and allocating for) fragments only, within bounds.
package decode
