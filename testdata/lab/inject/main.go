// Command inject is the lab's on-path reset injector. Run in the router
// namespace, it watches one interface and, when a client's SSH banner goes
// by, sends resets in the pattern MODE names (default both). It drops
// nothing: the real packets keep flowing. Linux, IPv4, root.
//
//	inject IFACE PORT COUNT STEP [MODE]
//
// Modes, each a published fingerprint (analyze/fingerprints.go):
//
//	both   COUNT bare RSTs to each end (in the other end's name), sequence
//	       numbers stepped by STEP (rst-seq-change, the GFW of 2006)
//	gfw    three RST+ACKs to the client in the server's name, windows
//	       4229/4230/4231 and TTLs 65/66/67 (gfw-triple, net4people/bbs#285)
//	type1  one bare RST with window 16384 and TTL 50 to the client in the
//	       server's name (intang-type1)
//	type2  two RST+ACKs to the client in the server's name, window 2048,
//	       TTLs 48 and 52 (intang-type2)
//	ipid   one RST+ACK to the client in the server's name carrying the IP
//	       ID of the client's banner packet, TTL 64 (ip-id-copied)
//	late   a slow injector: it reads the sequence number off the client's
//	       banner but sends its bare RST (TTL 64, in the server's name) only
//	       when the client's next key-exchange packet (after both KEXINITs)
//	       goes by, so the reset lies behind what the client has received:
//	       outside the window, which the client ignores
//
// COUNT and STEP matter only for both.
package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 5 && len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: inject IFACE PORT COUNT STEP [both|gfw|type1|type2|ipid|late]")
		os.Exit(2)
	}
	mode := "both"
	if len(os.Args) == 6 {
		mode = os.Args[5]
	}
	switch mode {
	case "both", "gfw", "type1", "type2", "ipid", "late":
	default:
		fmt.Fprintln(os.Stderr, "inject: unknown mode "+mode)
		os.Exit(2)
	}
	ifi, err := net.InterfaceByName(os.Args[1])
	check(err)
	port, _ := strconv.Atoi(os.Args[2])
	count, _ := strconv.Atoi(os.Args[3])
	step, _ := strconv.Atoi(os.Args[4])

	const ethPIP = 0x0800
	sniff, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM, int(htons(ethPIP)))
	check(err)
	check(syscall.Bind(sniff, &syscall.SockaddrLinklayer{Protocol: htons(ethPIP), Ifindex: ifi.Index}))
	raw, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_RAW)
	check(err)

	buf := make([]byte, 65536)
	var stale uint32 // late: the ack of the client's banner
	var staleSet bool
	for {
		n, _, err := syscall.Recvfrom(sniff, buf, 0)
		check(err)
		p := buf[:n]
		if len(p) < 20 || p[0]>>4 != 4 || p[9] != 6 {
			continue
		}
		ihl := int(p[0]&15) * 4
		total := int(binary.BigEndian.Uint16(p[2:4]))
		if total > len(p) || len(p) < ihl+20 {
			continue
		}
		tcp := p[ihl:total]
		off := int(tcp[12]>>4) * 4
		if len(tcp) < off {
			continue
		}
		payload := tcp[off:]
		dport := binary.BigEndian.Uint16(tcp[2:4])
		if mode == "late" && staleSet && int(dport) == port && len(payload) >= 6 && payload[5] == 30 {
			// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §7.1): the client has the
			// server's KEXINIT, so the banner's ack is long behind.
			src, dst := [4]byte(p[12:16]), [4]byte(p[16:20])
			sport := binary.BigEndian.Uint16(tcp[0:2])
			send(raw, dst, src, dport, sport, stale, 0, 0x04, 0, 64, 0)
			fmt.Fprintf(os.Stderr, "inject: late reset for %v:%d with the banner's sequence number %d\n", net.IP(src[:]), sport, stale)
			time.Sleep(10 * time.Millisecond)
			return
		}
		if int(dport) != port || len(payload) < 4 || string(payload[:4]) != "SSH-" {
			continue
		}
		if mode == "late" {
			if !staleSet {
				stale, staleSet = binary.BigEndian.Uint32(tcp[8:12]), true
			}
			continue
		}
		src, dst := [4]byte(p[12:16]), [4]byte(p[16:20])
		sport := binary.BigEndian.Uint16(tcp[0:2])
		seq := binary.BigEndian.Uint32(tcp[4:8])
		ack := binary.BigEndian.Uint32(tcp[8:12])
		next := seq + uint32(len(payload))
		ipid := binary.BigEndian.Uint16(p[4:6])
		const rst, rstack = 0x04, 0x14
		switch mode {
		case "both":
			for k := 0; k < count; k++ {
				d := uint32(k * step)
				// To the client in the server's name, then to the server in the client's.
				send(raw, dst, src, dport, sport, ack+d, 0, rst, 0, 64, 0)
				send(raw, src, dst, sport, dport, next+d, 0, rst, 0, 64, 0)
				time.Sleep(time.Millisecond)
			}
		case "gfw":
			for k := uint16(0); k < 3; k++ {
				send(raw, dst, src, dport, sport, ack, next, rstack, 4229+k, uint8(65+k), 0)
			}
		case "type1":
			send(raw, dst, src, dport, sport, ack, 0, rst, 16384, 50, 0)
		case "type2":
			send(raw, dst, src, dport, sport, ack, next, rstack, 2048, 48, 0)
			send(raw, dst, src, dport, sport, ack, next, rstack, 2048, 52, 0)
		case "ipid":
			send(raw, dst, src, dport, sport, ack, next, rstack, 0, 64, ipid)
		}
		if mode == "both" { // the pairs test reads this line's count
			fmt.Fprintf(os.Stderr, "inject: %d resets each way for %v:%d\n", count, net.IP(src[:]), sport)
		} else {
			fmt.Fprintf(os.Stderr, "inject: %s resets for %v:%d (banner IP ID %d)\n", mode, net.IP(src[:]), sport, ipid)
		}
		// One connection is enough for the lab; leaving keeps later cases clean.
		time.Sleep(10 * time.Millisecond)
		return
	}
}

// send writes one reset from src:sport to dst:dport: sequence and
// acknowledgment numbers, TCP flags, window, TTL and IP ID as given (for
// an IP ID of 0 the kernel fills one in, raw(7)).
func send(fd int, src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags uint8, window uint16, ttl uint8, ipid uint16) {
	pkt := make([]byte, 40)
	pkt[0] = 0x45
	binary.BigEndian.PutUint16(pkt[2:], 40)
	binary.BigEndian.PutUint16(pkt[4:], ipid)
	pkt[6] = 0x40 // DF
	pkt[8] = ttl
	pkt[9] = 6
	copy(pkt[12:], src[:])
	copy(pkt[16:], dst[:])
	t := pkt[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = 5 << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], window)
	binary.BigEndian.PutUint16(t[16:], tcpChecksum(src, dst, t))
	check(syscall.Sendto(fd, pkt, 0, &syscall.SockaddrInet4{Addr: dst}))
}

func tcpChecksum(src, dst [4]byte, seg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	sum += 6 + uint32(len(seg))
	add(seg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "inject:", err)
		os.Exit(1)
	}
}
