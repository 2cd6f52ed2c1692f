#!/usr/bin/env bash
# make soak: a live capture under load. N connections of the benchmark's
# failing mix (default 1,000,000; MIX=default for the other one) are
# replayed with tcpreplay at PPS packets/s (default 300,000) through a veth
# pair in a network namespace of its own, into rstsniff -i with the kernel
# witness (on by default live) and --metrics. Resident memory is sampled
# every second; the run fails when the kernel dropped packets, when the
# metrics were not served, or when the median RSS of the second half of the
# replay is more than GROWTH percent (default 10) above the median of the
# first half, warm-up (WARMUP seconds, default 10) left out: medians, as
# the curve has peaks wherever the replay's rate or the machine's load
# jumps (the highest of each half is printed too). BUFFER sets rstsniff's
# kernel buffer (-B, KiB; default its own, 16 MiB). Needs root and
# tcpreplay. Writes OUT.rss (seconds, KiB), OUT.json (rstsniff's output),
# OUT.txt (the summary) and, with gnuplot, OUT.png. make test runs a short
# one (cmd/rstsniff TestSoakShort).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
PPS=${PPS:-300000}
MIX=${MIX:-failing}
WARMUP=${WARMUP:-10}
GROWTH=${GROWTH:-10}
OUT=${OUT:-/tmp/rstsniff-soak}
RSTSNIFF=${RSTSNIFF:-bin/rstsniff}
flag=
[ "$MIX" = failing ] && flag=-failing
F=${SOAK_FILE:-/tmp/rstsniff-soak-$MIX-$N.pcap}
if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null; then
	echo "soak: needs root and tcpreplay (apt-get install tcpreplay)" >&2
	exit 2
fi
mkdir -p bin
[ -n "${RSTSNIFF_PREBUILT:-}" ] || go build -o "$RSTSNIFF" ./cmd/rstsniff
go build -o bin/synth ./internal/synth
[ -s "$F" ] || bin/synth $flag -n "$N" -o "$F"
rm -f "$OUT.rss" "$OUT.json" "$OUT.err" "$OUT.metrics" "$OUT.txt" "$OUT.png"

ns=rssoak$$
ip netns add "$ns"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip link add ra type veth peer name rb
# The lab's captures hold TSO-sized segments (up to 64 KB).
ip netns exec "$ns" ip link set ra mtu 65535 up
ip netns exec "$ns" ip link set rb mtu 65535 up
# ip netns exec execs rstsniff: $! is its process.
buf=()
[ -n "${BUFFER:-}" ] && buf=(-B "$BUFFER")
ip netns exec "$ns" "$RSTSNIFF" -i rb --promisc "${buf[@]}" --format json --metrics 127.0.0.1:9122 >"$OUT.json" 2>"$OUT.err" &
pid=$!
# Up when the metrics answer (the capture opens before they are served).
for _ in $(seq 50); do
	ip netns exec "$ns" curl -sf http://127.0.0.1:9122/metrics >/dev/null 2>&1 && break
	sleep 0.2
done
start=$(date +%s)
(
	while [ -e /proc/$pid ]; do
		r=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
		[ -n "$r" ] && echo "$(($(date +%s) - start)) $r"
		sleep 1
	done
) >"$OUT.rss" &
sampler=$!
rate=$(ip netns exec "$ns" tcpreplay --pps="$PPS" --pps-multi=64 -q -i ra "$F" 2>&1 | awk '/Rated:/ {print $6}')
replayed=$(($(date +%s) - start))
ip netns exec "$ns" curl -sf http://127.0.0.1:9122/metrics >"$OUT.metrics" || true
sleep 3 # the last connections' grace period
kill -INT "$pid"
wait "$pid" || true
pid=
wait "$sampler" || true

summary=$(tail -1 "$OUT.json")
received=$(echo "$summary" | grep -o '"received":[0-9]*' | cut -d: -f2)
drops=$(echo "$summary" | grep -o '"kernel_drops":[0-9]*' | cut -d: -f2)
ifdrops=$(echo "$summary" | grep -o '"interface_drops":[0-9]*' | cut -d: -f2)
flows=$(echo "$summary" | grep -o '"flows":[0-9]*' | cut -d: -f2)
metrics=$(grep -c '^rstsniff_' "$OUT.metrics" || true)
# Median and highest RSS in the first and second half of the replay,
# warm-up left out.
half() { # FROM TO: median and highest of the samples in [FROM, TO)
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b { print $2 }' "$OUT.rss" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print 0, 0; else print v[int((NR + 1) / 2)], v[NR] }'
}
mid=$(((WARMUP + replayed) / 2))
read -r first first_hi < <(half "$WARMUP" "$mid")
read -r second second_hi < <(half "$mid" $((replayed + 1)))
peak=$(awk '$2 > p { p = $2 } END { print p + 0 }' "$OUT.rss")
{
	echo "soak: $N connections ($MIX mix) from $F, replayed at $rate packets/s (asked $PPS) in ${replayed} s"
	echo "rstsniff received ${received:-?} packets, kernel drops ${drops:-?}, interface drops ${ifdrops:-?}, ${flows:-?} connections reported, ${metrics} rstsniff_ metric lines served"
	echo "resident memory: peak $((peak / 1024)) MB; after ${WARMUP} s of warm-up, median $((first / 1024)) MB (highest $((first_hi / 1024))) in the first half of the replay, $((second / 1024)) MB (highest $((second_hi / 1024))) in the second"
} | tee "$OUT.txt"
if command -v gnuplot >/dev/null; then
	gnuplot -e "set terminal png size 800,360; set output '$OUT.png'; set xlabel 'seconds'; set ylabel 'resident memory (MB)'; set yrange [0:*]; set grid; set key off;
		set title 'rstsniff -i under tcpreplay, $N connections ($MIX mix) at $rate packets/s';
		plot '$OUT.rss' using 1:(\$2/1024) with lines lw 2" && echo "plot: $OUT.png"
fi
fail=0
if [ "${drops:-x}" != 0 ] || [ "${ifdrops:-0}" != 0 ]; then
	echo "soak: FAIL: the kernel dropped packets" >&2
	fail=1
fi
if [ "$metrics" = 0 ]; then
	echo "soak: FAIL: no metrics were served" >&2
	fail=1
fi
if [ "$first" -gt 0 ] && [ "$second" -gt $((first + first * GROWTH / 100)) ]; then
	echo "soak: FAIL: memory grew by more than $GROWTH% after warm-up" >&2
	fail=1
fi
exit $fail
