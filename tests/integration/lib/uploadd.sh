# Helpers for uploadd integration tests (sourced after common.sh).
#
# start_uploadd starts the real server on ports the kernel picks (listen
# port 0, read back from its "listening on" line, so no port race), against
# the test's redis-server, and waits until /healthz says ok. Everything it
# starts is tracked and stopped by PID on exit.

# Starts $TS_BUILD/uploadd [extra flags]. Needs REDIS_PORT (start_redis).
# Sets UPLOADD_PORT, UPLOADD_DEBUG_PORT, UPLOADD_PID, UPLOADD_STORAGE,
# UPLOADD_LOG, UPLOADD_URL. Keeps UPLOADD_STORAGE if already set (restart).
start_uploadd() {
	local bin=${UPLOADD_BIN:-$TS_BUILD/uploadd}
	[ -x "$bin" ] || fail "$bin is not built (make BUILD=... all)"
	UPLOADD_STORAGE=${UPLOADD_STORAGE:-$TEST_TMP/storage}
	UPLOADD_LOG=$TEST_TMP/uploadd.$(date +%s%N).log
	"$bin" --listen 127.0.0.1:0 --debug-listen 127.0.0.1:0 \
		--storage "$UPLOADD_STORAGE" --redis-port "${REDIS_PORT:?start_redis first}" \
		--redis-timeout 1000 --redis-connect-timeout 500 "$@" \
		>"$UPLOADD_LOG" 2>&1 &
	UPLOADD_PID=$!
	track_pid "$UPLOADD_PID"
	local line=""
	for _ in $(seq 200); do
		line=$(grep -m1 'listening on' "$UPLOADD_LOG" || true)
		[ -n "$line" ] && break
		kill -0 "$UPLOADD_PID" 2>/dev/null || { cat "$UPLOADD_LOG" >&2; fail "uploadd exited at start-up"; }
		sleep 0.05
	done
	[ -n "$line" ] || { cat "$UPLOADD_LOG" >&2; fail "uploadd did not start listening"; }
	UPLOADD_PORT=$(sed -n 's/.*(api port \([0-9]*\)).*/\1/p' <<<"$line")
	UPLOADD_DEBUG_PORT=$(sed -n 's/.*debug on .* (port \([0-9]*\)).*/\1/p' <<<"$line")
	UPLOADD_URL=http://127.0.0.1:$UPLOADD_PORT
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$UPLOADD_URL/healthz")" = 200 ] && return 0
		sleep 0.05
	done
	cat "$UPLOADD_LOG" >&2
	fail "uploadd /healthz did not answer 200"
}

# upload FILE NAME VERSION [curl args...]: names first. Prints the HTTP
# status; the body is in $TEST_TMP/body.
upload() {
	local file=$1 name=$2 version=$3
	shift 3
	curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F "filename=$name" \
		-F "version=$version" -F "file=@$file" "$@" "$UPLOADD_URL/upload" || true
}

# expect_status WANT GOT WHAT: fails with the response body when they differ.
expect_status() {
	[ "$2" = "$1" ] || fail "$3: expected HTTP $1, got $2: $(cat "$TEST_TMP/body" 2>/dev/null)"
}

# json_field FIELD [FILE]: prints one top-level field of a JSON document.
json_field() {
	python3 -c 'import json,sys; v=json.load(open(sys.argv[2]))[sys.argv[1]]; print(v)' \
		"$1" "${2:-$TEST_TMP/body}"
}

# Lists the objects in the storage directory: files of their own (temp
# files, which start with a dot, excluded) and live records of segment
# files (their locators), as tools/segments.py reads them.
stored_objects() {
	python3 "$TS_ROOT/tools/segments.py" list "$UPLOADD_STORAGE" ||
		fail "cannot list the objects in $UPLOADD_STORAGE"
}

