package runner

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/rstsniff/rstsniff/runcmd"
)

// bpfConnects is a BPF sock_ops program attached to the command's cgroup:
// at each TCP connect() made inside it (BPF_SOCK_OPS_TCP_CONNECT_CB, once
// the local port is chosen, before the SYN leaves) it stores the socket's
// family, addresses and ports as a key in a hash map. A nil *bpfConnects
// does nothing.
type bpfConnects struct {
	m *ebpf.Map
	p *ebpf.Program
	l link.Link
}

// Offsets in struct bpf_sock_ops (include/uapi/linux/bpf.h) and the op.
const (
	sockOpsOp         = 0
	sockOpsFamily     = 20 // family, remote_ip4, local_ip4, remote_ip6[4], local_ip6[4], remote_port, local_port: 13 words
	sockOpsWords      = 13
	sockOpsConnectCB  = 3 // BPF_SOCK_OPS_TCP_CONNECT_CB
	connectKeySize    = 56
	connectMaxEntries = 16384
)

// attachConnects loads the program and attaches it to the cgroup. It needs
// CAP_BPF and CAP_NET_ADMIN (or root).
func attachConnects(cg *cgroup) (*bpfConnects, error) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "rstsniff_conns", Type: ebpf.Hash, KeySize: connectKeySize, ValueSize: 4, MaxEntries: connectMaxEntries})
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	const key = -connectKeySize // the key on the stack, r10-56 .. r10-1
	ins := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R2, asm.R6, sockOpsOp, asm.Word),
		asm.JNE.Imm(asm.R2, sockOpsConnectCB, "out"),
	}
	for i := 0; i < sockOpsWords; i++ {
		ins = append(ins,
			asm.LoadMem(asm.R2, asm.R6, int16(sockOpsFamily+4*i), asm.Word),
			asm.StoreMem(asm.RFP, int16(key+4*i), asm.R2, asm.Word))
	}
	ins = append(ins,
		asm.StoreImm(asm.RFP, int16(key+4*sockOpsWords), 0, asm.Word), // padding
		asm.StoreImm(asm.RFP, int16(key-8), 1, asm.Word),              // the value
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, key),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, key-8),
		asm.Mov.Imm(asm.R4, 0), // BPF_ANY
		asm.FnMapUpdateElem.Call(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("out"),
		asm.Return(),
	)
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "rstsniff_conn", Type: ebpf.SockOps, License: "GPL", Instructions: ins})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("program: %w", err)
	}
	l, err := link.AttachCgroup(link.CgroupOptions{Path: cg.path, Attach: ebpf.AttachCGroupSockOps, Program: p})
	if err != nil {
		p.Close()
		m.Close()
		return nil, fmt.Errorf("attach: %w", err)
	}
	return &bpfConnects{m: m, p: p, l: l}, nil
}

// conns are the connections recorded so far.
func (b *bpfConnects) conns() []runcmd.Conn {
	if b == nil {
		return nil
	}
	var out []runcmd.Conn
	var k [connectKeySize]byte
	var v uint32
	it := b.m.Iterate()
	for it.Next(&k, &v) {
		if c, ok := parseConnectKey(k[:]); ok {
			out = append(out, c)
		}
	}
	return out
}

// parseConnectKey reads a key the program stored: struct bpf_sock_ops's
// words as the kernel gives them (addresses and the remote port in
// network byte order, the local port in host byte order).
func parseConnectKey(k []byte) (runcmd.Conn, bool) {
	w := func(i int) []byte { return k[4*i : 4*i+4] }
	family := binary.NativeEndian.Uint32(w(0))
	var local, remote netip.Addr
	switch family {
	case 2: // AF_INET
		remote = netip.AddrFrom4([4]byte(w(1)))
		local = netip.AddrFrom4([4]byte(w(2)))
	case 10: // AF_INET6
		remote = netip.AddrFrom16([16]byte(k[12:28])).Unmap()
		local = netip.AddrFrom16([16]byte(k[28:44])).Unmap()
	default:
		return runcmd.Conn{}, false
	}
	// remote_port: the network-order port, which little-endian kernels
	// shift into the word's upper half (bytes 2 and 3 as stored).
	rp := binary.BigEndian.Uint16(w(11)[2:])
	if rp == 0 {
		rp = binary.BigEndian.Uint16(w(11)[:2])
	}
	lp := uint16(binary.NativeEndian.Uint32(w(12)))
	return runcmd.Conn{Local: netip.AddrPortFrom(local, lp), Remote: netip.AddrPortFrom(remote, rp)}, true
}

func (b *bpfConnects) close() {
	if b == nil {
		return
	}
	b.l.Close()
	b.p.Close()
	b.m.Close()
}
