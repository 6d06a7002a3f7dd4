#!/usr/bin/env bash
# Chaos on the shared cluster (see uploadd_cluster.sh for the setup): two
# uploadd on one Ceph pool and one Sentinel-managed Redis.
#  1. 100 sequential uploads alternating between A and B; after the 40th
#     the Redis master is SIGKILLed (and restarted once Sentinel has
#     promoted the replica, as a supervisor would: Sentinel makes it a
#     replica of the new master, so WAIT has a replica again).
#     Every upload that got a 201 must then download byte-identical
#     through either instance, and the last 20 must all get 201.
#  2. The OSD is restarted (SIGTERM, start) while uploads go on through
#     both instances; afterwards every 201 is intact and uploads succeed
#     again.
# Times (kill to first 201, failover seen by Sentinel, OSD restart to
# first 201) are printed, never asserted; "succeed again" is bounded by
# the test's own waits (30 s).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
. "$(dirname "$0")/lib/ceph.sh"
. "$(dirname "$0")/lib/sentinel.sh"
. "$(dirname "$0")/lib/cluster.sh"
require_cmd curl
require_cmd python3

start_ceph
start_sentinel_cluster
start_cluster_uploadd A
start_cluster_uploadd B
now_ms() { echo $(($(date +%s%N) / 1000000)); }
mkdir -p "$TEST_TMP/in" "$TEST_TMP/out"

info "100 sequential uploads, A and B in turn; Redis master SIGKILLed after the 40th"
old_port=$(sentinel_master_port)
old=$(node_of_port "$old_port")
(
	for i in $(seq 100); do
		head -c $((64 * 1024 + i)) /dev/urandom >"$TEST_TMP/in/$i"
		if [ $((i % 2)) = 1 ]; then url=$A_URL; else url=$B_URL; fi
		BODY=$TEST_TMP/out/$i.body cup "$url" "$TEST_TMP/in/$i" "seq.bin" "$i" >"$TEST_TMP/out/$i.code.tmp"
		echo "$(now_ms)" >"$TEST_TMP/out/$i.at"
		mv "$TEST_TMP/out/$i.code.tmp" "$TEST_TMP/out/$i.code"
	done
) &
loader=$!
track_pid "$loader"
until [ -e "$TEST_TMP/out/40.code" ]; do
	kill -0 "$loader" 2>/dev/null || fail "the upload loop ended early"
	sleep 0.01
done
kill_at=$(now_ms)
kill -KILL "${RS_PID[$old]}"
wait "${RS_PID[$old]}" 2>/dev/null || true
info "SIGKILL Redis master on port $old_port (after upload 40)"
for _ in $(seq 300); do
	[ "$(sentinel_master_port)" != "$old_port" ] && break
	sleep 0.1
done
[ "$(sentinel_master_port)" != "$old_port" ] || fail "Sentinel did not fail over within 30 s"
info "Sentinel promoted port $(sentinel_master_port) $(( $(now_ms) - kill_at )) ms after the kill"
start_redis_node "$old"
info "old master restarted (it rejoins as a replica once Sentinel says so)"
wait "$loader" || fail "the upload loop failed"
new_port=$(sentinel_master_port)
[ "$new_port" != "$old_port" ] || fail "Sentinel never failed over (master still $old_port)"
info "master now on $new_port"
python3 - "$TEST_TMP" "$kill_at" <<'PY'
import sys
t, kill = sys.argv[1], int(sys.argv[2])
codes = {i: open(f"{t}/out/{i}.code").read().strip() for i in range(1, 101)}
after = [i for i in range(41, 101) if codes[i] == "201"]
bad = {i: c for i, c in codes.items() if c != "201"}
first = int(open(f"{t}/out/{after[0]}.at").read()) - kill if after else -1
print(f"# answers: {sum(c == '201' for c in codes.values())} x 201, others {bad}")
print(f"# first 201 after the kill: upload {after[0] if after else None}, {first} ms after it (includes that upload's own time)")
PY
for i in $(seq 81 100); do
	[ "$(cat "$TEST_TMP/out/$i.code")" = 201 ] || fail "upload $i (of the last 20) got HTTP $(cat "$TEST_TMP/out/$i.code"): $(cat "$TEST_TMP/out/$i.body")"
done

# check_all: every upload answered 201 downloads intact through A and B.
check_all() {
	local i code n=0
	for i in $(ls "$TEST_TMP/out" | sed -n 's/\.code$//p'); do
		code=$(cat "$TEST_TMP/out/$i.code")
		[ "$code" = 201 ] || continue
		for url in "$A_URL" "$B_URL"; do
			curl -s --max-time 30 "$url/files/$(cat "$TEST_TMP/out/$i.name" 2>/dev/null || echo seq.bin)/$i" |
				cmp -s - "$TEST_TMP/in/$i" || fail "upload $i (201) does not download intact through $url"
		done
		n=$((n + 1))
	done
	info "$n upload(s) answered 201, all intact through both instances"
}
check_all

info "OSD restarted while uploads go on through A and B"
(
	for j in $(seq 101 140); do
		head -c $((256 * 1024 + j)) /dev/urandom >"$TEST_TMP/in/$j"
		echo osd.bin >"$TEST_TMP/out/$j.name"
		if [ $((j % 2)) = 1 ]; then url=$A_URL; else url=$B_URL; fi
		BODY=$TEST_TMP/out/$j.body cup "$url" "$TEST_TMP/in/$j" osd.bin "$j" >"$TEST_TMP/out/$j.code"
		echo "$(now_ms)" >"$TEST_TMP/out/$j.at"
	done
) &
loader=$!
track_pid "$loader"
sleep 1
osd_at=$(now_ms)
stop_ceph_osd
start_ceph_osd
info "OSD restarted ($(( $(now_ms) - osd_at )) ms for the clean stop and start)"
wait "$loader" || fail "the upload loop failed"
python3 - "$TEST_TMP" "$osd_at" <<'PY'
import sys
t, at = sys.argv[1], int(sys.argv[2])
codes = {j: open(f"{t}/out/{j}.code").read().strip() for j in range(101, 141)}
print(f"# during the OSD restart: {sum(c == '201' for c in codes.values())} x 201, others "
      f"{ {j: c for j, c in codes.items() if c != '201'} }")
PY
wait_ceph_writable 30
ok=""
for k in $(seq 30); do
	head -c 100000 /dev/urandom >"$TEST_TMP/in/$((200 + k))"
	echo after.bin >"$TEST_TMP/out/$((200 + k)).name"
	code=$(BODY=$TEST_TMP/out/$((200 + k)).body cup "$A_URL" "$TEST_TMP/in/$((200 + k))" after.bin $((200 + k)))
	echo "$code" >"$TEST_TMP/out/$((200 + k)).code"
	[ "$code" = 201 ] && { ok=1; break; }
	sleep 1
done
[ -n "$ok" ] || fail "uploads do not succeed within 30 s of the OSD restart"
info "uploads succeed again $(( $(now_ms) - osd_at )) ms after the OSD restart began"
check_all
stop_cluster_uploadd A
stop_cluster_uploadd B
