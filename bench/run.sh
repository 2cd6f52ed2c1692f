#!/usr/bin/env bash
# make bench: rstsniff against the floor (reading the file) and tshark, on a
# synthetic capture of N connections (default 100000) built from the lab's.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
F=${BENCH_FILE:-/tmp/rstsniff-bench-$N.pcap}
mkdir -p bin
go build -o bin/rstsniff ./cmd/rstsniff
go build -o bin/readloop ./internal/readloop
go build -o bin/measure ./internal/measure
[ -s "$F" ] || go run ./internal/synth -n "$N" -o "$F"
size=$(stat -c %s "$F")
packets=$(bin/readloop "$F" | awk '{print $1}')
cat "$F" >/dev/null # warm the page cache for every contender
echo "capture: $F, $N connections, $packets packets, $((size / 1000000)) MB"
# The machine's timings vary by a tenth from run to run: the read loop and
# rstsniff run RUNS times (default 5) and the median is what counts, with
# the range beside it; tshark, at a minute a run, runs once.
RUNS=${RUNS:-5}
report() { # name elapsed rss [min max]
	awk -v n="$1" -v e="$2" -v r="$3" -v lo="${4:-}" -v hi="${5:-}" -v p="$packets" -v s="$size" \
		'BEGIN { printf "%-10s %8.2f s %12.0f packets/s %8.0f MB/s   peak RSS %6.0f MB", n, e, p/e, s/e/1e6, r/1024
		if (lo != "") printf "   (%d runs: %.2f-%.2f s)", '"$RUNS"', lo, hi
		printf "\n" }'
}
# runs CMD...: "median peak-RSS min max median-CPU" of RUNS runs under
# bin/measure.
med='{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
runs() {
	local out
	out=$(for _ in $(seq "$RUNS"); do "$@"; done)
	local cpu
	cpu=$(echo "$out" | awk '{print $3}' | sort -n | awk "$med")
	echo "$out" | sort -n | awk -v cpu="$cpu" '{ e[NR] = $1; if ($2 > r) r = $2 }
		END { m = (NR % 2) ? e[(NR + 1) / 2] : (e[NR / 2] + e[NR / 2 + 1]) / 2; print m, r, e[1], e[NR], cpu }'
}
read -r floor_e floor_r floor_lo floor_hi < <(runs bin/measure bin/readloop "$F")
report "read loop" "$floor_e" "$floor_r" "$floor_lo" "$floor_hi"
read -r rs_e rs_r rs_lo rs_hi rs_c < <(runs bin/measure bin/rstsniff -r "$F" --format json)
report rstsniff "$rs_e" "$rs_r" "$rs_lo" "$rs_hi"
awk -v c="$rs_c" -v n="$N" 'BEGIN { printf "CPU per connection: %.2f us (%.2f s of CPU, median)\n", c/n*1e6, c }'
# The same number of connections, about two thirds of them failing (resets, refusals,
# timeouts): verdicts, findings and their words cost more than clean logins.
FF=${BENCH_FAILING_FILE:-/tmp/rstsniff-bench-failing-$N.pcap}
[ -s "$FF" ] || go run ./internal/synth -failing -n "$N" -o "$FF"
cat "$FF" >/dev/null
read -r fl_e fl_r fl_lo fl_hi fl_c < <(runs bin/measure bin/rstsniff -r "$FF" --format json)
awk -v e="$fl_e" -v lo="$fl_lo" -v hi="$fl_hi" -v r="$fl_r" -v c="$fl_c" -v n="$N" 'BEGIN {
	printf "failing mix %6.2f s   peak RSS %6.0f MB   (%d runs: %.2f-%.2f s)   CPU per connection: %.2f us\n", e, r/1024, '"$RUNS"', lo, hi, c/n*1e6 }'
if command -v taskset >/dev/null; then
	read -r one_e one_r one_lo one_hi < <(runs taskset -c 0 bin/measure bin/rstsniff -r "$F" --format json)
	report "1 core" "$one_e" "$one_r" "$one_lo" "$one_hi"
fi
if command -v tshark >/dev/null && [ "${SKIP_TSHARK:-}" = "" ]; then
	read -r ts_e ts_r < <(bin/measure tshark -r "$F" -Y tcp.flags.reset==1 -T fields -e frame.number -e ip.src -e ip.ttl)
	report tshark "$ts_e" "$ts_r"
	awk -v a="$ts_e" -v b="$rs_e" -v lo="$rs_lo" -v hi="$rs_hi" 'BEGIN { printf "rstsniff is %.0fx tshark'"'"'s rate (%.0fx-%.0fx over its runs)\n", a/b, a/hi, a/lo }'
