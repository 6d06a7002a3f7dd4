#!/usr/bin/env bash
# taskscope watch across processes, on real processes:
#  - a wakeup from another process names that process: the pipe reader of
#    tests/targets/xproc_peers --wake-after is woken by the child
#    "xp-writer" every 300 ms (JSON woken_by.process, text "of xp-writer");
#  - --stuck reports on a socket or pipe carry the wait-for chain across
#    processes: to the child's sleeping thread, and, for
#    tests/targets/xproc_cycle, a deadlock.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

manifest=$TEST_TMP/peers.json
start_target xproc_peers "$manifest" --wake-after 300
child=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["child_pid"])' "$manifest")
track_pid "$child"
"$TASKSCOPE" watch -p "$TARGET_PID" --json --stuck 500ms -d 2s \
	>"$TEST_TMP/watch.jsonl" 2>"$TEST_TMP/watch.err" ||
	fail "taskscope watch --json exited $?: $(cat "$TEST_TMP/watch.err")"
"$TASKSCOPE" watch -p "$TARGET_PID" --stuck 500ms -d 1s \
	>"$TEST_TMP/watch.txt" 2>"$TEST_TMP/watch.err" ||
	fail "taskscope watch exited $?: $(cat "$TEST_TMP/watch.err")"
python3 - "$manifest" "$TEST_TMP/watch.jsonl" <<'PY' || fail "JSON checks failed"
import json, sys
m = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
child, pid = m["child_pid"], m["pid"]
role = {w["tid"]: w["role"] for w in m["threads"]}
errors = []
reader = [w["tid"] for w in m["threads"] if w["role"] == "pipe"][0]
woken = [e for e in ev if e["type"] == "wait" and e["tid"] == reader and "woken_by" in e]
if not woken:
    errors.append("no wait of the pipe reader with a waker")
for e in woken:
    wb = e["woken_by"]
    if wb.get("pid") != child or not wb.get("other_process") or wb.get("process") != "xp-writer":
        errors.append(f"woken_by {wb}")
stuck = {e["tid"]: e for e in ev if e["type"] == "stuck"}
for tid, r in role.items():
    if r in ("pipe", "pipe_full"):
        continue     # woken every 300 ms; watch reads only read-class fds
    e = stuck.get(tid)
    if not e:
        errors.append(f"{r}: no stuck report"); continue
    c = e.get("chain")
    if not c:
        errors.append(f"{r}: stuck report without chain"); continue
    if c["tids"] != [tid, child] or c["pids"] != [pid, child] or c["deadlock"]:
        errors.append(f"{r}: chain {c}")
    # The writer sleeps between its pipe writes every 300 ms: the chain
    # can catch it awake, writing.
    if c["end_state"] not in ("sleeping", "running", "runnable") or "xp-writer" not in c["text"]:
        errors.append(f"{r}: chain end {c['end_state']} / {c['text']}")
for x in errors:
    print("CHECK:", x)
sys.exit(1 if errors else 0)
PY
grep -Eq "wait +[0-9]+ pipe-reader +[0-9.]+(us|ms|s) on read fd [0-9]+, pipe:\[[0-9]+\]; woken by $child \"xp-writer\" of xp-writer $child$" "$TEST_TMP/watch.txt" ||
	fail "text: no cross-process waker: $(grep pipe-reader "$TEST_TMP/watch.txt" | head -3)"
grep -A1 "STUCK .* tcp-reader " "$TEST_TMP/watch.txt" |
	grep -Eq "^ +chain: [0-9]+ \"tcp-reader\" \(xproc_peers $TARGET_PID\) -> \(tcp\) -> $child \"xp-writer\" \(xp-writer $child\) -> \((sleep, |running|runnable|write )" ||
	fail "text: no chain under the tcp reader's STUCK line: $(grep -A1 'STUCK .* tcp-reader' "$TEST_TMP/watch.txt")"
stop_pid "$TARGET_PID"

manifest=$TEST_TMP/cycle.json
start_target xproc_cycle "$manifest" unix
eval "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(f"{k}={v}" for k, v in m.items()))' "$manifest")"
track_pid "$b_pid"
"$TASKSCOPE" watch -p "$a_pid" --json --stuck 200ms -d 1s \
	>"$TEST_TMP/cycle.jsonl" 2>"$TEST_TMP/watch.err" ||
	fail "taskscope watch (cycle) exited $?: $(cat "$TEST_TMP/watch.err")"
python3 - "$TEST_TMP/cycle.jsonl" "$a_tid" "$b_tid" <<'PY' || fail "cycle: no deadlock in the stuck report"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
a, b = int(sys.argv[2]), int(sys.argv[3])
st = [e for e in ev if e["type"] == "stuck" and e["tid"] == a]
assert st and st[0].get("chain"), st
c = st[0]["chain"]
assert c["deadlock"] and c["tids"] == [a, b], c
PY
info "all checks passed"
