#!/usr/bin/env bash
# taskscope hygiene: start/stop cycles of snapshot and watch, ended every
# way (normally, --duration, SIGINT, SIGTERM, SIGKILL at random moments,
# attach included) leave no BPF program, map or link behind; a target that
# exits mid-watch ends the watch cleanly (exit 0, summary); without
# privileges both commands fail with one clear line and exit code 4; and
# the target is never written to and never stopped.
#
# "Never written": tests/targets/memguard_target checksums all of its own
# memory on request (every readable mapping but the checksumming thread's
# stack and scratch). Its writable memory must not change at any time,
# watch attached or not; its read-only memory (code) must be back to the
# same bytes after each run. (While a watch runs, the kernel's uprobe on
# pthread_create puts a breakpoint in libc's code of the target: that is
# the one change, and it must be undone.) "Never stopped": a sampler reads
# every thread's state and TracerPid all along; T/t or a tracer fails it.
#
# Leaks are counted with bpftool (JSON) against the objects that existed
# before, with their holders from /proc/*/fdinfo; objects another process
# holds are someone else's (tests may run in parallel on a shared machine),
# so a leak is an object that outlives the run unheld (links die with the
# fds of a killed process: nothing may stay attached), or held by one of
# this test's taskscope processes.
# HYGIENE_SNAPSHOTS (default 100) and HYGIENE_WATCHES (default 60) set the
# cycle counts; HYGIENE_JSON=FILE writes the figures.
. "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd bpftool
require_cmd python3
require_cmd setpriv
TASKSCOPE=$TS_BUILD/taskscope
TARGET=$TS_BUILD/targets/memguard_target
[ -x "$TASKSCOPE" ] && [ -x "$TARGET" ] || fail "taskscope or memguard_target not built (make all)"
SNAPS=${HYGIENE_SNAPSHOTS:-100}
WATCHES=${HYGIENE_WATCHES:-60}
OURS=()   # every taskscope pid this test started

# bpf_state OUT: the programs, maps and links loaded now (bpftool, JSON)
# with the processes holding each: from /proc/*/fdinfo (prog_id, map_id,
# link_id), as this bpftool build cannot say.
bpf_state() {
	python3 - "$1" <<'PY' || fail "cannot list BPF objects"
import glob, json, os, re, subprocess, sys
holders = {"prog": {}, "map": {}, "link": {}}
for fd in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        target = os.readlink(fd)
        if not target.startswith("anon_inode:bpf"):
            continue
        info = open(fd.replace("/fd/", "/fdinfo/")).read()
    except OSError:
        continue
    m = re.search(r"^(prog|map|link)_id:\s*(\d+)", info, re.M)
    if m:
        holders[m.group(1)].setdefault(int(m.group(2)), set()).add(int(fd.split("/")[2]))
out = {}
for kind in ("prog", "map", "link"):
    r = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bpftool %s show failed: %s" % (kind, r.stderr.strip()))
    out[kind] = [{"id": o["id"], "name": o.get("name", ""),
                  "pids": sorted(holders[kind].get(o["id"], ()))}
                 for o in json.loads(r.stdout or "[]")]
json.dump(out, open(sys.argv[1], "w"))
PY
}

# A memguard target, its commands through a FIFO on fd 8 (or 9).
start_guard() { # FD
	local fd=$1 fifo=$TEST_TMP/guard$1.in out=$TEST_TMP/guard$1.out
	rm -f "$fifo" "$out"
	mkfifo "$fifo"
	GLIBC_TUNABLES=glibc.pthread.rseq=0 "$TARGET" <"$fifo" >"$out" 2>&1 &
	GUARD_PID=$!
	track_pid "$GUARD_PID"
	eval "exec $fd>\"$fifo\""
	for _ in $(seq 200); do grep -q '^ready' "$out" && return 0; sleep 0.05; done
	fail "memguard_target did not start: $(cat "$out")"
}

# memsum FD: the target's "sum RW RO NRW NRO" line.
memsum() {
	local out=$TEST_TMP/guard$1.out n
	n=$(grep -c '^sum' "$out" || true)
	echo sum >&"$1"
	for _ in $(seq 200); do
		[ "$(grep -c '^sum' "$out")" -gt "$n" ] && { grep '^sum' "$out" | tail -1; return 0; }
		sleep 0.02
	done
	fail "memguard_target gave no checksum"
}

rsleep() { sleep "$(printf '0.%03d' $((RANDOM % $1)))"; }

# taskscope runs as a user starts it from a terminal: SIGINT and SIGTERM
# at their defaults (bash ignores SIGINT in background jobs, which would
# make an early Ctrl-C vanish instead of ending the process). env execs
# it, so $! is taskscope's pid; started_ok waits until it is (a signal
# before that would hit the still-ignoring shell child).
TS_ENV=(env --default-signal=INT,TERM "$TASKSCOPE")
started_ok() {
	local i
	for i in $(seq 200); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$TASKSCOPE")" ] && return 0
		kill -0 "$1" 2>/dev/null || return 0   # already done
		sleep 0.01
	done
	fail "taskscope $1 did not start"
}

