# Helpers for the taskscope snapshot integration tests (sourced after
# common.sh): start a test target that writes a manifest, and count the
# BPF objects taskscope snapshot creates so a test can prove none is left.

TASKSCOPE=${TASKSCOPE:-$TS_BUILD/taskscope}

# start_target NAME MANIFEST [ARGS...]: starts $TS_BUILD/targets/NAME with
# the manifest path (plus ARGS), tracks it, waits for the manifest. Sets
# TARGET_PID.
start_target() {
	local name=$1 manifest=$2
	shift 2
	[ -x "$TS_BUILD/targets/$name" ] || fail "$TS_BUILD/targets/$name is not built (make BUILD=$TS_BUILD all)"
	"$TS_BUILD/targets/$name" "$manifest" "$@" >"$TEST_TMP/$name.log" 2>&1 &
	TARGET_PID=$!
	track_pid "$TARGET_PID"
	for _ in $(seq 300); do
		[ -s "$manifest" ] && return 0
		kill -0 "$TARGET_PID" 2>/dev/null || fail "$name exited early (log: $TEST_TMP/$name.log)"
		sleep 0.05
	done
	fail "$name wrote no manifest within 15 s"
}

# Prints "progs maps links" counts of snapshot's BPF objects, found by the
# names bpf/snapshot.bpf.c and bpf/xproc.bpf.c (the cross-process
# resolver) give them (links: iterator links of those programs).
snapshot_bpf_objects() {
	python3 - <<'PY'
import json, subprocess
def show(kind):
    out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True).stdout
    return json.loads(out or "[]")
progs = [p for p in show("prog") if p.get("name") == "ts_snapshot"
         or p.get("name", "").startswith("ts_xp_")]
ids = {p["id"] for p in progs}
maps = [m for m in show("map") if m.get("name", "").startswith(("ts_snap", "snapshot.", "xproc."))]
links = [l for l in show("link") if l.get("prog_id") in ids]
print(len(progs), len(maps), len(links))
PY
}
