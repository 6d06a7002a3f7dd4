#!/usr/bin/env bash
# GET /debug/threads on uploadd's debug listener, the HTTP contract: the
# text dump lists every thread of the process with its stack; ?format=json
# is taskscope's snapshot schema with "source": "uploadd" and the same
# threads /proc lists; bad parameters get a one-line 400, other methods
# 405; concurrent dumps all succeed; after --user (the process is no
# longer dumpable, /proc/self/task/N/syscall unreadable) dumps still work,
# without syscalls, and say why once in the log; they still name uploadd's
# own functions when its binary lies in a directory the user cannot read
# (a clone under a 0700 home). No root or BPF needed.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/uploadd.sh"
require_cmd redis-server "apt-get install redis-server"

start_redis
start_uploadd
dbg=http://127.0.0.1:$UPLOADD_DEBUG_PORT

info "text (the default)"
code=$(curl -s -D "$TEST_TMP/hdr" -o "$TEST_TMP/dump.txt" -w '%{http_code}' "$dbg/debug/threads")
[ "$code" = 200 ] || fail "GET /debug/threads: HTTP $code"
grep -qi '^content-type: text/plain' "$TEST_TMP/hdr" || fail "text dump: $(grep -i content-type "$TEST_TMP/hdr")"
head -1 "$TEST_TMP/dump.txt" | grep -q "^uploadd $UPLOADD_PID in-process thread dump at .*: [0-9]* threads$" ||
	fail "text header: $(head -1 "$TEST_TMP/dump.txt")"
for tid in $(ls "/proc/$UPLOADD_PID/task"); do
	name=$(cat "/proc/$UPLOADD_PID/task/$tid/comm")
	[ "$name" = MHD-connection ] && continue   # per connection
	grep -q "^thread $tid \"$name\" \[" "$TEST_TMP/dump.txt" ||
		fail "thread $tid \"$name\" missing from the text dump"
done
grep -A8 "^thread $UPLOADD_PID \"uploadd\" \[sleeping in rt_sigtimedwait\]:" "$TEST_TMP/dump.txt" |
	grep -q '    server_run_until_signal+0x[0-9a-f]* (src/uploadd/http/server.c:[0-9]*)' ||
	fail "main thread's stack: $(grep -A8 "^thread $UPLOADD_PID " "$TEST_TMP/dump.txt")"

info "?format=json: taskscope's schema, the threads /proc lists"
curl -s -D "$TEST_TMP/hdr" -o "$TEST_TMP/dump.json" "$dbg/debug/threads?format=json"
grep -qi '^content-type: application/json' "$TEST_TMP/hdr" || fail "JSON dump content type"
ls "/proc/$UPLOADD_PID/task" > "$TEST_TMP/tids"
python3 - "$TEST_TMP/dump.json" "$UPLOADD_PID" "$TEST_TMP/tids" <<'PY' || fail "JSON dump checks failed"
import json, sys
d = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
proc_tids = {int(x) for x in open(sys.argv[3]).read().split()}
assert d["schema"] == "taskscope.snapshot/1" and d["source"] == "uploadd"
assert d["pid"] == pid and d["comm"] == "uploadd"
for k in ("load_ms", "wait_for", "deadlocks"):
    assert d[k] is None, (k, d[k])
assert d["target_exited"] is False and d["collect_ms"] >= 0 and d["unwind_ms"] >= 0
tids = {t["tid"] for t in d["threads"]}
# The dump's own connection thread may be new; every other must match.
assert len(tids - proc_tids) <= 1 and len(proc_tids - tids) <= 1, (tids, proc_tids)
keys = ["tid", "pid", "name", "state", "cpu", "cpu_ns", "off_cpu_ns", "syscall",
        "blocked_on", "goroutine", "stack", "stack_complete", "stack_status",
        "stack_note"]
for t in d["threads"]:
    assert list(t) == keys, list(t)
    assert t["pid"] == pid and t["off_cpu_ns"] is None and t["blocked_on"] is None
    assert t["stack_status"] == "complete", t
    fr = t["stack"][0]
    assert list(fr) == ["pc", "function", "offset", "module", "file", "line"], fr
    assert t["stack"][-1]["function"] in ("__clone3", "_start"), t["stack"][-1]
main = next(t for t in d["threads"] if t["tid"] == pid)
assert main["syscall"]["name"] == "rt_sigtimedwait" and main["state"] == "sleeping"
fns = [f["function"] for f in main["stack"]]
app = [f["function"] for f in main["stack"] if ".so" not in f["module"]]
# (A sanitizer build adds its sigwait interceptor between the two.)
assert fns[:2] == ["__sigtimedwait", "sigwait"], fns
assert app[:2] == ["server_run_until_signal", "main"], fns
serving = [t for t in d["threads"] if t["state"] == "running" and
           "threaddump_serve" in [f["function"] for f in t["stack"]]]
