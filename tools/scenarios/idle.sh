#!/usr/bin/env bash
# Scenario: idle capture, then a burst of uploads under taskscope watch.
# A point-in-time view of an idle uploadd (its own /debug/threads dump and
# taskscope snapshot alike) shows no per-upload thread: the hash and writer
# threads live only as long as an upload. taskscope watch during a burst
# shows every one of them, with its start routine and lifetime.
set -euo pipefail
SC_ABOUT="Idle capture: neither uploadd's in-process dump nor taskscope
snapshot shows a per-upload thread (up-hash, up-write). Then a burst of
uploads under taskscope watch: every up-hash and up-write thread appears,
with its start routine (hash_main, write_main), parent and lifetime."
source "$(dirname "$0")/lib.sh"

BURST=${SC_BURST:-10}

sc_step "1. A private redis-server and uploadd"
start_redis
start_uploadd
echo "redis-server $REDIS_PID on port $REDIS_PORT; uploadd $UPLOADD_PID, debug listener $(sc_debug_url)"

sc_step "2. Idle: both point-in-time views"
sc_compare idle
sc_summary idle-capture

sc_step "3. A burst of $BURST uploads under taskscope watch"
head -c 300000 /dev/urandom > "$TEST_TMP/burst.bin"
sc_watch_start "$SC_OUT/watch.jsonl" 6s
pids=()
for i in $(seq "$BURST"); do
	curl -s -o /dev/null -w '%{http_code}\n' -F filename=burst.bin \
		-F version="$i" -F "file=@$TEST_TMP/burst.bin" "$UPLOADD_URL/upload" \
		> "$TEST_TMP/status.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
cat "$TEST_TMP"/status.* > "$SC_OUT/upload_statuses.txt"
echo "uploads answered: $(sort "$SC_OUT/upload_statuses.txt" | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
sc_watch_end

sc_step "4. What watch saw: the per-upload threads"
sc_summary idle "$BURST"
sc_done
