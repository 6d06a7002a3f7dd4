#!/usr/bin/env bash
# 100 concurrent 1 MiB uploads with curl against default limits: every one
# answers 201, every stored object's SHA-256 equals its metadata and the
# bytes sent, every version list is complete, and no temp file or lock is
# left.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_cmd openssl

N=100
start_redis
start_uploadd --no-access-log

mkdir -p "$TEST_TMP/in" "$TEST_TMP/out"
for i in $(seq $N); do
	head -c $((1024 * 1024)) /dev/urandom >"$TEST_TMP/in/$i"
done

info "$N uploads at once (10 names x 10 versions)"
pids=()
for i in $(seq $N); do
	curl -s -o "$TEST_TMP/out/$i.body" -w '%{http_code}' \
		-F "filename=name-$((i % 10)).bin" -F "version=$i" \
		-F "file=@$TEST_TMP/in/$i" "$UPLOADD_URL/upload" >"$TEST_TMP/out/$i.code" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done

bad=0
for i in $(seq $N); do
	code=$(cat "$TEST_TMP/out/$i.code")
	[ "$code" = 201 ] || { echo "upload $i: HTTP $code: $(cat "$TEST_TMP/out/$i.body")" >&2; bad=$((bad + 1)); }
done
[ $bad -eq 0 ] || fail "$bad of $N uploads did not get 201"

info "every object matches its metadata and its source"
for i in $(seq $N); do
	echo "hget file:name-$((i % 10)).bin:$i sha256"
done | redis-cli -p "$REDIS_PORT" --raw >"$TEST_TMP/redis-sums"
python3 - "$TEST_TMP" "$UPLOADD_STORAGE" $N <<'PY' || fail "stored data does not match"
import hashlib, json, sys
tmp, storage, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
redis = open(f"{tmp}/redis-sums").read().split()
assert len(redis) == n, f"Redis has {len(redis)} of {n} metadata entries"
def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()
for i in range(1, n + 1):
    meta = json.load(open(f"{tmp}/out/{i}.body"))
    want = sha(f"{tmp}/in/{i}")
    assert meta["sha256"] == want, f"upload {i}: metadata {meta['sha256']} != sent {want}"
    assert sha(f"{storage}/{meta['path']}") == want, f"upload {i}: stored object differs"
    assert redis[i - 1] == want, f"upload {i}: Redis has {redis[i - 1]}"
    assert meta["size"] == 1048576 and meta["version"] == str(i), meta
PY
for n in $(seq 0 9); do
	curl -s -o "$TEST_TMP/body" "$UPLOADD_URL/files/name-$n.bin"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["versions"])==10, d' \
		"$TEST_TMP/body" || fail "name-$n.bin does not list 10 versions"
done
assert_object_count $N
assert_no_temp_files
assert_no_locks
[ "$(metric 'uploadd_uploads_total{status="201"}')" = $N ] || fail "metrics: 201 count"
[ "$(metric uploadd_uploads_in_flight)" = 0 ] || fail "metrics: in flight"
stop_uploadd
