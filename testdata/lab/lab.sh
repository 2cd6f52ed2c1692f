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
# service-prometheus runs $RSTSNIFF_SERVICE (written by deploy/service_test.go
# from the installed Debian package's unit) on two hosts, scraped by a
# Prometheus server on the router.
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
	reject-near-server inject-both idle-timeout mtu-blackhole mtu-blackhole-both rate-limit lossy-transfer ipv6-forensics hostile-banner
	fp-gfw-triple fp-intang-type1 fp-intang-type2 fp-ip-id-copied residual-block midstream-grace
	maxstartups-late inject-late mtu-blackhole-twoway tunnel-vxlan tunnel-vxlan-fragments)
# Captured at both ends at once (client.pcap, server.pcap), or on a jump
# host (jump.pcap), for --correlate; "pairs" names them all.
pair_cases=(pair-reject-banner pair-inject pair-mss-clamp pair-drop-large pair-nat pair-ipv6 jump-leg2-reset)
# rstsniff probe (named by $RSTSNIFF) run in the client namespace against
# the real sshd; "probes" names them all. Each writes probe.jsonl (its JSON
# output), probe.err and probe.exit; probe-locate one set per run.
probe_cases=(probe-clean probe-reject-banner probe-rate-limit probe-maxstartups probe-mtu-blackhole probe-refused probe-nobody probe-locate
	probe-syn-drop probe-icmp-reject probe-post-handshake)
# sshd's log joined to the connections (rstsniff --sshd-log): "sshdlog"
# names them all. LAB_SYSLOG=1 makes every case's sshd log through syslog
# (sshd.log.rfc3339, .syslog, .json) instead of -E (sshd.log); LAB_SKEW
# sets that log's clock off by a duration (e.g. 90s); LAB_LOGLEVEL=INFO
# overrides the lab's LogLevel VERBOSE.
sshdlog_cases=(login-grace parallel20 ban early-reset)
# rstsniff run -- COMMAND (named by $RSTSNIFF) in the client namespace
# around the real ssh, scp and sftp; "runs" names them all. Each run NAME
# writes NAME.out (the command's standard output), NAME.err (its standard
# error and rstsniff's lines), NAME.exit, and the report NAME.json (-o).
run_cases=(run-reject-banner run-maxstartups run-refused run-clean run-other run-mux run-group run-missing run-sigint run-mtu-blackhole)
# penalty needs sshd 9.8 or later (PerSourcePenalties): LAB_SSHD.
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")
[ "${cases[*]}" != pairs ] || cases=("${pair_cases[@]}")
[ "${cases[*]}" != probes ] || cases=("${probe_cases[@]}")
[ "${cases[*]}" != sshdlog ] || cases=("${sshdlog_cases[@]}")
[ "${cases[*]}" != runs ] || cases=("${run_cases[@]}")

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

# kill_old_sessions ends the sshd processes a case before left in the
# server's namespace: stop_sshd stops the listener only, and a session
# whose client's resets a firewall dropped (server-firewall) retransmits
# into the next case's capture for seconds, where the client's kernel
# resets it (CI once saw a second connection in sshd-killed so).
kill_old_sessions() {
	local p n=0
	for p in $(ip netns pids "$S" 2>/dev/null); do
		case "$(cat /proc/$p/comm 2>/dev/null)" in
		sshd | sshd-session | sshd-auth) kill "$p" 2>/dev/null && n=$((n + 1)) ;;
		esac
	done
	[ $n = 0 ] || sleep 0.3
}

