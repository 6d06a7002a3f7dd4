#!/usr/bin/env bash
# The cross-process chain on real servers: redis-server is stopped with
# SIGSTOP while an upload waits in uploadd's Redis call. Then
#  - taskscope snapshot -p UPLOADD --json: the thread blocked reading
#    Redis's socket has, in its blocked_on.peer, redis-server's pid and
#    state "stopped", the command it sent queued unread at Redis, and a
#    chain uploadd thread -> (tcp) -> redis-server thread that ends
#    stopped;
#  - the text output names redis-server on that thread and prints the
#    chain;
#  - taskscope snapshot --all --json holds every process that lived
#    through the pass (pid per thread) and the same chain;
# and once Redis continues (SIGCONT) the upload completes.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/uploadd.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

start_redis
start_uploadd --redis-timeout 60000
# More than MHD hands over in one piece: the file part starts before the
# body is complete, so uploadd takes its Redis lock first (see
# tools/scenarios/slow_redis.sh).
{ echo "stopped redis"; head -c 262144 /dev/zero | tr '\0' .; } >"$TEST_TMP/up.txt"
kill -STOP "$REDIS_PID"
# Whatever happens next, Redis must not stay stopped (cleanup sends TERM,
# which a stopped process only acts on once continued).
trap 'kill -CONT "$REDIS_PID" 2>/dev/null; cleanup_test' EXIT
curl -s -o "$TEST_TMP/up.json" -w '%{http_code}' -F filename=up.txt \
	-F version=1 -F "file=@$TEST_TMP/up.txt" "$UPLOADD_URL/upload" \
	>"$TEST_TMP/up.status" &
curl_pid=$!
track_pid "$curl_pid"

# Until a connection thread of uploadd waits in read(2) (syscall 0).
tid=""
for _ in $(seq 500); do
	for d in /proc/"$UPLOADD_PID"/task/*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = MHD-connection ] || continue
		[ "$(cut -d' ' -f1 "$d/syscall" 2>/dev/null)" = 0 ] && tid=${d##*/}
	done
	[ -n "$tid" ] && break
	sleep 0.02
done
[ -n "$tid" ] || fail "no MHD-connection thread of uploadd entered read(2) within 10 s"
sleep 0.2
info "thread $tid of uploadd $UPLOADD_PID reads from redis-server $REDIS_PID (stopped)"

"$TASKSCOPE" snapshot -p "$UPLOADD_PID" --json >"$TEST_TMP/snap.json" ||
	fail "taskscope snapshot --json exited $?"
"$TASKSCOPE" snapshot -p "$UPLOADD_PID" >"$TEST_TMP/snap.txt" ||
	fail "taskscope snapshot exited $?"
"$TASKSCOPE" snapshot --all --json >"$TEST_TMP/all.json" ||
	fail "taskscope snapshot --all --json exited $?"
# Every process alive both before and after the --all pass must be in it.
ls /proc | grep -E '^[0-9]+$' | sort -n >"$TEST_TMP/procs.before"
"$TASKSCOPE" snapshot --all --json >"$TEST_TMP/all2.json" ||
	fail "second taskscope snapshot --all --json exited $?"
ls /proc | grep -E '^[0-9]+$' | sort -n >"$TEST_TMP/procs.after"

python3 - "$TEST_TMP" "$tid" "$UPLOADD_PID" "$REDIS_PID" "$REDIS_PORT" <<'PY' || fail "JSON checks failed"
import json, os, sys
tmp, tid, upid, rpid, rport = sys.argv[1], *map(int, sys.argv[2:])
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

s = json.load(open(f"{tmp}/snap.json"))
th = {t["tid"]: t for t in s["threads"]}
t = th.get(tid)
check(t is not None, f"thread {tid} missing")
b = (t or {}).get("blocked_on") or {}
fd = b.get("fd") or {}
check(b.get("kind") == "read" and fd.get("peer_port") == rport, f"blocked_on {b}")
p = b.get("peer") or {}
procs = p.get("processes") or []
check(p.get("via") == "tcp" and not p.get("remote"), f"peer {p}")
check(len(procs) == 1 and procs[0]["pid"] == rpid and procs[0]["comm"] == "redis-server",
      f"peer processes {procs}")
