#!/usr/bin/env bash
# What uploadd's in-process thread dump (GET /debug/threads) costs: how long
# a dump takes, idle and under upload load, and what dumping does to the
# uploads themselves. Writes the "threaddump" section of docs/BENCHMARKS.md
# (tools/bench/update-section.sh).
#
# 1. Idle: DUMPS dumps back to back (JSON), latency seen by the client.
# 2. Under load: tools/bench/loadgen uploads SIZE files over CONNS
#    connections for SECS seconds, with no dumps (the baseline), a dump
#    every 100 ms, and dumps back to back; the three modes alternate within
#    each of RUNS rounds, so every ratio to the baseline comes from the same
#    invocation. Reported: uploads/s and p99 upload latency (medians, with
#    min-max), dumps taken and their latency.
#
#   usage: tools/bench/threaddump_bench.sh [BUILD_DIR]   (make all first)
#   env: RUNS (3), SECS (8), CONNS (16), SIZE (1M), DUMPS (200), NO_DOC=1
set -euo pipefail
export TS_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TS_BUILD=$(cd "${1:-$TS_ROOT/build}" && pwd)
RUNS=${RUNS:-3}
SECS=${SECS:-8}
CONNS=${CONNS:-16}
SIZE=${SIZE:-1M}
DUMPS=${DUMPS:-200}
source "$TS_ROOT/tests/integration/lib/common.sh"
source "$TS_ROOT/tests/integration/lib/uploadd.sh"
skip() { echo "threaddump_bench: $*" >&2; exit 1; }
fail() { echo "threaddump_bench: $*" >&2; exit 1; }
[ -x "$TS_BUILD/bench/loadgen" ] || fail "$TS_BUILD/bench/loadgen is missing (make BUILD=$TS_BUILD all)"

# dumper URL INTERVAL_S [COUNT]: dumps until $TEST_TMP/stop exists (or COUNT
# dumps), INTERVAL_S apart; prints one JSON line: client latencies (ms) and
# the dumps' own collect/symbolize times.
dumper() {
	python3 - "$@" "$TEST_TMP/stop" <<'PY'
import http.client, json, os, sys, time
url, interval, rest = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
count = int(rest[0]) if len(rest) > 1 else 0
stop = rest[-1]
host, port = url.split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=60)
lat, collect, threads = [], [], []
while not os.path.exists(stop) and (not count or len(lat) < count):
    t = time.monotonic()
    c.request("GET", "/debug/threads?format=json")
    r = c.getresponse()
    d = json.loads(r.read())
    lat.append((time.monotonic() - t) * 1000)
    collect.append(d["collect_ms"] + d["unwind_ms"])
    threads.append(len(d["threads"]))
    if interval:
        time.sleep(interval)
print(json.dumps({"latency_ms": lat, "server_ms": collect, "threads": threads}))
PY
}

start_redis
start_uploadd --no-access-log
dbg=http://127.0.0.1:$UPLOADD_DEBUG_PORT
res=$TEST_TMP/results.jsonl

echo "# idle: $DUMPS dumps" >&2
dumper "$dbg" 0 "$DUMPS" | sed 's/^{/{"mode":"idle",/' >> "$res"

run_mode() { # MODE
	local mode=$1 dpid=
	rm -f "$TEST_TMP/stop"
	case $mode in
	every100ms) dumper "$dbg" 0.1 > "$TEST_TMP/dumps.json" & dpid=$! ;;
	backtoback) dumper "$dbg" 0 > "$TEST_TMP/dumps.json" & dpid=$! ;;
	esac
	"$TS_BUILD/bench/loadgen" -s "$SIZE" -c "$CONNS" -d "$SECS" --json \
		"$UPLOADD_URL/upload" > "$TEST_TMP/lg.json"
	touch "$TEST_TMP/stop"
	[ -z "$dpid" ] || wait "$dpid"
	python3 - "$mode" "$TEST_TMP/lg.json" "$TEST_TMP/dumps.json" "$dpid" <<'PY' >> "$res"
import json, sys
mode, lg = sys.argv[1], json.load(open(sys.argv[2]))
out = {"mode": mode, "uploads_per_s": lg["uploads_per_s"], "p99_ms": lg["latency_ms"]["p99"],
       "ok": lg["ok"], "bad": lg["non_2xx"] + lg["errors"] + lg["unfinished"]}
if sys.argv[4]:
    out.update(json.load(open(sys.argv[3])))
print(json.dumps(out))
PY
}

for r in $(seq "$RUNS"); do
	for mode in none every100ms backtoback; do
		echo "# run $r/$RUNS: $mode" >&2
		run_mode "$mode"
	done
done
kill -0 "$UPLOADD_PID" || fail "uploadd died during the benchmark"
stop_uploadd

report=$(python3 - "$res" "$RUNS" "$SECS" "$CONNS" "$SIZE" "$DUMPS" "$("$TS_ROOT/tools/bench/machine.sh")" <<'PY'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
runs, secs, conns, size, dumps, machine = sys.argv[2:8]
def mmm(v, f="{:.0f}"):
    return f"{f.format(st.median(v))} ({f.format(min(v))}-{f.format(max(v))})" if v else "-"
idle = next(r for r in rows if r["mode"] == "idle")
base = st.median(r["uploads_per_s"] for r in rows if r["mode"] == "none")
print("## uploadd's in-process thread dump (/debug/threads)\n")
print(machine + " The machine is shared with other engineers' tests and benchmarks: expect noise.\n")
print(f"Command: `tools/bench/threaddump_bench.sh` (RUNS={runs}, SECS={secs}, CONNS={conns}, SIZE={size}, DUMPS={dumps}).\n")
print(f"Idle ({st.median(idle['threads']):.0f} threads), {len(idle['latency_ms'])} dumps back to back: "
      f"client latency {mmm(idle['latency_ms'], '{:.2f}')} ms median (min-max); "
      f"inside uploadd (signal every thread, wait for the answers, symbolize) {mmm(idle['server_ms'], '{:.2f}')} ms.\n")
print(f"Under load: loadgen, {conns} connections, {size} uploads, {secs} s per run, {runs} runs per mode, modes interleaved.\n")
print("| dumps | uploads/s, median (min-max) | vs no dumps | p99 upload ms | dumps per run | threads per dump | dump latency ms, median (max) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode, label in (("none", "none (baseline)"), ("every100ms", "every 100 ms"), ("backtoback", "back to back")):
    rs = [r for r in rows if r["mode"] == mode]
    ups = [r["uploads_per_s"] for r in rs]
    lat = [x for r in rs for x in r.get("latency_ms", [])]
    thr = [x for r in rs for x in r.get("threads", [])]
    nd = [len(r.get("latency_ms", [])) for r in rs]
    bad = sum(r["bad"] for r in rs)
    print(f"| {label} | {mmm(ups)} | {st.median(ups) / base:.2f}x | {mmm([r['p99_ms'] for r in rs])} | "
          f"{mmm(nd) if lat else '-'} | {mmm(thr) if thr else '-'} | "
          f"{(f'{st.median(lat):.1f} ({max(lat):.0f})') if lat else '-'} |" + (f" ({bad} failed uploads)" if bad else ""))
print("\nEvery dump signals every thread; a thread in uninterruptible sleep (fdatasync) answers only when the call returns, "
      "so a dump under load waits up to its 250 ms deadline for those and reports them unanswered.")
PY
)
echo "$report"
[ -n "${NO_DOC:-}" ] || echo "$report" | "$TS_ROOT/tools/bench/update-section.sh" threaddump
