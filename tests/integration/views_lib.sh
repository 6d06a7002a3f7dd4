# Helpers for the views_* scenario tests (sourced after lib/common.sh; not
# executable, so the runner does not take it for a test).

# run_scenario NAME [ENV=VALUE...]: runs tools/scenarios/NAME.sh on this
# build with its JSON results in $TEST_TMP/out (sets SCENARIO_OUT); fails
# with the end of its log when it cannot run.
run_scenario() {
	local name=$1
	shift
	require_bpf
	require_cmd redis-server "apt-get install redis-server"
	SCENARIO_OUT=$TEST_TMP/out
	env "$@" "$TS_ROOT/tools/scenarios/$name.sh" --build "$TS_BUILD" --no-build \
		--json "$SCENARIO_OUT" > "$TEST_TMP/scenario.log" 2>&1 ||
		{ tail -30 "$TEST_TMP/scenario.log" >&2; fail "tools/scenarios/$name.sh failed"; }
}

# scenario_failed: the message for a failed JSON check.
scenario_failed() {
	fail "JSON checks failed (results: $SCENARIO_OUT, log: $TEST_TMP/scenario.log)"
}
