#!/usr/bin/env bash
# `make demo`: the main job end to end on this machine. Starts a private
# redis-server and uploadd on free loopback ports, uploads files with curl,
# then shows the same running server from both sides: its in-process thread
# dump (/debug/threads) beside taskscope's kernel view (snapshot during a
# large upload, watch during a burst of small ones). Everything started here
# is stopped by PID on exit.
#   usage: tools/demo.sh BUILD_DIR
set -euo pipefail
export TS_BUILD=$(cd "${1:-build}" && pwd)
export TS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The integration-test helpers already start and stop private servers by PID.
source "$TS_ROOT/tests/integration/lib/common.sh"
source "$TS_ROOT/tests/integration/lib/uploadd.sh"
skip() { echo "demo: $*" >&2; exit 1; }   # the demo has nothing to skip to

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
taskscope=$TS_BUILD/taskscope

step "1. A private redis-server on a free loopback port"
start_redis
echo "redis-server pid $REDIS_PID on 127.0.0.1:$REDIS_PORT (no persistence, dir $TEST_TMP/redis)"

step "2. uploadd against it"
start_uploadd
echo "uploadd pid $UPLOADD_PID: API $UPLOADD_URL, debug listener 127.0.0.1:$UPLOADD_DEBUG_PORT, storage $UPLOADD_STORAGE"

step "3. Uploads with curl"
head -c 300000 /dev/urandom > "$TEST_TMP/report.bin"
echo "hello, uploadd" > "$TEST_TMP/hello.txt"
run curl -sS -F filename=report.bin -F version=1 -F "file=@$TEST_TMP/report.bin" "$UPLOADD_URL/upload"; echo
run curl -sS -F filename=hello.txt -F version=1 -F "file=@$TEST_TMP/hello.txt" "$UPLOADD_URL/upload"; echo
run curl -sS -F filename=hello.txt -F version=2 -F "file=@$TEST_TMP/hello.txt" \
	-F "sha256=$(sha256sum "$TEST_TMP/hello.txt" | cut -d' ' -f1)" "$UPLOADD_URL/upload"; echo
echo "# the same version again is refused (versions are immutable):"
run curl -sS -o /dev/null -w 'HTTP %{http_code}\n' -F filename=hello.txt -F version=1 \
	-F "file=@$TEST_TMP/hello.txt" "$UPLOADD_URL/upload"
echo "# a path in the filename is refused:"
run curl -sS -w '  HTTP %{http_code}\n' -F filename=../etc/passwd -F version=1 \
	-F "file=@$TEST_TMP/hello.txt" "$UPLOADD_URL/upload"

step "4. Listing, metadata and a verified download"
run curl -sS "$UPLOADD_URL/files/hello.txt"; echo
run curl -sS "$UPLOADD_URL/files/report.bin/1/meta"; echo
curl -sS -o "$TEST_TMP/report.down" "$UPLOADD_URL/files/report.bin/1"
if cmp -s "$TEST_TMP/report.bin" "$TEST_TMP/report.down"; then
	echo "downloaded report.bin/1: identical to the upload ($(sha256sum < "$TEST_TMP/report.down" | cut -c1-16)...)"
else
	echo "demo: downloaded report.bin differs from the upload" >&2; exit 1
fi

kernel_view=1
if [ "$(id -u)" -ne 0 ]; then
	kernel_view=0
	echo
	echo "demo: skipping the kernel view: taskscope needs root (CAP_BPF and CAP_PERFMON) to load its BPF programs; run 'sudo make demo'"
elif [ ! -x "$taskscope" ]; then
	kernel_view=0
	echo "demo: skipping the kernel view: $taskscope is not built"
fi

step "5. During a large, slow upload: the in-process dump, then the kernel's view"
# A 64 MiB upload throttled to 8 MiB/s keeps the upload's threads alive for
# several seconds so both views can see them.
head -c 64M /dev/zero | curl -sS -o "$TEST_TMP/slow.json" --limit-rate 8M \
	-F filename=big.bin -F version=1 -F "file=@-" "$UPLOADD_URL/upload" &
slow_pid=$!
track_pid "$slow_pid"
sleep 2
echo "# what uploadd says about itself (GET /debug/threads on the debug listener):"
dump=$(curl -sS -w '\n%{http_code}' "http://127.0.0.1:$UPLOADD_DEBUG_PORT/debug/threads" || true)
if [ "${dump##*$'\n'}" = 200 ]; then
	echo "${dump%$'\n'*}" | head -n 60
