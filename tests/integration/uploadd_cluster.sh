#!/usr/bin/env bash
# uploadd past one machine: two instances on one Ceph pool (a real
# single-node cluster: mon + memstore OSD) and one Redis found through
# Sentinel (master + replica + three Sentinels), all real processes on
# loopback, stopped by PID. Checks, with the operators' flag spellings:
#  - 50 concurrent 1 MiB uploads through A, each downloaded byte-identical
#    through B, with B's metadata sha256 equal to the bytes';
#  - the same filename+version through A and B at once: one 201, one 409
#    (5 rounds);
#  - a 256 MiB upload to RADOS (the first through A) with uploadd's peak
#    RSS (VmHWM) under 64 MiB (not checked in a sanitizer build, whose
#    shadow memory counts too);
#  - Range and ETag downloads streamed from RADOS;
#  - an upload cut by SIGKILL of its uploadd leaves RADOS objects that the
#    restarted instance's start-up sweep removes (and /metrics counts),
#    while every committed object stays;
#  - /healthz and /metrics name the backend and the Sentinel master.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
. "$(dirname "$0")/lib/ceph.sh"
. "$(dirname "$0")/lib/sentinel.sh"
. "$(dirname "$0")/lib/cluster.sh"
require_cmd curl
require_cmd python3

start_ceph
start_sentinel_cluster
info "ceph pool $CEPH_POOL ($CEPH_CONF), sentinels $SENTINEL_ADDRS"
start_cluster_uploadd A
start_cluster_uploadd B --lock-ttl 2000 --orphan-grace 1000 --sweep-interval 1

info "a 256 MiB upload to RADOS: peak RSS"
head -c $((256 * 1048576)) /dev/urandom >"$TEST_TMP/big"
info "uploadd A RSS before: $(awk '/^VmRSS:/ { print $2 }' "/proc/$A_PID/status") KiB"
code=$(BODY=$TEST_TMP/big.body cup "$A_URL" "$TEST_TMP/big" big.bin 1)
[ "$code" = 201 ] || fail "256 MiB upload: HTTP $code: $(cat "$TEST_TMP/big.body")"
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$A_PID/status")
info "uploadd A peak RSS (VmHWM) after the 256 MiB upload: $((hwm / 1024)) MiB"
# grep -c reads everything (grep -q would leave nm a SIGPIPE under pipefail).
if nm "$TS_BUILD/uploadd" 2>/dev/null | grep -c -e __asan_init -e __tsan_init >/dev/null; then
	info "sanitizer build: RSS bound not checked (shadow memory)"
else
	[ "$hwm" -lt $((64 * 1024)) ] || fail "uploadd's peak RSS $((hwm / 1024)) MiB is not under 64 MiB"
fi
curl -s "$B_URL/files/big.bin/1" | sha256sum | cut -d' ' -f1 >"$TEST_TMP/big.got"
[ "$(cat "$TEST_TMP/big.got")" = "$(sha256sum "$TEST_TMP/big" | cut -d' ' -f1)" ] || fail "256 MiB download through B differs"
rm -f "$TEST_TMP/big"

info "50 concurrent 1 MiB uploads through A, downloads through B"
mkdir -p "$TEST_TMP/in" "$TEST_TMP/out"
for i in $(seq 50); do head -c 1048576 /dev/urandom >"$TEST_TMP/in/$i"; done
pids=()
for i in $(seq 50); do
	BODY=$TEST_TMP/out/$i.body cup "$A_URL" "$TEST_TMP/in/$i" "c-$i.bin" 1 >"$TEST_TMP/out/$i.code" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for i in $(seq 50); do
	code=$(cat "$TEST_TMP/out/$i.code")
	[ "$code" = 201 ] || fail "upload $i through A: HTTP $code: $(cat "$TEST_TMP/out/$i.body")"
	curl -s -o "$TEST_TMP/out/$i.get" "$B_URL/files/c-$i.bin/1"
	curl -s -o "$TEST_TMP/out/$i.meta" "$B_URL/files/c-$i.bin/1/meta"
done
python3 - "$TEST_TMP" <<'PY' || fail "a download through B differs from what A stored"
import hashlib, json, sys
t = sys.argv[1]
for i in range(1, 51):
    sent = open(f"{t}/in/{i}", "rb").read()
    got = open(f"{t}/out/{i}.get", "rb").read()
    meta = json.load(open(f"{t}/out/{i}.meta"))
    want = hashlib.sha256(sent).hexdigest()
    assert got == sent, f"upload {i}: {len(got)} bytes back, differ"
    assert meta["sha256"] == want, f"upload {i}: meta {meta['sha256']} != {want}"
    assert json.load(open(f"{t}/out/{i}.body"))["sha256"] == want
PY
nobj=$(ceph_objects | wc -l)
[ "$nobj" -eq $((64 + 50)) ] || fail "expected 114 RADOS objects (64 parts of 4 MiB, 50 of 1 MiB), found $nobj"

