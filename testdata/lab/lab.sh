#!/usr/bin/env bash
# The rstsniff lab: real sshd and ssh in network namespaces, faults made on a
# router or on the server, recorded with tcpdump on the client.
#
#   client ns  c0 198.51.100.2/24 2001:db8:1::2/64
#      |  veth
#   router ns  r0 198.51.100.1    2001:db8:1::1      (forwarding; faults with iptables)
#              r1 203.0.113.1     2001:db8:2::1
#      |  veth
#   server ns  s0 203.0.113.2/24  2001:db8:2::2/64   (sshd on 22 and 2222)
#
# usage: lab.sh OUTDIR [CASE ...]     (no CASE: every case)
# Each case writes OUTDIR/CASE/capture.pcap, client.txt (what ssh printed,
# then "exit N") and sshd.log. Needs root, iproute2, iptables, tcpdump,
# openssh-server, openssh-client and go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: lab.sh OUTDIR [CASE ...]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

all_cases=(clean authfail refused reject-banner post-handshake syn-drop maxstartups sshd-killed client-abort ipv6 port2222 any)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")

id=rsl$$
C=$id-c R=$id-r S=$id-s
work=$(mktemp -d)
CLI4=198.51.100.2 SRV4=203.0.113.2 SRV6=2001:db8:2::2

inc() { ip netns exec "$C" "$@"; }
inr() { ip netns exec "$R" "$@"; }
ins() { ip netns exec "$S" "$@"; }

