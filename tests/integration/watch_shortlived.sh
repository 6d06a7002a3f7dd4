#!/usr/bin/env bash
# taskscope watch sees every short-lived thread: a target creates 400
# threads at 1,000/s, each living ~200 us in shortlived_worker. Every
# creation and exit must be reported, with that start routine and a
# lifetime of at least 200 us; text and --trace outputs are checked too.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

N=400
start_target shortlived_target $N 1000
start_watch --json --trace "$TEST_TMP/trace.json"
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"

python3 - "$TEST_TMP/watch.out" "$TEST_TMP/trace.json" "$TARGET_PID" $N <<'PY' || fail "JSON checks failed (output: $TEST_TMP/watch.out)"
import json, statistics, sys
path, trace, pid, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ev = [json.loads(l) for l in open(path)]
assert ev[-1]["type"] == "summary", "last line is not the summary"
s = ev[-1]
assert s["end_reason"] == "target exited", s["end_reason"]
assert s["lost"] == 0, f"lost {s['lost']}"
creates = [e for e in ev if e["type"] == "create"]
workers = [e for e in creates if e.get("start_routine") == "shortlived_worker"]
assert len(creates) == n, f"{len(creates)} creations, want {n}"
assert len(workers) == n, f"{len(workers)} with start routine shortlived_worker"
tids = {e["tid"] for e in workers}
exits = [e for e in ev if e["type"] == "exit" and e["tid"] in tids]
assert len(exits) == n, f"{len(exits)} worker exits, want {n}"
assert all(e.get("start_routine") == "shortlived_worker" for e in exits)
life = sorted(e["lifetime_ns"] for e in exits)
assert life[0] >= 200_000, f"shortest lifetime {life[0]} ns < 200 us"
med = statistics.median(life)
assert med < 20_000_000, f"median lifetime {med} ns: not short-lived?"
assert any(e["type"] == "exit" and e["process_exit"] for e in ev)
t = json.load(open(trace))
names = [e for e in t["traceEvents"] if e["ph"] == "i" and e["name"] == "created"]
assert len(names) == n, f"trace: {len(names)} creations"
print(f"ok: {n} creates/exits, median lifetime {med/1000:.0f} us")
PY
info "text output"
start_target shortlived_target 20 1000
start_watch
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch (text) exited $EXIT_RC"
[ "$(grep -c 'create .*start shortlived_worker' "$TEST_TMP/watch.out")" -eq 20 ] ||
	fail "text: want 20 create lines with the start routine: $(head "$TEST_TMP/watch.out")"
grep -q -- '--- summary: .*(target exited)' "$TEST_TMP/watch.out" || fail "text: no summary"
assert_no_watch_bpf "the target exited"
echo "PASS"
