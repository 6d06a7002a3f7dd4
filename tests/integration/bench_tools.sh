#!/usr/bin/env bash
# The upload benchmark's own tools, checked against real servers: loadgen
# and sink count exactly what crossed the wire (requests and body bytes),
# curl's Expect: 100-continue works against the sink, loadgen's uploads are
# valid for the real uploadd (every stored object matches its metadata),
# refusals (409, early 413) and a dead port are counted and give exit 1,
# durable_floor leaves exactly the files it counts, and every command's
# --help and usage errors follow the house rules.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/uploadd.sh"

B=$TS_BUILD/bench
for t in loadgen sink durable_floor; do
	[ -x "$B/$t" ] || fail "$B/$t is not built (make BUILD=... all)"
done
require_cmd curl
require_cmd redis-server

# --help: stdout, exit 0, usage, examples and exit codes.
for cmd in "$B/loadgen" "$B/sink" "$B/durable_floor" \
	"$TS_ROOT/tools/bench/upload_bench.sh" "$TS_ROOT/tools/bench/upload_profile.sh"; do
	out=$("$cmd" --help) || fail "$cmd --help exited non-zero"
	for want in Usage Examples "Exit codes"; do
		grep -q "$want" <<<"$out" || fail "$cmd --help lacks \"$want\""
	done
done
# Usage errors: exit 2 and one line on stderr.
expect_usage() {
	local rc=0 err
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	[ $rc -eq 2 ] || fail "$* exited $rc, expected 2 (usage)"
	[ "$(wc -l <<<"$err")" -eq 1 ] || fail "$*: usage error is not one line: $err"
}
expect_usage "$B/loadgen" --size 0 http://127.0.0.1:1/upload
expect_usage "$B/loadgen" --size 2G http://127.0.0.1:1/upload
expect_usage "$B/loadgen" -c 0 http://127.0.0.1:1/upload
expect_usage "$B/loadgen" -p ../x http://127.0.0.1:1/upload
expect_usage "$B/loadgen" https://127.0.0.1:1/upload
expect_usage "$B/loadgen" http://example.com/upload
expect_usage "$B/loadgen"
expect_usage "$B/sink" --threads 0
expect_usage "$B/sink" --listen nowhere
expect_usage "$B/durable_floor" --size 4K
expect_usage "$B/durable_floor" --dir /tmp --threads 0
expect_usage "$B/durable_floor" --dir /tmp --mode journal
expect_usage "$B/durable_floor" --dir /tmp --mode segment --prealloc sometimes
expect_usage "$TS_ROOT/tools/bench/upload_bench.sh" --runs x
expect_usage "$TS_ROOT/tools/bench/upload_bench.sh" --rev no-such-commit-anywhere
expect_usage "$TS_ROOT/tools/bench/upload_profile.sh" --conns x

# --- durable_floor: what it counts is what is on disk ----------------------
mkdir "$TEST_TMP/floor"
"$B/durable_floor" --json --dir "$TEST_TMP/floor" --size 5K --threads 3 --seconds 0.5 \
	>"$TEST_TMP/floor.json" || fail "durable_floor failed"
files=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"])' "$TEST_TMP/floor.json")
[ "$files" -gt 0 ] || fail "durable_floor stored no file: $(cat "$TEST_TMP/floor.json")"
[ "$(find "$TEST_TMP/floor" -name 'f-*' -size 5k | wc -l)" = "$files" ] ||
	fail "durable_floor says $files files, the directory holds $(find "$TEST_TMP/floor" -name 'f-*' -size 5k | wc -l) of 5 KiB"
[ -z "$(find "$TEST_TMP/floor" -name '.tmp-*')" ] || fail "durable_floor left temp files"
# The other storage designs (docs/STORAGE.md): files linked into place,
# alone or under a shared syncfs, and records in segments under a shared
# fdatasync. Every file or record counted is there; group flushes cover
# one or more each.
for mode in link syncfs; do
	mkdir "$TEST_TMP/$mode"
	"$B/durable_floor" --json --dir "$TEST_TMP/$mode" --size 5K --threads 3 \
		--seconds 0.3 --mode "$mode" >"$TEST_TMP/$mode.json" || fail "durable_floor --mode $mode failed"
	files=$(json_field files "$TEST_TMP/$mode.json")
	[ "$files" -gt 0 ] && [ "$(find "$TEST_TMP/$mode" -name 'f-*' -size 5k | wc -l)" = "$files" ] ||
		fail "durable_floor --mode $mode says $files files, the directory holds $(find "$TEST_TMP/$mode" -name 'f-*' | wc -l)"
