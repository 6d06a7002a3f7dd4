#!/usr/bin/env bash
# taskscope snapshot reports the deadlock of tests/targets/deadlock_target
# (two threads, two mutexes taken in opposite order) as a cycle in --json
# and as a DEADLOCK line in text, in both builds of the target, without
# loading the cross-process resolver, which a mutex deadlock does not need.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

for variant in deadlock_target deadlock_target-fp; do
	manifest=$TEST_TMP/$variant.json
	start_target "$variant" "$manifest"
	"$TASKSCOPE" snapshot -p "$TARGET_PID" --json >"$TEST_TMP/$variant.out.json" ||
		fail "snapshot exited $?"
	python3 - "$manifest" "$TEST_TMP/$variant.out.json" <<'PY' || fail "$variant: deadlock not reported"
import json, sys
m = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
t = {x["tid"]: x for x in s["threads"]}
a, b = m["tid_a"], m["tid_b"]
assert sorted(map(sorted, s["deadlocks"])) == [sorted([a, b])], s["deadlocks"]
assert t[a]["blocked_on"]["kind"] == "mutex" and t[a]["blocked_on"]["owner_tid"] == b, t[a]["blocked_on"]
assert t[b]["blocked_on"]["kind"] == "mutex" and t[b]["blocked_on"]["owner_tid"] == a, t[b]["blocked_on"]
assert t[a]["blocked_on"]["object"] == m["m2"] and t[b]["blocked_on"]["object"] == m["m1"]
for x in (a, b):
    assert m["function"] in [f["function"] for f in t[x]["stack"]], t[x]["stack"]
PY
	# No thread waits on a socket or pipe: the cross-process resolver's
	# iterators are not loaded (they cost 13-40 ms of verifier CPU).
	"$TASKSCOPE" -v snapshot -p "$TARGET_PID" >"$TEST_TMP/$variant.txt" \
		2>"$TEST_TMP/$variant.err" || fail "text exited $?"
	grep -q 'xproc: not loaded: no thread waits on a socket' "$TEST_TMP/$variant.err" ||
		fail "$variant: the resolver was loaded for a target that needs none: $(grep xproc "$TEST_TMP/$variant.err")"
	grep -Eq '^DEADLOCK: [0-9]+ "dl-[ab]" -> [0-9]+ "dl-[ab]" -> [0-9]+ "dl-[ab]"$' "$TEST_TMP/$variant.txt" ||
		fail "$variant: no DEADLOCK line in text output"
	stop_pid "$TARGET_PID"
done
info "deadlock reported in both builds"
