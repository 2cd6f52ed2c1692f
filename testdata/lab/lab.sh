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
# Cases that need a fault near the server use a second topology with two
# routers: client - router 1 (r0/r1) - router 2 (q0/q1) - server, the
# routers joined by 192.0.2.0/30 and 2001:db8:3::/64.
#
# usage: lab.sh OUTDIR [CASE ...]     (no CASE: every case but live)
# The live case runs the rstsniff binary named by $RSTSNIFF in the client
# namespace; TestLive builds it and runs that case.
# Each case writes OUTDIR/CASE/capture.pcap, client.txt (what ssh printed,
# then "exit N") and sshd.log. Needs root, iproute2, iptables, tcpdump,
# openssh-server, openssh-client and go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: lab.sh OUTDIR [CASE ...]}
shift
mkdir -p "$out"
out=$(cd "$out" && pwd)

all_cases=(clean authfail refused reject-banner post-handshake syn-drop maxstartups sshd-killed client-abort ipv6 port2222 any server-firewall icmp-reject
	reject-near-server inject-both idle-timeout mtu-blackhole rate-limit lossy-transfer ipv6-forensics hostile-banner)
# Captured at both ends at once (client.pcap, server.pcap), or on a jump
# host (jump.pcap), for --correlate; "pairs" names them all.
pair_cases=(pair-reject-banner pair-inject pair-mss-clamp pair-drop-large pair-nat pair-ipv6 jump-leg2-reset)
# sshd's log joined to the connections (rstsniff --sshd-log): "sshdlog"
# names them all. LAB_SYSLOG=1 makes every case's sshd log through syslog
# (sshd.log.rfc3339, .syslog, .json) instead of -E (sshd.log); LAB_SKEW
# sets that log's clock off by a duration (e.g. 90s); LAB_LOGLEVEL=INFO
# overrides the lab's LogLevel VERBOSE.
sshdlog_cases=(login-grace parallel20 ban)
# penalty needs sshd 9.8 or later (PerSourcePenalties): LAB_SSHD.
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")
[ "${cases[*]}" != pairs ] || cases=("${pair_cases[@]}")
[ "${cases[*]}" != sshdlog ] || cases=("${sshdlog_cases[@]}")

id=rsl$$
work=$(mktemp -d)
declare -A built=()
CLI4=198.51.100.2 SRV4=203.0.113.2 SRV6=2001:db8:2::2
# LAB_SSHD runs another sshd than the distribution's (e.g. one built from
# openssh-portable, for the log lines of newer releases).
SSHD=${LAB_SSHD:-/usr/sbin/sshd}

inc() { ip netns exec "$C" "$@"; }
inr() { ip netns exec "$R" "$@"; }
inr2() { ip netns exec "$R2" "$@"; }
ins() { ip netns exec "$S" "$@"; }