# ts_start OUT ERR ARGS...: taskscope ARGS in the background, stdout and
# stderr to OUT and ERR; sets TS_PID once it is taskscope.
ts_start() {
	local out=$1 err=$2
	shift 2
	"${TS_ENV[@]}" "$@" >"$out" 2>"$err" &
	TS_PID=$!
	OURS+=("$TS_PID")
	track_pid "$TS_PID"
	started_ok "$TS_PID"
}

# finish PID WHAT: waits (20 s at most) for a taskscope run to end and
# sets RC to its exit status; a run that does not end fails the test.
finish() {
	local i
	for i in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		fail "$2 did not end within 20 s: $(cat "$TEST_TMP"/*.err 2>/dev/null | tail -3)"
	fi
	RC=0
	wait "$1" || RC=$?
	untrack_pid "$1"
}

# Pids are reused quickly here (pid_max 32768): forget finished ones so
# the clean-up never signals a stranger.
untrack_pid() {
	local keep=() q
	for q in "${TEST_PIDS[@]}"; do [ "$q" = "$1" ] || keep+=("$q"); done
	TEST_PIDS=("${keep[@]}")
}

# The first guarantee is by construction: no BPF program can write user
# memory (bpf_probe_write_user is the only helper that does).
! grep -rn 'bpf_probe_write_user' "$TS_ROOT/bpf" || fail "a BPF program writes user memory"

bpf_state "$TEST_TMP/bpf.before"
start_guard 8
T=$GUARD_PID
SUM0=$(memsum 8)
info "target $T, memory: $SUM0"

# The sampler: every thread's state and the tracer, all along.
python3 - "$T" "$TEST_TMP/sampler.json" "$TEST_TMP/sampler.stop" <<'PY' &
import glob, json, os, sys, time
pid, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
samples, bad = 0, []
deadline = time.time() + 600
while not os.path.exists(stop) and time.time() < deadline:
    try:
        for st in glob.glob("/proc/%s/task/*/stat" % pid):
            s = open(st).read()
            state = s[s.rindex(")") + 2]
            if state in "tT":
                bad.append("%s state %s" % (st, state))
        for line in open("/proc/%s/status" % pid):
            if line.startswith("TracerPid:") and line.split()[1] != "0":
                bad.append("TracerPid " + line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    samples += 1
    time.sleep(0.005)
json.dump({"samples": samples, "bad": bad[:20]}, open(out, "w"))
PY
SAMPLER=$!
track_pid $SAMPLER

info "$SNAPS snapshots: most run to the end (text or JSON), every 10th gets SIGINT twice and SIGKILL once, at random moments"
t0=$(date +%s%N)
declare -A snap_end
for i in $(seq "$SNAPS"); do
	fmt=(); [ $((i % 2)) -eq 0 ] && fmt=(--json)
	ts_start "$TEST_TMP/snap.out" "$TEST_TMP/snap.err" snapshot -p "$T" "${fmt[@]}"
	p=$TS_PID
	sig=
	case $((i % 10)) in 7|8) sig=INT ;; 9) sig=KILL ;; esac
	if [ -n "$sig" ]; then rsleep 250; kill -"$sig" "$p" 2>/dev/null || true; fi
	finish "$p" "snapshot $i"
	rc=$RC
	snap_end[${sig:-none}:$rc]=$(( ${snap_end[${sig:-none}:$rc]:-0} + 1 ))
	case "${sig:-none}:$rc" in
	none:0)
		if [ ${#fmt[@]} -eq 1 ]; then
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pid"]==int(sys.argv[2]) and len(d["threads"])==6' \
				"$TEST_TMP/snap.out" "$T" || fail "snapshot $i: bad JSON"
		else
			grep -q "^thread $T " "$TEST_TMP/snap.out" || fail "snapshot $i: no main thread in the output"
		fi ;;
	INT:0|INT:130|KILL:0|KILL:137) ;;   # done first, or ended by it
	*) fail "snapshot $i (signal ${sig:-none}): exit $rc: $(cat "$TEST_TMP/snap.err")" ;;
	esac
	[ "$(wc -l <"$TEST_TMP/snap.err")" -le 1 ] || fail "snapshot $i: more than one line on stderr: $(cat "$TEST_TMP/snap.err")"
done
snap_s=$(( ($(date +%s%N) - t0) / 1000000 ))
snap_ends=$(for k in "${!snap_end[@]}"; do printf '%s=%s ' "$k" "${snap_end[$k]}"; done)
info "snapshots done in $snap_s ms (signal:exit=count): $snap_ends"
[ "$(memsum 8)" = "$SUM0" ] || fail "the target's memory changed during the snapshots: $SUM0 -> $(memsum 8)"

