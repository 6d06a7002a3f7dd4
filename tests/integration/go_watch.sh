#!/usr/bin/env bash
# taskscope watch on a Go program (tests/targets/go/gospawn) sees every
# short-lived goroutine: 2,000 a second for 5 s, each running
# main.shortWorker for microseconds. Every one has a gocreate (goid,
# creator goroutine 1, start function, the go statement's file:line) and a
# goexit with its lifetime, by goid; nothing is lost; --trace draws a track
# per goroutine; with --goroutine-waits, parks are reported with the
# runtime's wait reason; the probes are gone afterwards.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf
[ -x "$TS_BUILD/targets/go/gospawn" ] ||
	fail "$TS_BUILD/targets/go/gospawn is not built (make setup installs golang-go; then make all)"

uprobes() { bpftool -j link show | python3 -c 'import json,sys; print(sum(1 for l in json.load(sys.stdin) if l.get("type") in ("perf_event","uprobe_multi")))'; }
before=$(uprobes)

RATE=2000 SECS=5
start_target go/gospawn -rate $RATE -duration ${SECS}s
start_watch --json --trace "$TEST_TMP/trace.json"
go
wait_exit "$WATCH_PID" 120
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
grep -q "^spawned $((RATE * SECS))" "$TEST_TMP/target.out" || fail "gospawn: $(cat "$TEST_TMP/target.out")"

python3 - "$TEST_TMP/watch.out" "$TEST_TMP/trace.json" $((RATE * SECS)) <<'PY' || fail "checks failed (output: $TEST_TMP/watch.out)"
import json, sys
path, trace, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ev = [json.loads(l) for l in open(path)]
assert ev[-1]["type"] == "summary", "last line is not the summary"
gs = [e for e in ev if e["type"] == "gosummary"]
assert len(gs) == 1, "no gosummary line"
assert gs[0]["lost"] == 0, f"lost {gs[0]['lost']} goroutine events"
created = {e["goid"]: e for e in ev if e["type"] == "gocreate"
           and e["start_function"] == "main.shortWorker"}
exited = {e["goid"]: e for e in ev if e["type"] == "goexit"
          and e["start_function"] == "main.shortWorker"}
print(f"# {len(created)} created, {len(exited)} exited, summary {gs[0]}")
assert len(created) == n, f"{len(created)} gocreate of main.shortWorker, want {n}"
assert set(created) == set(exited), \
    f"{len(set(created) - set(exited))} created but not exited, {len(set(exited) - set(created))} the other way"
for e in created.values():
    assert e["parent_goid"] == 1, f"creator {e['parent_goid']}"
    st = e["go_statement"]
    assert st["function"] == "main.main" and st["file"].endswith("gospawn/main.go") and st["line"], st
for e in exited.values():
    assert e["lifetime_ns"] is not None and e["lifetime_ns"] > 0, e
t = json.load(open(trace))
tracks = [e for e in t["traceEvents"] if e.get("ph") == "X" and e.get("cat") == "goroutine"]
assert len(tracks) >= n, f"trace: {len(tracks)} goroutine slices"
PY

info "--goroutine-waits"
start_target go/gospawn -rate 200 -duration 1s
start_watch --json --goroutine-waits --min-block 0
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch --goroutine-waits exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
python3 - "$TEST_TMP/watch.out" <<'PY' || fail "--goroutine-waits checks failed (output: $TEST_TMP/watch.out)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
waits = [e for e in ev if e["type"] == "gowait"]
main = [e for e in waits if e["goid"] == 1 and e["wait_reason"] == "chan receive"]
print(f"# {len(waits)} gowait events, {len(main)} of goroutine 1 on its ticker")
assert len(main) >= 100, "goroutine 1 waits on its ticker channel"
assert all(e["dur_ns"] >= 0 for e in waits)
PY
after=$(uprobes)
[ "$before" = "$after" ] || fail "uprobe links left: $before before, $after after"
echo ok
