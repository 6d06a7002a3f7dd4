#!/usr/bin/env bash
# Many small uploads at once are all durable before they are answered, on
# both storage paths. 64 uploads of 4 KiB at once through real HTTP, with
# uploadd traced by strace; every upload answers 201, and every object, its
# Redis metadata and its download equal what was sent. Then, from the
# syscall trace (strace prints events in the order it handles them, so the
# checks need no clock):
#
# 1. Segment records (the default for files up to --small-file-max): each
#    201 names its record ("path": "seg-N:OFF:LEN"); the pwritev that wrote
#    that record is followed, before the reply carrying the 201 is sent, by
#    a successful fdatasync of that segment that was entered after the
#    pwritev returned (one that was already running may have missed it).
#    That fdatasync is the group commit's, run by whichever upload led the
#    group; the test also reports how many uploads each covered.
# 2. Files of their own (--small-file-max 0): every linkat that made an
#    object is followed, before that connection's reply, by a successful
#    fsync of the file entered after the linkat returned (it writes the
#    data, the inode and, on ext4 without a journal, the new entry) and a
#    successful fsync of the storage directory entered after it.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_cmd strace

N=64
start_redis

mkdir -p "$TEST_TMP/in" "$TEST_TMP/out"
for i in $(seq $N); do
	head -c 4096 /dev/urandom >"$TEST_TMP/in/$i"
done

# trace_uploads TRACE: strace -f -y on uploadd (-y shows each fd's path)
# while N uploads run at once; then checks what they stored.
trace_uploads() {
	local trace=$1 spid
	strace -f -y -s 2048 -qq -e trace=pwritev,fdatasync,linkat,fsync,sendmsg \
		-e signal=none -o "$trace" -p "$UPLOADD_PID" 2>"$TEST_TMP/strace.err" &
	spid=$!
	track_pid "$spid"
	for _ in $(seq 100); do
		[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$UPLOADD_PID/status")" != 0 ] && break
		kill -0 "$spid" 2>/dev/null || skip "strace cannot trace uploadd: $(cat "$TEST_TMP/strace.err")"
		sleep 0.05
	done
	info "$N uploads of 4 KiB at once"
	upload_at_once $N 8
	kill -INT "$spid"
	wait "$spid" || true
	info "every object, its metadata and its download equal what was sent"
	assert_uploads_stored $N 8
}

# The trace parser both checks share: events in strace's order.
cat >"$TEST_TMP/uptrace.py" <<'PY'
import re
head = re.compile(r"^(\d+) +(\w+)\((\d+)<([^>]*)>")
resumed = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>")
result = re.compile(r"= (-?\d+)")

def calls(path):
    """(tid, call, fd path, entry index, exit index, result, line text);
    a call is one line, or an "<unfinished ...>" and a "resumed" line."""
    pending, out = {}, []
    for idx, line in enumerate(open(path, errors="replace")):
        m = head.match(line)
        if m:
            tid, call, fdpath = int(m[1]), m[2], m[4]
            if line.rstrip().endswith("<unfinished ...>"):
                pending[tid] = (call, fdpath, idx, line)
                continue
            r = result.search(line.rsplit(")", 1)[-1])
            out.append((tid, call, fdpath, idx, idx, int(r[1]) if r else None, line))
            continue
        m = resumed.match(line)
        if m and int(m[1]) in pending:
            tid = int(m[1])
            call, fdpath, entry, first = pending.pop(tid)
            r = result.search(line.rsplit(")", 1)[-1])
            out.append((tid, call, fdpath, entry, idx, int(r[1]) if r else None, first + line))
    return out
PY

