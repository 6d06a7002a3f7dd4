#!/usr/bin/env bash
# The other end of every kind of channel, on tests/targets/xproc_peers: a
# parent whose threads block on a pipe, a FIFO, a unix stream and a unix
# datagram socket, a TCP connection, a TCP connection its peer never
# accepted and a full pipe, and a child ("xp-writer") that holds the other
# ends and sleeps. For each, taskscope snapshot --json must name the child
# (pid, name, fd), its threads with what they do (the main one asleep in
# clock_nanosleep), what is queued, and a chain that ends in that sleep;
# the text output names the writer process, thread and sleep under the
# pipe reader. --no-peers turns it all off.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf

manifest=$TEST_TMP/peers.json
start_target xproc_peers "$manifest"
child=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["child_pid"])' "$manifest")
track_pid "$child"
"$TASKSCOPE" snapshot -p "$TARGET_PID" --json >"$TEST_TMP/snap.json" ||
	fail "taskscope snapshot --json exited $?"
"$TASKSCOPE" snapshot -p "$TARGET_PID" >"$TEST_TMP/snap.txt" ||
	fail "taskscope snapshot exited $?"
"$TASKSCOPE" snapshot -p "$TARGET_PID" --json --no-peers >"$TEST_TMP/nopeers.json" ||
	fail "taskscope snapshot --no-peers exited $?"

python3 - "$manifest" "$TEST_TMP/snap.json" "$TEST_TMP/nopeers.json" <<'PY' || fail "JSON checks failed"
import json, sys
m = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
np = json.load(open(sys.argv[3]))
th = {t["tid"]: t for t in s["threads"]}
child, writer_tid = m["child_pid"], m["child_pid"]
child_tids = {c["tid"] for c in m["child_threads"]}
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)
via_want = {"pipe": "pipe", "fifo": "fifo", "unix": "unix", "dgram": "unix",
            "tcp": "tcp", "backlog": "tcp", "pipe_full": "pipe"}
for w in m["threads"]:
    role = w["role"]
    t = th.get(w["tid"])
    if t is None:
        errors.append(f"{role}: thread {w['tid']} missing"); continue
    b = t["blocked_on"] or {}
    check(b.get("kind") == w["dir"] and (b.get("fd") or {}).get("num") == w["fd"],
          f"{role}: blocked_on {b.get('kind')} fd {(b.get('fd') or {}).get('num')}")
    p = b.get("peer")
    if not p:
        errors.append(f"{role}: no peer"); continue
    check(p["via"] == via_want[role], f"{role}: via {p['via']}")
    check(not p["remote"], f"{role}: remote")
    procs = p["processes"]
    check(len(procs) == 1 and procs[0]["pid"] == child and procs[0]["comm"] == "xp-writer",
          f"{role}: processes {[(x['pid'], x['comm']) for x in procs]}")
    if not procs:
        continue
    pr = procs[0]
    check(pr["fd"] >= 0 and not pr["other_pid_namespace"] and not pr["other_net_namespace"],
          f"{role}: holder {pr}")
    check({x["tid"] for x in pr["threads"]} == child_tids, f"{role}: threads {pr['threads']}")
    main = [x for x in pr["threads"] if x["tid"] == writer_tid]
    check(main and main[0]["name"] == "xp-writer" and main[0]["blocked_kind"] == "sleep"
          and main[0]["doing"].startswith("sleep"), f"{role}: writer thread {main}")
    check(p["next_tid"] == writer_tid, f"{role}: next_tid {p['next_tid']}")
    check(pr["listener"] == (role == "backlog") and p["not_accepted"] == (role == "backlog"),
          f"{role}: listener {pr['listener']} not_accepted {p['not_accepted']}")
    if role in ("pipe", "fifo"):
        check(p["pipe_bytes"] == 0 and "nothing written" in p["queues"], f"{role}: queues {p['queues']}")
    if role == "pipe_full":
        check(p["pipe_bytes"] >= 4096 and "unread" in p["queues"], f"{role}: {p['pipe_bytes']} {p['queues']}")
    if role in ("unix", "tcp"):
        check(p["rx_queued"] == 0 and p["queues"] == "nothing queued either way", f"{role}: {p['queues']}")
    ch = [c for c in s["chains"] if c["tids"][0] == w["tid"]]
    check(len(ch) == 1 and ch[0]["tids"] == [w["tid"], writer_tid]
          and ch[0]["pids"] == [m["pid"], child] and ch[0]["end"].startswith("sleep"),
          f"{role}: chain {ch}")
check(not s["deadlocks"], f"deadlocks {s['deadlocks']}")
check(all(t["pid"] == m["pid"] for t in s["threads"]), "the child's threads listed as the target's")
# --no-peers: the same threads, no peer anywhere, no cross-process edge.
check(all((t["blocked_on"] or {}).get("peer") is None for t in np["threads"]), "--no-peers has peers")
check(all(e["via"] is None for e in np["wait_for"]) and not np["chains"], "--no-peers has chains")
for e in errors:
    print("CHECK:", e)
sys.exit(1 if errors else 0)
PY
# Text: the pipe reader names the writer process, its thread and its sleep.
reader=$(python3 -c 'import json,sys; print([w["tid"] for w in json.load(open(sys.argv[1]))["threads"] if w["role"]=="pipe"][0])' "$manifest")
block=$(grep -A3 "^thread $reader \"pipe-reader\"" "$TEST_TMP/snap.txt")
grep -Eq "^    other end: xp-writer $child \(fd [0-9]+\); pipe empty: nothing written$" <<<"$block" ||
	fail "text: pipe reader does not name the writer process: $block"
grep -Eq "^      $child \"xp-writer\" sleep, [0-9.]+(us|ms|s)$" <<<"$block" ||
	fail "text: pipe reader does not show the writer thread's sleep: $block"
grep -Eq "^  $reader \"pipe-reader\" \(xproc_peers $TARGET_PID\) -> \(pipe\) -> $child \"xp-writer\" \(xp-writer $child\) -> \(sleep, " "$TEST_TMP/snap.txt" ||
	fail "text: no chain for the pipe reader"
info "all checks passed"
