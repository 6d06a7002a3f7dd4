#!/usr/bin/env bash
# The bar: 10,000 threads created and exited by the target at 2,000 per
# second; taskscope watch reports exactly 10,000 creations and exits of
# them, and loses nothing (summary "lost" 0, per CPU too).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/watch_lib.sh"
require_bpf

N=10000
start_target shortlived_target $N 2000
start_watch --json
go
wait_exit "$WATCH_PID" 120
[ "$EXIT_RC" -eq 0 ] || fail "watch exited $EXIT_RC: $(cat "$TEST_TMP/watch.err")"
python3 - "$TEST_TMP/watch.out" $N <<'PY' || fail "checks failed ($TEST_TMP/watch.out)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
s = ev[-1]
creates = [e for e in ev if e["type"] == "create" and e.get("start_routine") == "shortlived_worker"]
tids = {e["tid"] for e in creates}
exits = [e for e in ev if e["type"] == "exit" and e["tid"] in tids]
assert len(creates) == n and len(tids) == n, f"{len(creates)} create events, want {n}"
assert len(exits) == n, f"{len(exits)} exit events, want {n}"
assert s["type"] == "summary" and s["end_reason"] == "target exited", s["end_reason"]
assert s["lost"] == 0 and not any(s["lost_per_cpu"]), f"lost {s['lost']} {s['lost_per_cpu']}"
workers = [t for t in s["threads"] if t.get("start_routine") == "shortlived_worker"]
created = [t for t in workers if t["created_during_watch"]]
exited = [t for t in workers if t["exited"]]
assert len(workers) == n, f"{len(workers)} worker threads seen, want {n}"
assert len(created) == n and len(exited) == n, f"{len(created)} created, {len(exited)} exited"
print(f"ok: {n} created and exited, 0 lost, {s['events']} events")
PY
assert_no_watch_bpf "the target exited"
echo "PASS"
