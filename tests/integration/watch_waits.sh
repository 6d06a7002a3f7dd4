#!/usr/bin/env bash
# taskscope watch reports waits with the right duration, object and waker:
# - a thread blocked 300 ms on a mutex another thread holds: a mutex wait of
#   300 ms (within 20%) woken by the holder (futex wake), in both the text
#   and --json outputs, and with --stacks a stack through waiter_main;
# - a socket read answered by a loopback peer after 300 ms: a read wait on
#   TCP whose peer is the server's port, 300 ms (within 20%), 18 bytes.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

HOLD=300
for mode in json stacks; do
	info "mutex, $mode"
	start_target mutexhold_target $HOLD "$TEST_TMP/mutex.man"
	if [ $mode = json ]; then start_watch --json; else start_watch --json --stacks; fi
	go
	wait_exit "$WATCH_PID" 60
	[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
	python3 - "$TEST_TMP/watch.out" "$TEST_TMP/mutex.man" $HOLD $mode <<'PY' || fail "mutex checks failed ($TEST_TMP/watch.out)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
man = dict(kv.split("=") for kv in open(sys.argv[2]).read().split())
hold, mode = int(sys.argv[3]), sys.argv[4]
waiter, holder = int(man["waiter_tid"]), int(man["holder_tid"])
waits = [e for e in ev if e["type"] == "wait" and e["tid"] == waiter
         and e["dur_ns"] > hold * 1e6 * 0.5]
assert len(waits) == 1, f"want one long wait of the waiter, got {waits}"
w = waits[0]
dur = w["dur_ns"] / 1e6
assert abs(dur - hold) <= hold * 0.2, f"duration {dur:.1f} ms, want {hold} ms +-20%"
assert w["on"]["class"] == "futex" and w["on"]["kind"] == "mutex", w["on"]
assert w["on"].get("owner_tid") == holder, w["on"]
assert w["woken_by"]["tid"] == holder and w["woken_by"]["via"] == "futex_wake", w["woken_by"]
assert w["woken_by"]["name"] == "holder", w["woken_by"]
if mode == "stacks":
    fns = [f.get("function") for f in w["stack"]]
    assert "waiter_main" in fns, fns
print(f"ok: mutex wait {dur:.1f} ms woken by {holder}")
PY
done

info "mutex, text"
start_target mutexhold_target $HOLD "$TEST_TMP/mutex.man"
start_watch --min-block 100ms
go
wait_exit "$WATCH_PID" 60
waiter=$(sed 's/.*waiter_tid=\([0-9]*\).*/\1/' "$TEST_TMP/mutex.man")
grep -E "wait +$waiter waiter +[0-9]+ms on futex: mutex 0x[0-9a-f]+ held by [0-9]+ \"holder\"; woken by [0-9]+ \"holder\" \(futex wake\)" "$TEST_TMP/watch.out" ||
	fail "text: no mutex wait line: $(cat "$TEST_TMP/watch.out")"

info "socket read"
DELAY=300
start_target sockdelay_target $DELAY "$TEST_TMP/sock.man"
start_watch --json
go
wait_exit "$WATCH_PID" 60
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
python3 - "$TEST_TMP/watch.out" "$TEST_TMP/sock.man" <<'PY' || fail "socket checks failed ($TEST_TMP/watch.out)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
man = dict(kv.split("=") for kv in open(sys.argv[2]).read().split())
reader, port, delay = int(man["reader_tid"]), man["port"], int(man["delay_ms"])
waits = [e for e in ev if e["type"] == "wait" and e["tid"] == reader
         and e["on"]["class"] == "read"]
assert len(waits) == 1, f"want one read wait of the reader, got {waits}"
w = waits[0]
dur = w["dur_ns"] / 1e6
assert abs(dur - delay) <= delay * 0.2, f"duration {dur:.1f} ms, want {delay} ms +-20%"
on = w["on"]
assert on["fd_type"] == "tcp", on
assert on["peer"] == f"127.0.0.1:{port}", f"peer {on.get('peer')}, want port {port}"
assert on["bytes"] == int(man["bytes"]), on
print(f"ok: read {dur:.1f} ms from {on['peer']}, {on['bytes']} bytes")
PY
assert_no_watch_bpf "the target exited"
echo "PASS"
