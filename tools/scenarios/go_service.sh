#!/usr/bin/env bash
# The three scenarios against the seed's Go upload service
# (tests/targets/go/goupload): Go's own goroutine dump beside taskscope's
# goroutine snapshot of the same moment (tools/compare-views --go-url),
#   a. idle, with a burst of uploads under taskscope watch: the dump shows
#      nothing of the uploads, watch shows every checksum and write
#      goroutine;
#   b. during a large, throttled upload: the handler goroutine reading the
#      body (the whole file goes into memory);
#   c. slow Redis (CLIENT PAUSE WRITE): the handler goroutine waiting for
#      its lock's reply; only taskscope names the socket's peer.
# Starts a private redis-server and goupload on free loopback ports and
# stops both by PID. Needs root (taskscope loads BPF programs).
#   usage: tools/scenarios/go_service.sh [--json DIR] [--build DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build json=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) json=$2; shift 2 ;;
	--build) build=$(cd "$2" && pwd); shift 2 ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "go_service: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "go_service: needs root: taskscope loads BPF programs" >&2; exit 1; }
export TS_BUILD=$build TS_ROOT=$root
source "$root/tests/integration/lib/common.sh"
skip() { echo "go_service: $*" >&2; exit 1; }
goup=$build/targets/go/goupload ts=$build/taskscope cv=$root/tools/compare-views
[ -x "$goup" ] && [ -x "$ts" ] || { echo "go_service: build first (make all; make setup installs golang-go)" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
save() { [ -n "$json" ] && mkdir -p "$json/$1" && echo "--save-dir $json/$1" || true; }

start_redis
mkdir -p "$TEST_TMP/storage"
"$goup" -redis "127.0.0.1:$REDIS_PORT" -storage "$TEST_TMP/storage" >"$TEST_TMP/goupload.out" 2>&1 &
gp=$!
track_pid "$gp"
for _ in $(seq 100); do grep -q '^listening' "$TEST_TMP/goupload.out" && break; sleep 0.05; done
url=http://127.0.0.1:$(awk '/^listening/{print $2}' "$TEST_TMP/goupload.out")
echo "redis-server $REDIS_PID on port $REDIS_PORT; goupload $gp on $url"
head -c 300000 /dev/urandom >"$TEST_TMP/f.bin"

step "a. idle, then a burst of 10 uploads under taskscope watch (3 s)"
"$cv" -p "$gp" --go-url "$url" --taskscope "$ts" --watch 3s $(save idle) \
	>"$TEST_TMP/a.txt" 2>"$TEST_TMP/a.err" &
cvp=$!
track_pid "$cvp"
for _ in $(seq 200); do grep -q 'both views captured' "$TEST_TMP/a.err" && break; sleep 0.05; done
for i in $(seq 10); do
	curl -s -o /dev/null -F file=@"$TEST_TMP/f.bin" -F filename=burst.bin -F version="$i" "$url/upload" &
done
wait "$cvp"
grep -v '^        ! the runtime' "$TEST_TMP/a.txt"

step "b. during a large upload (32 MiB at 4 MiB/s)"
head -c 33554432 /dev/zero | curl -s -o /dev/null --limit-rate 4M -F file=@- \
	-F filename=big.bin -F version=1 "$url/upload" &
bp=$!
track_pid "$bp"
sleep 2
"$cv" -p "$gp" --go-url "$url" --taskscope "$ts" $(save large) | grep -v '^        ! the runtime'
wait "$bp" || true

step "c. slow Redis: CLIENT PAUSE WRITE while an upload takes its lock"
redis-cli -p "$REDIS_PORT" CLIENT PAUSE 20000 WRITE >/dev/null
curl -s -o /dev/null -F file=@"$TEST_TMP/f.bin" -F filename=slow.bin -F version=1 "$url/upload" &
sp=$!
track_pid "$sp"
sleep 1
"$cv" -p "$gp" --go-url "$url" --taskscope "$ts" $(save slow_redis) | grep -v '^        ! the runtime'
redis-cli -p "$REDIS_PORT" CLIENT UNPAUSE >/dev/null
wait "$sp" || true
echo
echo "(Redis is on port $REDIS_PORT: the goroutine in main.(*server).upload reads from it)"
