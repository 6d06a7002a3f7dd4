#!/usr/bin/env bash
# Scenario (c), tools/scenarios/slow_redis.sh, checked on its JSON: while
# Redis is stopped (SIGSTOP), taskscope snapshot shows an uploadd thread
# blocked in a socket read whose peer port is Redis's port, with uploadd's
# Redis wrapper (rconn_command, around hiredis) in its stack, the
# redis-server process holding the other end, stopped, and the chain
# across the two (also in compare-views' document); uploadd's own dump has
# the same thread and stack but no peer and no duration; the upload
# survives the dump's signal and completes once Redis continues.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/views_lib.sh"
run_scenario slow_redis
out=$SCENARIO_OUT

python3 - "$out" <<'PY' || scenario_failed
import json, sys
out = sys.argv[1]
res = json.load(open(f"{out}/scenario.json"))
proc = json.load(open(f"{out}/capture/inprocess.json"))
kern = json.load(open(f"{out}/capture/snapshot.json"))
port = res["redis_port"]
blocked = [t for t in kern["threads"] if (t["blocked_on"] or {}).get("kind") == "read"
           and ((t["blocked_on"] or {}).get("fd") or {}).get("peer_port") == port]
assert len(blocked) == 1, f"threads reading from Redis's port {port}: {len(blocked)}"
k = blocked[0]
fd = k["blocked_on"]["fd"]
assert fd["type"] == "tcp" and fd["peer"].endswith(f":{port}"), fd
kf = [f["function"] for f in k["stack"]]
assert "rconn_command" in kf and "rstore_lock" in kf, kf
assert kf.index("redisCommandArgv") < kf.index("rconn_command"), kf
assert k["off_cpu_ns"] is not None and k["off_cpu_ns"] > 0
p = [t for t in proc["threads"] if t["tid"] == k["tid"]]
assert p, f"thread {k['tid']} missing from the in-process dump"
p = p[0]
assert p["syscall"] and p["syscall"]["name"] == "read", p["syscall"]
assert "rconn_command" in [f["function"] for f in p["stack"]]
assert p["blocked_on"] is None and p["off_cpu_ns"] is None
assert res["blocked_tid"] == k["tid"] and res["peer_port"] == port
peer = k["blocked_on"]["peer"]
assert peer["processes"][0]["comm"] == "redis-server", peer
assert peer["processes"][0]["state"] == "stopped", peer
assert res["peer_comm"] == "redis-server" and res["peer_state"] == "stopped", res
chain = res["chain"]
assert chain and chain["tids"][0] == k["tid"] and chain["end_state"] == "stopped", chain
assert chain["pids"][1] == res["peer_pid"], chain
cmp = json.load(open(f"{out}/capture/compare.json"))
assert chain["text"] in cmp["chains"], cmp["chains"]
assert res["upload_status"] == 201, res
assert res["upload_ms"] >= res["pause_ms"] - 1000, res
print(f"ok: thread {k['tid']} read from {fd['peer']} in rconn_command for {k['off_cpu_ns']/1e6:.0f} ms")
PY
echo PASS
