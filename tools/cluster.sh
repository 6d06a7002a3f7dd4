#!/usr/bin/env bash
# Starts uploadd past one machine, locally, for a person to try: a
# single-node Ceph cluster (mon + memstore OSD), Redis master + replica +
# three Sentinels, and two uploadd instances on them, every process on
# free loopback ports under one temp directory. Prints how to use it,
# then waits; Ctrl-C stops everything it started, by PID (`make demo`
# stays the one-machine default).
#   usage: tools/cluster.sh [BUILD_DIR]     (default build)
# Try: upload through one instance, download through the other; kill the
# Redis master (its PID is printed) and watch the uploads pause, then go on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export TS_ROOT=$root TS_BUILD=$(cd "${1:-$root/build}" && pwd)
case "${1:-}" in -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
. "$root/tests/integration/lib/common.sh"
. "$root/tests/integration/lib/uploadd.sh"
. "$root/tests/integration/lib/ceph.sh"
. "$root/tests/integration/lib/sentinel.sh"
. "$root/tests/integration/lib/cluster.sh"
[ -x "$TS_BUILD/uploadd" ] || fail "build uploadd first: make all"
echo "starting Ceph and Redis with Sentinel in $TEST_TMP ..."
start_ceph
start_sentinel_cluster
start_cluster_uploadd A
start_cluster_uploadd B
mp=$(sentinel_master_port)
cat <<TXT

uploadd A: $A_URL   (debug: http://127.0.0.1:$A_DEBUG/metrics, log $A_LOG)
uploadd B: $B_URL   (debug: http://127.0.0.1:$B_DEBUG/metrics, log $B_LOG)
Ceph:      pool $CEPH_POOL, conf $CEPH_CONF (rados --conf $CEPH_CONF -p $CEPH_POOL ls)
Redis:     master 127.0.0.1:$mp (pid ${RS_PID[$(node_of_port "$mp")]}), Sentinels $SENTINEL_ADDRS

  curl -F filename=hello.txt -F version=1 -F file=@/etc/hostname $A_URL/upload
  curl $B_URL/files/hello.txt/1
  curl http://127.0.0.1:$B_DEBUG/healthz
  kill -KILL ${RS_PID[$(node_of_port "$mp")]}     # the master: Sentinel fails over

Ctrl-C stops everything.
TXT
trap 'echo; echo stopping...; exit 0' INT TERM
while :; do sleep 1; done
