#!/usr/bin/env bash
# Small files in segment records (src/uploadd/store/segstore.h) behave as
# files of their own do, and what a crash leaves is removed:
#   - a 4 KiB upload is a record ("path": "seg-N:OFF:LEN"); its download,
#     Range (206, suffix, 416), ETag / If-None-Match (304), HEAD and /meta
#     are those of any object; the version is immutable (409);
#   - --small-file-max is the boundary: 64 KiB is a record, 64 KiB + 1 a
#     file of its own;
#   - an upload refused after its record was written (422, sha256
#     mismatch) leaves a dead record (flag set, payload punched out), not
#     a live one;
#   - after a clean restart every record still reads back, new records go
#     to a new segment, the old one is sealed (mode 0440);
#   - uploadd SIGKILLed while a small upload waits for its group fdatasync
#     (strace holds the fdatasync back): the restarted uploadd indexes the
#     record the dead run left, its orphan sweep removes it (dead, logged,
#     counted in /metrics), and every committed object is untouched.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
require_cmd strace

SEGS="python3 $TS_ROOT/tools/segments.py"
OPTS=(--lock-ttl 1000 --orphan-grace 1000 --sweep-interval 1)
start_redis
start_uploadd "${OPTS[@]}"

head -c 4096 /dev/urandom >"$TEST_TMP/small"
sum=$(sha256sum "$TEST_TMP/small" | cut -d' ' -f1)

info "a 4 KiB upload is a segment record"
code=$(upload "$TEST_TMP/small" small.bin 1)
expect_status 201 "$code" "small upload"
path=$(json_field path)
[[ $path =~ ^seg-[0-9]{8}:[0-9]+:4096$ ]] || fail "path $path is not a segment record"
object_bytes "$path" | cmp - "$TEST_TMP/small" || fail "the record holds other bytes"
[ "$($SEGS list "$UPLOADD_STORAGE")" = "$path" ] || fail "objects: $($SEGS list "$UPLOADD_STORAGE")"

