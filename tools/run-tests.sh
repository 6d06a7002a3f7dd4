#!/usr/bin/env bash
# Runs the test suite: every cmocka unit binary given as an argument, then
# every executable tests/integration/*.sh. An integration test that cannot
# run here (no root, no BPF) exits 77 after printing why; it is reported as
# SKIP with that reason, never as a pass. Exits non-zero if anything failed.
#   usage: tools/run-tests.sh BUILD_DIR [unit-test-binary...]
# Environment: TS_TEST_FILTER="a b" runs only the integration tests whose
# names contain a or b; TS_LOG_DIR puts the logs elsewhere than
# BUILD_DIR/test-logs (the kernel matrix's guests see BUILD_DIR read-only).
set -uo pipefail

build=${1:?usage: run-tests.sh BUILD_DIR [unit tests...]}
shift
export TS_BUILD=$(cd "$build" && pwd)
export TS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
failed=() skipped=()
logdir="${TS_LOG_DIR:-$TS_BUILD/test-logs}"
mkdir -p "$logdir"

run_one() { # name command...
	local name=$1 rc start end
	shift
	start=$(date +%s%N)
	mkdir -p "$(dirname "$logdir/$name.log")"
	"$@" >"$logdir/$name.log" 2>&1
	rc=$?
	end=$(date +%s%N)
	local ms=$(((end - start) / 1000000))
	local secs=$((ms / 1000)).$(((ms % 1000) / 100))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS  %-40s %6ss\n' "$name" "$secs"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		local why
		why=$(grep -m1 '^SKIP:' "$logdir/$name.log" | cut -c7- || true)
		skipped+=("$name: ${why:-no reason given}")
		printf 'SKIP  %-40s %s\n' "$name" "${why:-no reason given}"
	else
		fail=$((fail + 1))
		failed+=("$name")
		printf 'FAIL  %-40s (exit %d, log: %s)\n' "$name" $rc "$logdir/$name.log"
		tail -n 30 "$logdir/$name.log" | sed 's/^/    | /'
	fi
}

if [ -z "${TS_ONLY_INTEGRATION:-}" ]; then
	for t in "$@"; do
		run_one "unit/$(basename "$t")" "$t"
	done
fi

if [ -z "${TS_ONLY_UNIT:-}" ]; then
	for t in "$TS_ROOT"/tests/integration/*.sh; do
		[ -x "$t" ] || continue
		if [ -n "${TS_TEST_FILTER:-}" ]; then
			match=
			for f in $TS_TEST_FILTER; do
				[[ "$(basename "$t")" == *${f}* ]] && match=1
			done
			[ -n "$match" ] || continue
		fi
		run_one "integration/$(basename "$t" .sh)" timeout --signal=TERM --kill-after=10 "${TS_TEST_TIMEOUT:-600}" "$t"
	done
fi

echo "----"
echo "tests: $pass passed, $fail failed, $skip skipped"
for s in "${skipped[@]+"${skipped[@]}"}"; do echo "  skipped $s"; done
for f in "${failed[@]+"${failed[@]}"}"; do echo "  FAILED  $f"; done
[ $fail -eq 0 ]
