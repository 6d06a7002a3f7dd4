#!/usr/bin/env bash
# What taskscope watch costs a Go program: tests/targets/go/gospawn
# starting RATE goroutines a second for SECS seconds (each a SHA-256 of 256
# bytes), alone, under `taskscope watch --no-goroutines` (threads only),
# `taskscope watch` (plus goroutine creation and exit probes) and
# `watch --goroutine-waits` (parks too). Reports the
# program's CPU time (user + sys, from wait4) per 1,000 goroutines, the
# median of RUNS runs, and the per-event cost of the probes from
# kernel.bpf_stats_enabled (turned on for the run, restored after).
#   usage: tools/bench/go_watch_bench.sh [BUILD_DIR]   (RATE=10000 SECS=3 RUNS=3)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rate=${RATE:-10000} secs=${SECS:-3} runs=${RUNS:-3}
ts=$build/taskscope spawn=$build/targets/go/gospawn
tmp=$(mktemp -d /tmp/go-watch-bench.XXXXXX)
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
wpid=""
cleanup() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	rm -rf "$tmp"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# one MODE: prints "cpu_ms_per_1000 probe_ns_per_event lost"
one() {
	local mode=$1 f=$tmp/go.$RANDOM
	rm -f "$f"
	/usr/bin/time -f '%U %S' -o "$tmp/time" "$spawn" -rate "$rate" \
		-duration "${secs}s" -wait-for-file "$f" >"$tmp/spawn.out" 2>&1 &
	local tpid=$!
	for _ in $(seq 100); do grep -q ready "$tmp/spawn.out" && break; sleep 0.05; done
	local gpid
	gpid=$(awk '/ready/{print $2}' "$tmp/spawn.out")
	if [ "$mode" != alone ]; then
		local extra=()
		[ "$mode" = waits ] && extra=(--goroutine-waits)
		[ "$mode" = threads ] && extra=(--no-goroutines)
		"$ts" watch -p "$gpid" --json -q "${extra[@]}" >"$tmp/w.jsonl" 2>"$tmp/w.err" &
		wpid=$!
		for _ in $(seq 300); do grep -q watching "$tmp/w.err" && break; sleep 0.05; done
	fi
	touch "$f"
	wait "$tpid"
	if [ -n "$wpid" ]; then wait "$wpid" || true; wpid=""; fi
	local n=$((rate * secs))
	awk -v n=$n '{printf "%.1f ", ($1 + $2) * 1000 / (n / 1000)}' "$tmp/time"
	if [ "$mode" = alone ] || [ "$mode" = threads ]; then echo "- -"; else
		python3 - "$tmp/w.jsonl" <<'PY'
import json, sys
g = [json.loads(l) for l in open(sys.argv[1]) if '"gosummary"' in l][0]
runs, ns = g.get("probe_runs") or 0, g.get("probe_ns") or 0
print(f"{ns / runs:.0f}" if runs else "-", g["lost"])
PY
	fi
	rm -f "$f"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

echo "| mode | program CPU ms per 1,000 goroutines (median of $runs) | probe ns per event | lost |"
echo "| --- | ---: | ---: | ---: |"
for mode in alone threads watch waits; do
	: >"$tmp/r"
	for _ in $(seq "$runs"); do one "$mode" >>"$tmp/r"; done
	echo "| $mode | $(cut -d' ' -f1 "$tmp/r" | median) | $(cut -d' ' -f2 "$tmp/r" | median) | $(cut -d' ' -f3 "$tmp/r" | sort -n | tail -1) |"
done
