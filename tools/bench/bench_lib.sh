# Steps of the upload benchmark (sourced by tools/bench/upload_bench.sh after
# tests/integration/lib/common.sh and lib/uploadd.sh, whose start/stop and
# PID tracking it reuses). Each bench_* function appends one JSON line per
# run to a results file that tools/bench/upload_report.py formats.

clk_tck=$(getconf CLK_TCK)
# The benchmark tools (loadgen, sink, durable_floor); uploadd itself comes
# from TS_BUILD, which may be another build (upload_bench.sh --rev).
BENCH_BIN=${BENCH_BIN:-$TS_BUILD/bench}

# Stops a tracked process by PID and forgets it (forget_pid), so the exit
# trap never signals a PID that may since have been reused.
stop_tracked() {
	stop_pid "$1"
	forget_pid "$1"
}

# Drops a PID from the exit trap's list once the process is known to be gone.
forget_pid() {
	local pid=$1 p keep=()
	for p in "${TEST_PIDS[@]+"${TEST_PIDS[@]}"}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	TEST_PIDS=("${keep[@]+"${keep[@]}"}")
}

# user+system CPU seconds of a whole process (exited threads included).
proc_cpu_s() {
	# Fields after "pid (comm) ": utime is the 12th, stime the 13th.
	sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$clk_tck" '{ printf "%.3f", ($12 + $13) / hz }'
}

# Peak resident set size (VmHWM) of a process, in KiB.
proc_hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# Starts tools/bench/sink on a free loopback port: SINK_PID, SINK_URL.
start_sink() {
	local out=$TEST_TMP/sink.out port=
	: >"$out"
	"$BENCH_BIN/sink" --listen 127.0.0.1:0 >"$out" 2>"$TEST_TMP/sink.err" &
	SINK_PID=$!
	track_pid "$SINK_PID"
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
		[ -n "$port" ] && break
		kill -0 "$SINK_PID" 2>/dev/null || fail "sink exited at start-up: $(cat "$TEST_TMP/sink.err")"
		sleep 0.05
	done
	[ -n "$port" ] || fail "sink did not start listening (log: $TEST_TMP/sink.err)"
	SINK_URL=http://127.0.0.1:$port
}

# Starts the seed's Go upload service (tests/targets/go/goupload, built by
# tests/targets/go.mk) on a free loopback port against the benchmark's
# Redis, storing under a new directory, with ARGS (-fsync=false): GO_PID,
# GO_URL, GO_STORAGE.
start_go() {
	local bin=${GO_UPLOAD_BIN:-$BENCH_BIN/../targets/go/goupload} out=$TEST_TMP/go.out port=
	[ -x "$bin" ] || fail "$bin is not built (make BUILD=... $bin; needs golang-go)"
	STORE_RUNS=$((STORE_RUNS + 1))
	GO_STORAGE=$STORE_ROOT/go-$STORE_RUNS
	mkdir -p "$GO_STORAGE"
	[ "$(redis-cli -p "$REDIS_PORT" flushall)" = OK ] || fail "redis-server on port $REDIS_PORT did not FLUSHALL"
	: >"$out"
	"$bin" -listen 127.0.0.1:0 -redis "127.0.0.1:$REDIS_PORT" -storage "$GO_STORAGE" "$@" \
		>"$out" 2>"$TEST_TMP/go.err" &
	GO_PID=$!
	track_pid "$GO_PID"
	for _ in $(seq 200); do
		port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$out")
		[ -n "$port" ] && break
		kill -0 "$GO_PID" 2>/dev/null || fail "goupload exited at start-up: $(cat "$TEST_TMP/go.err")"
		sleep 0.05
	done
	[ -n "$port" ] || fail "goupload did not start listening (log: $TEST_TMP/go.err)"
	GO_URL=http://127.0.0.1:$port
}

# Prepares STORE_ROOT, under which every run gets a new storage directory.
#
# Why the care: this file system (ext4 here runs without a journal) makes a
# new inode skip every inode deleted in its block group in the last minute
# (ext4 recently_deleted(); five more minutes while the inode table block is
# dirty). Deleting one run's thousands of small files made the next run's
# file creations 4x dearer (measured: 4 KiB uploads at 16 connections went
# from 630 to 2,600 us of CPU each). So small-file runs delete nothing until
# the end (bench_discard), and files left by an earlier invocation are
# deleted, synced, and given that minute to age out before anything runs.
bench_store_init() {
	local stamp=$1/.last-cleanup wait
	STORE_ROOT=$1/storage
	STORE_RUNS=0
	if [ -e "$STORE_ROOT" ]; then
		echo "# removing the files of an earlier, unfinished run" >&2
		bench_store_cleanup
	fi
	wait=$((61 - ($(date +%s) - $(cat "$stamp" 2>/dev/null || echo 0))))
	if [ "$wait" -gt 0 ]; then
		echo "# waiting $wait s until ext4 stops skipping the inodes deleted by the last run" >&2
		sleep "$wait"
	fi
	mkdir -p "$STORE_ROOT"
}