done
[ "$(json_field group_flushes "$TEST_TMP/syncfs.json")" -gt 0 ] || fail "--mode syncfs ran no group flush"
for pre in none fallocate zero; do
	mkdir "$TEST_TMP/seg-$pre"
	"$B/durable_floor" --json --dir "$TEST_TMP/seg-$pre" --size 5K --threads 3 \
		--seconds 0.3 --mode segment --prealloc "$pre" >"$TEST_TMP/seg-$pre.json" ||
		fail "durable_floor --mode segment --prealloc $pre failed"
	python3 - "$TEST_TMP/seg-$pre.json" "$TEST_TMP/seg-$pre" <<'PY' || fail "segment mode ($pre): records and flushes do not add up"
import json, os, sys
d = json.load(open(sys.argv[1]))
# Every record is a header "uplseg01" at a multiple of 64 bytes.
found = 0
for name in sorted(os.listdir(sys.argv[2])):
    data = open(os.path.join(sys.argv[2], name), "rb").read()
    found += sum(1 for off in range(0, len(data), 64) if data[off:off + 8] == b"uplseg01")
assert d["files"] > 0 and found == d["files"], (found, d)
assert 0 < d["group_flushes"] <= d["files"], d
PY
done
rc=0
err=$("$B/durable_floor" --dir "$TEST_TMP/missing" 2>&1) || rc=$?
[ $rc -eq 1 ] && grep -q "cannot open directory" <<<"$err" ||
	fail "durable_floor on a missing directory: exit $rc, \"$err\""

# json_get FILE KEY: one top-level field of loadgen's JSON.
json_get() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# --- against the sink: exact counts --------------------------------------
"$B/sink" --threads 2 >"$TEST_TMP/sink.out" 2>"$TEST_TMP/sink.err" &
sink_pid=$!
track_pid "$sink_pid"
for _ in $(seq 100); do grep -q 'listening on' "$TEST_TMP/sink.out" && break; sleep 0.05; done
sink_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TEST_TMP/sink.out")
[ -n "$sink_port" ] || fail "sink did not start: $(cat "$TEST_TMP/sink.err")"
sink=http://127.0.0.1:$sink_port

"$B/loadgen" --json -s 64K -c 4 -n 200 "$sink/upload" >"$TEST_TMP/lg.json" ||
	fail "loadgen against the sink failed"
[ "$(json_get "$TEST_TMP/lg.json" ok)" = 200 ] || fail "expected 200 2xx from the sink: $(cat "$TEST_TMP/lg.json")"
[ "$(json_get "$TEST_TMP/lg.json" non_2xx)" = 0 ] || fail "non-2xx from the sink: $(cat "$TEST_TMP/lg.json")"
[ "$(json_get "$TEST_TMP/lg.json" errors)" = 0 ] || fail "errors against the sink: $(cat "$TEST_TMP/lg.json")"
[ "$(json_get "$TEST_TMP/lg.json" connects)" = 4 ] || fail "loadgen did not keep its 4 connections alive: $(cat "$TEST_TMP/lg.json")"

# curl with Expect: 100-continue (its default for a file this big): the sink
# must answer "100 Continue" (or curl waits a second before sending); then
# without Expect; then a chunked body, which the sink refuses with 411.
head -c 3000000 /dev/urandom >"$TEST_TMP/f.bin"
got=$(curl -s -v -o /dev/null -w '%{http_code}' -F filename=x -F version=1 \
	-F "file=@$TEST_TMP/f.bin" "$sink/upload" 2>"$TEST_TMP/curl.err")
[ "$got" = 201 ] || fail "curl with Expect to the sink: HTTP $got"
grep -q '^< HTTP/1.1 100 Continue' "$TEST_TMP/curl.err" ||
	fail "the sink did not answer Expect: 100-continue: $(grep '^[<>]' "$TEST_TMP/curl.err" | head -5)"
got=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' -F filename=x \
	-F version=1 -F "file=@$TEST_TMP/f.bin" "$sink/upload")
