#!/usr/bin/env bash
# A wait-for cycle across processes is a deadlock: tests/targets/xproc_cycle
# makes two processes each blocked reading what only the other would write,
# over TCP, a unix socket pair and two pipes. taskscope snapshot of either
# process reports the two threads as a deadlock in JSON and as a DEADLOCK
# line naming both processes and the channel in text.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

for via in tcp unix pipe; do
	manifest=$TEST_TMP/cycle-$via.json
	start_target xproc_cycle "$manifest" "$via"
	eval "$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(f"{k}={v}" for k, v in m.items()))' "$manifest")"
	track_pid "$b_pid"
	for who in "$a_pid" "$b_pid"; do
		"$TASKSCOPE" snapshot -p "$who" --json >"$TEST_TMP/$via.$who.json" ||
			fail "$via: snapshot --json of $who exited $?"
		python3 - "$TEST_TMP/$via.$who.json" "$a_tid" "$b_tid" "$via" <<'PY' || fail "$via: no cross-process deadlock in the JSON of $who"
import json, sys
s = json.load(open(sys.argv[1]))
a, b, via = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cycles = [sorted(c) for c in s["deadlocks"]]
assert cycles == [sorted([a, b])], f"deadlocks {s['deadlocks']}"
edges = {(e["waiter"], e["holder"], e["via"]) for e in s["wait_for"]}
assert (a, b, via) in edges and (b, a, via) in edges, f"wait_for {s['wait_for']}"
PY
		"$TASKSCOPE" snapshot -p "$who" >"$TEST_TMP/$via.$who.txt" ||
			fail "$via: snapshot of $who exited $?"
		grep -Eq "^DEADLOCK: [0-9]+ \"cyc-[ab]-read\" \(xp-cycle-[ab] [0-9]+\) -> \($via\) -> [0-9]+ \"cyc-[ab]-read\" \(xp-cycle-[ab] [0-9]+\) -> \($via\) -> [0-9]+ \"cyc-[ab]-read\"$" "$TEST_TMP/$via.$who.txt" ||
			fail "$via: no DEADLOCK line in the text of $who: $(grep DEADLOCK "$TEST_TMP/$via.$who.txt")"
	done
	stop_pid "$TARGET_PID"
	info "$via: cycle $a_tid <-> $b_tid reported from both sides"
done
info "all checks passed"