# bench_discard DIR SIZE: deletes a run's files now when they are large
# (few inodes, much disk), else at the end (bench_store_cleanup).
bench_discard() {
	case $2 in
	16M | 1G) rm -rf "$1" ;;
	*) ;; # stays under STORE_ROOT until bench_store_cleanup
	esac
}

# Deletes everything under STORE_ROOT; sync makes the deleted inodes' table
# blocks clean, so ext4 forgets them after a minute rather than six. The
# time is kept for the next bench_store_init.
bench_store_cleanup() {
	local data
	data=$(dirname "$STORE_ROOT")
	rm -rf "$STORE_ROOT"
	sync -f "$data"
	date +%s >"$data/.last-cleanup"
}

# Starts a fresh uploadd on a new storage directory and an empty Redis.
start_fresh_uploadd() {
	STORE_RUNS=$((STORE_RUNS + 1))
	UPLOADD_STORAGE=$STORE_ROOT/run-$STORE_RUNS
	[ "$(redis-cli -p "$REDIS_PORT" flushall)" = OK ] || fail "redis-server on port $REDIS_PORT did not FLUSHALL"
	start_uploadd
}

# Starts TARGET (sink, uploadd, go or go-nosync); sets SERVER_PID and SERVER_URL.
start_target() {
	case $1 in
	sink) start_sink; SERVER_PID=$SINK_PID SERVER_URL=$SINK_URL ;;
	uploadd) start_fresh_uploadd; SERVER_PID=$UPLOADD_PID SERVER_URL=$UPLOADD_URL ;;
	go) start_go -fsync=true; SERVER_PID=$GO_PID SERVER_URL=$GO_URL ;;
	go-nosync) start_go -fsync=false; SERVER_PID=$GO_PID SERVER_URL=$GO_URL ;;
	*) fail "unknown target $1" ;;
	esac
}

# stop_target TARGET SIZE: stops it; for uploadd, checks it left no temp
# file and discards what it stored (bench_discard).
stop_target() {
	stop_tracked "$SERVER_PID"
	if [ "$1" = uploadd ]; then
		assert_no_temp_files
		rm -f "$UPLOADD_LOG"
		bench_discard "$UPLOADD_STORAGE" "$2"
	elif [ "$1" = go ] || [ "$1" = go-nosync ]; then
		bench_discard "$GO_STORAGE" "$2"
	fi
}

# bench_point OUT TARGET SIZE CONNS SECONDS RUN: one loadgen run.
bench_point() {
	local out=$1 target=$2 size=$3 conns=$4 secs=$5 run=$6 cpu0 cpu1 rcpu0 rcpu1 hwm lg
	start_target "$target"
	cpu0=$(proc_cpu_s "$SERVER_PID")
	rcpu0=$(proc_cpu_s "$REDIS_PID")
	lg=$("$BENCH_BIN/loadgen" --json -s "$size" -c "$conns" -d "$secs" \
		-p "b$size-c$conns-r$run" "$SERVER_URL/upload" 2>"$TEST_TMP/loadgen.err") ||
		fail "loadgen against $target ($size, $conns connections) got no 2xx answer: $(tail -3 "$TEST_TMP/loadgen.err")"
	cpu1=$(proc_cpu_s "$SERVER_PID")
	rcpu1=$(proc_cpu_s "$REDIS_PID")
	hwm=$(proc_hwm_kib "$SERVER_PID")
	stop_target "$target" "$size"
	[ -s "$TEST_TMP/loadgen.err" ] && sed 's/^/# /' "$TEST_TMP/loadgen.err" >&2
	printf '{"kind":"point","size":"%s","conns":%d,"target":"%s","run":%d,"duration_s":%s,"cpu_s":%s,"redis_cpu_s":%s,"hwm_kib":%d,"loadgen":%s}\n' \
		"$size" "$conns" "$target" "$run" "$secs" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')" \
		"$(awk -v a="$rcpu0" -v b="$rcpu1" 'BEGIN { printf "%.3f", b - a }')" \
		"$hwm" "$lg" >>"$out"
	python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); l=r["loadgen"]; ok=max(l["ok"], 1); print("# %-4s c%-2d %-7s run %d: %8.1f uploads/s %7.1f MiB/s p50 %.2f ms p99 %.2f ms non-2xx %d cpu %.0f us/upload (redis %.0f) rss %d KiB" % (r["size"], r["conns"], r["target"], r["run"], l["uploads_per_s"], l["mib_per_s"], l["latency_ms"]["p50"], l["latency_ms"]["p99"], l["non_2xx"], r["cpu_s"] * 1e6 / ok, r["redis_cpu_s"] * 1e6 / ok, r["hwm_kib"]))' \
		<<<"$(tail -1 "$out")" >&2
}