fi
awk -v a="$rs_e" -v b="$floor_e" 'BEGIN { printf "rstsniff takes %.2fx the read loop'"'"'s time\n", a/b }'
# For comparison, the fastest library read loop (pcapgo behind a 1 MiB
# bufio.Reader, zero-copy reads; classic pcap only).
if bin/readloop -pcapgo "$F" >/dev/null 2>&1; then
	read -r pg_e pg_r pg_lo pg_hi < <(runs bin/measure bin/readloop -pcapgo "$F")
	report "pcapgo" "$pg_e" "$pg_r" "$pg_lo" "$pg_hi"
	awk -v a="$rs_e" -v b="$pg_e" 'BEGIN { printf "rstsniff takes %.2fx pcapgo'"'"'s read loop'"'"'s time\n", a/b }'
fi
if [ -n "${one_e:-}" ]; then
	awk -v e="$one_e" -v p="$packets" 'BEGIN { printf "one core: %.2f million packets/s\n", p/e/1e6 }'
fi

# From the disk: the page cache dropped before every run (root only), as
# for a capture not read since it was copied here. The warm figures above
# measure the CPU; these, how close to the disk's speed rstsniff reads.
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ] && [ "${SKIP_COLD:-}" = "" ]; then
	cold() { sync; echo 3 >/proc/sys/vm/drop_caches; bin/measure "$@"; }
	read -r cl_e cl_r cl_lo cl_hi < <(runs cold bin/readloop "$F")
	report "disk loop" "$cl_e" "$cl_r" "$cl_lo" "$cl_hi"
	read -r cr_e cr_r cr_lo cr_hi < <(runs cold bin/rstsniff -r "$F" --format json)
	report "disk rsts" "$cr_e" "$cr_r" "$cr_lo" "$cr_hi"
	awk -v a="$cr_e" -v b="$cl_e" 'BEGIN { printf "from the disk (page cache dropped before each run), rstsniff takes %.2fx the read loop'"'"'s time\n", a/b }'
	cat "$F" >/dev/null
fi

# Memory must depend on the connections open at once, not on the length:
# the same traffic ten times longer, streamed from the generator.
if [ "${SKIP_LONG:-}" = "" ]; then
	go build -o bin/synth ./internal/synth
	read -r long_e long_r < <(bin/synth -n $((N * 10)) -o /dev/stdout 2>/dev/null | bin/measure bin/rstsniff -r - --format json)
	read -r short_e short_r < <(bin/synth -n "$N" -o /dev/stdout 2>/dev/null | bin/measure bin/rstsniff -r - --format json)
	echo "peak RSS streamed from the generator: $N connections $((short_r / 1024)) MB, $((N * 10)) connections $((long_r / 1024)) MB"
fi

# Live: replay the capture at top speed through a veth pair and compare
# rstsniff's kernel drops with tcpdump's at the same rate (root, tcpreplay).
if [ "$(id -u)" = 0 ] && command -v tcpreplay >/dev/null && [ "${SKIP_LIVE:-}" = "" ]; then
	ns=rsbench$$
	ip netns add "$ns"
	trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
	ip netns exec "$ns" ip link add ra type veth peer name rb
	# The lab's captures hold TSO-sized segments (up to 64 KB): at the
	# default MTU tcpreplay fails to send them (EMSGSIZE), 5% of the packets.
	ip netns exec "$ns" ip link set ra mtu 65535 up
	ip netns exec "$ns" ip link set rb mtu 65535 up
	replay() { ip netns exec "$ns" tcpreplay --topspeed -q -i ra "$F" 2>&1 | awk '/Rated:/{print $2, $3, $6, $7}'; }
	ip netns exec "$ns" bin/rstsniff -i rb --promisc --format json >/tmp/rstsniff-live.json 2>/dev/null &
	pid=$!
	sleep 1
	rate=$(replay)
	sleep 3
	kill -INT $pid
	wait $pid || true
	rs=$(tail -1 /tmp/rstsniff-live.json | grep -o '"received":[0-9]*,"kernel_drops":[0-9]*' || true)
	ip netns exec "$ns" tcpdump -i rb -w /dev/null 2>/tmp/tcpdump-live.err &
	pid=$!
	sleep 1
	rate2=$(replay)
	sleep 3
	kill -INT $pid
	wait $pid || true
	td=$(grep -E "received by filter|dropped by kernel" /tmp/tcpdump-live.err | tr '\n' ' ')
	# rstsniff's default filter takes the SSH port only.
	# (Counted by tcpdump's filter, written as pcap: printing 4 million
	# lines took tcpdump four minutes.)
	want=$(tcpdump -r "$F" -w - 'tcp and port 22' 2>/dev/null | bin/readloop - | awk '{print $1}')
	echo "live replay at $rate: rstsniff $rs (the capture has $want packets on port 22, its default filter)"
	echo "live replay at $rate2: tcpdump $td (of $packets)"
fi
