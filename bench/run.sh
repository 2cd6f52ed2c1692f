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
report() { # name elapsed rss
	awk -v n="$1" -v e="$2" -v r="$3" -v p="$packets" -v s="$size" \
		'BEGIN { printf "%-10s %8.2f s %12.0f packets/s %8.0f MB/s   peak RSS %6.0f MB\n", n, e, p/e, s/e/1e6, r/1024 }'
}
read -r floor_e floor_r < <(bin/measure bin/readloop "$F")
report "read loop" "$floor_e" "$floor_r"
read -r rs_e rs_r < <(bin/measure bin/rstsniff -r "$F" --format json)
report rstsniff "$rs_e" "$rs_r"
if command -v tshark >/dev/null && [ "${SKIP_TSHARK:-}" = "" ]; then
	read -r ts_e ts_r < <(bin/measure tshark -r "$F" -Y tcp.flags.reset==1 -T fields -e frame.number -e ip.src -e ip.ttl)
	report tshark "$ts_e" "$ts_r"
	awk -v a="$ts_e" -v b="$rs_e" 'BEGIN { printf "rstsniff is %.0fx tshark'"'"'s rate\n", a/b }'
fi
awk -v a="$rs_e" -v b="$floor_e" 'BEGIN { printf "rstsniff takes %.2fx the read loop'"'"'s time\n", a/b }'
