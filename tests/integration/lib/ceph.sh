# A single-node Ceph cluster for tests (sourced after common.sh).
#
# One ceph-mon and one ceph-osd (memstore: objects live in the OSD's
# memory and are saved to its data directory on a clean stop, loaded
# again at start) as plain background processes, every path under
# $TEST_TMP/ceph, the mon on a free loopback port, no mgr, no auth
# (auth ... required = none), one replica. Ready means a real `rados put`
# into the pool worked: without a mgr, `ceph -s` shows no PGs at all.
# Starts in 1-2 s with the short paxos intervals below (one osdmap epoch
# per second without them).
#
# Sets CEPH_CONF (the client's ceph.conf), CEPH_POOL, CEPH_MON_PID,
# CEPH_OSD_PID. Every daemon is tracked and stopped by PID.

CEPH_POOL=${CEPH_POOL:-uploadd}

# Client commands bounded in time: a client of a cluster that is down
# waits for ever by default.
ceph_cli() { timeout 20 ceph --conf "$CEPH_CONF" --connect-timeout 10 "$@"; }
rados_cli() { timeout 20 rados --conf "$CEPH_CONF" "$@"; }

# Writes the cluster's ceph.conf (mon on port $1).
ceph_write_conf() {
	local port=$1 d=$CEPH_DIR
	cat >"$CEPH_CONF" <<CONF
[global]
fsid = $CEPH_FSID
mon host = v2:127.0.0.1:$port
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-2147483648}
paxos propose interval = 0.01
paxos min wait = 0.001
mon osd report timeout = 30
run dir = $d/run
pid file = $d/run/\$name.pid
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
mon data = $d/mon/\$name
osd data = $d/osd/\$name
keyring = $d/keyring
crash dir = $d/crash
exec dir = $d
erasure code dir = /usr/lib/x86_64-linux-gnu/ceph/erasure-code
plugin dir = /usr/lib/x86_64-linux-gnu/ceph
client mount timeout = 10
rados mon op timeout = 10
rados osd op timeout = 30
[client]
# Several clients (uploadd instances, rados) run at once: no socket.
admin socket =
[osd]
# A clean stop (SIGTERM) unmounts memstore, which saves its objects.
osd fast shutdown = false
CONF
}

# Starts the monitor and the OSD and creates the pool.
start_ceph() {
	require_cmd ceph-mon "apt-get install ceph-mon (tools/setup.sh)"
	require_cmd ceph-osd "apt-get install ceph-osd (tools/setup.sh)"
	require_cmd rados "apt-get install ceph-common (tools/setup.sh)"
	CEPH_DIR=$TEST_TMP/ceph
	CEPH_CONF=$CEPH_DIR/ceph.conf
	CEPH_FSID=$(python3 -c 'import uuid; print(uuid.uuid4())')
	CEPH_MON_PORT=$(free_port)
	mkdir -p "$CEPH_DIR"/{run,log,mon/mon.a,osd/osd.0,crash}
	ceph_write_conf "$CEPH_MON_PORT"
	monmaptool --create --fsid "$CEPH_FSID" \
		--addv a "[v2:127.0.0.1:$CEPH_MON_PORT]" "$CEPH_DIR/monmap" \
		>"$CEPH_DIR/log/monmaptool.log" 2>&1 || fail "monmaptool failed (log: $CEPH_DIR/log/monmaptool.log)"
	ceph-mon --conf "$CEPH_CONF" --id a --mkfs --monmap "$CEPH_DIR/monmap" \
		>"$CEPH_DIR/log/mon-mkfs.log" 2>&1 || fail "ceph-mon --mkfs failed (log: $CEPH_DIR/log/mon-mkfs.log)"
	ceph-mon --conf "$CEPH_CONF" --id a -f >"$CEPH_DIR/log/mon.out" 2>&1 &
	CEPH_MON_PID=$!
	track_pid "$CEPH_MON_PID"
	wait_port "$CEPH_MON_PORT" 20 || fail "ceph-mon did not listen on $CEPH_MON_PORT (log: $CEPH_DIR/log/mon.a.log)"
	CEPH_OSD_UUID=$(python3 -c 'import uuid; print(uuid.uuid4())')
	local id
	id=$(ceph_cli osd new "$CEPH_OSD_UUID") || fail "ceph osd new failed"
	[ "$id" = 0 ] || fail "ceph osd new gave id '$id', expected 0"
	ceph-osd --conf "$CEPH_CONF" --id 0 --mkfs --osd-uuid "$CEPH_OSD_UUID" \
		>"$CEPH_DIR/log/osd-mkfs.log" 2>&1 || fail "ceph-osd --mkfs failed (log: $CEPH_DIR/log/osd-mkfs.log)"
	start_ceph_osd
	ceph_cli osd pool create "$CEPH_POOL" 8 8 >/dev/null 2>&1 || fail "cannot create pool $CEPH_POOL"
	ceph_cli osd pool application enable "$CEPH_POOL" rados >/dev/null 2>&1 || true
	wait_ceph_writable 20
}

# Starts (or restarts) the OSD on its data directory.
start_ceph_osd() {
	ceph-osd --conf "$CEPH_CONF" --id 0 -f >>"$CEPH_DIR/log/osd.out" 2>&1 &
	CEPH_OSD_PID=$!
	track_pid "$CEPH_OSD_PID"
}

# Stops the OSD cleanly (SIGTERM: memstore saves its objects) and waits.
stop_ceph_osd() {
	stop_pid "$CEPH_OSD_PID"
}

# Waits until a real write into the pool succeeds (timeout seconds).
wait_ceph_writable() {
	local timeout=${1:-30} end
	end=$(($(date +%s) + timeout))
	echo probe >"$CEPH_DIR/probe"
	while [ "$(date +%s)" -lt "$end" ]; do
		if timeout 5 rados --conf "$CEPH_CONF" -p "$CEPH_POOL" put .probe "$CEPH_DIR/probe" 2>/dev/null; then
			timeout 5 rados --conf "$CEPH_CONF" -p "$CEPH_POOL" rm .probe 2>/dev/null || true
			return 0
		fi
		sleep 0.25
	done
	fail "Ceph pool $CEPH_POOL is not writable after ${timeout}s (logs: $CEPH_DIR/log)"
}

# Lists the pool's object names, one a line, sorted.
ceph_objects() {
	rados_cli -p "$CEPH_POOL" ls | sort
}
