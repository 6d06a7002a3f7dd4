#!/usr/bin/env bash
# The kernel matrix (`make check-kernels`): runs taskscope's BPF integration
# tests on every kernel of the matrix and reports per kernel.
#
#   usage: tools/kernels/matrix.sh BUILD_DIR
#   environment:
#     KERNELS         rows to run (default "host host-fallbacks
#                     debian-6.1"): "host" is the running kernel, tested
#                     directly; "host-fallbacks" the same with every
#                     optional kernel facility forced off
#                     (TASKSCOPE_BPF_FEATURES=-all: the paths older kernels
#                     take); "debian-X.Y" is the newest
#                     linux-image-X.Y.0-N-amd64 apt knows, booted under
#                     QEMU/TCG by boot.sh
#     KERNEL_TESTS    the integration tests (names under tests/integration,
#                     space-separated; tools/kernels/kernels.mk sets them)
#     KERNEL_TIMEOUT  seconds a guest may run before it is killed (1500)
#     KERNEL_CACHE    where downloaded kernels are kept (.cache/kernels)
#
# A row passes when every test passed: a test that skips inside the matrix
# tested nothing, so it fails the row. The host row needs root (BPF); run
# by another user it is reported as not run. Exits non-zero when a row
# failed. Each guest powers itself off; nothing is left running.
set -uo pipefail

build=${1:?usage: matrix.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "$build" && pwd)
kernels=${KERNELS:-host host-fallbacks debian-6.1}
tests=${KERNEL_TESTS:?KERNEL_TESTS is empty (make check-kernels sets it)}
timeout_s=${KERNEL_TIMEOUT:-1500}
stall_s=${KERNEL_STALL:-300}
cache=${KERNEL_CACHE:-$root/.cache/kernels}
out=$build/kernels
mkdir -p "$out"

[ -x "$build/taskscope" ] || { echo "matrix: $build/taskscope is not built (make all)" >&2; exit 1; }

rows=()
failed=0

# Reads "tests: N passed, M failed, K skipped" from a run-tests.sh log.
counts() {
	sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$1" | tail -1
}

# add_row NAME DETAIL LOG SECONDS [NOTE]
add_row() {
	local name=$1 detail=$2 log=$3 secs=$4 note=${5:-} c p f s result
	c=$(counts "$log")
	if [ -z "$c" ]; then
		result=FAIL p=- f=- s=-
		note=${note:-no test summary (log: $log)}
	else
		read -r p f s <<<"$c"
		if [ "$f" -eq 0 ] && [ "$s" -eq 0 ] && [ "$p" -gt 0 ]; then
			result=pass
		else
			result=FAIL
		fi
	fi
	[ $result = pass ] || failed=1
	rows+=("$(printf '%-34s %-5s %6s %6s %7s %6ss  %s' "$name $detail" "$result" "$p" "$f" "$s" "$secs" "$note")")
}

for k in $kernels; do
	case $k in
	host|host-fallbacks)
		rel=$(uname -r) features= detail="(host)"
		if [ $k = host-fallbacks ]; then
			features=-all detail="(host, fallbacks)"
		fi
		echo "== kernel $rel $detail"
		if [ "$(id -u)" -ne 0 ]; then
			rows+=("$(printf '%-34s %-5s %s' "$rel $detail" "-" "not run: the host rows load BPF, which needs root")")
			continue
		fi
		log=$out/$k.log
		start=$(date +%s)
		TASKSCOPE_BPF_FEATURES=$features TS_ONLY_INTEGRATION=1 \
			TS_TEST_FILTER="$tests" TS_LOG_DIR="$out/$k-logs" \
			"$root/tools/run-tests.sh" "$build" 2>&1 | tee "$log"
		add_row "$rel" "$detail" "$log" $(( $(date +%s) - start ))
		;;
	debian-*)
		series=${k#debian-}
		if ! kdir=$("$here/debian_kernel.sh" "$series" "$cache"); then
			rows+=("$(printf '%-34s %-5s %s' "$k" FAIL "cannot fetch the kernel (see above)")")
			failed=1
			continue
		fi
		rel=$(cat "$kdir/release") ver=$(cat "$kdir/version")
		echo "== kernel $rel ($ver, QEMU/TCG guest)"
		gdir=$out/$rel
		rm -rf "$gdir" "$gdir-hung"
		start=$(date +%s)
		# -v: the guest's console (the tests' progress) as it goes.
		# A guest that freezes (boot.sh --stall) or panics on a soft
		# lockup is booted once more, its logs kept and the row saying
		# so. With multi-threaded TCG the 6.1 guest livelocked twice in
		# six runs while watch enabled the rseq_update tracepoint (both
		# vCPUs spinning at its jump label in __rseq_handle_notify_resume,
		# one on the int3 text_poke_bp had put there): boot.sh now runs
		# TCG single-threaded, and this retry is the backstop. A fault of
		# ours would fail both boots.
		note=
		for attempt in 1 2; do
			"$here/boot.sh" -v --timeout "$timeout_s" --stall "$stall_s" "$kdir" "$gdir" -- \
				env TS_LOG_DIR=/run/ts-results/logs TS_ONLY_INTEGRATION=1 \
				TS_TEST_FILTER="$tests" "$root/tools/run-tests.sh" "$build"
			rc=$?
			what=
			[ $rc -eq 124 ] && what="froze"
			grep -q "soft lockup" "$gdir/console.log" 2>/dev/null && what="hit a soft lockup"
			[ -n "$what" ] && [ $attempt -eq 1 ] || break
			mv "$gdir" "$gdir-hung"
			hung=$(ls -t "$gdir-hung/share/logs/integration" 2>/dev/null | head -n 1)
			hung=${hung:-its boot.log}
			note="booted twice: the first guest $what in ${hung%.log} (logs: $gdir-hung)"
			echo "== kernel $rel: the guest $what; booting it once more ($note)"
		done
		secs=$(( $(date +%s) - start ))
		log=$gdir/share/job.log
		touch "$log"
		[ $rc -eq 124 ] && note="hung or killed after ${timeout_s} s, twice (console: $gdir/console.log)"
		grep -q "Kernel panic" "$gdir/console.log" 2>/dev/null &&
			note="the guest kernel panicked (console: $gdir/console.log)"
		add_row "$rel" "($ver)" "$log" "$secs" "$note"
		;;
	*)
		rows+=("$(printf '%-34s %-5s %s' "$k" FAIL "unknown matrix row (host or debian-X.Y)")")
		failed=1
		;;
	esac
done

echo
echo "kernel matrix: $tests"
printf '%-34s %-5s %6s %6s %7s %7s\n' KERNEL RESULT PASSED FAILED SKIPPED WALL
for r in "${rows[@]}"; do echo "$r"; done
exit $failed