assert len(serving) == 1, "the serving thread must show itself at work"
PY

info "bad parameters and methods"
for q in "format=xml" "timeout_ms=0" "timeout_ms=abc" "timeout_ms=10001"; do
	code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$dbg/debug/threads?$q")
	[ "$code" = 400 ] || fail "?$q: HTTP $code, want 400"
	[ "$(wc -l < "$TEST_TMP/body")" -le 1 ] && json_field error > /dev/null ||
		fail "?$q: not a one-line JSON error: $(cat "$TEST_TMP/body")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$dbg/debug/threads?format=text&timeout_ms=50")
[ "$code" = 200 ] || fail "format=text&timeout_ms=50: HTTP $code"
code=$(curl -s -o /dev/null -D "$TEST_TMP/hdr" -w '%{http_code}' -X POST "$dbg/debug/threads")
[ "$code" = 405 ] && grep -qi '^allow: GET, HEAD' "$TEST_TMP/hdr" || fail "POST: HTTP $code"
# Not on the public listener.
code=$(curl -s -o /dev/null -w '%{http_code}' "$UPLOADD_URL/debug/threads")
[ "$code" = 404 ] || fail "/debug/threads on the API listener: HTTP $code, want 404"

info "8 dumpers at once, 20 dumps each"
dumpers=()
for i in $(seq 8); do
	( for j in $(seq 20); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "$dbg/debug/threads?format=json"
	  done > "$TEST_TMP/par.$i" ) &
	dumpers+=($!)
done
for p in "${dumpers[@]}"; do wait "$p"; done
[ "$(cat "$TEST_TMP"/par.* | sort | uniq -c | awk '{print $1, $2}')" = "160 200" ] ||
	fail "concurrent dumps: $(cat "$TEST_TMP"/par.* | sort | uniq -c)"
stop_uploadd

info "after --user nobody, binary in a 0700 directory: no syscalls (not dumpable), stacks named"
id nobody >/dev/null 2>&1 || skip "no user 'nobody' (the checks above passed)"
[ "$(id -u)" -eq 0 ] || { echo "PASS (the --user part needs root)"; exit 0; }
mkdir -p "$TEST_TMP/nobody"
chown nobody "$TEST_TMP/nobody"
chmod 755 "$TEST_TMP"
# Where nobody cannot read the binary, as in a clone under /root.
mkdir -m 0700 "$TEST_TMP/private"
cp "$TS_BUILD/uploadd" "$TEST_TMP/private/uploadd"
su -s /bin/sh nobody -c "test -r '$TEST_TMP/private/uploadd'" 2>/dev/null &&
	fail "nobody can read $TEST_TMP/private/uploadd: the check would prove nothing"
UPLOADD_STORAGE=$TEST_TMP/nobody
UPLOADD_BIN=$TEST_TMP/private/uploadd start_uploadd --user nobody
dbg=http://127.0.0.1:$UPLOADD_DEBUG_PORT
for _ in 1 2; do
	curl -s -o "$TEST_TMP/nobody.json" -w '%{http_code}' "$dbg/debug/threads?format=json" |
		grep -qx 200 || fail "dump as nobody failed"
done
python3 - "$TEST_TMP/nobody.json" <<'PY' || fail "dump as nobody: checks failed"
import json, sys
d = json.load(open(sys.argv[1]))
assert all(t["syscall"] is None for t in d["threads"]), "syscalls shown although unreadable?"
assert all(t["stack_status"] == "complete" for t in d["threads"])
assert any("server_run_until_signal" in [f["function"] for f in t["stack"]] for t in d["threads"])
main = next(t for t in d["threads"] if t["name"] == "uploadd")
own = [f for f in main["stack"] if f["module"] and f["module"].endswith("/private/uploadd")]
assert own and all(f["function"] for f in own), own
assert any(f["file"] and f["file"].endswith("src/uploadd/http/server.c") for f in own), own
PY
grep -q "own functions have no names" "$UPLOADD_LOG" && fail "start-up warned that uploadd's own symbols are missing"
[ "$(grep -c 'cannot read /proc/self/task/[0-9]*/syscall' "$UPLOADD_LOG")" = 1 ] ||
	fail "want exactly one log line about unreadable syscalls: $(grep -c syscall "$UPLOADD_LOG")"
stop_uploadd
echo PASS
