#!/usr/bin/env bash
# Scenario: slow Redis. Redis is paused (CLIENT PAUSE) while an upload
# takes its lock: the upload's connection thread sits in a socket read.
# The kernel view names the socket's peer (Redis's port) and shows the
# Redis call in the stack; the process's own dump shows the same stack but
# cannot say what the read waits for, nor for how long.
set -euo pipefail
SC_ABOUT="Slow Redis: redis-server is paused (CLIENT PAUSE 3000) while an
upload takes its lock. taskscope snapshot shows the connection thread
blocked in a socket read whose peer is Redis's port, with uploadd's Redis
wrapper (rconn_command) in its stack; uploadd's own dump shows the stack
but neither the peer nor how long. The upload completes once Redis
resumes."
source "$(dirname "$0")/lib.sh"

PAUSE_MS=${SC_PAUSE_MS:-3000}

sc_step "1. A private redis-server and uploadd (Redis timeout 10 s)"
start_redis
start_uploadd --redis-timeout 10000
echo "redis-server $REDIS_PID on port $REDIS_PORT; uploadd $UPLOADD_PID, debug listener $(sc_debug_url)"

sc_step "2. Redis pauses for $PAUSE_MS ms; an upload starts"
echo "hello, slow redis" > "$TEST_TMP/small.txt"
redis-cli -p "$REDIS_PORT" CLIENT PAUSE "$PAUSE_MS" ALL >/dev/null ||
	fail "redis-cli CLIENT PAUSE failed"
start_ns=$(date +%s%N)
curl -s -o "$TEST_TMP/small.json" -w '%{http_code}' -F filename=small.txt \
	-F version=1 -F "file=@$TEST_TMP/small.txt" "$UPLOADD_URL/upload" \
	> "$TEST_TMP/small.status" &
curl_pid=$!
track_pid "$curl_pid"
sleep 0.5

sc_step "3. Both views while the upload waits for Redis"
sc_compare capture

sc_step "4. The thread that waits for Redis"
sc_summary slow-redis capture "$REDIS_PORT"

sc_step "5. Redis resumes; the upload completes"
wait "$curl_pid" || true
took_ms=$((($(date +%s%N) - start_ns) / 1000000))
status=$(cat "$TEST_TMP/small.status")
echo "HTTP $status after $took_ms ms: $(cat "$TEST_TMP/small.json")"
python3 - "$SC_OUT" "$status" "$took_ms" "$PAUSE_MS" <<'PY'
import json, os, sys
p = os.path.join(sys.argv[1], "scenario.json")
res = json.load(open(p))
res.update(scenario="slow-redis", upload_status=int(sys.argv[2] or 0),
           upload_ms=int(sys.argv[3]), pause_ms=int(sys.argv[4]))
json.dump(res, open(p + ".tmp", "w"), indent=1)
os.replace(p + ".tmp", p)
PY
sc_done
