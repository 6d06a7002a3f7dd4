#!/usr/bin/env bash
# taskscope snapshot on tests/targets/blocked_target, built without and with
# frame pointers: every thread is classified right (mutex with its owner,
# condvar, rwlock with its writer, join with its target, semaphore, pipe and
# TCP reads with fd and peer port, epoll, sleep with time left, accept,
# pause, a busy loop), its named function is in its DWARF-unwound stack,
# off-CPU time matches a thread that has slept since a known moment, text
# and folded outputs agree, and no BPF object is left after exit.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf
require_cmd bpftool "apt-get install bpftool"

before=$(snapshot_bpf_objects)
for variant in blocked_target blocked_target-fp; do
	info "target $variant"
	manifest=$TEST_TMP/$variant.json
	start_target "$variant" "$manifest"
	out=$TEST_TMP/$variant.snapshot.json
	"$TASKSCOPE" snapshot -p "$TARGET_PID" --json >"$out" ||
		fail "taskscope snapshot --json exited $? on $variant"
	python3 - "$manifest" "$out" <<'PY' || fail "JSON checks failed for $variant"
import json, sys
m = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
threads = {t["tid"]: t for t in s["threads"]}
by_role = {w["role"]: w for w in m["threads"]}
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)
def tid_of(role):
    return by_role[role]["tid"]

assert s["pid"] == m["pid"], "wrong pid"
check(len(threads) == len(m["threads"]) + 1, f"thread count {len(threads)}")
expect = {
    "mutex": ("mutex", lambda b: b["owner_tid"] == tid_of("mutex_holder")
              and b["owner_name"] == "mu-holder" and b["object"] == m["mutex"]),
    "mutex_holder": ("semaphore", lambda b: b["object"] == m["sem"]),
    "condvar": ("condvar", lambda b: b["object"] == m["cond"]),
    "rwlock": ("rwlock", lambda b: b["owner_tid"] == tid_of("rwlock_holder")
               and b["object"] == m["rwlock"]),
    "rwlock_holder": ("signal", lambda b: True),
    "join": ("join", lambda b: b["join_tid"] == tid_of("sleep")
             and b["join_name"] == "sleeper"),
    "sleep": ("sleep", lambda b: b["remaining_ns"] > 3500e9),
    "pipe": ("read", lambda b: b["fd"]["num"] == m["pipe_fd"]
             and b["fd"]["type"] == "pipe"),
    "tcp": ("read", lambda b: b["fd"]["num"] == m["tcp_fd"]
            and b["fd"]["type"] == "tcp"
            and b["fd"]["peer_port"] == m["listen_port"]
            and b["fd"]["peer"] == f"127.0.0.1:{m['listen_port']}"),
    "epoll": ("epoll", lambda b: b["fd"]["num"] == m["epoll_fd"]),
}
for w in m["threads"]:
    t = threads.get(w["tid"])
    if t is None:
        errors.append(f"{w['name']}: thread {w['tid']} missing"); continue
    role = w["role"]
    check(t["name"] == w["name"], f"{role}: name {t['name']!r}")
    funcs = [f["function"] for f in t["stack"]]
    check(w["function"] in funcs, f"{role}: {w['function']} not in stack {funcs}")
    if role == "busy":
        check(t["state"] in ("running", "runnable"), f"busy: state {t['state']}")
        check(t["blocked_on"] is None, f"busy: blocked_on {t['blocked_on']}")
        continue
    kind, ok = expect[role]
    b = t["blocked_on"]
    check(t["state"] == "sleeping", f"{role}: state {t['state']}")
    check(t["stack_complete"], f"{role}: stack {t['stack_status']} ({t['stack_note']})")
    check(b is not None and b["kind"] == kind, f"{role}: blocked_on {b} (want {kind})")
    if b is not None and b["kind"] == kind:
        check(ok(b), f"{role}: wrong object/owner in {b}")
    check(funcs[-1] in ("__clone3", "clone3", "__clone"), f"{role}: stack ends at {funcs[-1]}")
main = threads[m["main_tid"]]
check(main["blocked_on"] and main["blocked_on"]["kind"] == "accept"
      and main["blocked_on"]["fd"]["num"] == m["listen_fd"], f"main: {main['blocked_on']}")
check("main" in [f["function"] for f in main["stack"]], "main: no main() in stack")
# Off-CPU time of a thread asleep since a known moment (the tolerance is
# the scheduler-clock calibration, documented to err by microseconds).
# The record is read somewhere within the pass: [taken, taken + collect].
lo = s["taken_mono_ns"] - m["sleep_start_mono_ns"] - 50e6
hi = lo + s["collect_ms"] * 1e6 + 100e6
got = threads[tid_of("sleep")]["off_cpu_ns"]
check(got is not None and lo <= got <= hi, f"sleeper off_cpu_ns {got}, expected {lo:.0f}..{hi:.0f}")
edges = {(e["waiter"], e["holder"], e["kind"]) for e in s["wait_for"]}
check((tid_of("mutex"), tid_of("mutex_holder"), "mutex") in edges, f"wait_for {edges}")
check(s["deadlocks"] == [], f"deadlocks {s['deadlocks']}")
for e in errors:
    print("CHECK:", e)
sys.exit(1 if errors else 0)
PY
	# Text output: the Go-style header of the mutex waiter names its owner.
	"$TASKSCOPE" snapshot -p "$TARGET_PID" >"$TEST_TMP/$variant.txt" ||
		fail "text output exited $?"
	holder=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([w["tid"] for w in m["threads"] if w["role"]=="mutex_holder"][0])' "$manifest")
	grep -Eq '^thread [0-9]+ "mu-waiter" \[futex: mutex 0x[0-9a-f]+ held by '"$holder"' "mu-holder", [0-9.]+(us|ms|s)\]:$' "$TEST_TMP/$variant.txt" ||
		fail "text header of mu-waiter not as expected: $(grep mu-waiter "$TEST_TMP/$variant.txt" | head -1)"
	grep -Eq '^    waiter_lock_mutex\+0x[0-9a-f]+ \(tests/targets/blocked_target.c:[0-9]+\)$' "$TEST_TMP/$variant.txt" ||
		fail "text frame of waiter_lock_mutex missing"
	# Folded: one line per distinct stack, root first, count last.
	"$TASKSCOPE" snapshot -p "$TARGET_PID" --folded >"$TEST_TMP/$variant.folded" ||
		fail "folded output exited $?"
	grep -Eq '^mu-waiter;.*;waiter_lock_mutex;.*;\[mutex\] 1$' "$TEST_TMP/$variant.folded" ||
		fail "folded line of mu-waiter missing"
	awk '{ if ($NF !~ /^[0-9]+$/ || NF != 2) exit 1 }' "$TEST_TMP/$variant.folded" ||
		fail "folded output has malformed lines"
	stop_pid "$TARGET_PID"
done
# The kernel frees a sleepable program's maps after an RCU-tasks-trace
# grace period, which can take a moment on a busy machine: poll.
for _ in $(seq 100); do
	after=$(snapshot_bpf_objects)
	[ "$before" = "$after" ] && break
	sleep 0.1
done
[ "$before" = "$after" ] || fail "BPF objects left behind 10 s after exit: before '$before', after '$after' (progs maps links)"
info "all checks passed"
