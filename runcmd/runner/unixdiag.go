package runner

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// unixPeers asks the kernel (sock_diag, NETLINK_SOCK_DIAG) for every Unix
// socket of this network namespace and its peer's inode (0 when it has
// none): the link from an ssh mux client to its ControlMaster.
func unixPeers() map[uint64]uint64 {
	out := map[uint64]uint64{}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return out
	}
	defer unix.Close(fd)
	// struct nlmsghdr + struct unix_diag_req (linux/unix_diag.h).
	const reqLen = unix.SizeofNlMsghdr + 24
	req := make([]byte, reqLen)
	binary.NativeEndian.PutUint32(req[0:], reqLen)
	binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1) // sequence
	b := req[unix.SizeofNlMsghdr:]
	b[0] = unix.AF_UNIX
	binary.NativeEndian.PutUint32(b[4:], 0xffffffff) // udiag_states: all
	binary.NativeEndian.PutUint32(b[12:], 1<<2)      // udiag_show: UDIAG_SHOW_PEER
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return out
	}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil || n <= 0 {
			return out
		}
		for msg := buf[:n]; len(msg) >= unix.SizeofNlMsghdr; {
			l := int(binary.NativeEndian.Uint32(msg[0:]))
			typ := binary.NativeEndian.Uint16(msg[4:])
			if l < unix.SizeofNlMsghdr || l > len(msg) {
				return out
			}
			d := msg[unix.SizeofNlMsghdr:l]
			msg = msg[min(len(msg), (l+3)&^3):]
			switch typ {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				return out
			case unix.SOCK_DIAG_BY_FAMILY:
			default:
				continue
			}
			// struct unix_diag_msg: family, type, state, pad, ino, cookie[2].
			if len(d) < 16 {
				continue
			}
			ino := uint64(binary.NativeEndian.Uint32(d[4:]))
			out[ino] = 0
			for a := d[16:]; len(a) >= 4; {
				l := int(binary.NativeEndian.Uint16(a[0:]))
				t := binary.NativeEndian.Uint16(a[2:])
				if l < 4 || l > len(a) {
					break
				}
				if t == 2 && l >= 8 { // UNIX_DIAG_PEER
					out[ino] = uint64(binary.NativeEndian.Uint32(a[4:]))
				}
				a = a[min(len(a), (l+3)&^3):]
			}
		}
	}
}