# The count must see what a running watch holds, or it would be blind.
ts_start /dev/null "$TEST_TMP/watch.err" watch -p "$T"
p=$TS_PID
for _ in $(seq 300); do grep -q 'taskscope: watching' "$TEST_TMP/watch.err" && break; sleep 0.05; done
bpf_state "$TEST_TMP/bpf.during"
watched_objs=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for k in d for o in d[k] if int(sys.argv[2]) in o["pids"]))' \
	"$TEST_TMP/bpf.during" "$p")
[ "$watched_objs" -gt 0 ] || fail "bpftool shows no object held by a running watch: the leak count would be blind"
kill -INT "$p"
finish "$p" "the first watch"

info "$WATCHES watches: ended by --duration, SIGINT, SIGTERM or SIGKILL, at random moments (during attach too)"
t0=$(date +%s%N)
declare -A watch_end
rw0=$(awk '{ print $2 }' <<<"$SUM0")
for i in $(seq "$WATCHES"); do
	how=$(( i % 4 ))
	args=(); [ $how -eq 0 ] && args=(--duration 0.3s)
	[ $((i % 3)) -eq 0 ] && args+=(--json)
	ts_start "$TEST_TMP/watch.out" "$TEST_TMP/watch.err" watch -p "$T" "${args[@]}"
	p=$TS_PID
	sig=
	case $how in 1) sig=INT ;; 2) sig=TERM ;; 3) sig=KILL ;; esac
	if [ -n "$sig" ]; then
		rsleep 800
		attached=0
		grep -q 'taskscope: watching' "$TEST_TMP/watch.err" && attached=1
		# Mid-watch, the writable memory is untouched; and the
		# counting below can see this watch's objects.
		if [ $attached = 1 ] && [ $((i % 8)) -eq 1 ]; then
			rw=$(memsum 8 | awk '{ print $2 }')
			[ "$rw" = "$rw0" ] || fail "watch $i: the target's writable memory changed while watched"
			bpf_state "$TEST_TMP/bpf.during"
			held=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for k in d for o in d[k] if int(sys.argv[2]) in o["pids"]))' \
				"$TEST_TMP/bpf.during" "$p")
			[ "$held" -gt 0 ] || fail "bpftool shows no object held by a running watch: the leak count would be blind"
		fi
		kill -"$sig" "$p" 2>/dev/null || true
	fi
	finish "$p" "watch $i (${sig:-duration})"
	rc=$RC
	watch_end[${sig:-duration}:$rc]=$(( ${watch_end[${sig:-duration}:$rc]:-0} + 1 ))
	case "${sig:-duration}:$rc" in
	duration:0|INT:0|TERM:0)
		if [[ " ${args[*]} " == *" --json "* ]]; then
			tail -1 "$TEST_TMP/watch.out" | python3 -c 'import json,sys; assert json.load(sys.stdin)["type"]=="summary"' ||
				fail "watch $i: the last JSON line is not the summary"
		else
			grep -q -- '--- summary' "$TEST_TMP/watch.out" || fail "watch $i ($sig): no summary"
		fi ;;
	INT:130|TERM:143) [ "$attached" = 0 ] || fail "watch $i: attached, yet $sig killed it without a summary" ;;
	KILL:0|KILL:137) ;;
	*) fail "watch $i (${sig:-duration}): exit $rc: $(cat "$TEST_TMP/watch.err")" ;;
	esac
done
watch_s=$(( ($(date +%s%N) - t0) / 1000000 ))
watch_ends=$(for k in "${!watch_end[@]}"; do printf '%s=%s ' "$k" "${watch_end[$k]}"; done)
info "watches done in $watch_s ms (ending:exit=count): $watch_ends"

info "no BPF object outlives the runs"
leaks=
for _ in $(seq 50); do
	bpf_state "$TEST_TMP/bpf.after"
	leaks=$(python3 - "$TEST_TMP/bpf.before" "$TEST_TMP/bpf.after" "${OURS[*]}" <<'PY'
import json, os, sys
before, after = (json.load(open(f)) for f in sys.argv[1:3])
ours = set(int(p) for p in sys.argv[3].split())
for kind in ("prog", "map", "link"):
    known = {o["id"] for o in before[kind]}
    for o in after[kind]:
        if o["id"] in known:
            continue
        alive = [p for p in o["pids"] if os.path.exists("/proc/%d" % p)]
        if set(o["pids"]) & ours or (not o["pids"] and o["name"].startswith(("ts", "snapsho", "watch"))):
            print("%s %d %s pids=%s" % (kind, o["id"], o["name"], o["pids"]))
        elif not alive and o["pids"]:
            print("%s %d %s held by dead pids %s" % (kind, o["id"], o["name"], o["pids"]))
PY
)
	[ -z "$leaks" ] && break
	sleep 0.2   # the kernel frees them after the last fd closes (RCU)
