#!/usr/bin/env bash
# The storage designs issue 15 weighed for small uploads, measured on the
# file system that holds --data with tools/bench/durable_floor.c (no HTTP,
# no hashing, no Redis: the disk's part only). Modes, each a way to make a
# file durable before answering:
#   file      create, write, fdatasync, rename, fsync the directory (the
#             benchmark's durable floor; uploadd before issue 15)
#   link      O_TMPFILE, write, linkat, fsync the file, fsync the directory
#             (uploadd's files of their own since issue 15)
#   syncfs    O_TMPFILE, write, linkat, then one syncfs() for every file
#             linked meanwhile (group commit over files)
#   segment   a record appended to a shared segment file, then one
#             fdatasync for every record appended meanwhile (group commit
#             over segments), with the segment grown by appends (none),
#             fallocate'd, or zero-filled before use (zero: uploadd's)
# Runs alternate the modes, so background load hits all alike; every run
# writes into a new directory and nothing is deleted until the end (see
# bench_store_init in bench_lib.sh). The table goes to stdout and, for a
# full run, into the "storage" section of docs/BENCHMARKS.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cmdline="tools/bench/storage_bench.sh${*:+ $*}"

usage() {
	cat <<'EOF'
storage_bench.sh: durable small files, by storage design (durable_floor modes)

Usage: tools/bench/storage_bench.sh [--quick] [--runs N] [--size SIZE]
                                    [--build DIR] [--data DIR] [--no-doc]

  --quick       1 s per run, one run: for iterating; leaves the doc alone
  --runs N      runs per mode and thread count (default 3)
  --size SIZE   bytes per file (default 4K)
  --build DIR   build directory (default build)
  --data DIR    where the files go; a real disk (default DIR/bench-data)
  --no-doc      do not write docs/BENCHMARKS.md
  -h, --help    this text

Exit codes: 0 done; 1 a step failed; 2 usage error.

Examples:
  tools/bench/storage_bench.sh --quick
  tools/bench/storage_bench.sh --build build/bench
EOF
}

quick=0 runs= build=build data= doc=1 size=4K
value() {
	[ $# -ge 2 ] && [ -n "$2" ] ||
		{ echo "storage_bench: $1 needs a value (see --help)" >&2; exit 2; }
	echo "$2"
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--runs) runs=$(value "$@"); shift ;;
	--size) size=$(value "$@"); shift ;;
	--build) build=$(value "$@"); shift ;;
	--data) data=$(value "$@"); shift ;;
	--no-doc) doc=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "storage_bench: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$runs" ] && runs=$((quick ? 1 : 3))
[[ $runs =~ ^[1-9][0-9]*$ && $size =~ ^[1-9][0-9]*[KM]?$ ]] ||
	{ echo "storage_bench: --runs and --size need positive numbers (see --help)" >&2; exit 2; }
[ $quick -eq 1 ] && doc=0
secs=3
[ $quick -eq 1 ] && secs=1

make -s -C "$root" BUILD="$build" "$build/bench/durable_floor" >&2 ||
	{ echo "storage_bench: build failed (see above)" >&2; exit 1; }
