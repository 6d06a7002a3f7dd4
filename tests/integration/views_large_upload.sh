#!/usr/bin/env bash
# Scenario (b), tools/scenarios/large_upload.sh, checked on its JSON: during
# a slow large upload both views show the upload's connection, hash and
# writer threads; the hash and writer threads wait in chunkq_next, and only
# the kernel says on which queue object and for how long (the same
# condition variable for both); the upload completes with the right sha256.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/views_lib.sh"
run_scenario large_upload
out=$SCENARIO_OUT

python3 - "$out" <<'PY' || scenario_failed
import json, sys
out = sys.argv[1]
res = json.load(open(f"{out}/scenario.json"))
cap = res["capture"]
proc = json.load(open(f"{out}/{cap}/inprocess.json"))
kern = json.load(open(f"{out}/{cap}/snapshot.json"))
pt = {t["tid"]: t for t in proc["threads"]}
kt = {t["tid"]: t for t in kern["threads"]}
roles = res["upload_threads"]
conn, hsh, wr = roles["connection"], roles["up-hash"], roles["up-write"]
assert conn and hsh and wr, roles
for tid in (conn, hsh, wr):
    assert tid in pt and tid in kt, f"thread {tid} not in both views"
assert pt[conn]["name"] == kt[conn]["name"] == "MHD-connection"
def fns(t): return [f["function"] for f in t["stack"]]
for tid, main in ((hsh, "hash_main"), (wr, "write_main")):
    for view in (pt[tid], kt[tid]):
        assert "chunkq_next" in fns(view) and main in fns(view), (tid, fns(view))
    # The process does not know what it waits on; the kernel does.
    assert pt[tid]["blocked_on"] is None and pt[tid]["off_cpu_ns"] is None
    b = kt[tid]["blocked_on"]
    assert b and b["kind"] in ("condvar", "mutex") and b["object"], b
    assert kt[tid]["off_cpu_ns"] is not None
assert kt[hsh]["blocked_on"]["object"] == kt[wr]["blocked_on"]["object"]
assert res["hash_write_share_queue"] is True
assert res["upload_status"] == 201 and res["sha256_ok"] is True, res
print(f"ok: connection {conn}, up-hash {hsh}, up-write {wr} in both views; queue {kt[hsh]['blocked_on']['object']}")
PY
echo PASS
