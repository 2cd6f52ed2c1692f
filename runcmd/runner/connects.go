package runner

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/rstsniff/rstsniff/runcmd"
)

// bpfConnects is a BPF sock_ops program attached to a cgroup: at each TCP
// connect() made inside it (BPF_SOCK_OPS_TCP_CONNECT_CB, once the local
// port is chosen, before the SYN leaves) it stores the socket's family,
// addresses and ports as a key in a hash map, and as the value the thread
// group ids of the connecting process and of its parents, up to
// ancestryDepth (read from the kernel's task_struct, whose offsets come
// from the running kernel's BTF). Attached to a cgroup made for the
// command, every connection in it is the command's; attached to the
// cgroup rstsniff itself is in (when it may not make one), only those whose
// chain holds the command's pid are. A nil *bpfConnects does nothing.
type bpfConnects struct {
	m        *ebpf.Map
	p        *ebpf.Program
	l        link.Link
	ancestry bool // the value holds the chain of tgids
	child    int  // with ancestry: the command's pid
}

// Offsets in struct bpf_sock_ops (include/uapi/linux/bpf.h) and the op.
const (
	sockOpsOp         = 0
	sockOpsFamily     = 20 // family, remote_ip4, local_ip4, remote_ip6[4], local_ip6[4], remote_port, local_port: 13 words
	sockOpsWords      = 13
	sockOpsConnectCB  = 3 // BPF_SOCK_OPS_TCP_CONNECT_CB
	connectKeySize    = 56
	ancestryDepth     = 8
	connectValueSize  = 4 * ancestryDepth
	connectMaxEntries = 16384
)

// taskOffsets finds task_struct's tgid and real_parent in the kernel's BTF.
func taskOffsets() (tgid, parent uint32, err error) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return 0, 0, err
	}
	var task *btf.Struct
	if err := spec.TypeByName("task_struct", &task); err != nil {
		return 0, 0, err
	}
	var found int
	var walk func(members []btf.Member, base uint32)
	walk = func(members []btf.Member, base uint32) {
		for _, m := range members {
			off := base + uint32(m.Offset.Bytes())
			switch m.Name {
			case "tgid":
				tgid = off
				found |= 1
			case "real_parent":
				parent = off
				found |= 2
			case "":
				switch t := btf.UnderlyingType(m.Type).(type) {
				case *btf.Struct:
					walk(t.Members, off)
				case *btf.Union:
					walk(t.Members, off)
				}
			}
		}
	}
	walk(task.Members, 0)
	if found != 3 {
		return 0, 0, fmt.Errorf("task_struct without tgid or real_parent in the kernel's BTF")
	}
	return tgid, parent, nil
}

// connectProgram is the program; with ancestry it also reads the chain of
// tgids (needs CAP_PERFMON: bpf_get_current_task, bpf_probe_read_kernel).
func connectProgram(m *ebpf.Map, ancestry bool) (*ebpf.Program, error) {
	const key = -connectKeySize        // r10-56 .. r10-1
	const val = key - connectValueSize // r10-88 .. r10-57
	const tmp = val - 8                // r10-96: a task pointer
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
	ins = append(ins, asm.StoreImm(asm.RFP, int16(key+4*sockOpsWords), 0, asm.Word)) // padding
	if ancestry {
		tgidOff, parentOff, err := taskOffsets()
		if err != nil {
			return nil, err
		}
		ins = append(ins, asm.FnGetCurrentTask.Call(), asm.Mov.Reg(asm.R7, asm.R0))
		for i := 0; i < ancestryDepth; i++ {
			ins = append(ins,
				// val[i] = task->tgid
				asm.Mov.Reg(asm.R1, asm.RFP), asm.Add.Imm(asm.R1, int32(val+4*i)),
				asm.Mov.Imm(asm.R2, 4),
				asm.Mov.Reg(asm.R3, asm.R7), asm.Add.Imm(asm.R3, int32(tgidOff)),
				asm.FnProbeReadKernel.Call(),
				// task = task->real_parent
				asm.Mov.Reg(asm.R1, asm.RFP), asm.Add.Imm(asm.R1, tmp),
				asm.Mov.Imm(asm.R2, 8),
				asm.Mov.Reg(asm.R3, asm.R7), asm.Add.Imm(asm.R3, int32(parentOff)),
				asm.FnProbeReadKernel.Call(),
				asm.LoadMem(asm.R7, asm.RFP, tmp, asm.DWord))
		}
	} else {
		for i := 0; i < ancestryDepth; i++ {
			ins = append(ins, asm.StoreImm(asm.RFP, int16(val+4*i), 0, asm.Word))
		}
	}
	ins = append(ins,
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, key),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, val),
		asm.Mov.Imm(asm.R4, 0), // BPF_ANY
		asm.FnMapUpdateElem.Call(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("out"),
		asm.Return(),
	)
	return ebpf.NewProgram(&ebpf.ProgramSpec{Name: "rstsniff_conn", Type: ebpf.SockOps, License: "GPL", Instructions: ins})
}

// attachConnects loads the program and attaches it to the cgroup at path.
// ancestry asks for the chain of parents, and its filter (path is not the
// command's own cgroup; set child once the command runs). It needs CAP_BPF and CAP_NET_ADMIN (or root), and CAP_PERFMON
// for the ancestry.
func attachConnects(path string, ancestry bool) (*bpfConnects, error) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "rstsniff_conns", Type: ebpf.Hash, KeySize: connectKeySize, ValueSize: connectValueSize, MaxEntries: connectMaxEntries})
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	p, err := connectProgram(m, ancestry)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("program: %w", err)
	}
	l, err := link.AttachCgroup(link.CgroupOptions{Path: path, Attach: ebpf.AttachCGroupSockOps, Program: p})
	if err != nil {
		p.Close()
		m.Close()
		return nil, fmt.Errorf("attach: %w", err)
	}
	return &bpfConnects{m: m, p: p, l: l, ancestry: ancestry}, nil
}

// conns are the connections recorded so far.
func (b *bpfConnects) conns() []runcmd.Conn {
	if b == nil {
		return nil
	}
	var out []runcmd.Conn
	var k [connectKeySize]byte
	var v [ancestryDepth]uint32
	it := b.m.Iterate()
	for it.Next(&k, &v) {
		if b.ancestry && !slices.Contains(v[:], uint32(b.child)) {
			continue // another process in the same cgroup
		}
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
