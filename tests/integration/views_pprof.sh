#!/usr/bin/env bash
# taskscope snapshot --pprof FILE writes a goroutine-style profile that
# `go tool pprof` reads: -top counts the threads by function, -traces lists
# one sample per thread with its labels (thread name, state, what it is
# blocked on). Checked on tests/targets/blocked_target, whose threads each
# wait inside a known function. A file that cannot be written is a one-line
# error, exit 1, and leaves nothing behind. Needs `go` (golang-go) for the
# reading part and skips with that reason when it is missing.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

manifest=$TEST_TMP/blocked.json
start_target blocked_target "$manifest"
prof=$TEST_TMP/threads.pb.gz
"$TASKSCOPE" snapshot -p "$TARGET_PID" --pprof "$prof" > "$TEST_TMP/snap.txt" ||
	fail "snapshot --pprof exited $?"
[ -s "$TEST_TMP/snap.txt" ] || fail "--pprof must not replace the text output"
gzip -t "$prof" || fail "$prof is not gzip"
[ -z "$(ls "$TEST_TMP" | grep '\.tmp\.')" ] || fail "temp file left: $(ls "$TEST_TMP")"

info "errors"
rc=0
"$TASKSCOPE" snapshot -p "$TARGET_PID" --pprof "$TEST_TMP/no/such/dir/x.pb.gz" \
	> /dev/null 2> "$TEST_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "--pprof into a missing directory: exit $rc, want 1"
[ "$(wc -l < "$TEST_TMP/err")" -eq 1 ] && grep -q "cannot write the pprof profile .*x.pb.gz: No such file or directory" "$TEST_TMP/err" ||
	fail "unclear error: $(cat "$TEST_TMP/err")"
rc=0
"$TASKSCOPE" snapshot -p "$TARGET_PID" --pprof "" > /dev/null 2> "$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] || fail "--pprof '': exit $rc, want 2"

require_cmd go "apt-get install golang-go: go tool pprof must read the profile"
export HOME=${HOME:-$TEST_TMP} GOCACHE=$TEST_TMP/gocache PPROF_TMPDIR=$TEST_TMP
info "go tool pprof -top"
go tool pprof -top "$prof" > "$TEST_TMP/top.txt" 2> "$TEST_TMP/top.err" ||
	fail "go tool pprof -top failed: $(cat "$TEST_TMP/top.err")"
info "go tool pprof -traces"
go tool pprof -traces "$prof" > "$TEST_TMP/traces.txt" 2> "$TEST_TMP/traces.err" ||
	fail "go tool pprof -traces failed: $(cat "$TEST_TMP/traces.err")"
python3 - "$manifest" "$TEST_TMP/top.txt" "$TEST_TMP/traces.txt" <<'PY' || fail "pprof output checks failed (in $TEST_TMP)"
import json, re, sys
m = json.load(open(sys.argv[1]))
top, traces = open(sys.argv[2]).read(), open(sys.argv[3]).read()
n = len(m["threads"]) + 1        # the workers and the main thread
assert "Type: threads" in top, top[:300]
assert re.search(rf"of {n} total", top), f"want {n} threads in -top:\n{top[:400]}"
# One trace per thread, each with its labels and its own function.
blocks = [b for b in traces.split("-----------+") if "thread:" in b]
assert len(blocks) == n, f"{len(blocks)} traces, want {n}"
for w in m["threads"]:
    mine = [b for b in blocks if re.search(rf"thread:\s+{re.escape(w['name'])}\n", b)]
    assert len(mine) == 1, f"{w['name']}: {len(mine)} traces"
    b = mine[0]
    assert w["function"] in b, f"{w['name']}: {w['function']} not in its trace:\n{b}"
    assert re.search(r"state:\s+\w+", b) and "blocked_on:" in b, b
mu = next(b for b in blocks if "thread:  mu-waiter" in b or re.search(r"thread:\s+mu-waiter\n", b))
assert re.search(r"wait:\s+mutex", mu), mu
assert re.search(r"blocked_on:\s+futex: mutex 0x[0-9a-f]+ held by \d+ \"mu-holder\"", mu), mu
print(f"ok: {n} threads in -top and -traces")
PY
echo PASS