done
[ -z "$leaks" ] || fail "BPF objects left behind: $leaks"
python3 - "$TEST_TMP/bpf.before" "$TEST_TMP/bpf.after" "${watched_objs:-0}" <<'PY'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
print("# bpftool before/after (all processes): " + ", ".join("%s %d/%d" % (k + "s", len(b[k]), len(a[k])) for k in ("prog", "map", "link")) +
      "; a running watch held %s objects" % sys.argv[3])
PY
SUM1=$(memsum 8)
[ "$SUM1" = "$SUM0" ] || fail "the target's memory differs after the runs: $SUM0 -> $SUM1"
info "target memory unchanged: $SUM1"

info "the target exits mid-watch: the watch ends by itself, exit 0, with its summary"
for mode in text json; do
	fd=9
	start_guard $fd
	g=$GUARD_PID
	args=(); [ $mode = json ] && args=(--json)
	ts_start "$TEST_TMP/exit.out" "$TEST_TMP/exit.err" watch -p "$g" "${args[@]}"
	p=$TS_PID
	for _ in $(seq 200); do grep -q 'taskscope: watching' "$TEST_TMP/exit.err" && break; sleep 0.05; done
	echo exit >&$fd
	eval "exec $fd>&-"
	finish "$p" "watch ($mode) whose target exited"
	rc=$RC
	[ $rc -eq 0 ] || fail "watch ($mode): exit $rc after the target exited: $(cat "$TEST_TMP/exit.err")"
	if [ $mode = json ]; then
		tail -1 "$TEST_TMP/exit.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["type"]=="summary" and "exit" in d["end_reason"], d' ||
			fail "watch --json: no summary naming the target's exit: $(tail -1 "$TEST_TMP/exit.out")"
	else
		grep -q -- '--- summary' "$TEST_TMP/exit.out" || fail "watch: no summary after the target exited"
	fi
	wait "$g" 2>/dev/null || true
done

info "without privileges: one clear line and exit code 4, for both commands"
for cmd in snapshot watch; do
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$TASKSCOPE" "$cmd" -p "$T" >/dev/null 2>"$TEST_TMP/np.err" || rc=$?
	[ $rc -eq 4 ] || fail "$cmd as nobody: exit $rc, want 4: $(cat "$TEST_TMP/np.err")"
	[ "$(wc -l <"$TEST_TMP/np.err")" -eq 1 ] || fail "$cmd as nobody: not one line: $(cat "$TEST_TMP/np.err")"
	grep -q 'CAP_BPF' "$TEST_TMP/np.err" || fail "$cmd as nobody: does not say what is needed: $(cat "$TEST_TMP/np.err")"
	info "$cmd as nobody: $(cat "$TEST_TMP/np.err")"
done

touch "$TEST_TMP/sampler.stop"
wait $SAMPLER
python3 - "$TEST_TMP/sampler.json" <<'PY' || fail "the target was stopped or traced"
import json, sys
d = json.load(open(sys.argv[1]))
print("# sampler: %d samples of every thread's state and TracerPid, %d bad" % (d["samples"], len(d["bad"])))
assert d["samples"] > 100 and not d["bad"], d["bad"]
PY
kill -0 "$T" || fail "the target died"
for s in /proc/"$T"/task/*/stat; do
	st=$(sed 's/.*) //' "$s" | cut -c1)
	[ "$st" = S ] || fail "a target thread is in state $st, not asleep, after all that"
done
if [ -n "${HYGIENE_JSON:-}" ]; then
	python3 - "$HYGIENE_JSON" "$SNAPS" "$snap_s" "$WATCHES" "$watch_s" \
		"$TEST_TMP/bpf.before" "$TEST_TMP/bpf.after" "$TEST_TMP/sampler.json" \
		"$snap_ends" "$watch_ends" "$watched_objs" <<'PY'
import json, sys
out, snaps, snap_ms, watches, watch_ms, b, a, s, se, we, held = sys.argv[1:]
b, a, s = json.load(open(b)), json.load(open(a)), json.load(open(s))
ends = lambda t: dict(kv.split("=") for kv in t.split())
json.dump({"snapshots": int(snaps), "snapshot_ms": int(snap_ms),
           "snapshot_endings": ends(se), "watches": int(watches),
           "watch_ms": int(watch_ms), "watch_endings": ends(we),
           "objects_held_by_a_watch": int(held), "leaks": 0,
           "state_samples": s["samples"],
           "objects_before": {k: len(b[k]) for k in b},
           "objects_after": {k: len(a[k]) for k in a}},
          open(out, "w"), indent=1)
PY
fi
echo "PASS"
