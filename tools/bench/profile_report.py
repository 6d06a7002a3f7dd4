#!/usr/bin/env python3
"""Summaries for tools/bench/upload_profile.sh (not run by hand).

  profile_report.py perf PID UPLOADS       < `perf script -F comm,pid,tid,ip,sym`
      CPU samples of process PID: share per thread name, top self symbols,
      and inclusive shares of uploadd's own functions and key syscalls.
  profile_report.py offcpu PID SECONDS
      Samples every thread of PID at ~100 Hz for SECONDS: name, state, and
      the kernel function it waits in (/proc/PID/task/TID/stack, root).
  profile_report.py strace UPLOADS FILE
      `strace -c -f` summary FILE as calls per upload.

Exits 1 with a one-line message when the input is unusable.
"""
import collections
import os
import re
import sys
import time

# Inclusive shares printed for these (uploadd's pipeline and the syscalls
# that matter); the rest of the stack is summarised by self time.
WATCH = ("upload_", "pipeline_", "storage_", "rstore_", "run_script", "chunkq_",
         "hash_main", "write_main", "MHD_post_process", "MHD_create_post",
         "access_log", "pthread_create", "clone3", "do_exit",
         "fdatasync", "fsync", "sync_file_range", "openat", "renameat",
         "recv", "sendmsg", "copy_folio_from_iter", "exc_page_fault",
         "EVP_Digest", "madvise")


def perf(pid, uploads):
    head = re.compile(r"^\s*(.*?)\s+(\d+)/(\d+)")
    total, comms = 0, collections.Counter()
    self_c, incl = collections.Counter(), collections.Counter()
    block = []

    def flush():
        nonlocal total
        if not block:
            return
        m = head.match(block[0])
        if not m or m.group(2) != pid:
            return
        frames = []
        for line in block[1:]:
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                frames.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1].split(" (")[0]))
        total += 1
        comms[m.group(1)] += 1
        if frames:
            self_c[(m.group(1), frames[0])] += 1
        for f in set(frames):
            incl[f] += 1

    for line in sys.stdin:
        if line.strip():
            block.append(line.rstrip("\n"))
        else:
            flush()
            block = []
    flush()
    if total == 0:
        sys.exit("profile_report: no perf samples of pid %s (was perf recording?)" % pid)
    print("CPU samples of uploadd: %d (%.1f per upload)" % (total, total / max(uploads, 1)))
    print("by thread name:")
    for c, n in comms.most_common():
        print("  %5.1f%%  %s" % (100.0 * n / total, c))
    print("self time, top 20 (thread, function):")
    for (c, f), n in self_c.most_common(20):
        print("  %5.1f%%  %-15s %s" % (100.0 * n / total, c, f))
    print("inclusive time of pipeline functions and syscalls:")
    for f, n in incl.most_common():
        if any(w in f for w in WATCH) and 100.0 * n / total >= 0.5:
            print("  %5.1f%%  %s" % (100.0 * n / total, f))


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def offcpu(pid, secs):
    counts, rounds = collections.Counter(), 0
    end = time.time() + secs
    while time.time() < end:
        try:
            tids = os.listdir("/proc/%s/task" % pid)
        except OSError:
            break
        for t in tids:
            base = "/proc/%s/task/%s/" % (pid, t)
            comm, stat, stack = read(base + "comm"), read(base + "stat"), read(base + "stack")
            if comm is None or stat is None:
                continue  # the thread ended meanwhile
            state = stat.rsplit(")", 1)[1].split()[0]
            frames = [l.split("] ", 1)[-1].split("+")[0] for l in (stack or "").splitlines()]
            site = "on CPU or runnable" if state == "R" else " < ".join(frames[:3]) or "?"
            counts[(comm.strip(), state, site)] += 1
        rounds += 1
        time.sleep(0.01)
    if rounds == 0:
        sys.exit("profile_report: process %s is gone" % pid)
    print("thread states over %d samples (average threads per sample):" % rounds)
    for (comm, state, site), n in counts.most_common(25):
        print("  %5.2f  %-15s %s %s" % (n / rounds, comm, state, site))


def strace(uploads, path):
    rows = []
    for line in open(path):
        f = line.split()
        # % time, seconds, usecs/call, calls, [errors], syscall
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            rows.append((int(f[3]), f[-1]))
    if not rows:
        sys.exit("profile_report: no syscall table in %s" % path)
    total = sum(n for n, _ in rows)
    print("syscalls per upload: %.1f" % (total / uploads))
    for n, name in sorted(rows, reverse=True):
        if n / uploads >= 0.05:
            print("  %7.2f  %s" % (n / uploads, name))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "perf":
        perf(a[1], int(a[2]))
    elif len(a) == 3 and a[0] == "offcpu":
        offcpu(a[1], float(a[2]))
    elif len(a) == 3 and a[0] == "strace":
        strace(int(a[1]), a[2])
    else:
        sys.exit(__doc__.strip().split("\n\n")[1])


if __name__ == "__main__":
    main()
