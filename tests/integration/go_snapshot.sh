#!/usr/bin/env bash
# taskscope snapshot on a Go program (tests/targets/go/gowait): every
# goroutine blocked in a known way (sync.Mutex, RWMutex, Cond, WaitGroup,
# channel receive and send, select, TCP read, time.Sleep, a locked OS
# thread, a blocking pipe read(2), one spinning, 1,000 idle) is listed by
# `--json` with the runtime's wait reason and its function in the stack,
# under the same goroutine ids as Go's own debug=2 dump taken at the same
# moment; the text output heads goroutines like Go's; threads name the
# goroutine they run; 10,000 goroutines are all read with stacks; a Go
# binary without DWARF gets one line saying why and its threads; no BPF
# object is left behind.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf
require_cmd bpftool "apt-get install bpftool"
require_cmd curl "apt-get install curl"
GOWAIT=$TS_BUILD/targets/go/gowait
[ -x "$GOWAIT" ] || fail "$GOWAIT is not built (make setup installs golang-go; then make BUILD=$TS_BUILD all)"

go_progs() {
	bpftool -j prog show | python3 -c 'import json,sys; print(sum(p.get("name")=="ts_goroutines" for p in json.load(sys.stdin)))'
}
before=$(go_progs)

# start_gowait IDLE: starts gowait with IDLE extra goroutines; sets GO_PID
# and PPROF_PORT.
start_gowait() {
	"$GOWAIT" -idle "$1" >"$TEST_TMP/gowait.out" 2>"$TEST_TMP/gowait.err" &
	GO_PID=$!
	track_pid "$GO_PID"
	for _ in $(seq 200); do
		PPROF_PORT=$(awk '/^ready/{print $2}' "$TEST_TMP/gowait.out")
		[ -n "$PPROF_PORT" ] && return 0
		kill -0 "$GO_PID" 2>/dev/null || fail "gowait exited early: $(cat "$TEST_TMP/gowait.err")"
		sleep 0.05
	done
	fail "gowait did not get ready"
}

start_gowait 1000
info "gowait pid $GO_PID, pprof on $PPROF_PORT"
# Both views at the same moment: Go's dump stops the world for ~0.1 s,
# taskscope reads around it without stopping anything.
curl -sf "http://127.0.0.1:$PPROF_PORT/debug/pprof/goroutine?debug=2" \
	>"$TEST_TMP/go.dump" &
curl_pid=$!
"$TASKSCOPE" snapshot -p "$GO_PID" --json >"$TEST_TMP/ts.json" ||
	fail "taskscope snapshot --json exited $?"
wait "$curl_pid" || fail "Go's debug=2 dump failed"
"$TASKSCOPE" snapshot -p "$GO_PID" >"$TEST_TMP/ts.txt" ||
	fail "taskscope snapshot (text) exited $?"

python3 - "$TEST_TMP/go.dump" "$TEST_TMP/ts.json" "$TEST_TMP/ts.txt" <<'PY' || fail "goroutine checks failed (files in $TEST_TMP)"
import json, re, sys
dump = open(sys.argv[1]).read()
s = json.load(open(sys.argv[2]))
text = open(sys.argv[3]).read()
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

# Go's dump: goroutine id -> (bracket words, function names).
go = {}
for block in dump.strip().split("\n\n"):
    m = re.match(r"goroutine (\d+) \[([^\]]*)\]:\n(.*)", block, re.S)
    if not m:
        continue
    funcs = [l[:l.rindex("(")] for l in m.group(3).split("\n")
             if "(" in l and not l.startswith("\t") and not l.startswith("created by")]
    created = re.search(r"created by (\S+)", block)
    go[int(m.group(1))] = (m.group(2).split(", "), funcs,
                           created.group(1) if created else None)
assert s["go"] is not None, "no go section in the JSON"
gs = {g["goid"]: g for g in s["go"]["goroutines"]}
print(f"# Go's dump: {len(go)} goroutines; taskscope: {len(gs)}")

