# Helpers for the taskscope watch integration tests (sourced after
# lib/common.sh; not a test itself: not executable).
#
# A test starts a target that waits for a go-file, starts `taskscope watch`
# on it, waits until watch says its probes are attached, then lets the
# target run. Both are tracked by PID and stopped by lib/common.sh's trap.

TASKSCOPE=$TS_BUILD/taskscope
GO_FILE=$TEST_TMP/go

# start_target NAME ARGS...: starts $TS_BUILD/targets/NAME ARGS
# --wait-for-file $GO_FILE; sets TARGET_PID once it printed "ready".
start_target() {
	local name=$1 i
	shift
	rm -f "$GO_FILE" "$TEST_TMP/target.out"
	[ -x "$TS_BUILD/targets/$name" ] || fail "$TS_BUILD/targets/$name is not built (make all)"
	"$TS_BUILD/targets/$name" "$@" --wait-for-file "$GO_FILE" >"$TEST_TMP/target.out" 2>&1 &
	TARGET_PID=$!
	track_pid "$TARGET_PID"
	for i in $(seq 200); do
		grep -q '^ready' "$TEST_TMP/target.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "target $name did not start (output: $(cat "$TEST_TMP/target.out"))"
}

# start_watch ARGS...: starts taskscope watch -p $TARGET_PID ARGS with
# stdout in $TEST_TMP/watch.out, stderr in $TEST_TMP/watch.err; returns
# once the probes are attached. Sets WATCH_PID.
start_watch() {
	local i before
	rm -f "$TEST_TMP/watch.out" "$TEST_TMP/watch.err"   # no stale match
	before=$(watch_bpf_ids)
	"$TASKSCOPE" watch -p "$TARGET_PID" "$@" >"$TEST_TMP/watch.out" 2>"$TEST_TMP/watch.err" &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	for i in $(seq 600); do
		if grep -q 'taskscope: watching' "$TEST_TMP/watch.err" 2>/dev/null; then
			OUR_BPF_IDS=$(comm -13 <(sort <<<"$before") <(watch_bpf_ids | sort) | tr '\n' ' ')
			return 0
		fi
		kill -0 "$WATCH_PID" 2>/dev/null ||
			fail "taskscope watch exited early: $(cat "$TEST_TMP/watch.err")"
		sleep 0.05
	done
	fail "taskscope watch did not attach within 30 s: $(cat "$TEST_TMP/watch.err")"
}

go() { touch "$GO_FILE"; }

# wait_exit PID SECONDS: waits for PID (a child of this shell) to end;
# fails after SECONDS. Sets EXIT_RC to its exit status.
wait_exit() {
	local pid=$1 secs=$2 i
	for i in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "process $pid still running after $secs s"
	EXIT_RC=0
	wait "$pid" || EXIT_RC=$?
}

# Lists the ids of the taskscope watch BPF programs ("p<id>") and maps
# ("m<id>") loaded now, by any process.
watch_bpf_ids() {
	bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .* name tsw_.*/p\1/p'
	bpftool map show 2>/dev/null |
		sed -n 's/^\([0-9]*\): .* name \(ts_wstate\|ts_wevents\|ts_recent\|ts_wstats\|ts_wakers\|watch_bp[a-z.]*\) .*/m\1/p'
}

# The objects of the watch started last (start_watch records them): other
# watches may run on this machine at the same time (other tests, people).
watch_bpf_objects() {
	local id n=0 now
	now=$(watch_bpf_ids)
	for id in ${OUR_BPF_IDS:-}; do
		grep -qx "$id" <<<"$now" && n=$((n + 1))
	done
	echo $n
}

# Fails unless every program and map of our watch is gone (links go with
# them). The kernel frees them asynchronously (RCU, workqueue) after the
# last fd closes, so allow a moment.
assert_no_watch_bpf() {
	local n i
	[ -n "${OUR_BPF_IDS:-}" ] || fail "no watch BPF objects were recorded (start_watch)"
	for i in $(seq 50); do
		n=$(watch_bpf_objects)
		[ "$n" -eq 0 ] && return 0
		sleep 0.1
	done
	fail "$n of our watch's BPF programs/maps left after $1: ids $OUR_BPF_IDS"
}