if procs:
    check(procs[0]["state"] == "stopped", f"redis state {procs[0]['state']}")
    check(procs[0]["threads"] and all(x["state"] == "stopped" for x in procs[0]["threads"]),
          f"redis threads {procs[0]['threads']}")
    check(p.get("next_tid") == rpid, f"next_tid {p.get('next_tid')} (redis main thread {rpid})")
# The lock command uploadd sent sits unread in Redis's receive queue.
check((p.get("rx_queued") or 0) > 0, f"nothing queued at Redis: {p}")
ch = [c for c in s["chains"] if c["tids"][0] == tid]
check(len(ch) == 1, f"chains from {tid}: {s['chains']}")
if ch:
    c = ch[0]
    check(c["tids"] == [tid, rpid] and c["pids"] == [upid, rpid], f"chain {c}")
    check(c["crosses_processes"] and c["end_state"] == "stopped", f"chain {c}")
check(not s["deadlocks"], f"deadlocks {s['deadlocks']}")
# No thread of Redis is printed as uploadd's.
check(all(x["pid"] == upid for x in s["threads"]), "a thread of another process in threads[]")

# --all: every process seen alive before and after the pass is in it,
# each thread with its pid, and the same chain.
a = json.load(open(f"{tmp}/all2.json"))
before = set(map(int, open(f"{tmp}/procs.before").read().split()))
after = set(map(int, open(f"{tmp}/procs.after").read().split()))
kthreads = set()
for pid in before & after:
    try:
        # Kernel threads have no memory map: --all leaves them out.
        if os.path.getsize(f"/proc/{pid}/maps") == 0 and not open(f"/proc/{pid}/cmdline").read():
            kthreads.add(pid)
    except OSError:
        kthreads.add(pid)        # gone since: cannot tell
seen = {t["pid"] for t in a["threads"]}
missing = (before & after) - kthreads - seen
check(not missing, f"--all misses processes {sorted(missing)}")
check(all(isinstance(t["pid"], int) for t in a["threads"]), "a thread without pid")
check({x["pid"] for x in a["processes"]} == seen, "processes[] and threads[] disagree")
ach = [c for c in a["chains"] if c["tids"][:2] == [tid, rpid]]
check(len(ach) == 1 and ach[0]["end_state"] == "stopped", f"--all chains {a['chains'][:5]}")
at = {t["tid"]: t for t in a["threads"]}
check(rpid in at and at[rpid]["state"] == "stopped", "--all: redis main thread not stopped")
for e in errors:
    print("CHECK:", e)
sys.exit(1 if errors else 0)
PY
# Text: the thread's entry names redis-server and that it is stopped, and
# the chain is printed on one line.
grep -A2 "^thread $tid \"MHD-connection\" \[read fd" "$TEST_TMP/snap.txt" |
	grep -Eq "^    other end: redis-server $REDIS_PID \(fd [0-9]+\); [0-9]+ B sent, unread there$" ||
	fail "text: the Redis reader does not name redis-server: $(grep -A2 "^thread $tid " "$TEST_TMP/snap.txt")"
grep -Eq "^  $tid \"MHD-connection\" \(uploadd $UPLOADD_PID\) -> \(tcp\) -> $REDIS_PID \"redis-server\" \(redis-server $REDIS_PID\) -> \(stopped in epoll_wait fd [0-9]+, [0-9.]+(us|ms|s)\)$" "$TEST_TMP/snap.txt" ||
	fail "text: no chain line: $(grep -A3 '^wait-for chains' "$TEST_TMP/snap.txt")"

kill -CONT "$REDIS_PID"
wait "$curl_pid" || true
[ "$(cat "$TEST_TMP/up.status")" = 201 ] ||
	fail "the upload did not complete after SIGCONT: HTTP $(cat "$TEST_TMP/up.status") $(cat "$TEST_TMP/up.json")"
info "all checks passed"
