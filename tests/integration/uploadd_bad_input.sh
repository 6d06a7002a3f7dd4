#!/usr/bin/env bash
# Every bad input of issue 2 gets its documented 4xx with a clear JSON
# error, and leaves nothing behind: no object, no temp file, no lock. Also
# the bearer token (401), slow clients (connection timeout, mid-body stall
# with the lock held) and path traversal on the read side. The server keeps
# serving throughout.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3

TOKEN=tok-$RANDOM$RANDOM
printf '%s\n' "$TOKEN" >"$TEST_TMP/token"
chmod 600 "$TEST_TMP/token"
AUTH=(-H "Authorization: Bearer $TOKEN")

start_redis
start_uploadd --max-upload-size 1M --connection-timeout 2 --token-file "$TEST_TMP/token"

head -c 1000 /dev/urandom >"$TEST_TMP/small"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$TEST_TMP/big"
: >"$TEST_TMP/empty"

# expect_reject STATUS WHAT GOT: the status, a JSON error, nothing left.
expect_reject() {
	local want=$1 what=$2 got=$3
	local msg
	expect_status "$want" "$got" "$what"
	msg=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]==int(sys.argv[2]) and d["error"]; print(d["error"])' \
		"$TEST_TMP/body" "$want") || fail "$what: body is not a JSON error: $(cat "$TEST_TMP/body")"
	assert_object_count 0
	assert_no_temp_files
	assert_no_locks
	info "$what: $want $msg"
}

info "token"
expect_reject 401 "no token" "$(upload "$TEST_TMP/small" a 1)"
expect_reject 401 "wrong token" "$(upload "$TEST_TMP/small" a 1 -H 'Authorization: Bearer nope')"

info "missing and empty fields"
expect_reject 400 "missing file" "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" -F filename=a -F version=1 "$UPLOADD_URL/upload")"
expect_reject 400 "missing filename" "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" -F version=1 -F "file=@$TEST_TMP/small" "$UPLOADD_URL/upload")"
expect_reject 400 "missing version" "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" -F filename=a -F "file=@$TEST_TMP/small" "$UPLOADD_URL/upload")"
expect_reject 400 "empty file" "$(upload "$TEST_TMP/empty" a 1 "${AUTH[@]}")"
expect_reject 400 "empty filename" "$(upload "$TEST_TMP/small" "" 1 "${AUTH[@]}")"

info "file names"
expect_reject 400 "filename with /" "$(upload "$TEST_TMP/small" "dir/a" 1 "${AUTH[@]}")"
expect_reject 400 "filename ../" "$(upload "$TEST_TMP/small" "../../etc/passwd" 1 "${AUTH[@]}")"
expect_reject 400 "filename .." "$(upload "$TEST_TMP/small" ".." 1 "${AUTH[@]}")"
long=$(printf 'x%.0s' $(seq 256))
expect_reject 400 "filename of 256 bytes" "$(upload "$TEST_TMP/small" "$long" 1 "${AUTH[@]}")"
mkbody "$TEST_TMP/b" 'filename=a\x00b' version=1 "file@$TEST_TMP/small"
expect_reject 400 "filename with NUL" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
mkbody "$TEST_TMP/b" 'filename=a\x01b' version=1 "file@$TEST_TMP/small"
expect_reject 400 "filename with a control character" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
mkbody "$TEST_TMP/b" 'filename=a\nb' version=1 "file@$TEST_TMP/small"
expect_reject 400 "filename with a newline" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
mkbody "$TEST_TMP/b" 'filename=\xc0\xae\xc0\xae' version=1 "file@$TEST_TMP/small"
expect_reject 400 "filename with overlong UTF-8 dots" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
# Names after the file: the file streams, then the name fails.
mkbody "$TEST_TMP/b" "file@$TEST_TMP/small" 'filename=../x' version=1
expect_reject 400 "bad filename after the file" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"

info "versions"
expect_reject 400 "version with a space" "$(upload "$TEST_TMP/small" a "1 2" "${AUTH[@]}")"
expect_reject 400 "version ../1" "$(upload "$TEST_TMP/small" a "../1" "${AUTH[@]}")"
expect_reject 400 "empty version" "$(upload "$TEST_TMP/small" a "" "${AUTH[@]}")"
expect_reject 400 "version of 65 bytes" "$(upload "$TEST_TMP/small" a "$(printf '1%.0s' $(seq 65))" "${AUTH[@]}")"