# bench_floor OUT SIZE CONNS SECONDS RUN: the file system's own rate for
# the same point (tools/bench/durable_floor.c), in a new directory.
bench_floor() {
	local out=$1 size=$2 conns=$3 secs=$4 run=$5 dir json
	STORE_RUNS=$((STORE_RUNS + 1))
	dir=$STORE_ROOT/floor-$STORE_RUNS
	mkdir "$dir"
	json=$("$BENCH_BIN/durable_floor" --json --dir "$dir" --size "$size" \
		--threads "$conns" --seconds "$secs") || fail "durable_floor in $dir failed (see above)"
	bench_discard "$dir" "$size"
	printf '{"kind":"floor","size":"%s","conns":%d,"run":%d,"duration_s":%s,"floor":%s}\n' \
		"$size" "$conns" "$run" "$secs" "$json" >>"$out"
	python3 -c 'import json,sys; f=json.loads(sys.stdin.read())["floor"]; print("# %-4s c%-2d floor   run %s: %8.1f files/s   %7.1f MiB/s p50 %.2f ms p99 %.2f ms cpu %.0f us/file" % (sys.argv[1], int(sys.argv[2]), sys.argv[3], f["files_per_s"], f["mib_per_s"], f["p50_ms"], f["p99_ms"], f["cpu_us_per_file"]))' \
		"$size" "$conns" "$run" <<<"$(tail -1 "$out")" >&2
}

# Creates DATA/src-1g.bin (random, 1 GiB) and its SHA-256 once; later
# invocations reuse them.
bench_big_source() {
	local src=$1/src-1g.bin
	if [ ! -f "$src" ] || [ "$(stat -c %s "$src")" -ne 1073741824 ]; then
		echo "# creating the 1 GiB source file $src" >&2
		head -c 1073741824 /dev/urandom >"$src.tmp" && mv "$src.tmp" "$src" ||
			fail "cannot create $src (disk full?)"
		rm -f "$src.sha256"
	fi
	[ -s "$src.sha256" ] || sha256sum "$src" | cut -d' ' -f1 >"$src.sha256"
	BIG_SRC=$src
	BIG_SHA=$(cat "$src.sha256")
}

# bench_big OUT TARGET DATA RUN: one 1 GiB upload with curl.
bench_big() {
	local out=$1 target=$2 run=$4 cpu0 cpu1 hwm res code secs sha
	# From the page cache, as in every run: the first run after the 16 MiB
	# points would otherwise read it from the disk uploadd writes to.
	cat "$BIG_SRC" >/dev/null
	start_target "$target"
	cpu0=$(proc_cpu_s "$SERVER_PID")
	res=$(curl -s -o "$TEST_TMP/big.body" -w '%{http_code} %{time_total}' \
		-F "filename=big-r$run" -F version=1 -F "file=@$BIG_SRC" \
		"$SERVER_URL/upload") || fail "curl upload of 1 GiB to $target failed"
	cpu1=$(proc_cpu_s "$SERVER_PID")
	hwm=$(proc_hwm_kib "$SERVER_PID")
	read -r code secs <<<"$res"
	if [ "$target" = uploadd ]; then
		[ "$code" = 201 ] || fail "1 GiB upload to uploadd: HTTP $code: $(cat "$TEST_TMP/big.body")"
		sha=$(json_field sha256 "$TEST_TMP/big.body")
		[ "$sha" = "$BIG_SHA" ] || fail "1 GiB upload: uploadd says sha256 $sha, the file has $BIG_SHA"
	fi
	stop_target "$target" 1G
	printf '{"kind":"big","target":"%s","run":%d,"status":%d,"time_s":%s,"bytes":1073741824,"cpu_s":%s,"hwm_kib":%d}\n' \
		"$target" "$run" "$code" "$secs" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')" "$hwm" >>"$out"
	echo "# 1G curl ${target} run $run: HTTP $code in $secs s ($(awk -v s="$secs" 'BEGIN { printf "%.0f", 1024 / s }') MiB/s), rss $hwm KiB" >&2
}

# bench_references OUT RUNS DATA DD_MIB: SHA-256 speed and disk write+fsync.
bench_references() {
	local out=$1 runs=$2 data=$3 mib=$4 secs=3 v t
	[ "$mib" -lt 1024 ] && secs=1
	for run in $(seq "$runs"); do
		# "sha256  1332977.03k": thousands of bytes per second.
		v=$(openssl speed -evp sha256 -bytes 16384 -seconds "$secs" 2>/dev/null |
			awk '/^sha256/ { sub("k", "", $2); printf "%.1f", $2 * 1000 / 1048576 }')
		[ -n "$v" ] || fail "openssl speed -evp sha256 printed no result"
		printf '{"kind":"ref","name":"sha256","run":%d,"mib_s":%s}\n' "$run" "$v" >>"$out"
		t=$(dd if=/dev/zero of="$data/dd.tmp" bs=1M count="$mib" conv=fsync 2>&1 |
			sed -n 's/.* copied, \([0-9.]*\) s,.*/\1/p')
		rm -f "$data/dd.tmp"
		[ -n "$t" ] || fail "dd to $data failed (disk full?)"
		v=$(awk -v m="$mib" -v t="$t" 'BEGIN { printf "%.1f", m / t }')
		printf '{"kind":"ref","name":"disk","run":%d,"mib_s":%s}\n' "$run" "$v" >>"$out"
		echo "# references run $run: sha256 $(tail -2 "$out" | head -1 | sed 's/.*"mib_s"://; s/}//') MiB/s, disk $v MiB/s" >&2
	done
}