info "download, Range, ETag, HEAD, meta"
curl -s -D "$TEST_TMP/h" -o "$TEST_TMP/got" "$UPLOADD_URL/files/small.bin/1"
cmp -s "$TEST_TMP/got" "$TEST_TMP/small" || fail "download differs"
grep -qi "^ETag: \"$sum\"" "$TEST_TMP/h" || fail "no ETag: $(cat "$TEST_TMP/h")"
grep -qi '^Content-Length: 4096' "$TEST_TMP/h" || fail "Content-Length: $(cat "$TEST_TMP/h")"
code=$(curl -s -o "$TEST_TMP/got" -w '%{http_code}' -H 'Range: bytes=100-1123' "$UPLOADD_URL/files/small.bin/1")
[ "$code" = 206 ] || fail "Range: HTTP $code"
cmp -s "$TEST_TMP/got" <(tail -c +101 "$TEST_TMP/small" | head -c 1024) || fail "Range bytes differ"
code=$(curl -s -o "$TEST_TMP/got" -w '%{http_code}' -H 'Range: bytes=-10' "$UPLOADD_URL/files/small.bin/1")
[ "$code" = 206 ] && cmp -s "$TEST_TMP/got" <(tail -c 10 "$TEST_TMP/small") || fail "suffix Range: HTTP $code or bytes differ"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=4096-' "$UPLOADD_URL/files/small.bin/1")
[ "$code" = 416 ] || fail "Range past the end: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: \"$sum\"" "$UPLOADD_URL/files/small.bin/1")
[ "$code" = 304 ] || fail "If-None-Match: HTTP $code"
[ "$(curl -s -I "$UPLOADD_URL/files/small.bin/1" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-length" { print $2 }')" = 4096 ] ||
	fail "HEAD has no Content-Length 4096"
curl -s -o "$TEST_TMP/body" "$UPLOADD_URL/files/small.bin/1/meta"
[ "$(json_field path)" = "$path" ] && [ "$(json_field sha256)" = "$sum" ] || fail "meta: $(cat "$TEST_TMP/body")"

# dead_records: how many dead records the segments hold.
dead_records() {
	local out
	out=$($SEGS list "$UPLOADD_STORAGE" --dead)
	grep -c ' dead$' <<<"$out" || true
}

info "versions are immutable (the refused upload's record dies)"
head -c 4096 /dev/urandom >"$TEST_TMP/other"
code=$(upload "$TEST_TMP/other" small.bin 1)
expect_status 409 "$code" "second upload of small.bin 1"
curl -s "$UPLOADD_URL/files/small.bin/1" | cmp - "$TEST_TMP/small" || fail "the stored version changed"
[ "$(dead_records)" = 1 ] || fail "dead records after the 409: $(dead_records)"

info "--small-file-max is the boundary (64 KiB a record, 64 KiB + 1 a file)"
head -c 65536 /dev/urandom >"$TEST_TMP/b64"
head -c 65537 /dev/urandom >"$TEST_TMP/b64p"
expect_status 201 "$(upload "$TEST_TMP/b64" edge.bin 64k)" "64 KiB"
[[ $(json_field path) =~ ^seg- ]] || fail "64 KiB went to $(json_field path)"
expect_status 201 "$(upload "$TEST_TMP/b64p" edge.bin 64k1)" "64 KiB + 1"
[[ $(json_field path) =~ ^[0-9a-f]{64}\.[0-9a-f]{32}$ ]] || fail "64 KiB + 1 went to $(json_field path)"
for v in 64k 64k1; do
	f=$TEST_TMP/b64; [ $v = 64k1 ] && f=$TEST_TMP/b64p
	curl -s "$UPLOADD_URL/files/edge.bin/$v" | cmp - "$f" || fail "edge.bin $v differs"
done

info "an upload refused after its record was written leaves a dead record"
code=$(upload "$TEST_TMP/other" refused.bin 1 -F "sha256=$sum")
expect_status 422 "$code" "sha256 mismatch"
[ "$(dead_records)" = 2 ] || fail "dead records after the 422: $($SEGS list "$UPLOADD_STORAGE" --dead)"
assert_object_count 3
[ "$(metric uploadd_segment_records_killed_total)" = 2 ] || fail "killed records: $(metric uploadd_segment_records_killed_total)"

info "a clean restart: records read back, the old segment is sealed, a new one takes records"
first_seg=${path%%:*}
stop_uploadd
start_uploadd "${OPTS[@]}"
curl -s "$UPLOADD_URL/files/small.bin/1" | cmp - "$TEST_TMP/small" || fail "small.bin differs after the restart"
[ "$(stat -c %a "$UPLOADD_STORAGE/segments/$first_seg")" = 440 ] || fail "$first_seg is not sealed: $(stat -c %a "$UPLOADD_STORAGE/segments/$first_seg")"
expect_status 201 "$(upload "$TEST_TMP/other" after.bin 1)" "upload after the restart"
[ "$(json_field path | cut -d: -f1)" != "$first_seg" ] || fail "a record went to the sealed segment"

# crash_case NAME FIRST: SIGKILLs uploadd while an upload of NAME waits
# for its group fdatasync, then checks that the restarted uploadd's sweep
# kills the record the dead run left and touches nothing else. FIRST is
# "names" (filename and version before the file: the record carries its
# names, no intent in Redis, the sweep resolves it against the metadata
# and sets a tombstone) or "file" (the file part first: the intent was
# registered before the record, the sweep claims it and asks by token).
crash_case() {
	local name=$1 first=$2 committed orphan objs spid cpid killed
	info "SIGKILL while an upload ($first first) waits for its group fdatasync"
	# No sweep in this run after its first: the held fdatasync outlasts
	# the short lock TTL, and a sweep would rightly claim the waiting
	# upload.
	stop_uploadd
	start_uploadd --lock-ttl 1000 --sweep-interval 3600
	committed=$($SEGS list "$UPLOADD_STORAGE" | sort)
	# Holds every fdatasync back 3 s: the record is written, not durable.
	strace -f -qq -e trace=fdatasync -e inject=fdatasync:delay_enter=3000000 \
		-o /dev/null -p "$UPLOADD_PID" 2>"$TEST_TMP/strace.err" &
	spid=$!
	track_pid "$spid"
	for _ in $(seq 100); do
		[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$UPLOADD_PID/status")" != 0 ] && break
		kill -0 "$spid" 2>/dev/null || skip "strace cannot trace uploadd: $(cat "$TEST_TMP/strace.err")"
		sleep 0.05
	done
	head -c 3000 /dev/urandom >"$TEST_TMP/lost"
	if [ "$first" = names ]; then
		curl -s -o "$TEST_TMP/lost.body" -w '%{http_code}' -F "filename=$name" \
			-F version=1 -F "file=@$TEST_TMP/lost" "$UPLOADD_URL/upload" >"$TEST_TMP/lost.code" &
	else
		curl -s -o "$TEST_TMP/lost.body" -w '%{http_code}' -F "file=@$TEST_TMP/lost" \
			-F "filename=$name" -F version=1 "$UPLOADD_URL/upload" >"$TEST_TMP/lost.code" &
	fi
	cpid=$!
	for _ in $(seq 100); do
		objs=$($SEGS list "$UPLOADD_STORAGE" | sort)
		[ "$(comm -13 <(echo "$committed") <(echo "$objs") | wc -l)" = 1 ] && break
		sleep 0.05
	done
	orphan=$(comm -13 <(echo "$committed") <(echo "$objs"))
	[ -n "$orphan" ] || fail "the upload's record never appeared"
	kill -KILL "$UPLOADD_PID"
	wait "$UPLOADD_PID" 2>/dev/null || true
	wait "$cpid" || true
	stop_pid "$spid"
	[ "$(cat "$TEST_TMP/lost.code")" != 201 ] || fail "the killed upload was answered 201"
	[ "$(redis-cli -p "$REDIS_PORT" exists "file:$name:1")" = 0 ] || fail "the killed upload has metadata"

	info "the restarted uploadd's sweep removes the record the dead run left ($first first)"
	start_uploadd "${OPTS[@]}"
	for _ in $(seq 100); do
		objs=$($SEGS list "$UPLOADD_STORAGE")
		grep -qx "$orphan" <<<"$objs" || break
		sleep 0.1
	done
	objs=$($SEGS list "$UPLOADD_STORAGE")
	! grep -qx "$orphan" <<<"$objs" || fail "the orphan $orphan is still live"
	objs=$($SEGS list "$UPLOADD_STORAGE" --dead)
	grep -qx "$orphan dead" <<<"$objs" || fail "the orphan $orphan is not marked dead"
	grep -q "orphan sweep: removed 1 object" "$UPLOADD_LOG" || fail "no removal logged: $(grep sweep "$UPLOADD_LOG")"
	killed=$(metric uploadd_segment_records_killed_total)
	[ "$killed" = 1 ] || fail "killed after restart: $killed"
	awk '$1 == "uploadd_orphans_removed_total" { exit !($2 >= 1) }' \
		<(curl -s "http://127.0.0.1:$UPLOADD_DEBUG_PORT/metrics") ||
		fail "/metrics does not count the removal"
	[ "$($SEGS list "$UPLOADD_STORAGE" | sort)" = "$committed" ] || fail "committed objects changed"
	if [ "$first" = names ]; then
		# The tombstone refuses the dead upload's commit, however late.
		objs=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'gone:*')
		[ -n "$objs" ] || fail "no tombstone for the resolved upload"
	fi
}

crash_case lost.bin names
crash_case lost2.bin file

for v in small.bin/1 after.bin/1 edge.bin/64k edge.bin/64k1; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$UPLOADD_URL/files/$v")" = 200 ] || fail "$v is gone"
done
curl -s "$UPLOADD_URL/files/small.bin/1" | cmp - "$TEST_TMP/small" || fail "small.bin differs after the crash"
$SEGS check "$UPLOADD_STORAGE" || fail "a damaged record header"
assert_no_temp_files
stop_uploadd
