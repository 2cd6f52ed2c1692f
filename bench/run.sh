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
# Both mixes, each measured the same way, for the table at the end: the
# read loop and rstsniff (RUNS runs, medians), tshark against rstsniff on
# a capture of TSHARK_N connections of the same mix (default 10000: at
# 100,000 tshark takes one to three minutes a mix), and peak memory
# with the capture streamed from the generator at 100,000 and 1,000,000
# connections (the same traffic ten times longer: the same connections
# open at once).
TSHARK_N=${TSHARK_N:-10000}
SHORT_N=${SHORT_N:-100000} LONG_N=${LONG_N:-1000000}
go build -o bin/synth ./internal/synth
table=()
for mix in default failing; do
	flag=
	mf=$F
	if [ $mix = failing ]; then
		flag=-failing
		mf=${BENCH_FAILING_FILE:-/tmp/rstsniff-bench-failing-$N.pcap}
		[ -s "$mf" ] || bin/synth -failing -n "$N" -o "$mf"
	fi
	mp=$(bin/readloop "$mf" | awk '{print $1}')
	cat "$mf" >/dev/null
	read -r m_fe m_fr m_flo m_fhi _ < <(runs bin/measure bin/readloop "$mf")
	read -r m_e m_r m_lo m_hi m_c < <(runs bin/measure bin/rstsniff -r "$mf" --format json)
	echo "$mix mix: $mp packets; read loop $m_fe s ($m_flo-$m_fhi); rstsniff $m_e s ($m_lo-$m_hi), peak RSS $((m_r / 1024)) MB, CPU $m_c s (medians of $RUNS)"
	if [ $mix = default ]; then # the lines below compare against the default mix
		floor_e=$m_fe rs_e=$m_e rs_r=$m_r rs_lo=$m_lo rs_hi=$m_hi rs_c=$m_c
		report "read loop" "$m_fe" "$m_fr" "$m_flo" "$m_fhi"
		report rstsniff "$m_e" "$m_r" "$m_lo" "$m_hi"
	fi
	m_ts=-
	if command -v tshark >/dev/null && [ "${SKIP_TSHARK:-}" = "" ]; then
		tf=/tmp/rstsniff-bench-$mix-$TSHARK_N.pcap
		[ -s "$tf" ] || bin/synth $flag -n "$TSHARK_N" -o "$tf" 2>/dev/null
		tp=$(bin/readloop "$tf" | awk '{print $1}')
		cat "$tf" >/dev/null
		read -r ts_e ts_r _ < <(bin/measure tshark -r "$tf" -Y tcp.flags.reset==1 -T fields -e frame.number -e ip.src -e ip.ttl)
		read -r te_e _ < <(runs bin/measure bin/rstsniff -r "$tf" --format json)
		echo "$mix mix, $TSHARK_N connections ($tp packets): tshark $ts_e s, peak RSS $((ts_r / 1024)) MB; rstsniff $te_e s"
		m_ts=$(awk -v a="$ts_e" -v b="$te_e" 'BEGIN { printf "%.0fx", a/b }')
	fi
	m_100=- m_1m=-
	if [ "${SKIP_LONG:-}" = "" ]; then
		read -r _ r100 _ < <(bin/synth $flag -n "$SHORT_N" -o /dev/stdout 2>/dev/null | bin/measure bin/rstsniff -r - --format json)
		read -r _ r1m _ < <(bin/synth $flag -n "$LONG_N" -o /dev/stdout 2>/dev/null | bin/measure bin/rstsniff -r - --format json)
		m_100="$((r100 / 1024)) MB" m_1m="$((r1m / 1024)) MB"
		echo "$mix mix, streamed from the generator: peak RSS $m_100 at $SHORT_N connections, $m_1m at $LONG_N"
	fi
	table+=("$(awk -v mix="$mix" -v p="$mp" -v e="$m_e" -v lo="$m_lo" -v hi="$m_hi" -v fe="$m_fe" -v c="$m_c" -v n="$N" -v ts="$m_ts" -v r="$m_r" -v a="$m_100" -v b="$m_1m" \
		'BEGIN { printf "| %s | %.2f M (%.2f-%.2f s) | %.2fx | %s | %.1f us | %d MB | %s | %s |", mix, p/e/1e6, lo, hi, e/fe, ts, c/n*1e6, r/1024, a, b }')")
done
if command -v taskset >/dev/null; then
	read -r one_e one_r one_lo one_hi < <(runs taskset -c 0 bin/measure bin/rstsniff -r "$F" --format json)
	report "1 core" "$one_e" "$one_r" "$one_lo" "$one_hi"
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

# One table of both mixes (page cache warm, medians of RUNS runs).
echo
echo "| mix ($N connections, --format json) | packets/s (range of wall times) | x read loop | x tshark ($TSHARK_N connections) | CPU per connection | peak RSS | peak RSS, $SHORT_N streamed | peak RSS, $LONG_N streamed |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
