#!/usr/bin/env bash
# The orphan sweep never removes a file whose commit is still possible or
# already done, and does remove one that is provably over. Real Redis, real
# uploadd (local backend); the states are made by hand in Redis and the
# storage directory, exactly as uploads leave them:
#   live      intent with an old heartbeat, but its lock still held by its
#             token (a slow upload between heartbeats): kept
#   committed metadata carrying its token, intent left behind: kept, and
#             the stale intent dropped
#   foreign   no intent at all (not this sweep's business): kept
#   orphan    intent with an old heartbeat, lock gone, no metadata (killed
#             between link and commit): removed, logged, counted
#   lost      as orphan, but another upload committed the same
#             name+version meanwhile: removed, the other's file kept
# Then a real upload is SIGKILLed after its file is linked (a stopped
# Redis makes it wait in the commit), and the restarted uploadd's
# start-up sweep removes it while every committed file stays.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd python3
require_cmd redis-cli

start_redis
mkdir -p "$TEST_TMP/storage"
UPLOADD_STORAGE=$TEST_TMP/storage
start_uploadd --lock-ttl 1000 --sweep-interval 3600
id=$(cat "$UPLOADD_STORAGE/.uploadd-id")
stop_uploadd
R() { redis-cli -p "$REDIS_PORT" "$@" >/dev/null; }
name() { python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()+b"\0"+sys.argv[2].encode()).hexdigest()+"."+sys.argv[3])' "$@"; }
tok() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
old=$(( $(date +%s%3N) - 3600000 ))

# state NAME VERSION TOKEN: a linked file and an intent with an old heartbeat.
state() {
	echo "$1/$2" >"$UPLOADD_STORAGE/$(name "$1" "$2" "$3")"
	R zadd "inflight:local:$id" "$old" "$3"
	R hset "upload:$3" filename "$1" version "$2"
}
t_live=$(tok); state live.bin 1 "$t_live"; R set lock:live.bin:1 "$t_live" px 600000
t_done=$(tok); state done.bin 1 "$t_done"
R hset file:done.bin:1 filename done.bin version 1 sha256 x size 8 path "$(name done.bin 1 "$t_done")" uploaded_at x token "$t_done"
t_foreign=$(tok); echo foreign >"$UPLOADD_STORAGE/$(name foreign.bin 1 "$t_foreign")"
t_orphan=$(tok); state orphan.bin 1 "$t_orphan"
t_lost=$(tok); state lost.bin 1 "$t_lost"
t_win=$(tok); echo winner >"$UPLOADD_STORAGE/$(name lost.bin 1 "$t_win")"
R hset file:lost.bin:1 filename lost.bin version 1 sha256 x size 7 path "$(name lost.bin 1 "$t_win")" uploaded_at x token "$t_win"

start_uploadd --lock-ttl 1000 --sweep-interval 1 --orphan-grace 1000
for _ in $(seq 100); do
	[ "$(metric 'uploadd_orphan_sweeps_total{outcome="ok"}')" -ge 2 ] 2>/dev/null && break
	sleep 0.1
done
[ "$(metric 'uploadd_orphan_sweeps_total{outcome="ok"}')" -ge 2 ] || fail "the sweep did not run twice"
have() { [ -e "$UPLOADD_STORAGE/$(name "$@")" ]; }
have live.bin 1 "$t_live" || fail "the sweep removed a file whose lock is alive"
have done.bin 1 "$t_done" || fail "the sweep removed a file whose metadata exists"
have foreign.bin 1 "$t_foreign" || fail "the sweep removed a file it has no intent for"
have lost.bin 1 "$t_win" || fail "the sweep removed the committed winner"
! have orphan.bin 1 "$t_orphan" || fail "the orphan is still there"
! have lost.bin 1 "$t_lost" || fail "the losing upload's file is still there"
[ "$(redis-cli -p "$REDIS_PORT" zscore "inflight:local:$id" "$t_live")" != "" ] || fail "the live intent was dropped"
[ "$(redis-cli -p "$REDIS_PORT" zscore "inflight:local:$id" "$t_done")" = "" ] || fail "the committed upload's stale intent is still there"
[ "$(redis-cli -p "$REDIS_PORT" zcard "orphans:local:$id")" = 0 ] || fail "claimed uploads left in the dead set"
grep -q "orphan sweep: removed 1 object(s) $(name orphan.bin 1 "$t_orphan")" "$UPLOADD_LOG" || fail "the removal is not logged by name"
[ "$(metric uploadd_orphans_found_total)" = 2 ] || fail "found $(metric uploadd_orphans_found_total), want 2"
[ "$(metric uploadd_orphans_removed_total)" = 2 ] || fail "removed $(metric uploadd_orphans_removed_total), want 2"
# The live upload, once its lock is gone, is claimed too.
R del lock:live.bin:1
for _ in $(seq 50); do have live.bin 1 "$t_live" || break; sleep 0.1; done
! have live.bin 1 "$t_live" || fail "the file of an upload whose lock went is not removed"

info "a real upload SIGKILLed between link and commit"
stop_uploadd
# A 5 s lock: no renewal during the 1.5 s body, so Redis can be paused
# for writes once the lock is taken, and the commit then waits.
start_uploadd --lock-ttl 5000 --sweep-interval 3600
head -c 600000 /dev/urandom >"$TEST_TMP/f"
[ "$(upload "$TEST_TMP/f" keep.bin 1)" = 201 ] || fail "first upload: $(cat "$TEST_TMP/body")"
before=$(stored_objects)
( upload "$TEST_TMP/f" cut.bin 1 --limit-rate 400K >/dev/null ) &
cpid=$!
wait_redis_key lock:cut.bin:1 1
redis-cli -p "$REDIS_PORT" client pause 10000 write >/dev/null
for _ in $(seq 100); do
	[ "$(stored_objects | wc -l)" -gt "$(wc -l <<<"$before")" ] && break
	sleep 0.05
done
[ "$(stored_objects | wc -l)" -gt "$(wc -l <<<"$before")" ] || fail "the upload never linked its file"
kill -KILL "$UPLOADD_PID"
wait "$UPLOADD_PID" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
redis-cli -p "$REDIS_PORT" client unpause >/dev/null
[ "$(stored_objects | wc -l)" -gt "$(wc -l <<<"$before")" ] || fail "no orphan left: the test proves nothing"
info "orphan left: $(comm -13 <(echo "$before") <(stored_objects))"
start_uploadd --lock-ttl 1000 --sweep-interval 1 --orphan-grace 1000
# Its lock expires 5 s after it was taken; the sweep removes it after.
for _ in $(seq 150); do [ "$(stored_objects)" = "$before" ] && break; sleep 0.1; done
[ "$(stored_objects)" = "$before" ] || fail "after the sweep: $(stored_objects | paste -sd' '), want $before"
curl -s "$UPLOADD_URL/files/keep.bin/1" | cmp - "$TEST_TMP/f" || fail "keep.bin damaged"
stop_uploadd
