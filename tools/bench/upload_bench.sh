#!/usr/bin/env bash
# Upload benchmark: uploadd against what this machine allows and against
# the seed's Go service it replaces.
#
# Builds uploadd, loadgen, sink, durable_floor and the Go service
# (tests/targets/go/goupload), starts a private redis-server on a free
# loopback port, then for each point of the matrix (4 KiB, 1 MiB, 16 MiB at
# 1 and 16 connections) alternates runs against the sink (client +
# loopback + one copy, nothing else), the durable floor (the file system
# doing a per-file create/write/fdatasync/rename/fsync, nothing else), the
# Go service (with its fsync per file, and without it), and a fresh
# uploadd, and ends with one 1 GiB curl upload to the sink and to uploadd. Physical references come from the same invocation:
# openssl speed (SHA-256) and dd conv=fsync on the storage file system. Each figure is the median of RUNS runs with min and
# max; the table goes to stdout and, for a full run, into the "uploads"
# section of docs/BENCHMARKS.md (tools/bench/update-section.sh).
#
# uploadd is restarted for every run (fresh process, new storage directory,
# Redis FLUSHALL), so its VmHWM is that run's peak RSS and its CPU time delta
# belongs to that run's uploads only. Everything started is stopped by PID
# (tests/integration/lib/common.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cmdline="tools/bench/upload_bench.sh${*:+ $*}"

usage() {
	cat <<'EOF'
upload_bench.sh: benchmark uploadd against the machine's limits

Usage: tools/bench/upload_bench.sh [--quick] [--runs N] [--build DIR]
                                   [--data DIR] [--rev REV] [--no-doc]

  --quick       a few seconds per point and one run: for iterating; prints
                the table but leaves docs/BENCHMARKS.md alone
  --runs N      runs per point (default 3; --quick: 1)
  --build DIR   build directory (default build; made with make BUILD=DIR)
  --data DIR    where uploads are stored and the 1 GiB source file is kept;
                must be a real disk, not tmpfs (default DIR/bench-data)
  --rev REV     measure uploadd as committed in REV (e.g. HEAD), built from
                git archive in DIR/rev-COMMIT, not the working tree (which
                others may be changing); the tools come from DIR
  --no-doc      do not write docs/BENCHMARKS.md
  -h, --help    this text

Full run: about 10 minutes: 16 MiB points run 30 s each against uploadd,
and deleting their ~50 GB takes a further two minutes.
Run it on an otherwise idle machine: other work shows up in every figure.
Needs redis-server, curl, openssl, python3 and about 40 GiB free on --data:
4 KiB and 1 MiB runs keep their files until the end, because deleting many
files makes the next file creations slower on ext4 without a journal (see
tools/bench/bench_lib.sh); 16 MiB and 1 GiB runs are deleted as they end.

Exit codes: 0 done; 1 a step failed (build, start-up, a run that produced
no result, disk full); 2 usage error.

Examples:
  tools/bench/upload_bench.sh --quick --build build/bench
  tools/bench/upload_bench.sh --build build/bench --rev HEAD
EOF
}

quick=0 runs= build=$root/build data= doc=1 rev=
# value OPTION ARGS...: the option's value, or a usage error when missing.
value() {
	[ $# -ge 2 ] && [ -n "$2" ] ||
		{ echo "upload_bench: $1 needs a value (see --help)" >&2; exit 2; }
	echo "$2"
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--runs) runs=$(value "$@"); shift ;;
	--build) build=$(value "$@"); shift ;;
	--data) data=$(value "$@"); shift ;;
	--rev) rev=$(value "$@"); shift ;;
	--no-doc) doc=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "upload_bench: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -z "$runs" ] && runs=$((quick ? 1 : 3))
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "upload_bench: --runs needs a number >= 1 (see --help)" >&2; exit 2; }
[ -n "$build" ] || { echo "upload_bench: --build needs a directory (see --help)" >&2; exit 2; }
[ $quick -eq 1 ] && doc=0
if [ -n "$rev" ]; then
	commit=$(git -C "$root" rev-parse --short "$rev^{commit}" 2>/dev/null) ||
		{ echo "upload_bench: --rev $rev is not a commit (see --help)" >&2; exit 2; }
fi

