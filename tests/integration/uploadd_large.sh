#!/usr/bin/env bash
# A 1 GiB upload streamed through curl (chunked, from a pipe: no 1 GiB file
# on disk) keeps uploadd's peak RSS (VmHWM) under 64 MiB and stores exactly
# the bytes sent. Under AddressSanitizer, whose shadow memory and allocator
# inflate RSS, the bound applies to growth above the post-warm-up peak.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd openssl

LIMIT_KB=$((64 * 1024))
start_redis
start_uploadd

hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$UPLOADD_PID/status"; }

head -c 4096 /dev/urandom >"$TEST_TMP/warm"
expect_status 201 "$(upload "$TEST_TMP/warm" warm 1)" "warm-up upload"
base=$(hwm)
asan=0
if nm -D "$TS_BUILD/uploadd" 2>/dev/null | grep -q __asan_init; then
	asan=1
fi

info "1 GiB through a pipe (peak RSS before: $base kB)"
# AES-CTR over zeros: pseudo-random bytes at GB/s (/dev/urandom is ~250 MB/s
# here), hashed on the way with OpenSSL (coreutils sha256sum is slower).
mkfifo "$TEST_TMP/tap"
openssl dgst -sha256 -r <"$TEST_TMP/tap" >"$TEST_TMP/sum" &
dgst=$!
track_pid $dgst
code=$(openssl enc -aes-128-ctr -nosalt -pass "pass:$RANDOM$RANDOM" </dev/zero 2>/dev/null |
	head -c $((1024 * 1024 * 1024)) | tee "$TEST_TMP/tap" |
	curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F filename=big.bin -F version=1 \
		-F "file=@/dev/stdin" "$UPLOADD_URL/upload" || true)
wait $dgst
expect_status 201 "$code" "1 GiB upload"
want=$(cut -d' ' -f1 "$TEST_TMP/sum")
[ "$(json_field sha256)" = "$want" ] || fail "sha256 $(json_field sha256) != sent $want"
[ "$(json_field size)" = 1073741824 ] || fail "size $(json_field size)"

peak=$(hwm)
info "peak RSS after: $peak kB (limit $LIMIT_KB kB$([ $asan = 1 ] && echo ' above the warm-up peak, ASan build'))"
if [ $asan = 1 ]; then
	[ $((peak - base)) -lt $LIMIT_KB ] || fail "RSS grew by $((peak - base)) kB during a 1 GiB upload"
else
	[ "$peak" -lt $LIMIT_KB ] || fail "peak RSS $peak kB >= $LIMIT_KB kB"
fi

info "the stored object is the bytes sent"
got=$(openssl dgst -sha256 -r "$UPLOADD_STORAGE/$(json_field path)" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "stored object sha256 $got != $want"
curl -s -H 'Range: bytes=-4096' "$UPLOADD_URL/files/big.bin/1" -o "$TEST_TMP/tail"
[ "$(stat -c %s "$TEST_TMP/tail")" = 4096 ] || fail "tail range"
assert_no_temp_files
assert_no_locks
stop_uploadd