cleanup() {
	set +e
	[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null
	ip netns pids "$S" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids "$C" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$R" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

setup() {
	ip netns add "$C"
	ip netns add "$R"
	ip netns add "$S"
	ip link add c0 netns "$C" type veth peer name r0 netns "$R"
	ip link add s0 netns "$S" type veth peer name r1 netns "$R"
	inc ip addr add $CLI4/24 dev c0
	inc ip -6 addr add 2001:db8:1::2/64 dev c0 nodad
	inr ip addr add 198.51.100.1/24 dev r0
	inr ip -6 addr add 2001:db8:1::1/64 dev r0 nodad
	inr ip addr add 203.0.113.1/24 dev r1
	inr ip -6 addr add 2001:db8:2::1/64 dev r1 nodad
	ins ip addr add $SRV4/24 dev s0
	ins ip -6 addr add $SRV6/64 dev s0 nodad
	for ns in "$C" "$R" "$S"; do
		ip netns exec "$ns" ip link set lo up
	done
	inc ip link set c0 up
	inr ip link set r0 up
	inr ip link set r1 up
	ins ip link set s0 up
	inc ip route add default via 198.51.100.1
	inc ip -6 route add default via 2001:db8:1::1
	ins ip route add default via 203.0.113.1
	ins ip -6 route add default via 2001:db8:2::1
	inr sysctl -qw net.ipv4.ip_forward=1
	inr sysctl -qw net.ipv6.conf.all.forwarding=1

	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
	ssh-keygen -q -t ed25519 -N '' -C lab-user -f "$work/userkey"
	ssh-keygen -q -t ed25519 -N '' -C lab-stranger -f "$work/strangerkey"
	cp "$work/userkey.pub" "$work/authorized_keys"
	cat >"$work/sshd_config" <<EOF
Port 22
Port 2222
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $work/hostkey
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PerSourcePenalties no
LogLevel VERBOSE
EOF
	# PerSourcePenalties only exists from OpenSSH 9.8 on.
	if ! /usr/sbin/sshd -t -f "$work/sshd_config" 2>/dev/null; then
		sed -i '/^PerSourcePenalties/d' "$work/sshd_config"
	fi
	# Wait until the router forwards (IPv6 routes settle quickly with nodad).
	for _ in $(seq 50); do
		inc ping -c1 -W1 -q $SRV4 >/dev/null 2>&1 && break
		sleep 0.1
	done
}

start_sshd() { # extra sshd -o options
	local opts=()
	for o in "$@"; do opts+=(-o "$o"); done
	rm -f "$work/sshd.pid"
	ins /usr/sbin/sshd -f "$work/sshd_config" -E "$dir/sshd.log" "${opts[@]}"
	for _ in $(seq 50); do
		[ -s "$work/sshd.pid" ] && [ -n "$(ins ss -Hltn 'sport = :22')" ] && break
		sleep 0.1
	done
}

stop_sshd() {
	[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
	rm -f "$work/sshd.pid"
	sleep 0.2
}

start_capture() { # tcpdump options and filter
	rm -f "$work/tcpdump.err"
	# Not through inc: $! must be tcpdump itself for stop_capture's SIGINT.
	ip netns exec "$C" tcpdump -Z root --immediate-mode -s 0 -U -w "$dir/capture.pcap" "$@" 2>"$work/tcpdump.err" &
	tcpdump_pid=$!
	for _ in $(seq 100); do
		grep -q listening "$work/tcpdump.err" 2>/dev/null && break
		sleep 0.05
	done
}

stop_capture() {
	sleep 0.5
	kill -INT "$tcpdump_pid" 2>/dev/null || true
	wait "$tcpdump_pid" 2>/dev/null || true
}

# client runs the real ssh client in the client namespace; its stderr and
# exit status go to client.txt.
client() {
	local rc=0
	inc ssh -F /dev/null -i "${key:-$work/userkey}" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=5 "$@" </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
}

# --- the cases -------------------------------------------------------------

case_clean() { # key login, one command, normal close
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 'echo hello'
	stop_capture
	stop_sshd
}

case_authfail() { # a key the server does not accept
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	key=$work/strangerkey client root@$SRV4 'echo hello'
	stop_capture
	stop_sshd
}

case_refused() { # sshd is not running: the server's kernel refuses port 22
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	stop_capture
}

case_reject-banner() { # router answers the client's banner with a forged RST
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

case_post-handshake() { # router resets the client as soon as the handshake's ACK passes
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 ! --syn -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	sleep 1.5 # the server's SYN-ACK retransmissions
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

case_syn-drop() { # router drops every SYN: the client times out
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 --syn -j DROP
	start_capture -i c0 'tcp or icmp or icmp6'
	client -o ConnectTimeout=3 root@$SRV4 true
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

case_maxstartups() { # one unauthenticated connection is held open; sshd drops the next
	start_sshd MaxStartups=1
	start_capture -i c0 'tcp or icmp or icmp6'
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; head -1 <&3 >/dev/null; sleep 2" &
	local holder=$!
	sleep 0.5
	client root@$SRV4 true
	wait $holder || true
	stop_capture
	stop_sshd
}

case_sshd-killed() { # the session's sshd processes are killed mid-session
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 'sleep 30' &
	local c=$!
	sleep 1.5
	ins pkill -9 -f 'sshd: root' || true
	wait $c || true
	stop_capture
	stop_sshd
}

case_client-abort() { # a client that closes with SO_LINGER 0 after the banners
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	local rc=0
	inc "$work/abort" $SRV4:22 >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	stop_sshd
}

case_ipv6() { # clean login over IPv6, nanosecond timestamps
	start_sshd
	start_capture -i c0 --time-stamp-precision=nano 'tcp or icmp or icmp6'
	client root@$SRV6 'echo hello'
	stop_capture
	stop_sshd
}

case_port2222() { # clean login on a non-default port
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	client -p 2222 root@$SRV4 'echo hello'
	stop_capture
	stop_sshd
}

case_any() { # clean login captured with tcpdump -i any (Linux cooked v2)
	start_sshd
	start_capture -i any tcp
	client root@$SRV4 'echo hello'
	stop_capture
	stop_sshd
}

# --- main ------------------------------------------------------------------

for t in ip iptables tcpdump ssh ssh-keygen /usr/sbin/sshd go; do
	command -v "$t" >/dev/null || { echo "lab: $t is missing" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "lab: needs root" >&2; exit 3; }

(cd "$here/abort" && go build -o "$work/abort" .)
setup
for c in "${cases[@]}"; do
	declare -F "case_$c" >/dev/null || { echo "lab: no case $c" >&2; exit 2; }
	dir=$out/$c
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/client.txt"
	"case_$c"
	echo "lab: $c done: $(tail -1 "$dir/client.txt")" >&2
done
