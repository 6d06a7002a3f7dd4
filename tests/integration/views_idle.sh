#!/usr/bin/env bash
# Scenario (a), tools/scenarios/idle.sh, checked on its JSON: idle, neither
# uploadd's in-process dump nor taskscope snapshot shows a per-upload
# thread, and both agree on the long-lived threads and their names; under
# taskscope watch, every upload of a burst shows one up-hash (hash_main)
# and one up-write (write_main) thread, each with a lifetime.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/views_lib.sh"
run_scenario idle SC_BURST=8
out=$SCENARIO_OUT

# Under ASan, pthread_create is intercepted: the start routine libc sees
# (and watch reports) is the sanitizer's trampoline.
asan=0
readelf -d "$TS_BUILD/uploadd" | grep -q 'libasan' && asan=1

python3 - "$out" 8 "$asan" <<'PY' || scenario_failed
import json, sys
out, burst, asan = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
per = ("up-hash", "up-write")
def routine_ok(got, want):
    return got == want or (asan and got and "asan_thread_start" in got)
proc = json.load(open(f"{out}/idle/inprocess.json"))
kern = json.load(open(f"{out}/idle/snapshot.json"))
assert proc["schema"] == kern["schema"] == "taskscope.snapshot/1"
assert proc["source"] == "uploadd" and kern["source"] == "taskscope"
assert proc["pid"] == kern["pid"]
for doc in (proc, kern):
    names = [t["name"] for t in doc["threads"]]
    assert not [n for n in names if n in per], f"{doc['source']}: per-upload threads while idle: {names}"
def long_lived(doc):
    return sorted((t["tid"], t["name"]) for t in doc["threads"] if t["name"] != "MHD-connection")
assert long_lived(proc) == long_lived(kern), f"long-lived threads differ: {long_lived(proc)} vs {long_lived(kern)}"
names = [n for _, n in long_lived(proc)]
assert names.count("MHD-listen") == 2 and proc["comm"] in names, names
# Same thread, same stack innermost app function in both views.
kt = {t["tid"]: t for t in kern["threads"]}
for t in proc["threads"]:
    if t["tid"] in kt and t["name"] != "MHD-connection":
        assert t["stack_status"] == "complete", t
        pf = [f["function"] for f in t["stack"]][-2:]
        kf = [f["function"] for f in kt[t["tid"]]["stack"]][-2:]
        assert pf == kf, f"{t['tid']} outermost frames: {pf} vs {kf}"

ev = [json.loads(l) for l in open(f"{out}/watch.jsonl")]
assert ev[-1]["type"] == "summary" and ev[-1]["lost"] == 0, ev[-1]
creates = {e["tid"]: e for e in ev if e["type"] == "create"}
exits = {e["tid"]: e for e in ev if e["type"] == "exit"}
for name, routine in (("up-hash", "hash_main"), ("up-write", "write_main")):
    mine = [e for e in exits.values() if e["name"] == name]
    assert len(mine) == burst, f"{len(mine)} {name} exits for {burst} uploads"
    for e in mine:
        assert routine_ok(e["start_routine"], routine), e
        assert e["lifetime_ns"] > 0, e
        c = creates.get(e["tid"])
        assert c and routine_ok(c["start_routine"], routine) and c["parent_tid"], (e, c)
res = json.load(open(f"{out}/scenario.json"))
assert res["idle_process_upload_threads"] == 0 and res["idle_kernel_upload_threads"] == 0
assert res["watch_up_hash"] == res["watch_up_write"] == burst, res
assert res["long_lived_agree"] is True
statuses = open(f"{out}/upload_statuses.txt").read().split()
assert statuses == ["201"] * burst, statuses
print(f"ok: idle views agree on {len(names)} long-lived threads; watch saw {burst}+{burst} per-upload threads")
PY
echo PASS