case $build in /*) ;; *) build=$root/$build ;; esac
data=${data:-$build/bench-data}
mkdir -p "$data"
export TS_BUILD=$build TS_ROOT=$root
# shellcheck source=../../tests/integration/lib/common.sh
source "$root/tests/integration/lib/common.sh"
# shellcheck source=bench_lib.sh
source "$root/tools/bench/bench_lib.sh"
fstype=$(df -PT "$data" | awk 'NR == 2 { print $2 }')
[ "$fstype" != tmpfs ] || fail "--data $data is on tmpfs: the files must go to a real disk"

results=$TEST_TMP/storage.jsonl
: >"$results"
bench_store_init "$data"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
modes=("file" "link" "syncfs" "segment none" "segment fallocate" "segment zero")
for threads in 1 16; do
	for run in $(seq "$runs"); do
		for m in "${modes[@]}"; do
			read -r mode pre <<<"$m"
			STORE_RUNS=$((STORE_RUNS + 1))
			dir=$STORE_ROOT/$mode-${pre:-x}-$STORE_RUNS
			mkdir "$dir"
			json=$("$build/bench/durable_floor" --json --dir "$dir" --size "$size" \
				--threads "$threads" --seconds "$secs" --mode "$mode" \
				${pre:+--prealloc "$pre"}) || fail "durable_floor --mode $mode failed"
			printf '{"threads":%d,"run":%d,"label":"%s","floor":%s}\n' \
				"$threads" "$run" "$mode${pre:+ ($pre)}" "$json" >>"$results"
			python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); f=r["floor"]; print("# %2d threads %-20s run %d: %8.0f files/s  p50 %.2f ms  CPU %4.0f us/file" % (r["threads"], r["label"], r["run"], f["files_per_s"], f["p50_ms"], f["cpu_us_per_file"]))' \
				<<<"$(tail -1 "$results")" >&2
		done
	done
done
bench_store_cleanup
elapsed=$(($(date +%s) - t0))

section=$(BENCH_MACHINE=$("$root/tools/bench/machine.sh") BENCH_COMMAND=$cmdline \
	LOAD_START=$load_start LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)" ELAPSED=$elapsed \
	SIZE=$size SECS=$secs FSTYPE=$fstype python3 - "$results" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def cell(vals, digits=0):
    med = statistics.median(vals)
    f = "{:,.%df}" % digits
    lo, hi = min(vals), max(vals)
    return f.format(med) if f.format(lo) == f.format(hi) else \
        "%s (%s–%s)" % (f.format(med), f.format(lo), f.format(hi))
e = os.environ
out = ["## Storage designs for small files (issue 15)", "",
       e["BENCH_MACHINE"].strip(), "",
       "Command: `%s`" % e["BENCH_COMMAND"], "",
       "`durable_floor` (tools/bench/durable_floor.c) makes %s files durable "
       "%s s per run on %s, with no HTTP, hashing or Redis: the disk's "
       "part only. Modes alternate within each round; every run writes a "
       "new directory. Load average %s at the start, %s at the end; %s s in "
       "all. Median (min–max) of the runs." % (
           e["SIZE"], e["SECS"], e["FSTYPE"], e["LOAD_START"], e["LOAD_END"],
           e["ELAPSED"]), "",
       "| threads | design | runs | files/s | p50 ms | CPU µs/file | files per flush |",
       "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
order = []
for r in rows:
    k = (r["threads"], r["label"])
    if k not in order:
        order.append(k)
for k in order:
    rs = [r["floor"] for r in rows if (r["threads"], r["label"]) == k]
    per = [f["files"] / f["group_flushes"] for f in rs if f.get("group_flushes")]
    out.append("| %d | %s | %d | %s | %s | %s | %s |" % (
        k[0], k[1], len(rs), cell([f["files_per_s"] for f in rs]),
        cell([f["p50_ms"] for f in rs], 2), cell([f["cpu_us_per_file"] for f in rs]),
        cell(per, 1) if per else "1 (one each)"))
out += ["", "file: create, write, fdatasync, rename, fsync the directory. link: "
        "O_TMPFILE, write, linkat, fsync the file and the directory. syncfs: "
        "linked files, one syncfs() per group. segment: records in shared "
        "files, one fdatasync per group; the segment grows by appends "
        "(none), is fallocate'd (its extents written at first use) or is "
        "zero-filled and synced before use (zero, what uploadd does: a "
        "record's flush then writes its data and nothing else)."]
print("\n".join(out))
PY
) || fail "could not format $results"
echo "$section"
if [ $doc -eq 1 ]; then
	echo "$section" | "$root/tools/bench/update-section.sh" storage
	echo "# wrote the storage section of docs/BENCHMARKS.md" >&2
fi