# The dump's own goroutines: the HTTP connection serving it and its
# background reader, created by net/http.
for goid, (words, funcs, created) in go.items():
    if created and created.startswith("net/http."):
        continue
    g = gs.get(goid)
    if g is None:
        errors.append(f"goroutine {goid} ({funcs[:1]}) of Go's dump is missing")
        continue
    ours = g["wait_reason"] or g["status"]
    theirs = words[0]
    # The spinner: Go stops the world to dump, so it says runnable.
    if theirs in ("runnable", "running") and ours in ("runnable", "running"):
        pass
    else:
        check(ours == theirs, f"goroutine {goid}: reason {ours!r}, Go says {theirs!r}")
    check(("locked to thread" in words) == g["locked_to_thread"],
          f"goroutine {goid}: locked_to_thread {g['locked_to_thread']} vs Go {words}")
    ourfuncs = [f["function"] for f in g["stack"]]
    # A running goroutine's stack is its thread's, read a moment before
    # the goroutines: when the thread was elsewhere then, it is honestly
    # unavailable (Go's own dump says the same of running goroutines).
    if g["status"] == "running" and g["stack_status"] == "unavailable":
        continue
    for fn in funcs:
        if fn.startswith("main."):
            check(fn in ourfuncs, f"goroutine {goid}: {fn} (in Go's stack) not in ours {ourfuncs}")

def by_start(fn):
    return [g for g in gs.values() if g["start_function"] == fn]
def one(fn):
    l = by_start(fn)
    check(len(l) == 1, f"{len(l)} goroutines start in {fn}")
    return l[0] if l else None
expect = {
    "main.blockMutex": ("semacquire", "semaphore"),
    "main.blockRWMutex": ("semacquire", "semaphore"),
    "main.blockCond": ("sync.Cond.Wait", None),
    "main.blockWaitGroup": ("semacquire", "semaphore"),
    "main.blockChanRecv": ("chan receive", "channel"),
    "main.blockChanSend": ("chan send", "channel"),
    "main.blockSelect": ("select", "select"),
    "main.blockNetRead": ("IO wait", "fd"),
    "main.blockSleep": ("sleep", None),
    "main.blockLocked": ("chan receive", "channel"),
}
threads = {t["tid"]: t for t in s["threads"]}
for fn, (reason, kind) in expect.items():
    g = one(fn)
    if not g:
        continue
    check(g["status"] == "waiting", f"{fn}: status {g['status']}")
    check(g["wait_reason"] == reason, f"{fn}: reason {g['wait_reason']!r}, want {reason!r}")
    check(fn in [f["function"] for f in g["stack"]], f"{fn}: not in its stack")
    check(g["stack_status"] == "complete", f"{fn}: stack {g['stack_status']} ({g['stack_note']})")
    if kind:
        check(g["waits_on"] and g["waits_on"]["kind"] == kind,
              f"{fn}: waits_on {g['waits_on']}, want {kind}")
    check(g["created_by"] and g["created_by"]["function"] == "main.main"
          and g["created_by"]["line"], f"{fn}: created_by {g['created_by']}")
net = one("main.blockNetRead")
if net and net["waits_on"]:
    check(net["waits_on"]["fd_desc"] and net["waits_on"]["fd_desc"].startswith("tcp 127.0.0.1:"),
          f"net read: fd {net['waits_on']}")
locked = one("main.blockLocked")
if locked:
    check(locked["locked_to_thread"] and locked["locked_thread"] in threads,
          f"locked: {locked['locked_to_thread']} thread {locked['locked_thread']}")
pipe = one("main.blockPipeSyscall")
if pipe:
    check(pipe["status"] == "syscall", f"pipe: status {pipe['status']}")
    check(pipe["thread"] in threads and threads[pipe["thread"]]["goroutine"] == pipe["goid"],
          f"pipe: thread {pipe['thread']} does not say it runs goroutine {pipe['goid']}")
    check(pipe["waits_on"] and "read" in (pipe["waits_on"]["syscall"] or ""),
          f"pipe: waits_on {pipe['waits_on']}")
    check("main.blockPipeSyscall" in [f["function"] for f in pipe["stack"]],
          "pipe: function not in its stack")
