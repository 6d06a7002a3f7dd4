#!/usr/bin/env bash
# tools/compare-views, its command line and its JSON: --help on stdout with
# usage, examples and exit codes; usage errors exit 2, a missing process 3,
# an unreachable debug listener 1, each with one line on stderr. As root:
# a debug listener that belongs to another process is refused (2); --json
# on a real uploadd matches threads by tid with both views; and with
# --watch, uploads made during the window show up as threads only watch
# saw (up-hash/up-write with their start routine and lifetime).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/uploadd.sh"
require_cmd redis-server "apt-get install redis-server"
cv=$TS_ROOT/tools/compare-views
export TASKSCOPE=$TS_BUILD/taskscope

info "--help"
"$cv" --help > "$TEST_TMP/help" || fail "--help exited $?"
for want in "usage: compare-views -p PID --debug-url URL" "examples:" "exit codes:" \
	"--watch D" "--json" "--save-dir DIR"; do
	grep -q -- "$want" "$TEST_TMP/help" || fail "--help lacks '$want'"
done

expect_exit() { # WANT PATTERN ARGS...
	local want=$1 pattern=$2 rc=0
	shift 2
	"$cv" "$@" > "$TEST_TMP/out" 2> "$TEST_TMP/err" || rc=$?
	[ $rc -eq "$want" ] || fail "compare-views $*: exit $rc, want $want ($(cat "$TEST_TMP/err"))"
	[ "$(wc -l < "$TEST_TMP/err")" -le 2 ] && grep -q -- "$pattern" "$TEST_TMP/err" ||
		fail "compare-views $*: unclear error: $(cat "$TEST_TMP/err")"
}
info "errors"
expect_exit 2 "required" 
expect_exit 2 "-p needs a process id" -p 0 --debug-url http://127.0.0.1:1
expect_exit 2 "not a duration" -p 1 --debug-url http://127.0.0.1:1 --watch soon
expect_exit 3 "process 999999999 does not exist" -p 999999999 --debug-url http://127.0.0.1:1
start_redis
start_uploadd
dbg=http://127.0.0.1:$UPLOADD_DEBUG_PORT
expect_exit 1 "cannot read /metrics from http://127.0.0.1:1/metrics" -p "$UPLOADD_PID" --debug-url http://127.0.0.1:1

[ "$(id -u)" -eq 0 ] || { echo "PASS (the capture checks need root for taskscope)"; exit 0; }
require_bpf
info "a debug listener of another process"
expect_exit 2 "belongs to process $UPLOADD_PID" -p "$REDIS_PID" --debug-url "$dbg"

info "--json"
"$cv" -p "$UPLOADD_PID" --debug-url "$dbg" --json > "$TEST_TMP/cv.json" ||
	fail "compare-views --json exited $?"
python3 - "$TEST_TMP/cv.json" "$UPLOADD_PID" <<'PY' || fail "--json checks failed ($TEST_TMP/cv.json)"
import json, sys
d, pid = json.load(open(sys.argv[1])), int(sys.argv[2])
assert d["pid"] == pid and d["skew_ms"] >= 0, d
assert d["kernel_taken_mono_ns"] <= d["process_taken_mono_ns"], "the kernel view comes first"
both = [t for t in d["threads"] if t["process"] and t["kernel"]]
main = next(t for t in both if t["tid"] == pid)
assert main["process"]["at"].startswith("server_run_until_signal"), main
assert main["kernel"]["blocked_on"]["kind"] == "signal", main["kernel"]
assert any(x["kind"] == "kernel_only" for x in main["differences"]), main
serving = [t for t in d["threads"] if any(x["kind"] in ("dumping", "only_process") for x in t["differences"])]
assert serving, "the thread serving the dump is not told apart"
assert d["summary"]["threads_both"] == len(both) and d["watch_only"] is None
PY

info "--watch: threads only watch saw"
head -c 200000 /dev/urandom > "$TEST_TMP/f"
"$cv" -p "$UPLOADD_PID" --debug-url "$dbg" --watch 4s --json --save-dir "$TEST_TMP/saved" \
	> "$TEST_TMP/cvw.json" 2> "$TEST_TMP/cvw.err" &
cvpid=$!
track_pid "$cvpid"
for _ in $(seq 200); do grep -q "both views captured" "$TEST_TMP/cvw.err" && break; sleep 0.05; done
grep -q "both views captured" "$TEST_TMP/cvw.err" || fail "compare-views did not capture within 10 s"
for i in 1 2 3; do
	expect_status 201 "$(upload "$TEST_TMP/f" w.bin "$i")" "upload $i during the watch"
done
wait "$cvpid" || fail "compare-views --watch exited $?: $(cat "$TEST_TMP/cvw.err")"
python3 - "$TEST_TMP/cvw.json" "$TEST_TMP/saved" <<'PY' || fail "--watch checks failed ($TEST_TMP/cvw.json)"
import json, os, sys
d, saved = json.load(open(sys.argv[1])), sys.argv[2]
assert d["watch"]["lost"] == 0, d["watch"]
per = [t for t in d["watch_only"] if t["name"] in ("up-hash", "up-write")]
assert len(per) == 6, f"want 3 up-hash + 3 up-write only in watch, got {per}"
for t in per:
    assert t["exited"] and t["lifetime_ns"] > 0 and t["start_routine"], t
for f in ("inprocess.json", "snapshot.json", "watch.jsonl", "compare.json"):
    assert os.path.getsize(os.path.join(saved, f)) > 0, f
PY
stop_uploadd
echo PASS