info "checksums"
expect_reject 422 "sha256 mismatch" "$(upload "$TEST_TMP/small" a 1 "${AUTH[@]}" -F "sha256=$(printf '0%.0s' $(seq 64))")"
grep -q 'sha256 mismatch' "$TEST_TMP/body" || fail "422 body unclear"
expect_reject 400 "sha256 not hex" "$(upload "$TEST_TMP/small" a 1 "${AUTH[@]}" -F sha256=xyz)"

info "size limit (1 MiB)"
expect_reject 413 "2 MiB body with Content-Length" "$(upload "$TEST_TMP/big" a 1 "${AUTH[@]}")"
# From a pipe via /dev/stdin, curl streams with chunked transfer encoding
# (with "@-" it would buffer stdin to send a Content-Length).
code=$(cat "$TEST_TMP/big" | curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" \
	-F filename=a -F version=1 -F "file=@/dev/stdin" "$UPLOADD_URL/upload" || true)
expect_reject 413 "2 MiB chunked body (rejected while streaming)" "$code"
grep -q 'the file is larger than the limit' "$TEST_TMP/body" || fail "413 body unclear"
head -c $((1024 * 1024)) /dev/urandom >"$TEST_TMP/exact"
expect_status 201 "$(upload "$TEST_TMP/exact" exact 1 "${AUTH[@]}")" "a file of exactly the limit"
redis-cli -p "$REDIS_PORT" del file:exact:1 versions:exact >/dev/null
rm -f "$UPLOADD_STORAGE/$(json_field path)"

info "malformed requests"
mkbody "$TEST_TMP/b" filename=a version=1 "file@$TEST_TMP/small" --truncate
expect_reject 400 "no closing boundary" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
head -c 20 "$TEST_TMP/b" >"$TEST_TMP/b2"
expect_reject 400 "body cut in a part header" "$(post_body "$TEST_TMP/b2" "${AUTH[@]}")"
expect_reject 400 "no boundary in Content-Type" "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" \
	-H 'Content-Type: multipart/form-data' --data-binary 'abc' "$UPLOADD_URL/upload")"
expect_reject 415 "not multipart" "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "${AUTH[@]}" \
	-H 'Content-Type: application/json' --data-binary '{}' "$UPLOADD_URL/upload")"
mkbody "$TEST_TMP/b" filename=a version=1 path=/etc "file@$TEST_TMP/small"
expect_reject 400 "unknown field" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
mkbody "$TEST_TMP/b" filename=a version=1 version=2 "file@$TEST_TMP/small"
expect_reject 400 "duplicate field" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"
mkbody "$TEST_TMP/b" filename=a version=1 "file@$TEST_TMP/small" "file@$TEST_TMP/small"
expect_reject 400 "two files" "$(post_body "$TEST_TMP/b" "${AUTH[@]}")"

info "path traversal on the read side"
for p in '/files/..%2F..%2Fetc%2Fpasswd/1' '/files/%2e%2e/1' '/files/a%00b/1' '/files/a/..%2F1/meta' '/files/%C0%AE%C0%AE/1'; do
	expect_status 400 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' --path-as-is "$UPLOADD_URL$p")" "GET $p"
done

info "slow clients: an idle connection is closed after --connection-timeout"
python3 - "$UPLOADD_PORT" <<'PY' || fail "a stalled request line was not timed out"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\n")  # headers never finish
s.settimeout(20)
start = time.time()
assert s.recv(100) == b"", "server answered instead of closing"
PY

info "slow clients: a stalled body with the lock held is cleaned up"
mkbody "$TEST_TMP/b" filename=stall version=1 "file@$TEST_TMP/small"
python3 - "$UPLOADD_PORT" "$TEST_TMP/b" "$TOKEN" <<'PY' || fail "stalled body"
import socket, sys
body = open(sys.argv[2], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + sys.argv[3].encode() +
          b"\r\nContent-Type: multipart/form-data; boundary=XBOUNDARYX\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:len(body) // 2])
s.settimeout(20)
try:
    assert s.recv(100) == b"", "server answered instead of closing"
except ConnectionResetError:
    pass
PY
wait_log 'path=/upload status=0 .* end=timeout'
assert_no_temp_files
assert_no_locks
assert_object_count 0

info "still serving"
expect_status 201 "$(upload "$TEST_TMP/small" good 1 "${AUTH[@]}")" "a good upload after all that"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$UPLOADD_URL/healthz")" = 200 ] || fail "healthz"
stop_uploadd
