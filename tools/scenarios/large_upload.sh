#!/usr/bin/env bash
# Scenario: a capture during a large upload. Both views show the upload's
# connection, hash and writer threads; only the kernel says which queue
# (condition variable or mutex) the hash and writer threads wait on, and
# for how long.
set -euo pipefail
SC_ABOUT="Capture during a large upload (16 MiB sent at 2 MiB/s): uploadd's
in-process dump and taskscope snapshot both show the upload's connection,
hash and writer threads; only the kernel says which queue (the condition
variable or mutex address) each waits on, and for how long."
source "$(dirname "$0")/lib.sh"

sc_step "1. A private redis-server and uploadd"
start_redis
start_uploadd
echo "redis-server $REDIS_PID on port $REDIS_PORT; uploadd $UPLOADD_PID, debug listener $(sc_debug_url)"

sc_step "2. A large upload, sent slowly (curl --limit-rate 2M)"
head -c 16M /dev/urandom > "$TEST_TMP/large.bin"
want=$(sha256sum "$TEST_TMP/large.bin" | cut -d' ' -f1)
# watch tells which connection thread started the upload's threads.
sc_watch_start "$SC_OUT/watch.jsonl" 60s
curl -s -o "$TEST_TMP/large.json" -w '%{http_code}' --limit-rate 2M \
	-F filename=large.bin -F version=1 -F "file=@$TEST_TMP/large.bin" \
	"$UPLOADD_URL/upload" > "$TEST_TMP/large.status" &
curl_pid=$!
track_pid "$curl_pid"
sc_wait_thread up-write
sleep 1
echo "upload in flight: up-hash and up-write are running"

sc_step "3. Both views, mid-upload"
# A thread caught hashing a chunk is not waiting: capture again (at most
# three times) until both the hash and the writer thread are blocked.
for try in 1 2 3; do
	sc_compare "capture$try"
	capture=capture$try
	python3 - "$SC_OUT/$capture/snapshot.json" <<'PY' && break
import json, sys
ts = json.load(open(sys.argv[1]))["threads"]
blocked = [t for t in ts if t["name"] in ("up-hash", "up-write") and t["blocked_on"]]
sys.exit(0 if len(blocked) == 2 else 1)
PY
	echo "# a thread was busy at that instant: once more"
	sleep 0.5
done
kill -INT "$SC_WATCH_PID" 2>/dev/null || true
sc_watch_end
python3 - "$SC_OUT" "$capture" <<'PY'
import json, os, sys
out, capture = sys.argv[1], sys.argv[2]
events = [json.loads(l) for l in open(os.path.join(out, "watch.jsonl")) if l.strip()]
snap = json.load(open(os.path.join(out, capture, "snapshot.json")))
hashers = {t["tid"] for t in snap["threads"] if t["name"] == "up-hash"}
# The connection thread is the one that created the upload's hash thread.
parent = next((e["parent_tid"] for e in events
               if e["type"] == "create" and e["tid"] in hashers), None)
res = {"scenario": "large-upload", "capture": capture, "conn_tid": parent}
json.dump(res, open(os.path.join(out, "scenario.json"), "w"), indent=1)
PY

sc_step "4. The upload's three threads, side by side"
sc_summary large-upload "$capture"

sc_step "5. The upload completes"
wait "$curl_pid" || true
status=$(cat "$TEST_TMP/large.status")
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("sha256",""))' "$TEST_TMP/large.json" 2>/dev/null || true)
echo "HTTP $status, sha256 $([ "$got" = "$want" ] && echo matches || echo "DIFFERS ($got)")"
python3 - "$SC_OUT" "$status" "$([ "$got" = "$want" ] && echo true || echo false)" <<'PY'
import json, os, sys
p = os.path.join(sys.argv[1], "scenario.json")
res = json.load(open(p))
res.update(upload_status=int(sys.argv[2] or 0), sha256_ok=sys.argv[3] == "true")
json.dump(res, open(p + ".tmp", "w"), indent=1)
os.replace(p + ".tmp", p)
PY
sc_done
