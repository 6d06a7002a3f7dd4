#!/usr/bin/env bash
# The seed's Go upload service (tests/targets/go/goupload) against a
# private redis-server, and taskscope on it:
# - uploads answer 201 with the metadata, which is in Redis (filename,
#   version, checksum = sha256 of the file, size, path, uploaded_at) and
#   the file on disk; a held lock and an existing version answer 409; bad
#   input 400; the lock is released after each upload;
# - idle: Go's own debug=2 dump shows no checksum or write goroutine;
# - during a large, throttled upload: the handler goroutine in IO wait on
#   the client's socket inside ParseMultipartForm (the whole file is read
#   into memory, as the seed's service does);
# - slow Redis (CLIENT PAUSE WRITE): taskscope snapshot shows the upload's
#   handler goroutine in IO wait on a socket whose peer is Redis's port,
#   main.(*server).upload in its stack; the upload completes afterwards;
# - a burst of uploads under taskscope watch: every checksumWorker and
#   writeWorker goroutine is created and exits, by goid, none lost.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl "apt-get install curl"
require_cmd redis-cli "apt-get install redis-tools"
GOUP=$TS_BUILD/targets/go/goupload
TASKSCOPE=$TS_BUILD/taskscope
[ -x "$GOUP" ] || fail "$GOUP is not built (make setup installs golang-go and golang-gopkg-redis.v5-dev; then make all)"

start_redis
mkdir -p "$TEST_TMP/storage"
"$GOUP" -redis "127.0.0.1:$REDIS_PORT" -storage "$TEST_TMP/storage" \
	>"$TEST_TMP/goupload.out" 2>"$TEST_TMP/goupload.err" &
GP=$!
track_pid "$GP"
for _ in $(seq 200); do
	PORT=$(awk '/^listening/{print $2}' "$TEST_TMP/goupload.out")
	[ -n "$PORT" ] && break
	kill -0 "$GP" 2>/dev/null || fail "goupload exited: $(cat "$TEST_TMP/goupload.err")"
	sleep 0.05
done
[ -n "$PORT" ] || fail "goupload did not start"
URL=http://127.0.0.1:$PORT
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

info "uploads"
head -c 200000 /dev/urandom >"$TEST_TMP/a.bin"
code=$(curl -s -o "$TEST_TMP/a.json" -w '%{http_code}' -F file=@"$TEST_TMP/a.bin" \
	-F filename=a.bin -F version=1 "$URL/upload")
[ "$code" = 201 ] || fail "upload: HTTP $code $(cat "$TEST_TMP/a.json")"
sum=$(sha256sum "$TEST_TMP/a.bin" | cut -d' ' -f1)
python3 - "$TEST_TMP/a.json" "$sum" <<'PY' || fail "metadata in the answer"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["checksum"] == sys.argv[2] and m["size"] == 200000 and m["filename"] == "a.bin" \
    and m["version"] == "1" and m["path"].endswith("/1/a.bin") and m["uploaded_at"], m
PY
[ "$(rcli HGET file:a.bin:1 checksum)" = "$sum" ] || fail "checksum not in Redis"
for f in filename version size path uploaded_at; do
	[ -n "$(rcli HGET file:a.bin:1 $f)" ] || fail "metadata field $f not in Redis"
done
cmp -s "$TEST_TMP/a.bin" "$TEST_TMP/storage/1/a.bin" || fail "stored file differs"
[ "$(rcli EXISTS lock:upload:a.bin:1)" = 0 ] || fail "lock not released"
code=$(curl -s -o /dev/null -w '%{http_code}' -F file=@"$TEST_TMP/a.bin" -F filename=a.bin -F version=1 "$URL/upload")
[ "$code" = 409 ] || fail "existing version: HTTP $code, want 409"
rcli SET lock:upload:b.bin:1 someone-else EX 30 >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -F file=@"$TEST_TMP/a.bin" -F filename=b.bin -F version=1 "$URL/upload")
[ "$code" = 409 ] || fail "held lock: HTTP $code, want 409"
[ "$(rcli GET lock:upload:b.bin:1)" = someone-else ] || fail "another's lock was released"
code=$(curl -s -o /dev/null -w '%{http_code}' -F file=@"$TEST_TMP/a.bin" -F filename=../x -F version=1 "$URL/upload")
[ "$code" = 400 ] || fail "bad filename: HTTP $code, want 400"

info "idle: Go's own dump"
curl -sf "$URL/debug/pprof/goroutine?debug=2" >"$TEST_TMP/idle.dump" || fail "no net/http/pprof dump"
grep -q 'main.checksumWorker\|main.writeWorker' "$TEST_TMP/idle.dump" &&
	fail "an idle dump shows an upload goroutine"

info "during a large upload"
# 24 MiB at 4 MiB/s: the handler goroutine reads the body for seconds.
head -c 25165824 /dev/zero | curl -s -o "$TEST_TMP/big.json" -w '%{http_code}' \
	--limit-rate 4M -F file=@- -F filename=big.bin -F version=1 "$URL/upload" \
	>"$TEST_TMP/big.code" &
