#!/usr/bin/env bash
# taskscope watch leaves nothing behind and fails clearly:
# - no BPF program or map after it ends by --duration, SIGINT, SIGTERM or
#   SIGKILL (links are fds of the process, so they go with it);
# - SIGINT still prints the summary and exits 0;
# - --help (stdout, 0), bad flags (2), a missing pid (3), each one line.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"

out=$("$TASKSCOPE" watch --help) || fail "--help exited $?"
grep -q '^Usage: taskscope watch' <<<"$out" || fail "--help has no usage line"
grep -q '^Examples:' <<<"$out" || fail "--help has no examples"
grep -q '^Exit codes:' <<<"$out" || fail "--help has no exit codes"
for flag in --pid --comm --duration --min-block --stuck --stacks --json --trace --recorder; do
	grep -q -- "$flag" <<<"$out" || fail "--help does not mention $flag"
	grep -q -- "$flag" "$TS_ROOT/docs/taskscope-watch.md" || fail "docs/taskscope-watch.md does not mention $flag"
done
rc=0; "$TASKSCOPE" watch --bogus 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] || fail "bad flag: exit $rc, want 2"
[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || fail "bad flag: not one line: $(cat "$TEST_TMP/err")"
rc=0; "$TASKSCOPE" watch -p 1 --min-block soon 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] && grep -q 'min-block' "$TEST_TMP/err" || fail "bad duration: exit $rc: $(cat "$TEST_TMP/err")"
rc=0; "$TASKSCOPE" watch 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 2 ] || fail "no target: exit $rc, want 2"
rc=0; "$TASKSCOPE" watch -p 4194303 2>"$TEST_TMP/err" || rc=$?
[ $rc -eq 3 ] || fail "missing pid: exit $rc, want 3: $(cat "$TEST_TMP/err")"

require_bpf
for how in duration INT TERM KILL; do
	info "ending by $how"
	start_target mutexhold_target 30000 "$TEST_TMP/man"
	go
	if [ $how = duration ]; then start_watch --duration 1s; else start_watch; fi
	[ "$(watch_bpf_objects)" -gt 0 ] || fail "no watch BPF objects while it runs"
	case $how in
	duration) ;;
	*) sleep 0.5; kill -"$how" "$WATCH_PID" ;;
	esac
	wait_exit "$WATCH_PID" 30
	case $how in
	KILL) [ "$EXIT_RC" -eq 137 ] || fail "SIGKILL: exit $EXIT_RC" ;;
	*) [ "$EXIT_RC" -eq 0 ] || fail "$how: exit $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
	   grep -q -- '--- summary' "$TEST_TMP/watch.out" || fail "$how: no summary" ;;
	esac
	assert_no_watch_bpf "$how"
	kill -0 "$TARGET_PID" || fail "the target died with watch ($how)"
	stop_pid "$TARGET_PID"
done
echo "PASS"