# Durations in seconds: against uploadd / the sink / the durable floor /
# the Go service, for 4 KiB and 1 MiB points (small) and 16 MiB points
# (big).
if [ $quick -eq 1 ]; then
	dur_small=2 dur_big=3 sink_small=2 sink_big=2 floor_small=1 floor_big=2 go_small=2 go_big=3 dd_mib=256
else
	dur_small=5 dur_big=30 sink_small=2 sink_big=4 floor_small=2 floor_big=4 go_small=5 go_big=10 dd_mib=1024
fi

# A relative --build is relative to the repository, as make's BUILD is.
echo "# building uploadd, loadgen and sink in $build" >&2
make -s -C "$root" BUILD="$build" "$build/uploadd" "$build/bench/loadgen" \
	"$build/bench/sink" "$build/bench/durable_floor" >&2 ||
	{ echo "upload_bench: build failed (see above)" >&2; exit 1; }
# The Go service needs golang-go (tools/setup.sh): without it, no Go rows.
go_targets=()
if command -v go >/dev/null && make -s -C "$root" BUILD="$build" "$build/targets/go/goupload" >&2; then
	go_targets=(go go-nosync)
else
	echo "# warning: the Go service could not be built (golang-go missing?): no Go rows" >&2
fi
case $build in /*) ;; *) build=$root/$build ;; esac
# Others may edit the tree: say what was measured, or build it from a commit.
uploadd_build=$build
if [ -n "$rev" ]; then
	uploadd_build=$build/rev-$commit/build
	if [ ! -x "$uploadd_build/uploadd" ]; then
		echo "# building uploadd as committed in $commit (git archive into $build/rev-$commit)" >&2
		rm -rf "$build/rev-$commit"
		mkdir -p "$build/rev-$commit"
		git -C "$root" archive "$commit" | tar -x -C "$build/rev-$commit" &&
			make -s -C "$build/rev-$commit" BUILD=build build/uploadd >&2 ||
			{ echo "upload_bench: cannot build uploadd at $commit (see above)" >&2; exit 1; }
	fi
	built_from="$commit, as committed (git archive)"
else
	built_from=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$root" status --porcelain -- src/uploadd src/common 2>/dev/null)" ] &&
		built_from="$built_from with uncommitted changes in src/uploadd or src/common"
fi
data=${data:-$build/bench-data}
mkdir -p "$data"
data=$(cd "$data" && pwd)

export TS_BUILD=$uploadd_build TS_ROOT=$root BENCH_BIN=$build/bench
# shellcheck source=../../tests/integration/lib/common.sh
source "$root/tests/integration/lib/common.sh"
# shellcheck source=../../tests/integration/lib/uploadd.sh
source "$root/tests/integration/lib/uploadd.sh"
# shellcheck source=bench_lib.sh
source "$root/tools/bench/bench_lib.sh"

for c in redis-server redis-cli curl openssl python3 dd; do
	command -v "$c" >/dev/null || fail "$c is not installed (tools/setup.sh installs what is missing)"
done
fstype=$(df -PT "$data" | awk 'NR == 2 { print $2 }')
[ "$fstype" != tmpfs ] && [ "$fstype" != ramfs ] ||
	fail "--data $data is on $fstype: uploads must go to a real disk"
# Small-file runs keep their files until the end (see bench_store_init).
need_gib=$((quick ? 8 : 40))
avail_gib=$(df -P -BG "$data" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
[ "$avail_gib" -ge "$need_gib" ] ||
	fail "only ${avail_gib} GiB free on $data; the benchmark needs $need_gib GiB (use --data)"

results=$TEST_TMP/results.jsonl
: >"$results"
bench_store_init "$data"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
# Other work on the machine skews every figure: say so up front.
awk '$1 > 1.0 { exit 1 }' /proc/loadavg ||
	echo "# warning: load average is $load_start before the benchmark starts; results will be noisy" >&2

start_redis
bench_references "$results" "$runs" "$data" "$dd_mib"

points=("4K 1" "4K 16" "1M 1" "1M 16" "16M 1" "16M 16")
for p in "${points[@]}"; do
	read -r size conns <<<"$p"
	d=$dur_small s=$sink_small f=$floor_small g=$go_small
	[ "$size" = 16M ] && d=$dur_big s=$sink_big f=$floor_big g=$go_big
	for run in $(seq "$runs"); do
		bench_point "$results" sink "$size" "$conns" "$s" "$run"
		bench_floor "$results" "$size" "$conns" "$f" "$run"
		for t in "${go_targets[@]+"${go_targets[@]}"}"; do
			bench_point "$results" "$t" "$size" "$conns" "$g" "$run"
		done
		bench_point "$results" uploadd "$size" "$conns" "$d" "$run"
	done
done
bench_big_source "$data"
for run in $(seq "$runs"); do
	bench_big "$results" sink "$data" "$run"
	bench_big "$results" uploadd "$data" "$run"
done
stop_tracked "$REDIS_PID"
bench_store_cleanup

elapsed=$(($(date +%s) - t_start))

# The method, for the doc: what ran where, and how long.
bench_notes() {
	local dev redis_v
	dev=$(df -P "$data" | awk 'NR == 2 { print $1 }')
	redis_v=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
	cat <<EOF
uploadd measured: built from commit $built_from.

Method: \`loadgen\` (tools/bench/loadgen.c: C, one epoll thread; why not
wrk is said at its top) sends multipart uploads (fields filename, version,
file; a new filename/version per request) over keep-alive connections, one
request after another on each. \`sink\` (tools/bench/sink.c) is the
reference server: it reads each body into memory, drops it and answers 201.
\`durable_floor\` (tools/bench/durable_floor.c) is the file system's own
limit for a file per upload: as many threads as connections repeat
create a temp file, write, fdatasync, rename, fsync the directory, with
no HTTP, hashing or Redis. \`go\` is the seed's Go service
(tests/targets/go/goupload: net/http, the whole file in memory, checksum
and write goroutines, Redis SETNX + EXISTS + HMSET + an unlock script,
\`f.Sync()\` of the file but not of its directory) against the same
Redis, started with \`-fsync=true\`; \`go-nosync\` is the seed as it
is (its default, \`-fsync=false\`): the \`os.WriteFile\` behaviour issue
15 measured and compares against (not durable: a 201 there survives no
power cut). uploadd stores files up to \`--small-file-max\`
(64 KiB) as records in shared segment files, many made durable by one
fdatasync (docs/STORAGE.md), larger ones as a file each. Runs alternate
sink, floor, go, go-nosync, uploadd, sink... so background load hits all
alike. Durations: 4 KiB and 1 MiB points ${dur_small} s against uploadd,
${go_small} s against each Go variant, ${sink_small} s against the sink,
${floor_small} s for the floor; 16 MiB points ${dur_big} s, ${go_big} s,
${sink_big} s and ${floor_big} s. At the deadline no new request starts
and those in flight finish.

uploadd runs with its defaults (access log on, --max-uploads 128) plus the
test harness's Redis timeouts, against a private redis-server ${redis_v} on
loopback without persistence (the same server for uploadd and the Go
service; its CPU per upload is reported: Redis work is part of each
design), with storage in a new directory per run under
\`$STORE_ROOT\` ($fstype on $dev, the repository's disk, not tmpfs). uploadd
is restarted for every run, with Redis FLUSHALL: its peak RSS is that run's
VmHWM, and its CPU is the utime+stime delta over the run (/proc/PID/stat).
Files of 16 MiB and 1 GiB runs are deleted as each run ends; those of 4 KiB
and 1 MiB runs only at the end, because on this file system (ext4 without a
journal) deleting thousands of files makes file creation in the following
minutes up to 4x dearer (ext4's recently_deleted check; see
bench_store_init in tools/bench/bench_lib.sh). The 1 GiB upload is
\`curl -F filename=... -F version=1 -F file=@src-1g.bin\` (random bytes, read
from the page cache; uploadd's sha256 answer is checked against the file's).

Load average at start ${load_start}, at end $(cut -d' ' -f1-3 /proc/loadavg); the full
invocation took ${elapsed} s. Other work on this 2-core machine during the run
shows up as spread between min and max.
EOF
}
BENCH_MACHINE=$("$root/tools/bench/machine.sh")
BENCH_COMMAND=$cmdline
BENCH_NOTES=$(bench_notes)
export BENCH_MACHINE BENCH_COMMAND BENCH_NOTES
section=$(python3 "$root/tools/bench/upload_report.py" "$results") ||
	fail "could not format the results ($results)"
echo "$section"
if [ $doc -eq 1 ]; then
	echo "$section" | "$root/tools/bench/update-section.sh" uploads
	echo "# wrote the uploads section of docs/BENCHMARKS.md" >&2
fi