bpid=$!
track_pid "$bpid"
found=0
for _ in $(seq 50); do
	sleep 0.2
	"$TASKSCOPE" snapshot -p "$GP" --json >"$TEST_TMP/big.snap.json" || fail "snapshot exited $?"
	if python3 - "$TEST_TMP/big.snap.json" "$PORT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); port = sys.argv[2]
for g in s["go"]["goroutines"]:
    w = g["waits_on"] or {}
    fns = [f["function"] for f in g["stack"]]
    if g["wait_reason"] == "IO wait" and w.get("kind") == "fd" and \
       (w.get("fd_desc") or "").startswith(f"tcp 127.0.0.1:{port} -> ") and \
       "main.(*server).upload" in fns and "net/http.(*Request).ParseMultipartForm" in fns:
        print(f"# goroutine {g['goid']} reads the body: {w['fd_desc']}")
        sys.exit(0)
sys.exit(1)
PY
	then found=1; break; fi
done
wait "$bpid" || true
[ $found = 1 ] || fail "no goroutine seen reading the upload's body in ParseMultipartForm (last: $TEST_TMP/big.snap.json)"
[ "$(cat "$TEST_TMP/big.code")" = 201 ] || fail "the large upload: HTTP $(cat "$TEST_TMP/big.code")"

info "slow Redis"
{ echo slow; head -c 100000 /dev/zero; } >"$TEST_TMP/s.bin"
rcli CLIENT PAUSE 30000 WRITE >/dev/null
curl -s -o "$TEST_TMP/s.json" -w '%{http_code}' -F file=@"$TEST_TMP/s.bin" \
	-F filename=s.bin -F version=1 "$URL/upload" >"$TEST_TMP/s.code" &
cpid=$!
track_pid "$cpid"
found=0
for _ in $(seq 50); do
	"$TASKSCOPE" snapshot -p "$GP" --json >"$TEST_TMP/slow.json" || fail "snapshot exited $?"
	if python3 - "$TEST_TMP/slow.json" "$REDIS_PORT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); port = sys.argv[2]
for g in s["go"]["goroutines"]:
    w = g["waits_on"] or {}
    if g["wait_reason"] == "IO wait" and w.get("kind") == "fd" and \
       (w.get("fd_desc") or "").split(" -> ")[-1].startswith(f"127.0.0.1:{port} ") and \
       any(f["function"] == "main.(*server).upload" for f in g["stack"]):
        print(f"# goroutine {g['goid']} waits on {w['fd_desc']} in main.(*server).upload")
        sys.exit(0)
sys.exit(1)
PY
	then found=1; break; fi
	sleep 0.1
done
rcli CLIENT UNPAUSE >/dev/null
wait "$cpid" || true
[ $found = 1 ] || fail "no goroutine seen waiting on Redis in main.(*server).upload (last: $TEST_TMP/slow.json)"
[ "$(cat "$TEST_TMP/s.code")" = 201 ] || fail "the slow upload: HTTP $(cat "$TEST_TMP/s.code")"

info "a burst under watch"
N=10
"$TASKSCOPE" watch -p "$GP" --json >"$TEST_TMP/watch.jsonl" 2>"$TEST_TMP/watch.err" &
wpid=$!
track_pid "$wpid"
for _ in $(seq 300); do grep -q watching "$TEST_TMP/watch.err" && break; sleep 0.05; done
grep -q "and its goroutines" "$TEST_TMP/watch.err" || fail "watch does not watch goroutines: $(cat "$TEST_TMP/watch.err")"
pids=()
for i in $(seq $N); do
	curl -s -o /dev/null -w '%{http_code}\n' -F file=@"$TEST_TMP/a.bin" \
		-F filename=burst.bin -F version="$i" "$URL/upload" >>"$TEST_TMP/burst.codes" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
[ "$(grep -c 201 "$TEST_TMP/burst.codes")" = $N ] || fail "burst: $(sort "$TEST_TMP/burst.codes" | uniq -c)"
sleep 0.5
kill -INT "$wpid"
wait "$wpid" || fail "watch exited $?: $(cat "$TEST_TMP/watch.err")"
python3 - "$TEST_TMP/watch.jsonl" $N <<'PY' || fail "burst checks failed ($TEST_TMP/watch.jsonl)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
gs = [e for e in ev if e["type"] == "gosummary"][0]
assert gs["lost"] == 0, gs
for fn in ("main.checksumWorker", "main.writeWorker"):
    c = {e["goid"] for e in ev if e["type"] == "gocreate" and e["start_function"] == fn}
    x = {e["goid"]: e for e in ev if e["type"] == "goexit" and e["start_function"] == fn}
    assert len(c) == n, f"{fn}: {len(c)} created, want {n}"
    assert c == set(x), f"{fn}: created {sorted(c)} exited {sorted(x)}"
    life = sorted(e["lifetime_ns"] for e in x.values())
    print(f"# {fn}: {len(c)} created and exited, lifetimes {life[0]/1e6:.2f}-{life[-1]/1e6:.2f} ms")
    creators = {e["parent_goid"] for e in ev if e["type"] == "gocreate" and e["start_function"] == fn}
    assert 0 not in creators and None not in creators, creators
PY
echo ok