start_sshd() { # extra sshd -o options
	kill_old_sessions
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
# exit status go to client.txt. RSTSNIFF_LAB_SSH_VVV=1 runs it with -vvv
# (the whole debug log in client.txt, for rstsniff explain's tests).
client() {
	local rc=0
	inc ssh -F /dev/null -i "${key:-$work/userkey}" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=5 ${RSTSNIFF_LAB_SSH_VVV:+-vvv} "$@" </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
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

# A bash connection holds sshd's one unauthenticated slot (MaxStartups=1).
# The router's way back to the client is then a 32 kbit/s token bucket
# holding 150 bytes (this kernel has no netem): the SYN-ACK passes at once, sshd's
# "Exceeded MaxStartups" line and FIN wait about 20 ms each. The client's
# banner leaves before they arrive, acknowledging only the SYN-ACK, and
# reaches a socket sshd has closed: the server's kernel answers it, and
# each later packet of the client's, with a reset whose sequence number is
# that packet's acknowledgment number. The first lies behind what the
# client has received by the time it arrives.
case_maxstartups-late() { # MaxStartups 1 while the client's banner arrives after sshd closed
	start_sshd MaxStartups=1
	start_capture -i c0 'tcp or icmp or icmp6'
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; head -1 <&3 >/dev/null; sleep 2" &
	local holder=$!
	sleep 0.5
	inr tc qdisc add dev r0 root tbf rate 32kbit burst 150 latency 2s
	client root@$SRV4 true
	wait $holder || true
	stop_capture
	inr tc qdisc del dev r0 root 2>/dev/null || true
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

# case_tunnel-vxlan: the client reaches sshd through a VXLAN overlay (VNI
# 42, UDP 4789) laid over the routed path, 192.0.2.129 to 192.0.2.130 inside
# it: a clean login, then, mid-session, the server's own iptables rejects the
# client with resets on the overlay (as server-firewall does on the path).
# Captured twice at once: in the tunnel on the router (capture.pcap, every
# SSH packet inside VXLAN) and inside it on the client (inner.pcap, the
# overlay's own interface); the rule's counter is in server.txt. With
# $RSTSNIFF set, rstsniff captures live on the router too, given the
# tunnel's filter (live.jsonl, live.err).
case_tunnel-vxlan() { tunnel_vxlan 1450; }

# case_tunnel-vxlan-fragments: the same with the overlay's MTU at its
# path's, 1500 (what a VXLAN device made without an underlay device keeps):
# the kernel fragments every VXLAN datagram over 1500 bytes.
case_tunnel-vxlan-fragments() { tunnel_vxlan 1500; }

tunnel_vxlan() { # the overlay's MTU: 1450 or 1500
	topo one
	local ns ip peer a dev
	# On its underlay device, vx0 takes that device's MTU less VXLAN's 50
	# bytes (1450, as flannel sets it), and the kernel refuses more; made
	# without one, it keeps 1500 and the kernel fragments the larger UDP
	# datagrams.
	for ns in "$C" "$S"; do
		ip=$CLI4 peer=$SRV4 a=192.0.2.129 dev=(dev c0)
		[ "$ns" = "$C" ] || ip=$SRV4 peer=$CLI4 a=192.0.2.130 dev=(dev s0)
		[ "$1" = 1450 ] || dev=()
		ip netns exec "$ns" ip link add vx0 type vxlan id 42 local $ip remote $peer dstport 4789 "${dev[@]}"
		ip netns exec "$ns" ip addr add $a/30 dev vx0
		ip netns exec "$ns" ip link set vx0 up
	done
	start_sshd
	rm -f "$work/tcpdump.err" "$work/tcpdump2.err"
	ip netns exec "$R" tcpdump -Z root --immediate-mode -s 0 -U -i r0 -w "$dir/capture.pcap" 'udp port 4789 or (ip[6:2] & 0x1fff != 0)' 2>"$work/tcpdump.err" &
	local outer=$!
	ip netns exec "$C" tcpdump -Z root --immediate-mode -s 0 -U -i vx0 -w "$dir/inner.pcap" 'tcp or icmp' 2>"$work/tcpdump2.err" &
	local inner=$! live=
	if [ -n "${RSTSNIFF:-}" ]; then
		ip netns exec "$R" "$RSTSNIFF" -i r0 --format json --grace 1s 'udp port 4789 or (ip[6:2] & 0x1fff != 0)' >"$dir/live.jsonl" 2>"$dir/live.err" &
		live=$!
	fi
	for _ in $(seq 100); do
		grep -q listening "$work/tcpdump.err" 2>/dev/null && grep -q listening "$work/tcpdump2.err" 2>/dev/null &&
			{ [ -z "$live" ] || grep -q "live capture on" "$dir/live.err" 2>/dev/null; } && break
		sleep 0.05
	done
	client root@192.0.2.130 'echo hello'
	client root@192.0.2.130 'for i in $(seq 60); do echo $i; sleep 0.05; done' &
	local c=$!
	sleep 1.5
	ins iptables -I INPUT -i vx0 -p tcp --dport 22 -j REJECT --reject-with tcp-reset
	wait $c || true
	sleep 0.5
	kill -INT $outer $inner $live 2>/dev/null || true
	wait $outer $inner 2>/dev/null || true
	if [ -n "$live" ]; then
		local rc=0
		wait $live || rc=$?
		echo "exit $rc" >"$dir/live.exit"
	fi
	ins iptables -L INPUT -v -x -n >"$dir/server.txt"
	ins iptables -F INPUT
	stop_sshd
	inc ip link del vx0
	ins ip link del vx0
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

# The fingerprint cases: the injector on the router sends one published
# pattern of forged resets to the client, in the server's name, when the
# client's banner goes by; captured on the client.
inject_fingerprint() { # MODE
	start_sshd
	# Not through inr: $! must be the injector itself.
	ip netns exec "$R" "$work/inject" r0 22 1 0 "$1" 2>>"$dir/inject.txt" &
	local inj=$!
	sleep 0.3
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	stop_capture
	kill $inj 2>/dev/null || true
	wait $inj 2>/dev/null || true
	stop_sshd
}

case_inject-late() { # a slow injector: one RST in the server's name with the banner's sequence number, sent after both KEXINITs; the client ignores it and logs in
	inject_fingerprint late
}

case_fp-gfw-triple() { # three RST+ACKs in the server's name, windows 4229/4230/4231, TTLs 65/66/67 (net4people/bbs#285)
	inject_fingerprint gfw
}

case_fp-intang-type1() { # one bare RST in the server's name, window 16384, TTL 50 (INTANG type-1)
	inject_fingerprint type1
}

case_fp-intang-type2() { # two RST+ACKs in the server's name, window 2048, TTLs 48 and 52 (INTANG type-2)
	inject_fingerprint type2
}

case_fp-ip-id-copied() { # one RST+ACK in the server's name carrying the IP ID of the client's banner packet
	inject_fingerprint ipid
}

case_residual-block() { # the router resets the first banner, then refuses the client's SYNs in the server's name for 8 s; a login after that gets through
	start_sshd
	# 1: for 8 s after a block, every SYN from that client to port 22 is
	# answered with a reset; 2-4: the first banner only (list rsdone) is
	# reset and starts the block (list rsblock); later banners pass.
	inr iptables -A FORWARD -p tcp --dport 22 --syn -m recent --name rsblock --rcheck --seconds 8 -j REJECT --reject-with tcp-reset
	inr iptables -A FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -m recent --name rsdone --rcheck -j ACCEPT
	inr iptables -A FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -m recent --name rsdone --set
	inr iptables -A FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -m recent --name rsblock --set -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	client root@$SRV4 true
	sleep 2
	client root@$SRV4 true
	sleep 7
	client root@$SRV4 'echo hello'
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

case_midstream-grace() { # a connection opened before the capture starts; sshd closes it when LoginGraceTime runs out
	start_sshd LoginGraceTime=3
	# Banners both ways, then silence: no KEXINIT, so sshd's grace runs out.
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; head -1 <&3 >/dev/null; printf 'SSH-2.0-lab_idle\r\n' >&3; sleep 6" &
	local holder=$!
	sleep 1
	start_capture -i c0 'tcp or icmp or icmp6'
	wait $holder || true
	stop_capture
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
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${RSTSNIFF_LAB_SSH_VVV:+-vvv} \
		root@$SRV4 true </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	inr iptables -F OUTPUT
	inr ip link set r1 mtu 1500
	inr2 ip link set q0 mtu 1500
	stop_sshd
	topo one
}

# mtu_both_ways: two routers joined by a 1000-byte MTU link, both dropping
# their own ICMP "fragmentation needed", so large segments vanish both ways;
# ssh runs under timeout 8 with the extra options given.
mtu_both_ways() {
	topo two
	# mtu-blackhole, run just before, lets router 2's ICMP reach the
	# server: forget the path MTU it learned (its SYN-ACK would announce
	# MSS 960 and the client's KEXINIT would pass in two segments).
	local ns
	for ns in "$C" "$R" "$R2" "$S"; do
		ip netns exec "$ns" ip route flush cache
	done
	# A killed ssh leaves its socket retransmitting the large segment (an
	# orphan): destroy it, or the next capture holds it too.
	inc ss -K dst $SRV4 >/dev/null 2>&1 || true
	start_sshd
	inr ip link set r1 mtu 1000
	inr2 ip link set q0 mtu 1000
	inr iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	inr2 iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	start_capture -i c0 'tcp or icmp or icmp6'
	local rc=0
	inc timeout 8 ssh -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$@" \
		root@$SRV4 true </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
	echo "exit $rc" >>"$dir/client.txt"
	stop_capture
	inc ss -K dst $SRV4 >/dev/null 2>&1 || true
	inr iptables -F OUTPUT
	inr2 iptables -F OUTPUT
	inr ip link set r1 mtu 1500
	inr2 ip link set q0 mtu 1500
	stop_sshd
	topo one
}

# The client offers one MAC, so that its KEXINIT (about 1200 bytes) leaves as
# one full-size segment with no small tail after it: nothing of the
# client's gets through after its banner, and nothing of the server's back.
case_mtu-blackhole-both() { # as mtu-blackhole, but both routers drop their ICMP "fragmentation needed": large segments vanish both ways
	mtu_both_ways -o MACs=hmac-sha2-256-etm@openssh.com
}

# The client offers its default algorithms, so its KEXINIT leaves as a
# full-size segment and a small tail. The tail crosses, but the server's
# answer to it may ride on the server's own full-size KEXINIT, which
# vanishes too: then nothing comes back.
case_mtu-blackhole-twoway() { # a 1000-byte MTU link both ways, ICMP dropped, the client's default KEXINIT (a small tail follows the large segment)
	mtu_both_ways
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

# --- the kernel witness (run by name, with RSTSNIFF set, like live) ----------

# case_kernel-witness runs rstsniff live in the server's and the client's
# namespaces at once, with the kernel witness on, through: a refused port
# (2223), sshd killed mid-session, a client closing with the server's
# banner unread, a client closing with SO_LINGER 0, a REJECT tcp-reset rule
# on the server's INPUT chain (port 2222), and a router forging resets
# toward both ends at the client's banner. Between them, time for verdicts.
# truth.txt lists the steps in order with their server port.
case_kernel-witness() { kernel_witness_run on; }

# case_kernel-witness-off: the same steps, the witness off: --no-kernel on
# the server's side, and on the client's an unprivileged user holding only
# CAP_NET_RAW (to capture), so loading BPF is refused.
case_kernel-witness-off() { kernel_witness_run off; }

kernel_witness_run() { # on|off
	local spid cpid
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: kernel-witness needs RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	local common=(--format json --grace 1s --ports 22,2222,2223)
	local sargs=() cwrap=()
	if [ "$1" = off ]; then
		sargs=(--no-kernel)
		cwrap=(setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps +net_raw --ambient-caps +net_raw)
	fi
	chmod 777 "$dir"
	ip netns exec "$S" "$RSTSNIFF" -i s0 "${common[@]}" "${sargs[@]}" -Z nobody --metrics 127.0.0.1:9122 >"$dir/server.jsonl" 2>"$dir/server.err" &
	spid=$!
	ip netns exec "$C" "${cwrap[@]}" "$RSTSNIFF" -i c0 "${common[@]}" >"$dir/client.jsonl" 2>"$dir/client.err" &
	cpid=$!
	for _ in $(seq 200); do
		grep -q "live capture on" "$dir/server.err" 2>/dev/null && grep -q "live capture on" "$dir/client.err" 2>/dev/null && break
		sleep 0.05
	done
	step() { echo "$1 $2" >>"$dir/truth.txt"; }

	step refused 2223
	client -p 2223 root@$SRV4 true
	sleep 1.5

	start_sshd
	step sshd-killed 22
	client root@$SRV4 'sleep 30' &
	local c=$!
	sleep 1.5
	# Only this lab's server namespace (see sshd-killed): a bare pkill sees
	# every PID on the machine and kills the sessions of labs running at the
	# same time (make test's deploy lab, seen once).
	local p
	for p in $(ip netns pids "$S"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -Eq '^sshd(-session)?: root' && kill -9 "$p" 2>/dev/null || true
	done
	wait $c || true
	sleep 1.5

	step client-unread 22 # bash closes its socket with the server's banner unread
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; sleep 1; exec 3<&-" || true
	sleep 1.5

	step client-linger0 22
	inc "$work/abort" $SRV4:22 >>"$dir/client.out" 2>>"$dir/client.txt" || true
	sleep 1.5

	step server-input-reject 2222
	ins iptables -I INPUT -p tcp --dport 2222 -j REJECT --reject-with tcp-reset
	client -p 2222 root@$SRV4 true
	ins iptables -D INPUT -p tcp --dport 2222 -j REJECT --reject-with tcp-reset
	sleep 1.5

	step router-forged 22
	ip netns exec "$R" "$work/inject" r0 22 3 1460 2>>"$dir/inject.txt" &
	local inj=$!
	sleep 0.3
	client root@$SRV4 true
	sleep 1.5
	kill $inj 2>/dev/null || true
	wait $inj 2>/dev/null || true
	stop_sshd

	ins bash -c 'exec 3<>/dev/tcp/127.0.0.1/9122; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; cat <&3' >"$dir/metrics.txt" 2>&1 || true
	kernel_witness_stop
}

kernel_witness_stop() {
	kill -INT $spid $cpid
	local rc=0
	wait $spid || rc=$?
	echo "server exit $rc" >"$dir/rstsniff.exit"
	rc=0
	wait $cpid || rc=$?
	echo "client exit $rc" >>"$dir/rstsniff.exit"
}

# case_kernel-fifty: rstsniff live, witness on, in the server's and the
# client's namespaces while the client opens fifty connections at once: the
# odd ones close with the server's banner unread (a reset from the client's
# kernel, TCP_ABORT_ON_CLOSE), the even ones read it first and close
# normally. Each side's witness must put the client's resets on the right
# connections, and the client's kernel events must not reach the server's.
case_kernel-fifty() {
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: kernel-fifty needs RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	local common=(--format json --grace 1s) spid cpid
	start_sshd MaxStartups=200
	ip netns exec "$S" "$RSTSNIFF" -i s0 "${common[@]}" >"$dir/server.jsonl" 2>"$dir/server.err" &
	spid=$!
	ip netns exec "$C" "$RSTSNIFF" -i c0 "${common[@]}" >"$dir/client.jsonl" 2>"$dir/client.err" &
	cpid=$!
	for _ in $(seq 200); do
		grep -q "live capture on" "$dir/server.err" 2>/dev/null && grep -q "live capture on" "$dir/client.err" 2>/dev/null && break
		sleep 0.05
	done
	(
		for i in $(seq 50); do
			if [ $((i % 2)) = 1 ]; then
				inc bash -c "exec 3<>/dev/tcp/$SRV4/22; sleep 1.5; exec 3<&-" &
			else
				inc bash -c "exec 3<>/dev/tcp/$SRV4/22; read -r -t 1.5 line <&3; sleep 1; exec 3<&-" &
			fi
		done
		wait
	) || true
	sleep 2.5
	stop_sshd
	kernel_witness_stop
}

# case_firewall-rules: rstsniff live in the server's namespace, kernel
# witness on, while the server's firewall (iptables-nft and nft) holds one
# rule per client address, and the client connects from several addresses
# (ssh -b). truth.txt lists, for each address, the rule the lab wrote for it:
#   .2 none; .3 iptables INPUT REJECT tcp-reset; .4 iptables INPUT DROP;
#   .5 fail2ban-style chain f2b-sshd REJECT tcp-reset; .6 a recent rate
#   limit (REJECT from its 3rd connection in 60 s); .7 nft reject without a
#   counter; .8 nft reject with a counter (comment "lab: eight"), also
#   covered by .9's nft drop of 198.51.100.8-198.51.100.9, so .8 may get two
#   candidates when .9 connects at once.
# Steps: each address once (.8 and .9 together, .6 four times), then fifty
# connections at once from .2-.5 and .7-.9. The ruleset is listed with
# `nft -s list ruleset` before and after (ruleset-before.txt, -after.txt).
case_firewall-rules() {
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: firewall-rules needs RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	local spid a i
	for a in 3 4 5 6 7 8 9; do inc ip addr add 198.51.100.$a/24 dev c0 2>/dev/null || true; done
	start_sshd MaxStartups=200 MaxSessions=200
	ins iptables -N f2b-sshd
	ins iptables -A f2b-sshd -s 198.51.100.5/32 -p tcp -j REJECT --reject-with tcp-reset
	ins iptables -A f2b-sshd -j RETURN
	ins iptables -A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
	ins iptables -A INPUT -s 198.51.100.3/32 -p tcp --dport 22 -j REJECT --reject-with tcp-reset
	ins iptables -A INPUT -s 198.51.100.4/32 -j DROP
	ins iptables -A INPUT -s 198.51.100.6/32 -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --name ssh --set
	ins iptables -A INPUT -s 198.51.100.6/32 -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --name ssh --update --seconds 60 --hitcount 3 -j REJECT --reject-with tcp-reset
	ins nft add table inet lab
	ins nft add chain inet lab input '{ type filter hook input priority 10; policy accept; }'
	ins nft add rule inet lab input ip saddr 198.51.100.7 tcp dport 22 reject with tcp reset
	ins nft add rule inet lab input ip saddr 198.51.100.8 tcp dport 22 counter reject with tcp reset comment '"lab: eight"'
	ins nft add rule inet lab input ip saddr 198.51.100.8-198.51.100.9 tcp dport 22 counter drop
	ins nft -s list ruleset >"$dir/ruleset-before.txt"
	printf '%s\n' "198.51.100.2 none" "198.51.100.3 filter INPUT reject" "198.51.100.4 filter INPUT drop" \
		"198.51.100.5 filter f2b-sshd reject" "198.51.100.6 filter INPUT reject after 2" "198.51.100.7 lab input reject uncounted" \
		"198.51.100.8 lab input reject" "198.51.100.9 lab input drop" >"$dir/truth.txt"

	chmod 777 "$dir"
	ip netns exec "$S" "$RSTSNIFF" -i s0 --format json --grace 1s >"$dir/server.jsonl" 2>"$dir/server.err" &
	spid=$!
	for _ in $(seq 200); do
		grep -q "live capture on" "$dir/server.err" 2>/dev/null && break
		sleep 0.05
	done
	fw() { client -b "$1" -o ConnectTimeout=2 root@$SRV4 true; }
	for a in 2 3 4 5 7; do fw 198.51.100.$a; done
	local pids=() addrs=(2 3 4 5 7 8 9)
	fw 198.51.100.8 &
	pids+=($!)
	fw 198.51.100.9 &
	pids+=($!)
	wait "${pids[@]}" || true
	for i in 1 2 3 4; do fw 198.51.100.6; done
	sleep 1
	pids=()
	for i in $(seq 50); do
		fw 198.51.100.${addrs[$((i % 7))]} &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	sleep 2
	kill -INT $spid
	local rc=0
	wait $spid || rc=$?
	echo "server exit $rc" >"$dir/rstsniff.exit"
	stop_sshd
	ins nft -s list ruleset >"$dir/ruleset-after.txt"
	ins iptables -F INPUT
	ins iptables -F f2b-sshd
	ins iptables -X f2b-sshd
	ins nft delete table inet lab
	for a in 3 4 5 6 7 8 9; do inc ip addr del 198.51.100.$a/24 dev c0 2>/dev/null || true; done
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

# --- rstsniff probe ----------------------------------------------------------

# probe runs rstsniff probe in the client namespace; NAME prefixes its
# output files (default probe), the rest are probe's arguments.
probe() {
	local name=$1
	shift
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: probe cases need RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	local rc=0
	inc "$RSTSNIFF" probe --format json -w "$dir/$name.pcap" "$@" >"$dir/$name.jsonl" 2>"$dir/$name.err" || rc=$?
	echo "exit $rc" >"$dir/$name.exit"
	echo "exit $rc" >>"$dir/client.txt"
}

case_probe-clean() { # three probes against the real sshd, nothing in the way; then one for an HTML report
	start_sshd
	probe probe --count 3 $SRV4
	local rc=0
	inc "$RSTSNIFF" probe --count 1 --format html $SRV4 >"$dir/probe.html" 2>"$dir/probe-html.err" || rc=$?
	echo "exit $rc" >"$dir/probe-html.exit"
	stop_sshd
}

case_probe-reject-banner() { # the router answers the client's banner with a forged RST
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	probe probe --count 2 $SRV4
	inr iptables -F FORWARD
	stop_sshd
}

case_probe-rate-limit() { # the router lets 3 new connections a minute through and rejects later SYNs with a RST
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 --syn -m recent --name labp --update --seconds 60 --hitcount 3 -j REJECT --reject-with tcp-reset
	inr iptables -A FORWARD -p tcp --dport 22 --syn -m recent --name labp --set
	probe probe --count 5 --interval 300ms $SRV4
	inr iptables -F FORWARD
	stop_sshd
}

case_probe-maxstartups() { # sshd takes one unauthenticated connection at a time; three come at once
	start_sshd MaxStartups=1
	probe probe --count 3 --parallel 3 $SRV4
	stop_sshd
}

case_probe-mtu-blackhole() { # two routers joined by a 576-byte MTU link; both drop their ICMP "fragmentation needed"
	topo two
	start_sshd
	inr ip link set r1 mtu 576
	inr2 ip link set q0 mtu 576
	inr iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	inr2 iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	probe probe --count 1 --timeout 4s $SRV4
	inr iptables -F OUTPUT
	inr2 iptables -F OUTPUT
	inr ip link set r1 mtu 1500
	inr2 ip link set q0 mtu 1500
	# An MTU under 1280 took IPv6 off the routers' link: put it back.
	inr ip -6 addr replace 2001:db8:3::1/64 dev r1 nodad
	inr2 ip -6 addr replace 2001:db8:3::2/64 dev q0 nodad
	inr ip -6 route replace 2001:db8:2::/64 via 2001:db8:3::2
	inr2 ip -6 route replace default via 2001:db8:3::1
	ins ss -K state connected sport = :22 >/dev/null 2>&1 || true
	stop_sshd
	topo one
}

case_probe-refused() { # sshd is not running: the server's kernel refuses port 22
	probe probe --count 2 $SRV4
}

case_probe-syn-drop() { # the router drops every SYN
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 --syn -j DROP
	probe probe --count 1 --timeout 3s $SRV4
	inr iptables -F FORWARD
	stop_sshd
}

case_probe-icmp-reject() { # the server's firewall answers SYNs with ICMP host prohibited
	start_sshd
	ins iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with icmp-host-prohibited
	probe probe --count 1 $SRV4
	ins iptables -F INPUT
	stop_sshd
}

case_probe-client-firewall() { # the probing host's own firewall answers the server's SYN-ACKs with resets in the client's name (an INPUT REJECT with a counter; not in probe_cases: TestProbeNamesFirewallRule runs it by name)
	start_sshd
	inc iptables -I INPUT -p tcp --sport 22 --tcp-flags SYN,ACK SYN,ACK -j REJECT --reject-with tcp-reset
	probe probe --count 1 --timeout 3s $SRV4
	inc iptables -F INPUT
	stop_sshd
}

case_probe-post-handshake() { # the router resets the client as soon as the handshake's ACK passes
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 ! --syn -j REJECT --reject-with tcp-reset
	probe probe --count 1 $SRV4
	inr iptables -F FORWARD
	ins ss -K state syn-recv sport = :22 >/dev/null 2>&1 || true
	stop_sshd
}

case_probe-nobody() { # rstsniff probe as nobody, no capabilities, while the router forges the banner's reset
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	local rc=0
	inc runuser -u nobody -- "$RSTSNIFF" probe --format json --count 2 $SRV4 >"$dir/probe.jsonl" 2>"$dir/probe.err" || rc=$?
	echo "exit $rc" >"$dir/probe.exit"
	rc=0
	inc runuser -u nobody -- "$RSTSNIFF" probe --count 1 $SRV4 >"$dir/probe-table.txt" 2>"$dir/probe-table.err" || rc=$?
	echo "exit $rc" >"$dir/probe-table.exit"
	echo "exit $rc" >>"$dir/client.txt"
	inr iptables -F FORWARD
	stop_sshd
}

case_probe-locate() { # two routers; router 1, then router 2, forges resets for the banner, then for SYNs (and twice for the KEXINIT); IPv4 and IPv6
	topo two
	start_sshd
	local which ns trig fam target t
	for fam in 4 6; do
		target=$SRV4 t=iptables
		[ $fam = 4 ] || target=$SRV6 t=ip6tables
		for which in 1 2; do
			ns=$R
			[ $which = 1 ] || ns=$R2
			ip netns exec "$ns" $t -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
			probe "banner-r$which-v$fam" --count 1 --locate "$target"
			ip netns exec "$ns" $t -F FORWARD
			# The first SYN passes (a baseline for the server's TTL), later ones are reset.
			ip netns exec "$ns" $t -I FORWARD -p tcp --dport 22 --syn -m recent --name labl --update --seconds 600 --hitcount 1 -j REJECT --reject-with tcp-reset
			ip netns exec "$ns" $t -A FORWARD -p tcp --dport 22 --syn -m recent --name labl --set
			probe "syn-r$which-v$fam" --count 2 --locate "$target"
			ip netns exec "$ns" $t -F FORWARD
			# A reset for the client's KEXINIT (it names curve25519-sha256); two of the four combinations.
			if [ "$which$fam" = 24 ] || [ "$which$fam" = 16 ]; then
				ip netns exec "$ns" $t -I FORWARD -p tcp --dport 22 -m string --algo bm --string curve25519-sha256 -j REJECT --reject-with tcp-reset
				probe "kexinit-r$which-v$fam" --count 1 --locate "$target"
				ip netns exec "$ns" $t -F FORWARD
			fi
		done
	done
	# The server's own firewall resets the client's banner: no device on
	# the path forges it, so --locate has no hop to find and must not run.
	ins iptables -I INPUT -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	probe host-firewall --count 1 --locate $SRV4
	ins iptables -F INPUT
	stop_sshd
	topo one
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

case_early-reset() { # a login, three clients that connect and reset at once (SO_LINGER 0, before the server's banner), another login
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	client root@$SRV4 true
	local i
	for i in 1 2 3; do inc "$work/abort" -early $SRV4:22 >>"$dir/client.out" 2>>"$dir/client.txt"; sleep 0.2; done
	sleep 1
	client root@$SRV4 true
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
case_controlmaster() { # a ControlMaster's TCP connection is reset by the router while a second ssh uses its socket (not in all_cases: run by name)
	start_sshd
	start_capture -i c0 'tcp or icmp or icmp6'
	local sock=$work/cm.sock
	# The master: no command, in the background (not -f, which loses its
	# stderr); its stderr and exit status in master.txt.
	(
		rc=0
		inc ssh -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o ControlMaster=yes -o ControlPath="$sock" -o ControlPersist=no ${RSTSNIFF_LAB_SSH_VVV:+-vvv} \
			-N root@$SRV4 </dev/null 2>>"$dir/master.txt" || rc=$?
		echo "exit $rc" >>"$dir/master.txt"
	) &
	local master=$!
	for _ in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || echo "lab: controlmaster: the master did not start" >&2
	sleep 0.3
	# From now on the router answers every client packet to port 22 with a
	# reset in the server's name: the master's next packet draws one.
	inr iptables -I FORWARD -p tcp -s $CLI4 --dport 22 -j REJECT --reject-with tcp-reset
	client -o ControlMaster=no -o ControlPath="$sock" root@$SRV4 'echo hello'
	sleep 0.5
	stop_capture
	inr iptables -L FORWARD -v -x -n >"$dir/router.txt"
	inr iptables -F FORWARD
	inc ssh -o ControlPath="$sock" -O exit root@$SRV4 2>/dev/null || true
	wait $master || true
	stop_sshd
}

case_scp-reject-banner() { # scp -v while the router answers the client's banner with a forged RST (not in all_cases: run by name)
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	start_capture -i c0 'tcp or icmp or icmp6'
	echo hello >"$work/scp-src.txt"
	local rc mode
	# The SFTP protocol (the default from OpenSSH 9.0), then the old one (-O).
	for mode in "" -O; do
		rc=0
		inc scp -v $mode -F /dev/null -i "$work/userkey" -o IdentitiesOnly=yes -o BatchMode=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			"$work/scp-src.txt" root@$SRV4:/tmp/ </dev/null >>"$dir/client.out" 2>>"$dir/client.txt" || rc=$?
		echo "exit $rc" >>"$dir/client.txt"
	done
	stop_capture
	inr iptables -F FORWARD
	stop_sshd
}

# --- rstsniff run -- COMMAND ---------------------------------------------------

# sshopts: the lab client's options (as client() uses), quiet.
sshopts=(-F /dev/null -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5)

# inc_net runs a command in the client's network namespace only: not
# through ip netns exec, which mounts a /sys of its own without the cgroup
# v2 hierarchy that rstsniff run makes the command's cgroup in.
inc_net() { nsenter --net=/run/netns/"$C" "$@"; }

# rsrun NAME [run options] -- COMMAND...: rstsniff run in the client
# namespace, with a JSON report; "exit N" to NAME.exit and client.txt.
rsrun() {
	local name=$1
	shift
	[ -x "${RSTSNIFF:-}" ] || { echo "lab: run cases need RSTSNIFF=/path/to/rstsniff" >&2; return 1; }
	local rc=0
	inc_net "$RSTSNIFF" run --linger 300ms -o "$dir/$name.json" "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
	echo "exit $rc" >"$dir/$name.exit"
	echo "exit $rc" >>"$dir/client.txt"
}

case_run-reject-banner() { # the router forges a RST for the client's banner: ssh, scp and sftp each run under rstsniff run
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	echo hello >"$work/run-src.txt"
	rsrun ssh -w "$dir/ssh.pcapng" -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 true
	rsrun scp -- scp "${sshopts[@]}" -i "$work/userkey" "$work/run-src.txt" root@$SRV4:/tmp/
	rsrun sftp -- sftp "${sshopts[@]}" -i "$work/userkey" -b /dev/null root@$SRV4
	# The report's other formats (a later -o wins over rsrun's).
	rsrun ssh-md -o "$dir/ssh.md" -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 true
	rsrun ssh-html -o "$dir/ssh.html" -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 true
	inr iptables -F FORWARD
	stop_sshd
}

case_run-maxstartups() { # one unauthenticated connection is held open (not the command's); sshd drops ssh's
	start_sshd MaxStartups=1
	inc bash -c "exec 3<>/dev/tcp/$SRV4/22; head -1 <&3 >/dev/null; sleep 3" &
	local holder=$!
	sleep 0.5
	rsrun ssh -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 true
	wait $holder || true
	stop_sshd
}

case_run-refused() { # nothing listens on port 2222 (sshd is not running): the server's kernel refuses; ssh -p 2222 names the port
	rsrun ssh -- ssh "${sshopts[@]}" -i "$work/userkey" -p 2222 root@$SRV4 true
}

case_run-clean() { # a clean login and scp: exit 0 and nothing printed by rstsniff
	start_sshd
	echo hello >"$work/run-src.txt"
	rsrun ssh -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 'echo hello'
	rsrun scp -- scp -O "${sshopts[@]}" -i "$work/userkey" "$work/run-src.txt" root@$SRV4:/tmp/run-dst.txt
	stop_sshd
}

case_run-other() { # while the command's clean ssh session runs, another process (from 198.51.100.3) is reset at the banner: left out
	start_sshd
	inc ip addr add 198.51.100.3/24 dev c0 2>/dev/null || true
	inr iptables -I FORWARD -s 198.51.100.3 -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	rm -f "$work/run-other.started"
	# The other process connects once the command has started (rstsniff's
	# capture is up by then), while the command's session sleeps.
	inc bash -c "for _ in \$(seq 200); do [ -e $work/run-other.started ] && break; sleep 0.05; done; sleep 0.3
		ssh ${sshopts[*]} -i $work/userkey -b 198.51.100.3 root@$SRV4 true" >"$dir/other.out" 2>"$dir/other.err" &
	local other=$!
	rsrun ssh -- sh -c "touch $work/run-other.started; exec ssh ${sshopts[*]} -i $work/userkey root@$SRV4 'sleep 1.5; echo done'"
	local rc=0
	wait $other || rc=$?
	echo "other exit $rc" >>"$dir/client.txt"
	inr iptables -F FORWARD
	inc ip addr del 198.51.100.3/24 dev c0 2>/dev/null || true
	stop_sshd
}

case_run-mux() { # a ControlMaster started before rstsniff run; the command uses it; the router then forges resets for the client's packets
	start_sshd
	rm -f "$work/ctl"
	inc ssh "${sshopts[@]}" -i "$work/userkey" -o ControlMaster=yes -o ControlPath="$work/ctl" -o ControlPersist=20 -fN root@$SRV4
	# A clean command through the master first.
	rsrun clean -- ssh "${sshopts[@]}" -o ControlPath="$work/ctl" root@$SRV4 'echo hello'
	# Then one whose session the router breaks: resets for the client's
	# packets while the server writes.
	# Once the command's first lines arrived (so the mux client is up, also
	# when rstsniff starts slowly under load), not at a fixed time.
	rm -f "$dir/broken.out"
	( for _ in $(seq 200); do [ -s "$dir/broken.out" ] && break; sleep 0.05; done
	  sleep 0.5; inr iptables -I FORWARD -p tcp --dport 22 -j REJECT --reject-with tcp-reset ) &
	local breaker=$!
	rsrun broken -- ssh "${sshopts[@]}" -o ControlPath="$work/ctl" root@$SRV4 'for i in $(seq 40); do echo $i; sleep 0.1; done'
	wait $breaker || true
	inr iptables -F FORWARD
	inc ssh "${sshopts[@]}" -o ControlPath="$work/ctl" -O exit root@$SRV4 >/dev/null 2>&1 || true
	stop_sshd
}

case_run-group() { # an unprivileged user in the binary's group, with the capabilities set on the binary, while the router forges the banner's reset
	command -v setcap >/dev/null || { echo "lab: run-group needs setcap (libcap2-bin)" >&2; return 1; }
	start_sshd
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	local gid=64999
	chmod 755 "$work"
	# The Debian package's helper (postinst, RSTSNIFF_CAPTURE_GROUP=yes)
	# makes the copy: root:GROUP 0750 with the capabilities.
	sh "$here/../../deploy/debian/capture-group.sh" on "$RSTSNIFF" "$work/bin" $gid
	getcap "$work/bin/rstsniff" >"$dir/getcap.txt"
	stat -c '%U:%g %a' "$work/bin/rstsniff" >>"$dir/getcap.txt"
	cp "$work/userkey" "$work/nobodykey"
	chown nobody "$work/nobodykey"
	mkdir -p "$work/gout"
	chmod 777 "$work/gout"
	local rc=0
	# Through sh: setpriv itself keeps CAP_DAC_OVERRIDE across its execve,
	# so only a process that execs as nobody shows the file's permissions.
	inc_net setpriv --reuid=nobody --regid=nogroup --groups=$gid --reset-env -- sh -c 'exec "$0" "$@"' "$work/bin/rstsniff" run -o "$work/gout/group.json" -- \
		ssh "${sshopts[@]}" -i "$work/nobodykey" root@$SRV4 true </dev/null >"$dir/group.out" 2>"$dir/group.err" || rc=$?
	echo "exit $rc" >"$dir/group.exit"
	echo "exit $rc" >>"$dir/client.txt"
	cp "$work/gout/group.json" "$dir/group.json" 2>/dev/null || true
	# Not in the group: the binary cannot be run at all.
	rc=0
	inc_net setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- sh -c 'exec "$0" "$@"' "$work/bin/rstsniff" run -- true >/dev/null 2>"$dir/nogroup.err" || rc=$?
	echo "exit $rc" >"$dir/nogroup.exit"
	inr iptables -F FORWARD
	stop_sshd
}

case_run-mtu-blackhole() { # two routers joined by a 576-byte MTU link, both dropping their ICMP "fragmentation needed": large segments vanish both ways; timeout 4 ends ssh
	topo two
	start_sshd
	inr ip link set r1 mtu 576
	inr2 ip link set q0 mtu 576
	inr iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	inr2 iptables -I OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
	rsrun ssh -- timeout 4 ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 true
	inr iptables -F OUTPUT
	inr2 iptables -F OUTPUT
	inr ip link set r1 mtu 1500
	inr2 ip link set q0 mtu 1500
	# An MTU under 1280 took IPv6 off the routers' link: put it back.
	inr ip -6 addr replace 2001:db8:3::1/64 dev r1 nodad
	inr2 ip -6 addr replace 2001:db8:3::2/64 dev q0 nodad
	inr ip -6 route replace 2001:db8:2::/64 via 2001:db8:3::2
	inr2 ip -6 route replace default via 2001:db8:3::1
	ins ss -K state connected sport = :22 >/dev/null 2>&1 || true
	inc ss -K dst $SRV4 >/dev/null 2>&1 || true
	stop_sshd
	topo one
}

case_run-missing() { # a command that does not exist
	rsrun missing -- rstsniff-lab-no-such-command --flag
}

case_run-sigint() { # SIGINT to rstsniff run (Ctrl-C) while ssh runs a long command: forwarded, ssh ends, 130
	start_sshd
	rm -f "$work/run-sigint.pid"
	local rc=0
	# $! is nsenter, which execs rstsniff: the same process.
	nsenter --net=/run/netns/"$C" "$RSTSNIFF" run -o "$dir/sigint.json" -- ssh "${sshopts[@]}" -i "$work/userkey" root@$SRV4 \
		"echo \$\$ >/tmp/rstsniff-lab-sigint.pid; sleep 30" </dev/null >"$dir/sigint.out" 2>"$dir/sigint.err" &
	local pid=$!
	for _ in $(seq 200); do
		[ -s /tmp/rstsniff-lab-sigint.pid ] && break
		sleep 0.1
	done
	local t0=$SECONDS
	kill -INT $pid
	wait $pid || rc=$?
	echo "exit $rc" >"$dir/sigint.exit"
	echo "exit $rc after $((SECONDS - t0)) s" >>"$dir/client.txt"
	rm -f /tmp/rstsniff-lab-sigint.pid
	stop_sshd
}

# service-prometheus: two hosts (the client and the server namespaces) each
# run rstsniff as the Debian package's rstsniff@IFACE unit would, through
# $RSTSNIFF_SERVICE IFACE METRICS_ADDR (deploy/service_test.go writes it
# from the installed unit: its user, capabilities and command line), and a
# real Prometheus on the router scrapes both; its HTTP API answers are kept.
case_service-prometheus() { # a clean login, then the router forges a reset for the client's banner; Prometheus scrapes both hosts
	[ -x "${RSTSNIFF_SERVICE:-}" ] || { echo "lab: service-prometheus needs RSTSNIFF_SERVICE=/path/to/wrapper" >&2; return 1; }
	command -v prometheus >/dev/null || { echo "lab: service-prometheus needs prometheus" >&2; return 1; }
	start_sshd
	# Not through inc/ins: $! must be the service itself.
	ip netns exec "$C" "$RSTSNIFF_SERVICE" c0 $CLI4:9122 >"$dir/client-host.json" 2>"$dir/client-host.err" &
	local cpid=$!
	ip netns exec "$S" "$RSTSNIFF_SERVICE" s0 $SRV4:9122 >"$dir/server-host.json" 2>"$dir/server-host.err" &
	local spid=$!
	for _ in $(seq 100); do
		grep -q "live capture on" "$dir/client-host.err" 2>/dev/null && grep -q "live capture on" "$dir/server-host.err" 2>/dev/null && break
		sleep 0.05
	done
	for p in $cpid $spid; do
		grep -E '^(Uid|CapEff|CapAmb|NoNewPrivs):' "/proc/$p/status" | tr -s '\t' ' ' | sed "s/^/$p /" >>"$dir/process.txt" || true
	done
	printf '%s\n' 'global:' '  scrape_interval: 1s' 'scrape_configs:' '  - job_name: rstsniff' '    static_configs:' \
		"      - targets: ['$CLI4:9122', '$SRV4:9122']" >"$dir/prometheus.yml"
	# Prometheus listens only on the router's loopback and scrapes lab addresses.
	ip netns exec "$R" prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
		--web.listen-address=127.0.0.1:9090 >"$dir/prometheus.log" 2>&1 &
	local ppid=$!
	client root@$SRV4 'echo hello'
	inr iptables -I FORWARD -p tcp --dport 22 -m string --algo bm --string SSH- -j REJECT --reject-with tcp-reset
	client root@$SRV4 true
	inr iptables -F FORWARD
	# Past rstsniff's grace period, until Prometheus has scraped the
	# counters of both connections from both hosts (60 s at most).
	local q='sum by (instance) (rstsniff_connections_total)'
	for _ in $(seq 60); do
		sleep 1
		inr curl -sf -o "$dir/query-connections-sum.json" --get --data-urlencode "query=$q" http://127.0.0.1:9090/api/v1/query || continue
		[ "$(grep -o '"value":\[[^]]*,"2"\]' "$dir/query-connections-sum.json" | wc -l)" = 2 ] && break
	done
	for m in up rstsniff_connections_total rstsniff_resets_total rstsniff_packets_total; do
		inr curl -sf -o "$dir/query-$m.json" --get --data-urlencode "query=$m" http://127.0.0.1:9090/api/v1/query || true
	done
	kill $ppid 2>/dev/null || true
	kill -TERM $cpid $spid 2>/dev/null || true # as systemctl stop does
	local rc=0
	wait $cpid || rc=$?
	echo "client-host exit $rc" >>"$dir/service.exit"
	rc=0
	wait $spid || rc=$?
	echo "server-host exit $rc" >>"$dir/service.exit"
	wait $ppid 2>/dev/null || true
	stop_sshd
}


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
