# uploadd instances on a shared cluster (sourced after common.sh,
# uploadd.sh, ceph.sh and sentinel.sh): Ceph RADOS for the bytes, Redis
# with Sentinel for locks and metadata, as operators run them.

# start_cluster_uploadd VAR [flags...]: starts one uploadd on the pool and
# the Sentinels and sets VAR_URL, VAR_PID, VAR_LOG, VAR_DEBUG (the debug
# port) for it.
start_cluster_uploadd() {
	local var=$1 log line port dport pid
	shift
	log=$TEST_TMP/uploadd-$var.$(date +%s%N).log
	"$TS_BUILD/uploadd" --listen 127.0.0.1:0 --debug-listen 127.0.0.1:0 \
		--storage "rados:$CEPH_POOL" --ceph-conf "$CEPH_CONF" \
		--redis-sentinel "$SENTINEL_ADDRS" --redis-master "$SENTINEL_NAME" \
		--redis-timeout 1000 --redis-connect-timeout 500 \
		--ceph-timeout 30 --no-access-log "$@" >"$log" 2>&1 &
	pid=$!
	track_pid "$pid"
	line=""
	for _ in $(seq 400); do
		line=$(grep -m1 'listening on' "$log" || true)
		[ -n "$line" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "uploadd $var exited at start-up"; }
		sleep 0.05
	done
	[ -n "$line" ] || { cat "$log" >&2; fail "uploadd $var did not start listening"; }
	port=$(sed -n 's/.*(api port \([0-9]*\)).*/\1/p' <<<"$line")
	dport=$(sed -n 's/.*debug on .* (port \([0-9]*\)).*/\1/p' <<<"$line")
	printf -v "${var}_URL" '%s' "http://127.0.0.1:$port"
	printf -v "${var}_PID" '%s' "$pid"
	printf -v "${var}_LOG" '%s' "$log"
	printf -v "${var}_DEBUG" '%s' "$dport"
	for _ in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] && return 0
		sleep 0.1
	done
	cat "$log" >&2
	fail "uploadd $var /healthz did not answer 200"
}

# stop_cluster_uploadd VAR: SIGTERM, exit 0, clean log (as stop_uploadd).
stop_cluster_uploadd() {
	local pidv=${1}_PID logv=${1}_LOG rc=0
	kill -TERM "${!pidv}" 2>/dev/null || true
	wait "${!pidv}" || rc=$?
	[ $rc -eq 0 ] || { tail -20 "${!logv}" >&2; fail "uploadd $1 exited $rc on SIGTERM"; }
	if grep -qE 'Sanitizer|runtime error:' "${!logv}"; then
		grep -A30 -E 'Sanitizer|runtime error:' "${!logv}" | head -60 >&2
		fail "uploadd $1 reported a sanitizer error (log: ${!logv})"
	fi
}

# cup URL FILE NAME VERSION: uploads, prints the status; body in
# $TEST_TMP/body (or $BODY when set).
cup() {
	curl -s -o "${BODY:-$TEST_TMP/body}" -w '%{http_code}' --max-time 60 \
		-F "filename=$3" -F "version=$4" -F "file=@$2" "$1/upload" || true
}

# Redis command on the current master.
mredis() {
	redis-cli -p "$(sentinel_master_port)" "$@"
}
