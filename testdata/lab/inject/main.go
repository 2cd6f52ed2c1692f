// Command inject is the lab's on-path reset injector. Run in the router
// namespace, it watches one interface and, when a client's SSH banner goes
// by, sends COUNT resets to each end (in the other end's name) with
// sequence numbers stepped by STEP, as censorship boxes and some IPS do.
// It drops nothing: the real packets keep flowing. Linux, IPv4, root.
//
//	inject IFACE PORT COUNT STEP
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
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: inject IFACE PORT COUNT STEP")
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
		if int(dport) != port || len(payload) < 4 || string(payload[:4]) != "SSH-" {
			continue
		}
		src, dst := [4]byte(p[12:16]), [4]byte(p[16:20])
		sport := binary.BigEndian.Uint16(tcp[0:2])
		seq := binary.BigEndian.Uint32(tcp[4:8])
		ack := binary.BigEndian.Uint32(tcp[8:12])
		next := seq + uint32(len(payload))
		for k := 0; k < count; k++ {
			d := uint32(k * step)
			// To the client in the server's name, then to the server in the client's.
			send(raw, dst, src, dport, sport, ack+d)
			send(raw, src, dst, sport, dport, next+d)
			time.Sleep(time.Millisecond)
		}
		fmt.Fprintf(os.Stderr, "inject: %d resets each way for %v:%d\n", count, net.IP(src[:]), sport)
		// One connection is enough for the lab; leaving keeps later cases clean.
		time.Sleep(10 * time.Millisecond)
		return
	}
}

// send writes one RST from src:sport to dst:dport with sequence number seq.
func send(fd int, src, dst [4]byte, sport, dport uint16, seq uint32) {
	pkt := make([]byte, 40)
	pkt[0] = 0x45
	binary.BigEndian.PutUint16(pkt[2:], 40)
	pkt[6] = 0x40 // DF
	pkt[8] = 64
	pkt[9] = 6
	copy(pkt[12:], src[:])
	copy(pkt[16:], dst[:])
	t := pkt[20:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 5 << 4
	t[13] = 0x04 // RST
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
