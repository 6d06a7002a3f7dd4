#!/usr/bin/env bash
# 100 concurrent 1 MiB uploads with curl against default limits: every one
# answers 201, every stored object's SHA-256 equals its metadata, its
# download and the bytes sent, every version list is complete, and no temp
# file or lock is left.
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
upload_at_once $N 10

info "every object matches its metadata, its download and its source"
assert_uploads_stored $N 10
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
