#!/usr/bin/env bash
# 1,000 /debug/threads requests (4 dumpers at once, text and JSON) while 24
# curl uploaders keep uploading: no crash, no hung thread, no failed dump,
# and every upload correct: each is answered 201 (uploadd checks the sha256
# the client sends), and every stored object's bytes hash to what was sent.
# Afterwards no per-upload thread is left and one more dump is answered by
# every thread. The dump's signal interrupts reads, writes, fdatasync,
# Redis calls and MHD's polls mid-upload: this is the EINTR test. No root.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/uploadd.sh"
require_cmd redis-server "apt-get install redis-server"

DUMPS=${VIEWS_DUMPS:-1000}
UPLOADERS=${VIEWS_UPLOADERS:-24}

start_redis
start_uploadd --no-access-log
dbg=http://127.0.0.1:$UPLOADD_DEBUG_PORT
base_threads=$(ls "/proc/$UPLOADD_PID/task" | wc -l)

info "source files"
sizes=(4096 65536 300000 1048576 2500000)
for i in "${!sizes[@]}"; do
	head -c "${sizes[$i]}" /dev/urandom > "$TEST_TMP/src.$i"
	sha256sum "$TEST_TMP/src.$i" | cut -d' ' -f1 > "$TEST_TMP/src.$i.sha"
done

info "$UPLOADERS uploaders"
uploaders=()
for u in $(seq "$UPLOADERS"); do
	(
		n=0
		while [ ! -e "$TEST_TMP/stop" ]; do
			n=$((n + 1))
			i=$(((u + n) % ${#sizes[@]}))
			code=$(curl -s -o "$TEST_TMP/ans.$u.$n" -w '%{http_code}' --max-time 120 \
				-F filename="load-$u" -F version="$n" -F "sha256=$(cat "$TEST_TMP/src.$i.sha")" \
				-F "file=@$TEST_TMP/src.$i" "$UPLOADD_URL/upload" || true)
			echo "load-$u $n $i $code" >> "$TEST_TMP/uploads.$u"
		done
	) &
	uploaders+=($!)
done
sleep 1

info "$DUMPS dumps"
python3 - "$dbg" "$DUMPS" 4 > "$TEST_TMP/dumps.json" <<'PY' || { touch "$TEST_TMP/stop"; fail "dumps failed: $(tail -3 "$TEST_TMP/dumps.json")"; }
import http.client, json, sys, threading
url, total, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host, port = url.split("//")[1].split(":")
res = {"ok": 0, "threads": 0, "gone": 0, "no_answer": 0, "errors": []}
lock = threading.Lock()
def run(k):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    for i in range(k, total, par):
        fmt = "json" if i % 2 == 0 else "text"
        c.request("GET", f"/debug/threads?format={fmt}")
        r = c.getresponse()
        body = r.read()
        with lock:
            if r.status != 200:
                res["errors"].append(f"HTTP {r.status}: {body[:200]!r}")
                continue
            res["ok"] += 1
            if fmt == "text":
                if not body.startswith(b"uploadd ") or b"\nthread " not in body:
                    res["errors"].append(f"bad text dump: {body[:200]!r}")
                continue
            d = json.loads(body)
            res["threads"] += len(d["threads"])
            for t in d["threads"]:
                if t["stack_status"] == "unavailable":
                    res["gone" if t["state"] == "dead" else "no_answer"] += 1
                elif not t["stack"] or t["stack"][-1]["function"] not in ("__clone3", "_start"):
                    res["errors"].append(f"thread {t['tid']}: stack {t['stack_status']}: {[f['function'] for f in t['stack']]}")
ts = [threading.Thread(target=run, args=(k,)) for k in range(par)]
[t.start() for t in ts]
[t.join() for t in ts]
print(json.dumps(res))
sys.exit(1 if res["errors"] or res["ok"] != total else 0)
PY
touch "$TEST_TMP/stop"
for p in "${uploaders[@]}"; do wait "$p"; done
kill -0 "$UPLOADD_PID" 2>/dev/null || fail "uploadd died during the load"
info "dumps: $(cat "$TEST_TMP/dumps.json")"

info "every upload answered 201 and stored byte for byte"
cat "$TEST_TMP"/uploads.* > "$TEST_TMP/uploads"
python3 - "$TEST_TMP" "$UPLOADD_STORAGE" "$TS_ROOT/tools" <<'PY' || fail "upload checks failed"
import hashlib, json, os, sys
tmp, storage = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
import segments  # tools/segments.py: files and segment records alike
ups = [l.split() for l in open(os.path.join(tmp, "uploads"))]
bad = [u for u in ups if u[3] != "201"]
assert not bad, f"{len(bad)} of {len(ups)} uploads not 201: {bad[:5]}"
want = {i: open(os.path.join(tmp, f"src.{i}.sha")).read().strip() for i in range(5)}
for name, n, i, _ in ups:
    ans = json.load(open(os.path.join(tmp, f"ans.{name.split('-')[1]}.{n}")))
    assert ans["sha256"] == want[int(i)], (name, n, ans)
    data = segments.read_object(storage, ans["path"])
    assert data is not None, f"{name}/{n}: {ans['path']} missing from storage"
    got = hashlib.sha256(data).hexdigest()
    assert got == want[int(i)], f"{name}/{n}: stored bytes hash to {got}"
print(f"ok: {len(ups)} uploads, all 201, all stored correctly")
PY
info "$(tail -1 "$TEST_TMP/uploads.1" >/dev/null; python3 -c 'import sys; print(sum(1 for _ in open(sys.argv[1])), "uploads")' "$TEST_TMP/uploads")"
assert_no_temp_files
assert_no_locks

info "no thread left behind, every thread answers"
for _ in $(seq 100); do
	[ "$(ls "/proc/$UPLOADD_PID/task" | wc -l)" -le "$base_threads" ] && break
	sleep 0.1
done
left=$(ls "/proc/$UPLOADD_PID/task" | wc -l)
[ "$left" -le "$base_threads" ] || fail "$left threads after the load, $base_threads before"
curl -s -o "$TEST_TMP/final.json" "$dbg/debug/threads?format=json"
python3 - "$TEST_TMP/final.json" <<'PY' || fail "final dump: a thread did not answer"
import json, sys
d = json.load(open(sys.argv[1]))
assert all(t["stack_status"] == "complete" for t in d["threads"]), \
    [(t["tid"], t["name"], t["stack_note"]) for t in d["threads"] if t["stack_status"] != "complete"]
assert not [t for t in d["threads"] if t["name"] in ("up-hash", "up-write")]
PY
stop_uploadd
echo PASS
