#!/usr/bin/env bash
# Peers in other namespaces are named as the host sees them, with the
# container's view beside: tests/targets/xproc_peers --newns starts its
# child in new pid and network namespaces (pid 1 there), whose datagram
# socket lives in its own network namespace, which the socket iterators
# (they walk only taskscope's namespace) cannot see: the file iterator
# describes it. Each peer must carry the child's host pid, ns_pid 1 and
# other_pid_namespace; the datagram one also other_net_namespace; the text
# says "pid 1 in its pid namespace".
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf
unshare --pid --net --fork true 2>/dev/null ||
	skip "cannot create pid and network namespaces here (unshare --pid --net failed)"

manifest=$TEST_TMP/ns.json
start_target xproc_peers "$manifest" --newns
child=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["child_pid"])' "$manifest")
track_pid "$child"
"$TASKSCOPE" snapshot -p "$TARGET_PID" --json >"$TEST_TMP/snap.json" ||
	fail "taskscope snapshot --json exited $?"
"$TASKSCOPE" snapshot -p "$TARGET_PID" >"$TEST_TMP/snap.txt" ||
	fail "taskscope snapshot exited $?"
python3 - "$manifest" "$TEST_TMP/snap.json" <<'PY' || fail "JSON checks failed"
import json, sys
m = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
th = {t["tid"]: t for t in s["threads"]}
errors = []
roles = {w["role"] for w in m["threads"]}
assert roles == {"pipe", "fifo", "unix", "dgram", "pipe_full"}, roles
for w in m["threads"]:
    p = ((th.get(w["tid"]) or {}).get("blocked_on") or {}).get("peer")
    if not p or len(p["processes"]) != 1:
        errors.append(f"{w['role']}: peer {p}"); continue
    pr = p["processes"][0]
    if pr["pid"] != m["child_pid"] or pr["ns_pid"] != 1 or not pr["other_pid_namespace"]:
        errors.append(f"{w['role']}: holder {pr['pid']} ns_pid {pr['ns_pid']} other_pidns {pr['other_pid_namespace']}")
    # Only the datagram sender's socket was made inside the new network
    # namespace (the socket pair and pipes come from before the fork).
    if pr["other_net_namespace"] != (w["role"] == "dgram"):
        errors.append(f"{w['role']}: other_net_namespace {pr['other_net_namespace']}")
    if p["next_tid"] != m["child_pid"]:
        errors.append(f"{w['role']}: next_tid {p['next_tid']}")
for e in errors:
    print("CHECK:", e)
sys.exit(1 if errors else 0)
PY
grep -Eq "^    other end: xp-writer $child \(fd [0-9]+; pid 1 in its pid namespace; socket in another network namespace\)$" "$TEST_TMP/snap.txt" ||
	fail "text: the datagram reader's peer lacks the container's view: $(grep -A1 dgram-reader "$TEST_TMP/snap.txt")"
info "all checks passed"