spin = one("main.spin")
if spin:
    check(spin["status"] in ("running", "runnable"), f"spin: status {spin['status']}")
idle = by_start("main.idle")
check(len(idle) == 1000, f"{len(idle)} idle goroutines, want 1000")
check(all(g["wait_reason"] == "chan receive" and g["stack"] for g in idle),
      "an idle goroutine lacks its reason or stack")
# Inlined frames: sync.(*Mutex).Lock is inlined into main.blockMutex.
mu = one("main.blockMutex")
if mu:
    inl = [f for f in mu["stack"] if f["function"] == "sync.(*Mutex).Lock"]
    check(inl and inl[0]["inlined"] and inl[0]["line"], f"mutex: inlined Lock frame {inl}")
# Text: headers like Go's.
if mu:
    check(f"goroutine {mu['goid']} [semacquire" in text, "text header for the mutex goroutine")
if locked:
    check(re.search(rf"goroutine {locked['goid']} \[chan receive(, [^\]]*)?, locked to thread\]:", text),
          "text header for the locked goroutine")
check(s["go"]["changed_while_read"] <= 2, f"{s['go']['changed_while_read']} changed while read")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
info "--pprof: one sample per goroutine, labelled with its wait"
"$TASKSCOPE" snapshot -p "$GO_PID" --pprof "$TEST_TMP/g.pb.gz" >/dev/null || fail "--pprof exited $?"
(cd "$TEST_TMP" && go tool pprof -traces -tagfocus wait=sleep g.pb.gz) >"$TEST_TMP/pprof.txt" 2>&1 ||
	fail "go tool pprof cannot read the profile: $(tail -3 "$TEST_TMP/pprof.txt")"
grep -q 'Type: goroutine' "$TEST_TMP/pprof.txt" && grep -q 'main.blockSleep' "$TEST_TMP/pprof.txt" ||
	fail "the profile lacks the sleeping goroutine: $(head -20 "$TEST_TMP/pprof.txt")"
stop_pid "$GO_PID"

info "10,000 idle goroutines"
start_gowait 10000
"$TASKSCOPE" -v snapshot -p "$GO_PID" --json >"$TEST_TMP/ts10k.json" 2>"$TEST_TMP/ts10k.err" ||
	fail "snapshot of 10,000 goroutines exited $?"
grep 'go:' "$TEST_TMP/ts10k.err" | sed 's/^/# /' || true
python3 - "$TEST_TMP/ts10k.json" <<'PY' || fail "10,000 goroutines: checks failed"
import json, sys
s = json.load(open(sys.argv[1]))
idle = [g for g in s["go"]["goroutines"] if g["start_function"] == "main.idle"]
ok = [g for g in idle if g["stack_status"] == "complete" and
      any(f["function"] == "main.idle" for f in g["stack"])]
print(f"# {len(idle)} idle goroutines, {len(ok)} with complete stacks")
sys.exit(0 if len(idle) == 10000 and len(ok) >= 9990 else 1)
PY
stop_pid "$GO_PID"

info "a Go binary without DWARF"
"$TS_BUILD/targets/go/gowait-nodwarf" >"$TEST_TMP/nodwarf.out" 2>&1 &
nd=$!
track_pid "$nd"
for _ in $(seq 100); do grep -q ready "$TEST_TMP/nodwarf.out" && break; sleep 0.05; done
"$TASKSCOPE" snapshot -p "$nd" >"$TEST_TMP/nodwarf.txt" 2>"$TEST_TMP/nodwarf.err" ||
	fail "snapshot of a binary without DWARF exited $?"
[ "$(wc -l <"$TEST_TMP/nodwarf.err")" -eq 1 ] && grep -q "no DWARF (built with -ldflags=-w)" "$TEST_TMP/nodwarf.err" ||
	fail "no one-line message for a binary without DWARF: $(cat "$TEST_TMP/nodwarf.err")"
grep -q '^thread ' "$TEST_TMP/nodwarf.txt" || fail "its threads are not shown"
stop_pid "$nd"

after=$(go_progs)
[ "$before" = "$after" ] || fail "goroutine reader programs left: $before before, $after after"
echo "ok"
