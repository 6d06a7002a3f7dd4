#!/usr/bin/env bash
# --stuck D reports a wait the moment it passes D, while the thread is still
# blocked, with its object and stack (offcputime would show it only when it
# ends). Also for a thread that was already blocked when watch started.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

check() { # label hold_ms stuck_ms adopted
	python3 - "$TEST_TMP/watch.out" "$TEST_TMP/man" "$@" <<'PY' || fail "$1: checks failed ($TEST_TMP/watch.out)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
man = dict(kv.split("=") for kv in open(sys.argv[2]).read().split())
label, hold, stuck, adopted = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
waiter, holder = int(man["waiter_tid"]), int(man["holder_tid"])
st = [e for e in ev if e["type"] == "stuck" and e["tid"] == waiter]
assert len(st) == 1, f"want one stuck report for the waiter, got {len(st)}"
s = st[0]
assert stuck * 1e6 <= s["dur_ns"] < hold * 1e6, f"reported after {s['dur_ns']/1e6:.0f} ms"
assert s["on"]["kind"] == "mutex" and s["on"].get("owner_tid") == holder, s["on"]
assert s["since_before_watch"] == adopted, s["since_before_watch"]
fns = [f.get("function") for f in s["stack"]]
assert "waiter_main" in fns, fns
end = [e for e in ev if e["type"] == "wait" and e["tid"] == waiter and e["dur_ns"] > stuck * 1e6]
if end:   # reported while still blocked: before the wait ended
    assert s["ts_ns"] < end[0]["ts_ns"], "stuck came after the wait ended"
print(f"ok ({label}): stuck after {s['dur_ns']/1e6:.0f} ms, mutex held by {holder}")
PY
}

info "blocked during the watch"
start_target mutexhold_target 1500 "$TEST_TMP/man"
start_watch --json --stuck 300ms
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
check during 1500 300 0

info "blocked since before the watch"
rm -f "$TEST_TMP/man"
start_target mutexhold_target 4000 "$TEST_TMP/man"
go
for _ in $(seq 100); do [ -f "$TEST_TMP/man" ] && break; sleep 0.05; done
sleep 0.5
start_watch --json --stuck 1s
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
check adopted 4000 1000 1
assert_no_watch_bpf "the target exited"
echo "PASS"
