# Redis with failover for tests (sourced after common.sh): a master, a
# replica and three Sentinels (redis-server --sentinel, the same binary),
# each a plain background process on a free loopback port with its files
# under $TEST_TMP/sentinel, tracked and stopped by PID.
#
# Persistence on (appendonly, fsync always) so a restarted node comes back
# with what it acknowledged. Sentinels call a master down after
# SENTINEL_DOWN_MS (default 1000) without an answer; two of three must
# agree. Ready means every Sentinel answers SENTINEL
# get-master-addr-by-name with the master and knows the replica.
#
# Sets SENTINEL_NAME, SENTINEL_ADDRS ("127.0.0.1:P1,127.0.0.1:P2,..."),
# RS_PORT[0..1] / RS_PID[0..1] (data nodes: 0 starts as master),
# SENT_PORT[0..2] / SENT_PID[0..2].

SENTINEL_NAME=${SENTINEL_NAME:-uploadd}
SENTINEL_DOWN_MS=${SENTINEL_DOWN_MS:-1000}
RS_PORT=() RS_PID=() SENT_PORT=() SENT_PID=()

# Starts data node i (0 or 1); args: extra redis-server options.
start_redis_node() {
	local i=$1 d=$TEST_TMP/sentinel/redis$1
	shift
	mkdir -p "$d"
	redis-server --port "${RS_PORT[$i]}" --bind 127.0.0.1 --dir "$d" \
		--appendonly yes --appendfsync always --save '' --daemonize no \
		--repl-diskless-sync yes --repl-diskless-sync-delay 0 \
		--repl-ping-replica-period 1 "$@" >>"$d/redis.log" 2>&1 &
	RS_PID[$i]=$!
	track_pid "${RS_PID[$i]}"
	wait_port "${RS_PORT[$i]}" 10 || fail "redis node $i did not start (log: $d/redis.log)"
}

# Starts Sentinel j on its config file.
start_sentinel_node() {
	local j=$1 d=$TEST_TMP/sentinel/s$1
	redis-server "$d/sentinel.conf" --sentinel >>"$d/sentinel.log" 2>&1 &
	SENT_PID[$j]=$!
	track_pid "${SENT_PID[$j]}"
	wait_port "${SENT_PORT[$j]}" 10 || fail "sentinel $j did not start (log: $d/sentinel.log)"
}

# Prints "HOST PORT" of the master as Sentinel j sees it.
sentinel_master() {
	redis-cli -p "${SENT_PORT[${1:-0}]}" --raw sentinel get-master-addr-by-name "$SENTINEL_NAME" 2>/dev/null | paste -sd' '
}

# Prints the index (0 or 1) of the data node on PORT.
node_of_port() {
	local i
	for i in 0 1; do [ "${RS_PORT[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
	return 1
}

start_sentinel_cluster() {
	require_cmd redis-server "apt-get install redis-server"
	require_cmd redis-cli "apt-get install redis-tools"
	local i j
	for i in 0 1; do RS_PORT[$i]=$(free_port); done
	start_redis_node 0
	start_redis_node 1 --replicaof 127.0.0.1 "${RS_PORT[0]}"
	SENTINEL_ADDRS=""
	for j in 0 1 2; do
		SENT_PORT[$j]=$(free_port)
		mkdir -p "$TEST_TMP/sentinel/s$j"
		cat >"$TEST_TMP/sentinel/s$j/sentinel.conf" <<CONF
port ${SENT_PORT[$j]}
bind 127.0.0.1
daemonize no
dir $TEST_TMP/sentinel/s$j
sentinel monitor $SENTINEL_NAME 127.0.0.1 ${RS_PORT[0]} 2
sentinel down-after-milliseconds $SENTINEL_NAME $SENTINEL_DOWN_MS
sentinel failover-timeout $SENTINEL_NAME 10000
sentinel parallel-syncs $SENTINEL_NAME 1
CONF
		start_sentinel_node "$j"
		SENTINEL_ADDRS+="${SENTINEL_ADDRS:+,}127.0.0.1:${SENT_PORT[$j]}"
	done
	wait_sentinels_agree 30
}

# Waits until every Sentinel names the same master, sees a replica in
# sync, and knows the other Sentinels (so a failover can be voted).
wait_sentinels_agree() {
	local timeout=${1:-30} end j m first ok
	end=$(($(date +%s) + timeout))
	while [ "$(date +%s)" -lt "$end" ]; do
		ok=1 first=""
		for j in 0 1 2; do
			m=$(sentinel_master "$j")
			[ -n "$m" ] || { ok=0; break; }
			[ -z "$first" ] && first=$m
			[ "$m" = "$first" ] || { ok=0; break; }
			redis-cli -p "${SENT_PORT[$j]}" sentinel replicas "$SENTINEL_NAME" 2>/dev/null |
				grep -qx 'master-link-status' || { ok=0; break; }
			[ "$(redis-cli -p "${SENT_PORT[$j]}" sentinel master "$SENTINEL_NAME" |
				awk 'p { print; exit } $0 == "num-other-sentinels" { p = 1 }')" = 2 ] || { ok=0; break; }
		done
		if [ $ok = 1 ]; then
			# And the master really has its replica online.
			local mp=${first#* }
			redis-cli -p "$mp" info replication | grep -q 'slave0:.*state=online' && return 0
		fi
		sleep 0.2
	done
	fail "Sentinels did not agree on a master with a replica within ${timeout}s (logs: $TEST_TMP/sentinel)"
}

# Prints the port of the current master (Sentinel 0's view).
sentinel_master_port() {
	sentinel_master 0 | awk '{ print $2 }'
}
