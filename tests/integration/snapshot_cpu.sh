#!/usr/bin/env bash
# taskscope snapshot reports the CPU time of a thread that is running during
# the pass up to that moment, not up to the scheduler's last look at it.
# tests/targets/cpuspin_target's spinner computes without pause and records
# its own CPU time against the monotonic clock (how, and why it reads its
# CPU clock only every 1 ms: see the target). For each snapshot, the
# spinner's cpu_ns must lie between its own figures at the start and the
# end of the pass (taken_mono_ns, + collect_ms), give or take TOL_US; the
# scheduler's bare figure lags by up to 1 ms there. The spinner's figure
# between two exact clock reads comes from perf, whose clock also runs
# while the hypervisor steals the CPU: the lower bound also allows what
# the next exact read showed perf had run ahead in that span (up to 150 us
# seen on a busy host here; 0 on a quiet one). taskscope's "now" for the
# pass is the reader's switch-in plus the monotonic time since its first
# record: late by that record's delay, usually under 10 us, 30-70 us when
# the hypervisor stole the reader's CPU meanwhile; hence TOL_US (and one
# running pass in ten may come out up to 1 ms over: +194 us seen once in
# an ASan run; never under, which is the bug this test is about).
# The spinner is pinned to CPU 0 and taskscope runs on CPU 1: otherwise the
# reader's wakeup before the pass preempts the spinner on its CPU, and a
# thread that is not running has an exact figure anyway. Snapshots are
# taken until the spinner was on a CPU in RUNNING of them (other load may
# preempt it; its figure must hold then too).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf
require_cmd taskset "apt-get install util-linux"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (the spinner on one, taskscope on the other)"

RUNNING=5
TOL_US=${TS_SNAPSHOT_CPU_TOL_US:-100}

start_target cpuspin_target "$TEST_TMP/manifest.json" 0
rc=0
python3 - "$TASKSCOPE" "$TEST_TMP/manifest.json" $RUNNING "$TOL_US" <<'PY' || rc=$?
import array, bisect, json, os, signal, subprocess, sys, time
taskscope, manifest, want_running, tol_us = sys.argv[1:5]
m = json.load(open(manifest))
pid, tid, tol, samples = m["pid"], m["spinner_tid"], int(tol_us) * 1000, m["samples"]

def stopped():
    """The spinner itself (not only the main thread) is stopped."""
    with open(f"/proc/{pid}/task/{tid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")

class Ring:
    """The spinner's samples in time order (oldest first), read while the
    process is stopped so the ring holds still; ring[i] = (mono, cpu,
    anchor)."""
    def __init__(self):
        os.kill(pid, signal.SIGSTOP)
        while not stopped():
            time.sleep(0.001)
        try:
            self.a = array.array("Q")
            with open(samples, "rb") as f:
                self.a.frombytes(f.read())
        finally:
            os.kill(pid, signal.SIGCONT)
        nxt, self.slots = self.a[0], self.a[1]
        self.first = nxt - self.slots if nxt > self.slots else 0
        self.n = nxt - self.first
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        k = 2 + 3 * ((self.first + i) % self.slots)
        return self.a[k], self.a[k + 1], self.a[k + 2]

class Mono:
    def __init__(self, ring): self.r = ring
    def __len__(self): return len(self.r)
    def __getitem__(self, i): return self.r[i][0]

def perf_ahead(ring, i, j):
    """How far perf ran ahead of the kernel's clock (stolen time) in the
    spans of samples i..j: at each span's end, its last figure minus the
    next span's exact start. A span the ring ends in counts whole."""
    worst, k = 0, i
    while k <= j:
        anchor = ring[k][2]
        while k + 1 < len(ring) and ring[k + 1][2] == anchor:
            k += 1
        nxt = ring[k + 1][2] if k + 1 < len(ring) else anchor
        worst = max(worst, ring[k][1] - nxt)
        k += 1
    return worst

running = total = 0
errors, over = [], []
while running < int(want_running) and total < 40:
    out = subprocess.run(["taskset", "-c", "1", taskscope, "snapshot", "-p", str(pid), "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, f"snapshot exited {out.returncode}: {out.stderr}"
    s = json.loads(out.stdout)
    ring = Ring()
    mono = Mono(ring)
    total += 1
    t = next(t for t in s["threads"] if t["tid"] == tid)
    start = s["taken_mono_ns"]
    end = start + int(s["collect_ms"] * 1e6)
    i = bisect.bisect_right(mono, start) - 1   # last sample at or before
    j = bisect.bisect_left(mono, end)          # first sample at or after
    assert i >= 0, f"the spinner's samples begin at {mono[0]}, after the pass at {start}"
    lo, got = ring[i][1], t["cpu_ns"]
    if j < len(mono):
        hi = ring[j][1]
    else:
        # None after the pass: it ran little from its last sample (one
        # per ~2 us of CPU) until it was stopped, but the kernel may have
        # charged it an interrupt's work meanwhile (50 us seen): bounded
        # by the time from that sample to the end of the pass.
        j = len(mono) - 1
        hi = ring[j][1] + max(0, end - mono[j])
    stolen = perf_ahead(ring, i, j)
    ok = lo - stolen - tol <= got <= hi + tol
    # Over by less than 1 ms: the pass's "now" came late (the hypervisor
    # took the reader's CPU between its switch-in and its first record).
    # Tolerated in one running pass in ten at most; a figure under the
    # spinner's own (the scheduler's lag, the bug under test) never is.
    if not ok and hi + tol < got <= hi + 1000000 and t["state"] == "running":
        over.append(total)
        ok = True
    running += t["state"] == "running"
    print(f"snapshot {total}: spinner {t['state']}, cpu_ns {got}, its own "
          f"{lo}..{hi} during the pass ({(got - lo) / 1000:+.0f} us from the start, "
          f"perf ahead {stolen / 1000:.0f} us): {('late clock, tolerated' if over and over[-1] == total else 'ok') if ok else 'WRONG'}")
    if not ok:
        errors.append(f"snapshot {total}: cpu_ns {got} outside {lo - stolen}..{hi} +- {tol}")
if len(over) > max(1, running // 10):
    errors.append(f"over the spinner's own figure by up to 1 ms in {len(over)} of "
                  f"{running} running passes ({over}): more than one in ten")
assert not errors, "; ".join(errors)
if running < 2:
    print(f"the spinner was on a CPU in only {running} of {total} passes")
    sys.exit(77)
print(f"ok: {total} snapshots, spinner on a CPU in {running}, within {tol // 1000} us"
      f" but {len(over)} late-clock pass(es) {over}")
PY
# Every figure checked held, but the case under test barely showed up: a
# machine this loaded (the spinner preempted at every pass) cannot tell.
[ $rc -eq 77 ] && skip "the spinner was on a CPU in fewer than 2 of 40 passes: machine too loaded"
[ $rc -eq 0 ] || fail "snapshot CPU time checks failed"
echo "PASS"
