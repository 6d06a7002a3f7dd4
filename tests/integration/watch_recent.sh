#!/usr/bin/env bash
# Flight recorder: while `taskscope watch` runs, `taskscope snapshot
# --recent D` also shows the threads that exited within D, marked exited,
# with their start routine and lifetime. Without a running watch it says
# so (one line) and prints the live snapshot.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

start_target shortlived_target 1000000 20     # 20 short threads a second
go
"$TASKSCOPE" snapshot -p "$TARGET_PID" --recent 5s --json >"$TEST_TMP/snap0.json" 2>"$TEST_TMP/snap0.err" ||
	fail "snapshot --recent without a watch failed: $(cat "$TEST_TMP/snap0.err")"
# Another watch (someone else's) may be running on this machine: then the
# message says none of the recorders saw this process.
grep -Eq "no taskscope watch is running|is a .taskscope watch -p $TARGET_PID. running" "$TEST_TMP/snap0.err" ||
	fail "no 'no watch running' message: $(cat "$TEST_TMP/snap0.err")"
[ "$(wc -l <"$TEST_TMP/snap0.err")" -eq 1 ] || fail "not one line: $(cat "$TEST_TMP/snap0.err")"
start_watch -q --recorder 64
sleep 1.5
"$TASKSCOPE" snapshot -p "$TARGET_PID" --recent 1s --json >"$TEST_TMP/snap.json" 2>"$TEST_TMP/snap.err" ||
	fail "snapshot --recent failed: $(cat "$TEST_TMP/snap.err")"
"$TASKSCOPE" snapshot -p "$TARGET_PID" --recent 1s >"$TEST_TMP/snap.txt" 2>&1 ||
	fail "snapshot --recent (text) failed"
python3 - "$TEST_TMP/snap.json" <<'PY' || fail "--recent checks failed ($TEST_TMP/snap.json)"
import json, sys
s = json.load(open(sys.argv[1]))
rec = [t for t in s["threads"] if t.get("recent")]
assert 10 <= len(rec) <= 40, f"{len(rec)} exited threads within 1s at 20/s"
for t in rec:
    r = t["recent"]
    assert r["exited"] and r["exited_ago_ns"] <= 1.2e9, r
    assert r["start_routine"] == "shortlived_worker", r
    assert r["lifetime_ns"] >= 200_000, r
    assert t["state"] == "dead", t["state"]
print(f"ok: {len(rec)} recently exited threads")
PY
grep -q 'exited .* ago after .*start shortlived_worker' "$TEST_TMP/snap.txt" ||
	fail "text: no exited thread line: $(head -20 "$TEST_TMP/snap.txt")"
stop_pid "$WATCH_PID"
assert_no_watch_bpf "SIGTERM"
echo "PASS"