else
	echo "(no /debug/threads on this build)"
fi
if [ $kernel_view = 1 ]; then
	echo
	echo "# what the kernel says (taskscope snapshot, uploadd keeps running):"
	run "$taskscope" snapshot -p "$UPLOADD_PID" | head -n 80
fi
wait "$slow_pid" || true
echo "# the large upload finished: $(cat "$TEST_TMP/slow.json")"

if [ $kernel_view = 1 ] && "$taskscope" help watch >/dev/null 2>&1; then
	step "6. A burst of uploads under taskscope watch: the short-lived threads a dump misses"
	"$taskscope" watch -p "$UPLOADD_PID" --duration 4 > "$TEST_TMP/watch.txt" 2>&1 &
	watch_pid=$!
	track_pid "$watch_pid"
	sleep 1
	for i in $(seq 1 10); do
		curl -sS -o /dev/null -F filename=burst.bin -F version="$i" \
			-F "file=@$TEST_TMP/report.bin" "$UPLOADD_URL/upload" &
	done
	wait_rc=0
	wait "$watch_pid" || wait_rc=$?
	grep -E 'up-hash|up-write|summary|lost' "$TEST_TMP/watch.txt" | head -n 40 || true
	echo "(full watch output: $(wc -l < "$TEST_TMP/watch.txt") lines; watch exit code $wait_rc)"
fi

goup=$TS_BUILD/targets/go/goupload
if [ $kernel_view = 1 ] && [ -x "$goup" ]; then
	step "7. The seed's service, in Go: its own goroutine dump beside taskscope's"
	mkdir -p "$TEST_TMP/gostorage"
	"$goup" -redis "127.0.0.1:$REDIS_PORT" -storage "$TEST_TMP/gostorage" \
		> "$TEST_TMP/goupload.out" 2>&1 &
	go_pid=$!
	track_pid "$go_pid"
	for _ in $(seq 100); do grep -q '^listening' "$TEST_TMP/goupload.out" && break; sleep 0.05; done
	go_url=http://127.0.0.1:$(awk '/^listening/{print $2}' "$TEST_TMP/goupload.out")
	echo "goupload pid $go_pid on $go_url (net/http/pprof on the same listener)"
	run curl -sS -F filename=report-go.bin -F version=1 -F "file=@$TEST_TMP/report.bin" "$go_url/upload"; echo
	echo "# while Redis is paused, one upload waits for its lock: Go's dump and taskscope's, same moment"
	redis-cli -p "$REDIS_PORT" CLIENT PAUSE 20000 WRITE >/dev/null
	curl -sS -o /dev/null -F filename=slow-go.bin -F version=1 -F "file=@$TEST_TMP/report.bin" \
		"$go_url/upload" &
	slow_go=$!
	track_pid "$slow_go"
	sleep 1
	"$TS_ROOT/tools/compare-views" -p "$go_pid" --go-url "$go_url" \
		--taskscope "$taskscope" | grep -v '^        ! the runtime' | head -n 40 || true
	redis-cli -p "$REDIS_PORT" CLIENT UNPAUSE >/dev/null
	wait "$slow_go" || true

	step "8. A burst of Go uploads under taskscope watch: every checksum and write goroutine"
	"$taskscope" watch -p "$go_pid" --duration 4 > "$TEST_TMP/gowatch.txt" 2>&1 &
	gw=$!
	track_pid "$gw"
	sleep 1
	for i in $(seq 1 10); do
		curl -sS -o /dev/null -F filename=goburst.bin -F version="$i" \
			-F "file=@$TEST_TMP/report.bin" "$go_url/upload" &
	done
	wait "$gw" || true
	grep -E 'checksumWorker|writeWorker' "$TEST_TMP/gowatch.txt" | head -n 12 || true
	grep -E '^goroutines:' "$TEST_TMP/gowatch.txt" || true
	echo "# and Go's own dump, a moment later, knows none of them:"
	curl -sS "$go_url/debug/pprof/goroutine?debug=2" | grep -cE 'checksumWorker|writeWorker' || true
	stop_pid "$go_pid"
fi

step "9. Done: stopping redis-server ($REDIS_PID) and uploadd ($UPLOADD_PID)"