[ "$got" = 201 ] || fail "curl without Expect to the sink: HTTP $got"
got=$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	--data-binary 'small body' "$sink/upload")
[ "$got" = 411 ] || fail "chunked body to the sink: HTTP $got, expected 411"

# The sink's own count: 200 loadgen bodies + 2 curl bodies (+ the refused one).
kill -TERM "$sink_pid"
rc=0
wait "$sink_pid" || rc=$?
[ $rc -eq 0 ] || fail "sink exited $rc on SIGTERM, expected 0: $(cat "$TEST_TMP/sink.err")"
line=$(grep 'stopped by SIGTERM' "$TEST_TMP/sink.err") || fail "sink printed no summary: $(cat "$TEST_TMP/sink.err")"
reqs=$(sed -n 's/.*: \([0-9]*\) requests, .*/\1/p' <<<"$line")
[ "$reqs" = 202 ] || fail "sink counted $reqs requests, expected 202: $line"

# --- against uploadd: valid uploads, refusals ------------------------------
start_redis
start_uploadd
url=$UPLOADD_URL/upload
"$B/loadgen" --json -s 300K -c 1 -n 20 -p tool "$url" >"$TEST_TMP/lg.json" ||
	fail "loadgen against uploadd failed: $(cat "$TEST_TMP/lg.json")"
[ "$(json_get "$TEST_TMP/lg.json" ok)" = 20 ] || fail "expected 20 uploads: $(cat "$TEST_TMP/lg.json")"
assert_object_count 20
assert_no_temp_files
assert_no_locks
# Every version of tool-c0 is stored whole and matches its metadata; all
# carry the same payload, so all have one checksum.
sums=$(for v in $(seq 20); do
	key="file:tool-c0:$v"
	path=$(redis-cli -p "$REDIS_PORT" hget "$key" path)
	want=$(redis-cli -p "$REDIS_PORT" hget "$key" sha256)
	[ -n "$path" ] || fail "no metadata for $key"
	[ "$(stat -c %s "$UPLOADD_STORAGE/$path")" = 307200 ] || fail "$key: stored size is not 300 KiB"
	got=$(sha256sum "$UPLOADD_STORAGE/$path" | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "$key: file sha256 $got, metadata $want"
	echo "$got"
done | sort -u | wc -l)
[ "$sums" = 1 ] || fail "the 20 uploads carry $sums different payloads"

# The same names again: every upload is a 409, counted, and exit 1.
rc=0
"$B/loadgen" --json -s 300K -c 1 -n 5 -p tool "$url" >"$TEST_TMP/lg.json" 2>"$TEST_TMP/lg.err" || rc=$?
[ $rc -eq 1 ] || fail "loadgen with only refusals exited $rc, expected 1"
[ "$(json_get "$TEST_TMP/lg.json" non_2xx)" = 5 ] || fail "expected 5 non-2xx: $(cat "$TEST_TMP/lg.json")"
grep -q '409' "$TEST_TMP/lg.err" || fail "loadgen did not report the 409: $(cat "$TEST_TMP/lg.err")"

# Refused before the body is read (413 on Content-Length): counted, no hang.
stop_pid "$UPLOADD_PID"
start_uploadd --max-upload-size 100K
rc=0
"$B/loadgen" --json -s 4M -c 2 -n 6 --timeout 10 "$UPLOADD_URL/upload" >"$TEST_TMP/lg.json" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || fail "loadgen with only 413s exited $rc, expected 1"
[ "$(json_get "$TEST_TMP/lg.json" non_2xx)" = 6 ] || fail "expected 6 early 413s: $(cat "$TEST_TMP/lg.json")"
[ "$(json_get "$TEST_TMP/lg.json" errors)" = 0 ] || fail "early answers counted as errors: $(cat "$TEST_TMP/lg.json")"

# Nobody listening: exit 1 with a one-line reason.
port=$(free_port)
rc=0
err=$("$B/loadgen" -n 1 "http://127.0.0.1:$port/upload" 2>&1 >/dev/null) || rc=$?
[ $rc -eq 1 ] || fail "loadgen to a closed port exited $rc, expected 1"
grep -q "cannot connect to 127.0.0.1:$port: Connection refused" <<<"$err" ||
	fail "loadgen to a closed port did not say why: $err"
echo "ok"
