#!/usr/bin/env bash
# Scenario: slow Redis. redis-server is stopped (SIGSTOP) while an upload
# takes its lock, and continued (SIGCONT) once both views are captured:
# meanwhile the upload's connection thread sits in a socket read. The
# kernel view names the socket's peer (Redis's port), the process holding
# the other end (redis-server, stopped) and the wait-for chain across the
# two, and shows the Redis call in the stack; the process's own dump shows
# the same stack but cannot say what the read waits for, nor for how long.
set -euo pipefail
SC_ABOUT="Slow Redis: redis-server is stopped (SIGSTOP) while an upload
takes its lock. taskscope snapshot shows the connection thread blocked in
a socket read whose other end redis-server holds, that redis-server is
stopped, the command waiting unread in its socket, and the chain
uploadd thread -> (tcp) -> redis-server thread -> (stopped); uploadd's own
dump shows the stack but neither the peer nor how long. Redis continues
(SIGCONT) once both views are captured, however long that takes on a busy
machine, and the upload completes."
source "$(dirname "$0")/lib.sh"

sc_step "1. A private redis-server and uploadd (Redis timeout 40 s)"
start_redis
start_uploadd --redis-timeout 40000
echo "redis-server $REDIS_PID on port $REDIS_PORT; uploadd $UPLOADD_PID, debug listener $(sc_debug_url)"

sc_step "2. Redis is stopped (SIGSTOP); an upload starts"
# More than MHD hands over in one piece (its read buffer): the file part
# starts before the body is complete, so uploadd takes the lock first. (A
# body already complete by then goes straight to the commit, lock-free.)
{ echo "hello, slow redis"; head -c 262144 /dev/zero | tr '\0' .; } > "$TEST_TMP/small.txt"
kill -STOP "$REDIS_PID" || fail "cannot stop redis-server $REDIS_PID"
# Whatever happens next, Redis does not stay stopped.
trap 'kill -CONT "$REDIS_PID" 2>/dev/null; cleanup_test' EXIT
start_ns=$(date +%s%N)
curl -s -o "$TEST_TMP/small.json" -w '%{http_code}' -F filename=small.txt \
	-F version=1 -F "file=@$TEST_TMP/small.txt" "$UPLOADD_URL/upload" \
	> "$TEST_TMP/small.status" &
curl_pid=$!
track_pid "$curl_pid"
# Until the upload's connection thread waits in read(2) (syscall 0) for
# Redis's answer to its lock request.
tid=$(sc_wait_syscall MHD-connection 0 20)
echo "thread $tid is in read(2), waiting for Redis"
sleep 0.3

sc_step "3. Both views while the upload waits for Redis"
sc_compare capture

sc_step "4. The thread that waits for Redis"
sc_summary slow-redis capture "$REDIS_PORT"

sc_step "5. Redis continues (SIGCONT); the upload completes"
kill -CONT "$REDIS_PID" || fail "cannot continue redis-server $REDIS_PID"
paused_ms=$((($(date +%s%N) - start_ns) / 1000000))
wait "$curl_pid" || true
took_ms=$((($(date +%s%N) - start_ns) / 1000000))
status=$(cat "$TEST_TMP/small.status")
echo "Redis ran again after $paused_ms ms; the upload: HTTP $status after $took_ms ms"
echo "$(cat "$TEST_TMP/small.json")"
python3 - "$SC_OUT" "$status" "$took_ms" "$paused_ms" <<'PY'
import json, os, sys
p = os.path.join(sys.argv[1], "scenario.json")
res = json.load(open(p))
res.update(scenario="slow-redis", upload_status=int(sys.argv[2] or 0),
           upload_ms=int(sys.argv[3]), pause_ms=int(sys.argv[4]))
json.dump(res, open(p + ".tmp", "w"), indent=1)
os.replace(p + ".tmp", p)
PY
sc_done
