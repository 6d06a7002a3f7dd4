#!/usr/bin/env bash
# Many small uploads at once are all durable before they are answered. 64
# uploads of 4 KiB at once through real HTTP, with uploadd traced by
# strace: every upload answers 201; every object, its Redis metadata and
# its download equal what was sent; and in the syscall trace, every linkat
# that made an object is followed, before that connection's reply is sent,
# by a successful fsync of the storage directory that was entered after the
# linkat returned (an fsync already running may have written the directory
# before the new entry; strace prints events in the order it handles them,
# so the check needs no clock). It holds whoever runs that fsync, so it
# also guards a future sharing of directory fsyncs between uploads.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_cmd strace

N=64
start_redis
start_uploadd --no-access-log

mkdir -p "$TEST_TMP/in" "$TEST_TMP/out"
for i in $(seq $N); do
	head -c 4096 /dev/urandom >"$TEST_TMP/in/$i"
done

# -y shows each fd's path: the directory's fsync names the storage dir.
strace -f -y -qq -e trace=linkat,fsync,sendmsg -e signal=none \
	-o "$TEST_TMP/trace" -p "$UPLOADD_PID" 2>"$TEST_TMP/strace.err" &
STRACE_PID=$!
track_pid "$STRACE_PID"
for _ in $(seq 100); do
	[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$UPLOADD_PID/status")" != 0 ] && break
	kill -0 "$STRACE_PID" 2>/dev/null || skip "strace cannot trace uploadd: $(cat "$TEST_TMP/strace.err")"
	sleep 0.05
done

info "$N uploads of 4 KiB at once"
upload_at_once $N 8
kill -INT "$STRACE_PID"
wait "$STRACE_PID" || true

info "every object, its metadata and its download equal what was sent"
assert_uploads_stored $N 8

info "every link is covered by a directory fsync entered after it, before the reply"
python3 - "$TEST_TMP/trace" "$UPLOADD_STORAGE" $N <<'PY' || fail "an upload was answered before a directory fsync covered its link (trace: $TEST_TMP/trace)"
import re, sys
path, storage, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
# Events in strace's order: (index, tid, call, phase, fd path, result).
# A call is one line, or an "<unfinished ...>" line and a "resumed" line.
head = re.compile(r"^(\d+) +(\w+)\((\d+)<([^>]*)>")
resumed = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>")
result = re.compile(r"= (-?\d+)")
pending = {}   # tid -> (call, fd path, entry index)
calls = []     # (tid, call, fd path, entry index, exit index, result)
for idx, line in enumerate(open(path)):
    m = head.match(line)
    if m:
        tid, call, fdpath = int(m[1]), m[2], m[4]
        if line.rstrip().endswith("<unfinished ...>"):
            pending[tid] = (call, fdpath, idx)
            continue
        r = result.search(line.rsplit(")", 1)[-1])
        calls.append((tid, call, fdpath, idx, idx, int(r[1]) if r else None))
        continue
    m = resumed.match(line)
    if m and int(m[1]) in pending:
        tid = int(m[1])
        call, fdpath, entry = pending.pop(tid)
        r = result.search(line.rsplit(")", 1)[-1])
        calls.append((tid, call, fdpath, entry, idx, int(r[1]) if r else None))
dir_syncs = [(e, x) for t, c, p, e, x, r in calls
             if c == "fsync" and p == storage and r == 0]
links = [(t, x) for t, c, p, e, x, r in calls if c == "linkat" and r == 0]
sends = sorted((e, t) for t, c, p, e, x, r in calls if c == "sendmsg")
assert len(links) == n, f"{len(links)} successful linkat calls traced, {n} uploads"
for tid, link_exit in links:
    reply = next((e for e, t in sends if t == tid and e > link_exit), None)
    assert reply is not None, f"thread {tid}: no reply after its linkat"
    ok = any(e > link_exit and x < reply for e, x in dir_syncs)
    assert ok, f"thread {tid}: no directory fsync between its linkat (trace line {link_exit + 1}) and its reply (line {reply + 1})"
print(f"# {n} links, {len(dir_syncs)} directory fsyncs")
PY
assert_object_count $N
assert_no_temp_files
assert_no_locks
stop_uploadd