info "segment records: each 201 follows a group fdatasync that covers its record"
start_uploadd --no-access-log
trace_uploads "$TEST_TMP/trace-seg"
python3 - "$TEST_TMP" "$TEST_TMP/trace-seg" "$UPLOADD_STORAGE" $N <<'PY' || fail "an upload was answered before a flush covered its record (trace: $TEST_TMP/trace-seg)"
import re, sys
sys.path.insert(0, sys.argv[1])
from uptrace import calls
path, storage, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
ev = calls(path)
seg = re.compile(r"/segments/(seg-\d{8})$")
# Record writes: pwritev(fd<.../segments/seg-N>, [...], 2, OFFSET) = bytes
writes = {}
for t, c, p, e, x, r, text in ev:
    m = seg.search(p)
    if c == "pwritev" and m and r is not None and r > 0:
        off = int(re.search(r"\],\s*\d+,\s*(\d+)", text)[1])
        writes[(m[1], off + 64)] = x
syncs = [(seg.search(p)[1], e, x) for t, c, p, e, x, r, text in ev
         if c == "fdatasync" and seg.search(p) and r == 0]
replies = []
for t, c, p, e, x, r, text in ev:
    if c == "sendmsg" and "201 Created" in text:
        m = re.search(r'path\\":\\"(seg-\d{8}):(\d+):(\d+)\\"', text)
        assert m, f"a 201 reply without a segment path: {text[:300]}"
        replies.append((m[1], int(m[2]), e))
assert len(replies) == n, f"{len(replies)} replies with 201 traced, {n} uploads"
covered = {}
for name, off, reply in replies:
    w = writes.get((name, off))
    assert w is not None, f"no pwritev traced for {name} offset {off - 64}"
    cover = [(e, x) for s, e, x in syncs if s == name and e > w and x < reply]
    assert cover, f"{name}:{off}: no fdatasync of {name} entered after its pwritev (trace line {w + 1}) and done before its 201 (line {reply + 1})"
    first = min(cover)
    covered[first] = covered.get(first, 0) + 1
print(f"# {n} records, {len(syncs)} segment fdatasyncs; the first covering "
      f"each 201 covered {n / len(covered):.1f} uploads on average")
PY
assert_object_count $N
assert_no_temp_files
assert_no_locks
stop_uploadd

info "files of their own: each link is covered by an fsync of the file and of the directory, both entered after it, before the reply"
redis-cli -p "$REDIS_PORT" flushall >/dev/null
UPLOADD_STORAGE=$TEST_TMP/storage-files
start_uploadd --no-access-log --small-file-max 0
trace_uploads "$TEST_TMP/trace-files"
python3 - "$TEST_TMP" "$TEST_TMP/trace-files" "$UPLOADD_STORAGE" $N <<'PY' || fail "an upload was answered before its file and directory were fsynced (trace: $TEST_TMP/trace-files)"
import sys
sys.path.insert(0, sys.argv[1])
from uptrace import calls
path, storage, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
ev = calls(path)
dir_syncs = [(e, x) for t, c, p, e, x, r, _ in ev if c == "fsync" and p == storage and r == 0]
links = [(t, x) for t, c, p, e, x, r, _ in ev if c == "linkat" and r == 0]
file_syncs = [(t, e, x) for t, c, p, e, x, r, _ in ev
              if c == "fsync" and p.startswith(storage + "/") and r == 0]
sends = sorted((e, t) for t, c, p, e, x, r, _ in ev if c == "sendmsg")
assert len(links) == n, f"{len(links)} successful linkat calls traced, {n} uploads"
for tid, link_exit in links:
    reply = next((e for e, t in sends if t == tid and e > link_exit), None)
    assert reply is not None, f"thread {tid}: no reply after its linkat"
    assert any(t == tid and e > link_exit and x < reply for t, e, x in file_syncs), \
        f"thread {tid}: no fsync of its file between its linkat (trace line {link_exit + 1}) and its reply (line {reply + 1})"
    assert any(e > link_exit and x < reply for e, x in dir_syncs), \
        f"thread {tid}: no directory fsync between its linkat (trace line {link_exit + 1}) and its reply (line {reply + 1})"
print(f"# {n} links, {len(file_syncs)} file fsyncs, {len(dir_syncs)} directory fsyncs")
PY
assert_object_count $N
assert_no_temp_files
assert_no_locks
stop_uploadd
