#!/usr/bin/env bash
# uploadd round trip over real HTTP with a real redis-server: upload (names
# before and after the file), download with the same sha256, list, meta,
# Range/ETag/HEAD, 409 on an existing version, 404s, metrics and the access
# log. Also --help, --version and usage exit codes.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3

# Command line contract.
out=$("$TS_BUILD/uploadd" --help) || fail "--help exited $?"
grep -q '^Usage: uploadd' <<<"$out" || fail "--help has no usage line"
grep -q 'Examples:' <<<"$out" || fail "--help has no examples"
grep -q 'Exit codes:' <<<"$out" || fail "--help does not list exit codes"
"$TS_BUILD/uploadd" --version | grep -q '^uploadd ' || fail "--version"
rc=0; "$TS_BUILD/uploadd" --no-such-flag 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] || fail "unknown flag: exit $rc, want 2"
grep -q "unknown option '--no-such-flag'" "$TEST_TMP/err" || fail "unclear usage error: $(cat "$TEST_TMP/err")"
rc=0; "$TS_BUILD/uploadd" --max-upload-size 12Q 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] || fail "bad size: exit $rc, want 2"
[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || fail "usage error is not one line: $(cat "$TEST_TMP/err")"

start_redis
start_uploadd

head -c 3000001 /dev/urandom >"$TEST_TMP/a.bin"
sum=$(sha256sum "$TEST_TMP/a.bin" | cut -d' ' -f1)

info "upload with filename and version before the file"
code=$(upload "$TEST_TMP/a.bin" "report v1.pdf" 1.0.0)
expect_status 201 "$code" "first upload"
[ "$(json_field sha256)" = "$sum" ] || fail "201 body sha256 $(json_field sha256) != $sum"
[ "$(json_field size)" = 3000001 ] || fail "201 body size $(json_field size)"
[ "$(json_field filename)" = "report v1.pdf" ] || fail "201 body filename"
path=$(json_field path)
[ -f "$UPLOADD_STORAGE/$path" ] || fail "object $path not in the storage directory"

info "download: same bytes, ETag, Content-Length"
curl -s -D "$TEST_TMP/h" -o "$TEST_TMP/a.out" "$UPLOADD_URL/files/report%20v1.pdf/1.0.0"
cmp -s "$TEST_TMP/a.bin" "$TEST_TMP/a.out" || fail "downloaded bytes differ"
grep -qi "^ETag: \"$sum\"" "$TEST_TMP/h" || fail "no ETag = sha256: $(cat "$TEST_TMP/h")"
grep -qi '^Content-Length: 3000001' "$TEST_TMP/h" || fail "Content-Length missing"
grep -qi '^Accept-Ranges: bytes' "$TEST_TMP/h" || fail "Accept-Ranges missing"

info "upload with the file before filename and version, with sha256"
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F "file=@$TEST_TMP/a.bin" \
	-F "sha256=${sum^^}" -F filename=report.pdf -F version=2 "$UPLOADD_URL/upload")
expect_status 201 "$code" "file-first upload with sha256"
curl -s "$UPLOADD_URL/files/report.pdf/2" | cmp -s - "$TEST_TMP/a.bin" || fail "file-first download differs"

info "409 for an existing version, both field orders; nothing new stored"
assert_object_count 2
expect_status 409 "$(upload "$TEST_TMP/a.bin" report.pdf 2)" "existing version (names first)"
grep -q 'already exists' "$TEST_TMP/body" || fail "409 body unclear: $(cat "$TEST_TMP/body")"
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' -F "file=@$TEST_TMP/a.bin" \
	-F filename=report.pdf -F version=2 "$UPLOADD_URL/upload")
expect_status 409 "$code" "existing version (file first)"
assert_object_count 2
assert_no_temp_files
assert_no_locks

info "list and meta"
curl -s -o "$TEST_TMP/body" "$UPLOADD_URL/files/report.pdf"
python3 - "$TEST_TMP/body" "$sum" <<'PY' || fail "version list wrong: $(cat "$TEST_TMP/body")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["filename"] == "report.pdf", d
assert [v["version"] for v in d["versions"]] == ["2"], d
assert d["versions"][0]["sha256"] == sys.argv[2]
PY
curl -s -o "$TEST_TMP/body" "$UPLOADD_URL/files/report.pdf/2/meta"
for k in filename version sha256 size path uploaded_at; do
	json_field "$k" >/dev/null || fail "meta lacks $k: $(cat "$TEST_TMP/body")"
done
[[ "$(json_field uploaded_at)" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$ ]] ||
	fail "uploaded_at not RFC 3339: $(json_field uploaded_at)"

info "Range, If-None-Match, HEAD"
dd if="$TEST_TMP/a.bin" bs=1 skip=100 count=50 status=none >"$TEST_TMP/part"
code=$(curl -s -o "$TEST_TMP/part.out" -D "$TEST_TMP/h" -w '%{http_code}' -H 'Range: bytes=100-149' "$UPLOADD_URL/files/report.pdf/2")
expect_status 206 "$code" "byte range"
cmp -s "$TEST_TMP/part" "$TEST_TMP/part.out" || fail "range bytes differ"
grep -qi '^Content-Range: bytes 100-149/3000001' "$TEST_TMP/h" || fail "Content-Range: $(cat "$TEST_TMP/h")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=-10' "$UPLOADD_URL/files/report.pdf/2")
expect_status 206 "$code" "suffix range"
code=$(curl -s -o /dev/null -D "$TEST_TMP/h" -w '%{http_code}' -H 'Range: bytes=3000001-' "$UPLOADD_URL/files/report.pdf/2")
expect_status 416 "$code" "range past the end"
grep -qi '^Content-Range: bytes \*/3000001' "$TEST_TMP/h" || fail "416 without Content-Range"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: \"$sum\"" "$UPLOADD_URL/files/report.pdf/2")
expect_status 304 "$code" "If-None-Match"
code=$(curl -s -o /dev/null -D "$TEST_TMP/h" -w '%{http_code}' -I "$UPLOADD_URL/files/report.pdf/2")
expect_status 200 "$code" "HEAD"
grep -qi '^Content-Length: 3000001' "$TEST_TMP/h" || fail "HEAD without Content-Length"

info "404, 405, 400 on the read side"
expect_status 404 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/nothing")" "unknown file"
expect_status 404 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/report.pdf/9")" "unknown version"
expect_status 404 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/nope")" "unknown path"
expect_status 405 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/upload")" "GET /upload"
expect_status 400 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' --path-as-is "$UPLOADD_URL/files/..%2F..%2Fetc%2Fpasswd/1")" "traversal in the path"

info "metrics and access log"
[ "$(metric 'uploadd_uploads_total{status="201"}')" = 2 ] || fail "uploads_total{201} != 2"
[ "$(metric 'uploadd_uploads_total{status="409"}')" = 2 ] || fail "uploads_total{409} != 2"
[ "$(metric uploadd_upload_bytes_total)" = 6000002 ] || fail "upload_bytes_total"
[ "$(metric uploadd_uploads_in_flight)" = 0 ] || fail "in flight not 0"
curl -s -o "$TEST_TMP/metrics" "$UPLOADD_URL/metrics"
grep -q '^uploadd_upload_duration_seconds_count 4$' "$TEST_TMP/metrics" || fail "histogram count"
grep -q 'method=POST path=/upload status=201 in=[0-9]* out=[0-9]* ms=' "$UPLOADD_LOG" || fail "no access log line for the upload"
grep -q 'method=GET path=/files/report.pdf/2 status=206' "$UPLOADD_LOG" || fail "no access log line for the range"

stop_uploadd