cleanup() {
	set +e
	[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null
	[ -f "$work/sshd-jump.pid" ] && kill "$(cat "$work/sshd-jump.pid")" 2>/dev/null
	[ -f "$work/syslogd.pid" ] && kill "$(cat "$work/syslogd.pid")" 2>/dev/null
	for ns in $(ip netns list | awk '{print $1}' | grep "^$id-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# topo one|two selects (and on first use builds) a topology: it sets C, R,
# R2 (two only) and S for the helpers.
topo() {
	case $1 in
	one) C=$id-c R=$id-r R2= S=$id-s ;;
	two) C=$id-c2 R=$id-r1 R2=$id-r2 S=$id-s2 ;;
	esac
	if [ -z "${built[$1]:-}" ]; then
		build_"$1"
		built[$1]=1
	fi
}

build_one() {
	ip netns add "$C"
	ip netns add "$R"
	ip netns add "$S"
	ip link add c0 netns "$C" type veth peer name r0 netns "$R"
	ip link add s0 netns "$S" type veth peer name r1 netns "$R"
	inr ip addr add 203.0.113.1/24 dev r1
	inr ip -6 addr add 2001:db8:2::1/64 dev r1 nodad
	finish_topology
}

build_two() {
	ip netns add "$C"
	ip netns add "$R"
	ip netns add "$R2"
	ip netns add "$S"
	ip link add c0 netns "$C" type veth peer name r0 netns "$R"
	ip link add r1 netns "$R" type veth peer name q0 netns "$R2"
	ip link add s0 netns "$S" type veth peer name q1 netns "$R2"
	inr ip addr add 192.0.2.1/30 dev r1
	inr ip -6 addr add 2001:db8:3::1/64 dev r1 nodad
	inr2 ip addr add 192.0.2.2/30 dev q0
	inr2 ip -6 addr add 2001:db8:3::2/64 dev q0 nodad
	inr2 ip addr add 203.0.113.1/24 dev q1
	inr2 ip -6 addr add 2001:db8:2::1/64 dev q1 nodad
	inr2 ip link set lo up
	inr2 ip link set q0 up
	inr2 ip link set q1 up
	inr2 sysctl -qw net.ipv4.ip_forward=1
	inr2 sysctl -qw net.ipv6.conf.all.forwarding=1
	inr ip link set r1 up
	inr ip route add 203.0.113.0/24 via 192.0.2.2
	inr ip -6 route add 2001:db8:2::/64 via 2001:db8:3::2
	inr2 ip route add default via 192.0.2.1
	inr2 ip -6 route add default via 2001:db8:3::1
	finish_topology
}

# finish_topology: the client and server ends and the first router's
# client side, common to both topologies.
finish_topology() {
	inc ip addr add $CLI4/24 dev c0
	inc ip -6 addr add 2001:db8:1::2/64 dev c0 nodad
	inr ip addr add 198.51.100.1/24 dev r0
	inr ip -6 addr add 2001:db8:1::1/64 dev r0 nodad
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
	for _ in $(seq 50); do
		inc ping -c1 -W1 -q $SRV4 >/dev/null 2>&1 && break
		sleep 0.1
	done
}

setup() {
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
	if ! "$SSHD" -t -f "$work/sshd_config" 2>/dev/null; then
		sed -i '/^PerSourcePenalties/d' "$work/sshd_config"
	fi
}

start_sshd() { # extra sshd -o options
	[ -z "${LAB_LOGLEVEL:-}" ] || set -- "$@" "LogLevel=$LAB_LOGLEVEL"
	[ "${LAB_SYSLOG:-}" != 1 ] || { start_sshd_syslog "$@"; return; }
	local opts=()
	for o in "$@"; do opts+=(-o "$o"); done
	rm -f "$work/sshd.pid"
	ins "$SSHD" -f "$work/sshd_config" -E "$dir/sshd.log" "${opts[@]}"
	for _ in $(seq 50); do
		[ -s "$work/sshd.pid" ] && [ -n "$(ins ss -Hltn 'sport = :22')" ] && break
		sleep 0.1
	done
}

stop_sshd() {
	[ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
	rm -f "$work/sshd.pid"
	sleep 0.2
	stop_syslogd
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
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
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
	# Only this lab's server namespace: a bare pkill sees every PID on the
	# machine and killed the sessions of labs running at the same time.
	local p
	for p in $(ip netns pids "$S"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -Eq '^sshd(-session)?: root' && kill -9 "$p" 2>/dev/null || true
	done
	wait $c || true
	stop_capture
	stop_sshd
}

case_server-firewall() { # mid-session the server's own iptables rejects the client with resets (as a fail2ban or firewalld rule can)
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 'for i in $(seq 60); do echo $i; sleep 0.05; done' &
	local c=$!
	sleep 1.5
	ins iptables -I INPUT -p tcp --dport 22 -s $CLI4 -j REJECT --reject-with tcp-reset
	wait $c || true
	stop_capture
	ins iptables -L INPUT -v -x -n >"$dir/server.txt"
	ins iptables -F INPUT
	stop_sshd
}

case_icmp-reject() { # SYNs answered by ICMP errors: the server's firewall (firewalld's and iptables' REJECT defaults), then a router with no route
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	ins iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with icmp-host-prohibited
	client root@$SRV4 true
	ins iptables -R INPUT 1 -p tcp --dport 22 -j REJECT
	client root@$SRV4 true
	ins ip6tables -I INPUT -p tcp --dport 22 -j REJECT --reject-with icmp6-adm-prohibited
	client root@$SRV6 true
	inr ip route add unreachable $SRV4/32
	client root@$SRV4 true
	stop_capture
	inr ip route del unreachable $SRV4/32
	ins iptables -L INPUT -v -x -n >"$dir/server.txt"
	ins ip6tables -L INPUT -v -x -n >>"$dir/server.txt"
	ins iptables -F INPUT
	ins ip6tables -F INPUT
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

case_reject-near-server() { # two routers; the one next to the server forges the reset
	topo two
	start_sshd
	inr2 iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	stop_capture
	inr2 iptables -F FORWARD
	stop_sshd
	topo one
}

case_inject-both() { # an on-path injector that drops nothing, captured on the router (-i any)
	# tcpdump -i any on the router does not always record the router's own
	# raw-socket packets (4 or 6 of the 6 resets in about a third of runs,
	# while the client always received its 3): try again until it has all.
	local try
	for try in 1 2 3 4 5; do
		: >"$dir/client.txt"
		: >"$dir/inject.txt"
		inject_once
		[ "$(tcpdump -nn -r "$dir/capture.pcap" 2>/dev/null | grep -c 'Flags \[R')" -ge 6 ] && break
		echo "lab: inject-both: the router capture missed some resets, again ($try)" >&2
	done
}

inject_once() {
	start_sshd
	# Not through inr: $! must be the injector itself.
	ip netns exec "$R" "$work/inject" r0 22 3 1460 2>>"$dir/inject.txt" &
	local inj=$!
	sleep 0.3
	rm -f "$work/tcpdump.err"
	ip netns exec "$R" tcpdump -Z root --immediate-mode -s 0 -U -w "$dir/capture.pcap" -i any 'tcp port 22' 2>"$work/tcpdump.err" &
	tcpdump_pid=$!
	for _ in $(seq 100); do
		grep -q listening "$work/tcpdump.err" 2>/dev/null && break
		sleep 0.05
	done
	client root@$SRV4 true
	sleep 0.5
	stop_capture
	kill $inj 2>/dev/null || true
	wait $inj 2>/dev/null || true
	stop_sshd
}

case_idle-timeout() { # the router forgets idle connections after 3 s and resets what it no longer knows
	start_sshd
	inr sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	inr iptables -I FORWARD -p tcp -m conntrack --ctstate INVALID -j REJECT --reject-with tcp-reset
	inr sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=3
	start_capture -i c0 'tcp or icmp or icmp6'
	# The session starts, stays silent for 6 s, then the client types a line.
	local rc=0
	(sleep 6; echo typed) | inc ssh -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		root@$SRV4 cat >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	inr iptables -F FORWARD
	inr sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=432000
	inr sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
	stop_sshd
}

case_mtu-blackhole() { # two routers joined by a 1000-byte MTU link; ICMP "fragmentation needed" dropped
	topo two
	start_sshd
	inr ip link set r1 mtu 1000
	inr2 ip link set q0 mtu 1000
	inr iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	start_capture -i c0 'tcp or icmp or icmp6'
	local rc=0
	inc timeout 8 ssh -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		root@$SRV4 true </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	inr iptables -F OUTPUT
	inr ip link set r1 mtu 1500
	inr2 ip link set q0 mtu 1500
	stop_sshd
	topo one
}

case_rate-limit() { # the router allows 3 new connections per minute and rejects the 4th with a reset
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 --syn -m recent --name lab --update --seconds 60 --hitcount 3 -j REJECT --reject-with tcp-reset
	inr iptables -A FORWARD -p tcp --dport 22 --syn -m recent --name lab --set
	start_capture -i c0 'tcp or icmp or icmp6'
	for _ in 1 2 3 4; do
		client root@$SRV4 true
	done
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

case_lossy-transfer() { # 400 kB from the server while the router drops 5% of packets at random
	start_sshd
	inr iptables -I FORWARD -p tcp -m statistic --mode random --probability 0.05 -j DROP
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 'head -c 400000 /dev/zero'
	# The loss may also take the closing FINs: stop it and leave time for
	# their retransmission, so the capture shows the close.
	inr iptables -F FORWARD
	sleep 4
	stop_capture
	stop_sshd
}

case_ipv6-forensics() { # IPv6: a router-forged reset, then a genuine client abort
	start_sshd
	inr ip6tables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp6'
	client root@$SRV6 true
	inr ip6tables -F FORWARD
	local rc=0
	inc "$work/abort" "[$SRV6]:22" >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	stop_sshd
}

case_live() { # rstsniff captures live in the client namespace while connections succeed, are reset and refused
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: live needs RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	start_sshd
	chmod 777 "$dir" # -Z nobody writes the evidence file here
	# Not through inc: $! must be rstsniff itself.
	ip netns exec "$C" "$RSTSNIFF" -i c0 --format json --grace 1s -w "$dir/evidence.pcapng" -Z nobody \
		--metrics 127.0.0.1:9122 >"$dir/stream.jsonl" 2>"$dir/rstsniff.err" &
	local pid=$!
	for _ in $(seq 100); do
		grep -q "live capture on" "$dir/rstsniff.err" 2>/dev/null && break
		sleep 0.05
	done
	awk '/^Uid:/{print $2}' "/proc/$pid/status" >"$dir/uid.txt"
	# After each connection, wait out the grace period and count the verdicts streamed so far.
	client root@$SRV4 'echo hello'
	sleep 2
	echo "after clean: $(grep -c '"type":"flow"' "$dir/stream.jsonl")" >>"$dir/streamed.txt"
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	client root@$SRV4 true
	inr iptables -F FORWARD
	sleep 2
	echo "after reject-banner: $(grep -c '"type":"flow"' "$dir/stream.jsonl")" >>"$dir/streamed.txt"
	stop_sshd
	client root@$SRV4 true
	sleep 2
	echo "after refused: $(grep -c '"type":"flow"' "$dir/stream.jsonl")" >>"$dir/streamed.txt"
	inc bash -c 'exec 3<>/dev/tcp/127.0.0.1/9122; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; cat <&3' >"$dir/metrics.txt" 2>&1 || true
	kill -INT $pid
	local rc=0
	wait $pid || rc=$?
	echo "exit $rc" >"$dir/rstsniff.exit"
}

case_hostile-banner() { # a fake server whose text line and banner are full of escapes and markup
	rm -f "$work/evil.out"
	ins "$work/evilserver" "$SRV4:22" >"$work/evil.out" 2>&1 &
	local ev=$!
	for _ in $(seq 100); do
		grep -q listening "$work/evil.out" 2>/dev/null && break
		sleep 0.05
	done
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	stop_capture
	kill $ev 2>/dev/null || true
	wait $ev 2>/dev/null || true
}

# --- captured at both ends --------------------------------------------------

# start_both captures in the client namespace (client.pcap) and the server
# namespace (server.pcap) at once.
start_both() {
	rm -f "$work/tcpdump.err" "$work/tcpdump2.err"
	ip netns exec "$C" tcpdump -Z root --immediate-mode -s 0 -U -w "$dir/client.pcap" -i c0 tcp 2>"$work/tcpdump.err" &
	tcpdump_pid=$!
	ip netns exec "$S" tcpdump -Z root --immediate-mode -s 0 -U -w "$dir/server.pcap" -i s0 tcp 2>"$work/tcpdump2.err" &
	tcpdump2_pid=$!
	for _ in $(seq 100); do
		grep -q listening "$work/tcpdump.err" 2>/dev/null && grep -q listening "$work/tcpdump2.err" 2>/dev/null && break
		sleep 0.05
	done
}

stop_both() {
	sleep 0.5
	kill -INT "$tcpdump_pid" "$tcpdump2_pid" 2>/dev/null || true
	wait "$tcpdump_pid" 2>/dev/null || true
	wait "$tcpdump2_pid" 2>/dev/null || true
}

# router_counters records what the router's rules did: the ground truth
# the packet counts are checked against.
router_counters() {
	{
		echo "# iptables -L FORWARD -v -x -n"
		inr iptables -L FORWARD -v -x -n
		echo "# iptables -t mangle -L FORWARD -v -x -n"
		inr iptables -t mangle -L FORWARD -v -x -n
		echo "# iptables -t nat -L POSTROUTING -v -x -n"
		inr iptables -t nat -L POSTROUTING -v -x -n
	} >"$dir/router.txt"
}

case_pair-reject-banner() { # the router answers the client's banner with a forged RST; both ends captured
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_both
	client root@$SRV4 true
	sleep 0.5 # the server's banner meets the client's closed socket
	stop_both
	router_counters
	inr iptables -F FORWARD
	stop_sshd
}

case_pair-inject() { # an on-path injector sends 3 resets each way and drops nothing; both ends captured
	start_sshd
	ip netns exec "$R" "$work/inject" r0 22 3 1460 2>>"$dir/inject.txt" &
	local inj=$!
	sleep 0.3
	start_both
	client root@$SRV4 true
	sleep 0.5
	stop_both
	kill $inj 2>/dev/null || true
	wait $inj 2>/dev/null || true
	stop_sshd
}

case_pair-mss-clamp() { # the router clamps the MSS of SYNs to 1200; a clean login otherwise
	start_sshd
	inr iptables -t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200
	start_both
	client root@$SRV4 'echo hello'
	stop_both
	router_counters
	inr iptables -t mangle -F FORWARD
	stop_sshd
}

case_pair-drop-large() { # the router drops the server's packets of 1000 bytes or more; the client gives up
	start_sshd
	inr iptables -I FORWARD -p tcp --sport 22 -m length --length 1000:65535 -j DROP
	start_both
	local rc=0
	inc timeout 6 ssh -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		root@$SRV4 true </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_both
	router_counters
	# The server still retransmits to the client that gave up: abort its
	# socket, or its late packets would show up in the next case.
	ins ss -K state connected sport = :22 >/dev/null 2>&1 || true
	inr iptables -F FORWARD
	stop_sshd
}

case_pair-nat() { # source NAT with port rewriting on the router, and a forged RST for the client's banner
	start_sshd
	inr iptables -t nat -A POSTROUTING -o r1 -p tcp -j SNAT --to-source 203.0.113.1:40000-40999 --random
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_both
	client root@$SRV4 true
	sleep 0.5
	stop_both
	router_counters
	inr iptables -F FORWARD
	inr iptables -t nat -F POSTROUTING
	stop_sshd
}

case_pair-ipv6() { # IPv6: the router answers the client's banner with a forged RST (ip6tables REJECT)
	start_sshd
	inr ip6tables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_both
	client root@$SRV6 true
	sleep 0.5
	stop_both
	inr ip6tables -L FORWARD -v -x -n >"$dir/router.txt"
	inr ip6tables -F FORWARD
	stop_sshd
}

case_jump-leg2-reset() { # ssh -J through a jump host (the router, forwarding off, its own sshd); the target resets leg 2
	start_sshd
	inr sysctl -qw net.ipv4.ip_forward=0
	sed -e "s|^PidFile .*|PidFile $work/sshd-jump.pid|" -e '/^Port 2222/d' "$work/sshd_config" >"$work/sshd_jump_config"
	inr /usr/sbin/sshd -f "$work/sshd_jump_config" -E "$dir/sshd-jump.log"
	for _ in $(seq 50); do
		[ -s "$work/sshd-jump.pid" ] && break
		sleep 0.1
	done
	cat >"$work/ssh_config" <<CFG
Host *
  IdentityFile $work/userkey
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  ConnectTimeout 5
CFG
	rm -f "$work/tcpdump.err"
	ip netns exec "$R" tcpdump -Z root --immediate-mode -s 0 -U -w "$dir/jump.pcap" -i any tcp 2>"$work/tcpdump.err" &
	tcpdump_pid=$!
	for _ in $(seq 100); do
		grep -q listening "$work/tcpdump.err" 2>/dev/null && break
		sleep 0.05
	done
	local rc=0
	inc ssh -F "$work/ssh_config" -J root@198.51.100.1 root@$SRV4 'sleep 4; echo done' </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" &
	local c=$!
	sleep 2.5
	# The session is up: from now on the target answers the jump host with resets.
	ins iptables -I INPUT -p tcp --dport 22 -s 203.0.113.1 -j REJECT --reject-with tcp-reset
	wait $c || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	ins iptables -L INPUT -v -x -n >"$dir/target.txt"
	ins iptables -F INPUT
	kill "$(cat "$work/sshd-jump.pid")" 2>/dev/null || true
	rm -f "$work/sshd-jump.pid"
	inr sysctl -qw net.ipv4.ip_forward=1
	stop_sshd
}

# --- sshd's log ------------------------------------------------------------

# start_sshd_syslog starts sshd logging through syslog() to the lab's
# syslogd: in a mount namespace of its own, /dev is a tmpfs holding the few
# devices sshd uses and /dev/log, the syslogd's socket (the host's /dev is
# not touched).
start_sshd_syslog() { # extra sshd -o options
	local opts=()
	for o in "$@"; do opts+=(-o "$o"); done
	rm -f "$work/sshd.pid"
	"$work/syslogd" -skew "${LAB_SKEW:-0s}" "$work/log.sock" "$dir/sshd.log" &
	echo $! >"$work/syslogd.pid"
	for _ in $(seq 50); do [ -S "$work/log.sock" ] && break; sleep 0.05; done
	ins unshare -m --propagation private bash -c '
		set -e
		work=$1; shift
		mkdir -p "$work/olddev"
		mount --bind /dev "$work/olddev"
		mount -t tmpfs -o mode=755 labdev /dev
		for d in null zero full random urandom tty ptmx; do
			touch "/dev/$d"; mount --bind "$work/olddev/$d" "/dev/$d"
		done
		mkdir -p /dev/pts /dev/shm
		mount --bind "$work/olddev/pts" /dev/pts
		mount --bind "$work/olddev/shm" /dev/shm
		ln -s "$work/log.sock" /dev/log
		exec "$@"' _ "$work" "$SSHD" -f "$work/sshd_config" -o SyslogFacility=AUTH "${opts[@]}"
	for _ in $(seq 50); do
		[ -s "$work/sshd.pid" ] && [ -n "$(ins ss -Hltn 'sport = :22')" ] && break
		sleep 0.1
	done
}

stop_syslogd() {
	[ -f "$work/syslogd.pid" ] || return 0
	sleep 0.3 # the last lines of sessions ending
	kill "$(cat "$work/syslogd.pid")" 2>/dev/null || true
	wait "$(cat "$work/syslogd.pid")" 2>/dev/null || true
	rm -f "$work/syslogd.pid" "$work/log.sock"
}

case_login-grace() { # a client connects, reads the banner and says nothing: LoginGraceTime (2 s) runs out
	start_sshd LoginGraceTime=2
	start_capture -i c0 'tcp or icmp or icmp6'
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; head -1 <&3 >/dev/null; cat <&3 >/dev/null" || true
	echo "exit 0" >>"$dir/client.txt"
	stop_capture
	stop_sshd
}

case_parallel20() { # twenty connections at once from one client address: ten logins, five refused keys, five aborted after the banners
	start_sshd MaxStartups=100 MaxSessions=100
	start_capture -i c0 'tcp or icmp or icmp6'
	local pids=() i
	for i in $(seq 10); do client root@$SRV4 'sleep 1' & pids+=($!); done
	for i in $(seq 5); do key=$work/strangerkey client root@$SRV4 true & pids+=($!); done
	for i in $(seq 5); do inc "$work/abort" $SRV4:22 >>"$dir/client.out" 2>>"$dir/client.txt" & pids+=($!); done
	wait "${pids[@]}" || true
	stop_capture
	stop_sshd
}

case_ban() { # fail2ban-style: a refused key, then the server bans the client (iptables REJECT, a fail2ban log line), then the client tries again
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	key=$work/strangerkey client root@$SRV4 true
	sleep 4
	ins iptables -I INPUT -p tcp --dport 22 -s $CLI4 -j REJECT --reject-with tcp-reset
	echo "$(date -u '+%Y-%m-%d %H:%M:%S,%3N') fail2ban.actions        [4242]: NOTICE  [sshd] Ban $CLI4" >>"$dir/fail2ban.log"
	client root@$SRV4 true
	sleep 1
	ins iptables -D INPUT -p tcp --dport 22 -s $CLI4 -j REJECT --reject-with tcp-reset
	echo "$(date -u '+%Y-%m-%d %H:%M:%S,%3N') fail2ban.actions        [4242]: NOTICE  [sshd] Unban $CLI4" >>"$dir/fail2ban.log"
	stop_capture
	stop_sshd
}

case_live-sshdlog() { # rstsniff live with --sshd-log following sshd's -E file, across a rotation (mv, then SIGHUP: sshd re-opens it)
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: live-sshdlog needs RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	start_sshd
	# Not through inc: $! must be rstsniff itself.
	ip netns exec "$C" "$RSTSNIFF" -i c0 --format json --grace 1s --sshd-log "$dir/sshd.log" \
		>"$dir/stream.jsonl" 2>"$dir/rstsniff.err" &
	local pid=$!
	for _ in $(seq 100); do
		grep -q "live capture on" "$dir/rstsniff.err" 2>/dev/null && break
		sleep 0.05
	done
	client root@$SRV4 'echo hello'
	sleep 2
	mv "$dir/sshd.log" "$dir/sshd.log.1"
	kill -HUP "$(cat "$work/sshd.pid")"
	for _ in $(seq 50); do
		[ -s "$dir/sshd.log" ] && [ -n "$(ins ss -Hltn 'sport = :22')" ] && break
		sleep 0.1
	done
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	client root@$SRV4 true
	inr iptables -F FORWARD
	sleep 2.5
	kill -INT $pid
	local rc=0
	wait $pid || rc=$?
	echo "exit $rc" >"$dir/rstsniff.exit"
	stop_sshd
}

case_penalty() { # sshd 9.8+: PerSourcePenalties on (authfail 30 s), a refused key, then the same client again
	"$SSHD" -T -f "$work/sshd_config" 2>/dev/null | grep -q "^persourcepenalties" ||
		{ echo "lab: penalty needs sshd 9.8 or later (LAB_SSHD)" >&2; return 1; }
	start_sshd "PerSourcePenalties=authfail:30s min:1s"
	start_capture -i c0 'tcp or icmp or icmp6'
	key=$work/strangerkey client root@$SRV4 true
	sleep 0.5
	client root@$SRV4 true
	stop_capture
	stop_sshd
}

# --- main ------------------------------------------------------------------

for t in ip iptables tcpdump ssh ssh-keygen /usr/sbin/sshd go; do
	command -v "$t" >/dev/null || { echo "lab: $t is missing" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "lab: needs root" >&2; exit 3; }

(cd "$here/abort" && go build -o "$work/abort" .)
(cd "$here/inject" && go build -o "$work/inject" .)
(cd "$here/evilserver" && go build -o "$work/evilserver" .)
(cd "$here/syslogd" && go build -o "$work/syslogd" .)
setup
topo one
for c in "${cases[@]}"; do
	declare -F "case_$c" >/dev/null || { echo "lab: no case $c" >&2; exit 2; }
	dir=$out/$c
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/client.txt"
	"case_$c"
	echo "lab: $c done: $(tail -1 "$dir/client.txt")" >&2
done