info "Range and ETag from RADOS through B"
code=$(curl -s -o "$TEST_TMP/range" -w '%{http_code}' -r 1000-1999 "$B_URL/files/c-7.bin/1")
[ "$code" = 206 ] || fail "Range: HTTP $code"
cmp "$TEST_TMP/range" <(tail -c +1001 "$TEST_TMP/in/7" | head -c 1000) || fail "Range bytes differ"
etag=$(curl -s -D - -o /dev/null "$B_URL/files/c-7.bin/1" | tr -d '\r' | sed -n 's/^ETag: //Ip')
[ "$etag" = "\"$(sha256sum "$TEST_TMP/in/7" | cut -d' ' -f1)\"" ] || fail "ETag $etag is not the sha256"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$B_URL/files/c-7.bin/1")
[ "$code" = 304 ] || fail "If-None-Match: HTTP $code"

info "the same filename+version through A and B at once: one 201, one 409"
head -c $((2 * 1048576)) /dev/urandom >"$TEST_TMP/race"
for round in 1 2 3 4 5; do
	BODY=$TEST_TMP/race.a cup "$A_URL" "$TEST_TMP/race" race.bin "$round" >"$TEST_TMP/race.a.code" &
	pa=$!
	BODY=$TEST_TMP/race.b cup "$B_URL" "$TEST_TMP/race" race.bin "$round" >"$TEST_TMP/race.b.code" &
	pb=$!
	wait "$pa" "$pb"
	codes=$(sort <(cat "$TEST_TMP/race.a.code"; echo; cat "$TEST_TMP/race.b.code"; echo) | paste -sd' ')
	[ "$codes" = "201 409" ] || fail "round $round: answers $codes, want one 201 and one 409 ($(cat "$TEST_TMP/race.a" "$TEST_TMP/race.b"))"
done

info "/healthz and /metrics name the backend and the master"
curl -s "http://127.0.0.1:$B_DEBUG/healthz" >"$TEST_TMP/health"
grep -q '"backend":"rados pool '"$CEPH_POOL"'"' "$TEST_TMP/health" || fail "healthz: $(cat "$TEST_TMP/health")"
grep -q '"redis_master":"127.0.0.1:'"$(sentinel_master_port)"' (from Sentinel' "$TEST_TMP/health" || fail "healthz: $(cat "$TEST_TMP/health")"
curl -s "http://127.0.0.1:$B_DEBUG/metrics" >"$TEST_TMP/metrics"
grep -q '^uploadd_rados_up 1$' "$TEST_TMP/metrics" || fail "no uploadd_rados_up 1"
grep -q '^uploadd_redis_sentinel_watching 1$' "$TEST_TMP/metrics" || fail "not watching a Sentinel"

info "SIGKILL of B mid-upload: the restarted B's sweep removes its objects"
before=$(ceph_objects)
head -c $((24 * 1048576)) /dev/urandom >"$TEST_TMP/cut"
curl -s -o /dev/null --limit-rate 4M -F filename=cut.bin -F version=1 \
	-F "file=@$TEST_TMP/cut" "$B_URL/upload" &
cpid=$!
for _ in $(seq 100); do
	[ "$(ceph_objects | wc -l)" -gt "$(wc -l <<<"$before")" ] && break
	sleep 0.1
done
sleep 1
kill -KILL "$B_PID"
wait "$B_PID" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
left=$(comm -13 <(echo "$before") <(ceph_objects))
[ -n "$left" ] || fail "the cut upload left no object: the test proves nothing"
info "left by the killed upload: $(wc -l <<<"$left") object(s)"
[ "$(mredis zcard "inflight:$(mredis keys 'inflight:*' | head -1 | cut -d: -f2-)")" -ge 1 ] || fail "no intent in Redis for the cut upload"
start_cluster_uploadd B --lock-ttl 2000 --orphan-grace 1000 --sweep-interval 1
for _ in $(seq 100); do
	[ -z "$(comm -13 <(echo "$before") <(ceph_objects))" ] && break
	sleep 0.1
done
[ -z "$(comm -13 <(echo "$before") <(ceph_objects))" ] || fail "the sweep left: $(comm -13 <(echo "$before") <(ceph_objects) | head -3)"
[ "$(ceph_objects)" = "$before" ] || fail "the sweep removed a committed object"
grep -q 'orphan sweep: removed [1-9][0-9]* object(s)' "$B_LOG" || fail "no removal logged"
curl -s "http://127.0.0.1:$B_DEBUG/metrics" >"$TEST_TMP/metrics"
awk '$1 == "uploadd_orphans_removed_total" { exit !($2 >= 1) }' "$TEST_TMP/metrics" || fail "metrics do not count the removal"
for i in 3 17 42; do
	curl -s "$B_URL/files/c-$i.bin/1" | cmp - "$TEST_TMP/in/$i" || fail "c-$i.bin differs after the sweep"
done

stop_cluster_uploadd A
stop_cluster_uploadd B
