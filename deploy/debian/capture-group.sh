#!/bin/sh
# capture-group.sh on|off SOURCE DIR GROUP
#
# on: DIR/rstsniff becomes a copy of SOURCE that only root and GROUP may
# run (root:GROUP, mode 0750), with the capabilities rstsniff needs to
# capture and to attribute connections without root (rstsniff run, -i):
#   cap_net_raw                         open a live capture (libpcap)
#   cap_net_admin, cap_bpf              load and attach the BPF programs (run's
#                                       connect() recorder on a cgroup)
#   cap_perfmon                         read the kernel's task list from BPF
#                                       (run's ancestry), the kernel witness's
#                                       tracepoints
# as Debian does for Wireshark's dumpcap. Members of GROUP then run
# DIR/rstsniff (e.g. with DIR first in PATH); /usr/bin/rstsniff keeps no
# capabilities and stays for everyone.
# off: removes DIR/rstsniff.
# The Debian package's postinst calls it with RSTSNIFF_CAPTURE_GROUP from
# /etc/default/rstsniff (off by default); docs/run.md.
set -eu
mode=${1:?usage: capture-group.sh on|off SOURCE DIR GROUP}
src=${2:?SOURCE}
dir=${3:?DIR}
group=${4:?GROUP}
case $mode in
on)
	command -v setcap >/dev/null 2>&1 || { echo "rstsniff: capture group: setcap not found (apt-get install libcap2-bin)" >&2; exit 1; }
	install -d -m 0755 "$dir"
	tmp=$(mktemp "$dir/.rstsniff.XXXXXX")
	cp "$src" "$tmp"
	chown "root:$group" "$tmp"
	chmod 0750 "$tmp"
	setcap cap_net_raw,cap_net_admin,cap_bpf,cap_perfmon=ep "$tmp"
	mv -f "$tmp" "$dir/rstsniff"
	;;
off)
	rm -f "$dir/rstsniff"
	rmdir "$dir" 2>/dev/null || true
	;;
*)
	echo "usage: capture-group.sh on|off SOURCE DIR GROUP" >&2
	exit 2
	;;
esac