# object_bytes LOCATOR: writes the object a metadata "path" names to stdout
# (a file of its own or a segment record); fails when it is missing or dead.
object_bytes() {
	python3 "$TS_ROOT/tools/segments.py" cat "$UPLOADD_STORAGE" "$1" ||
		fail "no live object $1 in $UPLOADD_STORAGE"
}

# Fails when a temp file is left in the storage directory.
assert_no_temp_files() {
	local left
	left=$(compgen -G "$UPLOADD_STORAGE/.uploadd-tmp-*" | head -5 || true)
	[ -z "$left" ] || fail "temp files left in $UPLOADD_STORAGE: $left"
}

# Fails when any upload lock key is left in Redis.
assert_no_locks() {
	local keys
	keys=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'lock:*' | head -5)
	[ -z "$keys" ] || fail "lock keys left in Redis: $keys"
}

# Fails unless the storage directory holds exactly N objects (files of
# their own and live segment records).
assert_object_count() {
	local objs=()
	mapfile -t objs < <(stored_objects)
	[ ${#objs[@]} -eq "$1" ] || fail "expected $1 stored object(s), found ${#objs[@]}: ${objs[*]:0:5}"
}

# Waits until uploadd's log has a line matching a pattern (timeout s).
wait_log() {
	local pattern=$1 timeout=${2:-10}
	for _ in $(seq $((timeout * 20))); do
		grep -q -- "$pattern" "$UPLOADD_LOG" && return 0
		sleep 0.05
	done
	fail "uploadd never logged '$pattern' (log: $UPLOADD_LOG)"
}

# Waits until a Redis key exists (1) or is gone (0).
wait_redis_key() {
	local key=$1 want=$2 timeout=${3:-10}
	for _ in $(seq $((timeout * 20))); do
		[ "$(redis-cli -p "$REDIS_PORT" exists "$key")" = "$want" ] && return 0
		sleep 0.05
	done
	fail "Redis key $key: exists never became $want"
}

# Prints a metric's value from the debug listener's /metrics.
metric() {
	curl -s "http://127.0.0.1:$UPLOADD_DEBUG_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# upload_at_once N NAMES: starts N curl uploads at once, upload i sending
# $TEST_TMP/in/i as file "name-$((i % NAMES)).bin", version i (status to
# $TEST_TMP/out/i.code, answer to $TEST_TMP/out/i.body), and waits for all.
upload_at_once() {
	local n=$1 names=$2 i p pids=()
	mkdir -p "$TEST_TMP/out"
	for i in $(seq "$n"); do
		curl -s -o "$TEST_TMP/out/$i.body" -w '%{http_code}' \
			-F "filename=name-$((i % names)).bin" -F "version=$i" \
			-F "file=@$TEST_TMP/in/$i" "$UPLOADD_URL/upload" >"$TEST_TMP/out/$i.code" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
}

# assert_uploads_stored N NAMES: upload i (1..N) sent $TEST_TMP/in/i as file
# "name-$((i % NAMES)).bin", version i, and wrote its HTTP status to
# $TEST_TMP/out/i.code and its answer to $TEST_TMP/out/i.body. Fails unless
# every one got 201 and its answer, its Redis entry, its stored object and
# its download all equal what was sent.
assert_uploads_stored() {
	local n=$1 names=$2 i code bad=0
	for i in $(seq "$n"); do
		code=$(cat "$TEST_TMP/out/$i.code")
		[ "$code" = 201 ] || { echo "upload $i: HTTP $code: $(cat "$TEST_TMP/out/$i.body")" >&2; bad=$((bad + 1)); }
	done
	[ $bad -eq 0 ] || fail "$bad of $n uploads did not get 201"
	for i in $(seq "$n"); do
		echo "hget file:name-$((i % names)).bin:$i sha256"
	done | redis-cli -p "$REDIS_PORT" --raw >"$TEST_TMP/redis-sums"
	for i in $(seq "$n"); do
		curl -s -o "$TEST_TMP/out/$i.get" "$UPLOADD_URL/files/name-$((i % names)).bin/$i"
	done
	python3 - "$TEST_TMP" "$UPLOADD_STORAGE" "$n" "$TS_ROOT/tools" <<'PY' || fail "stored data does not match what was sent"
import hashlib, json, os, sys
tmp, storage, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, sys.argv[4])
import segments
redis = open(f"{tmp}/redis-sums").read().split()
assert len(redis) == n, f"Redis has {len(redis)} of {n} metadata entries"
def sha(path):
    if path.startswith(storage + "/"):
        data = segments.read_object(storage, path[len(storage) + 1:])
        assert data is not None, f"no live object {path}"
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
for i in range(1, n + 1):
    meta = json.load(open(f"{tmp}/out/{i}.body"))
    want = sha(f"{tmp}/in/{i}")
    assert meta["sha256"] == want, f"upload {i}: metadata {meta['sha256']} != sent {want}"
    assert sha(f"{storage}/{meta['path']}") == want, f"upload {i}: stored object differs"
    assert sha(f"{tmp}/out/{i}.get") == want, f"upload {i}: download differs"
    assert redis[i - 1] == want, f"upload {i}: Redis has {redis[i - 1]}"
    assert meta["size"] == os.path.getsize(f"{tmp}/in/{i}"), meta
    assert meta["version"] == str(i), meta
PY
}

# mkbody OUT PART...: writes a multipart/form-data body to OUT with the
# boundary "XBOUNDARYX". PART is NAME=VALUE (VALUE with Python escapes, so
# \x00 is a NUL byte) or NAME@PATH (a file part). A part "--truncate" cuts
# the body before its closing boundary.
mkbody() {
	python3 - "$@" <<'PY'
import codecs, sys
out, parts = sys.argv[1], sys.argv[2:]
b, body, close = b"XBOUNDARYX", b"", True
for p in parts:
    if p == "--truncate":
        close = False
        continue
    if "@" in p and ("=" not in p or p.index("@") < p.index("=")):
        name, path = p.split("@", 1)
        data = open(path, "rb").read()
        head = b'Content-Disposition: form-data; name="%s"; filename="f"\r\nContent-Type: application/octet-stream' % name.encode()
    else:
        name, v = p.split("=", 1)
        data = codecs.decode(v, "unicode_escape").encode("latin-1")
        head = b'Content-Disposition: form-data; name="%s"' % name.encode()
    body += b"--" + b + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n"
if close:
    body += b"--" + b + b"--\r\n"
open(out, "wb").write(body)
PY
}

# post_body FILE [curl args...]: POSTs a body made by mkbody. Prints the
# status; the answer is in $TEST_TMP/body.
post_body() {
	local file=$1
	shift
	curl -s -o "$TEST_TMP/body" -w '%{http_code}' \
		-H 'Content-Type: multipart/form-data; boundary=XBOUNDARYX' \
		--data-binary "@$file" "$@" "$UPLOADD_URL/upload" || true
}

# Stops uploadd with SIGTERM (unless given "signalled": already sent) and
# fails unless it exits 0 with a clean log: no sanitizer report, no UBSan
# "runtime error", and its "stopped" line.
stop_uploadd() {
	local rc=0
	[ "${1:-}" = signalled ] || kill -TERM "$UPLOADD_PID" 2>/dev/null || true
	wait "$UPLOADD_PID" || rc=$?
	[ $rc -eq 0 ] || { tail -20 "$UPLOADD_LOG" >&2; fail "uploadd exited $rc on SIGTERM"; }
	if grep -qE 'Sanitizer|runtime error:' "$UPLOADD_LOG"; then
		grep -A30 -E 'Sanitizer|runtime error:' "$UPLOADD_LOG" | head -60 >&2
		fail "uploadd reported a sanitizer error (log: $UPLOADD_LOG)"
	fi
	grep -q 'uploadd: stopped' "$UPLOADD_LOG" || fail "uploadd did not log 'stopped'"
}
