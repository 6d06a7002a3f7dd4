#!/usr/bin/env bash
# taskscope watch --pprof FILE writes an off-CPU profile that `go tool
# pprof` reads: on tests/targets/mutexhold_target, whose "waiter" thread
# blocks HOLD ms on a mutex the "holder" keeps, -top ranks waiter_main's
# stack by blocked time (HOLD ms, within 20%), -traces shows that wait with
# its labels (thread, wait kind, who woke it), the profile's types are
# blocked/nanoseconds and waits/count; -q and --json streams are unchanged.
# A profile that cannot be written fails the watch (exit 1) with one line.
# Needs `go` (golang-go) and skips with that reason when it is missing.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

HOLD=300
prof=$TEST_TMP/offcpu.pb.gz
start_target mutexhold_target $HOLD "$TEST_TMP/mutex.man"
start_watch --json --pprof "$prof"
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch --pprof exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
gzip -t "$prof" || fail "$prof is not gzip"
tail -1 "$TEST_TMP/watch.out" | grep -q '"type":"summary"' ||
	fail "--json stream without its summary line"
grep -q '"type":"wait".*"stack":\[' "$TEST_TMP/watch.out" ||
	fail "--pprof must imply --stacks: no wait with a stack in the stream"

info "a profile that cannot be written"
start_target mutexhold_target 50 "$TEST_TMP/mutex2.man"
start_watch -q --pprof "$TEST_TMP/no/such/dir/x.pb.gz"
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 1 ] || fail "--pprof into a missing directory: exit $EXIT_RC, want 1"
grep -q "cannot write --pprof .*x.pb.gz: No such file or directory" "$TEST_TMP/watch.err" ||
	fail "unclear error: $(cat "$TEST_TMP/watch.err")"

# (watch_lib.sh's go() lets the target run: the Go tool is `command go`.)
type -P go >/dev/null || skip "go is not installed (apt-get install golang-go): go tool pprof must read the profile"
export HOME=${HOME:-$TEST_TMP} GOCACHE=$TEST_TMP/gocache PPROF_TMPDIR=$TEST_TMP
command go tool pprof -top -unit ms "$prof" > "$TEST_TMP/top.txt" 2> "$TEST_TMP/top.err" ||
	fail "go tool pprof -top failed: $(cat "$TEST_TMP/top.err")"
command go tool pprof -traces "$prof" > "$TEST_TMP/traces.txt" 2> "$TEST_TMP/traces.err" ||
	fail "go tool pprof -traces failed: $(cat "$TEST_TMP/traces.err")"
command go tool pprof -top -sample_index=waits "$prof" > "$TEST_TMP/waits.txt" 2>&1 ||
	fail "go tool pprof -sample_index=waits failed: $(cat "$TEST_TMP/waits.txt")"
python3 - "$TEST_TMP/top.txt" "$TEST_TMP/traces.txt" "$TEST_TMP/waits.txt" $HOLD <<'PY' || fail "pprof output checks failed (in $TEST_TMP)"
import re, sys
top, traces, waits = (open(p).read() for p in sys.argv[1:4])
hold = int(sys.argv[4])
assert "Type: blocked" in top and "Type: waits" in waits, (top[:200], waits[:200])
m = re.search(r"^\s*\S+\s+\S+\s+\S+\s+([\d.]+)ms\s+\S+\s+waiter_main$", top, re.M)
assert m, f"waiter_main not in -top:\n{top}"
cum = float(m.group(1))
assert abs(cum - hold) <= hold * 0.2, f"waiter_main blocked {cum} ms, want {hold} +-20%"
blocks = [b for b in traces.split("-----------+") if re.search(r"thread:\s+waiter\n", b)]
mutex = [b for b in blocks if re.search(r"wait:\s+mutex\n", b)]
assert len(mutex) == 1, f"{len(mutex)} mutex waits of the waiter in -traces:\n{traces}"
b = mutex[0]
assert re.search(r"woken_by:\s+holder\n", b) and re.search(r"class:\s+futex\n", b), b
assert re.search(r"on:\s+futex: mutex 0x[0-9a-f]+ held by \d+ \"holder\"", b), b
assert "waiter_main" in b and "pthread_mutex_lock" in b, b
print(f"ok: waiter_main blocked {cum} ms on the mutex")
PY
echo PASS
