#!/usr/bin/env python3
"""Summaries for tools/bench/upload_profile.sh (not run by hand).

  profile_report.py perf PID UPLOADS [CPU_US] < `perf script -F comm,pid,tid,ip,sym`
      CPU samples of process PID: share per thread name, top self symbols,
      inclusive shares of uploadd's own functions and key syscalls, and
      where one upload's CPU goes by category (µs when CPU_US, the clean
      run's CPU per upload, is given: perf's own cost is left out that
      way).
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
         "hash_main", "write_main", "fp_feed", "find_delim", "segstore_",
         "gcommit_", "local_upload",
         "access_log", "pthread_create", "clone3", "do_exit",
         "fdatasync", "fsync", "sync_file_range", "openat", "renameat",
         "recv", "sendmsg", "copy_folio_from_iter", "exc_page_fault",
         "EVP_Digest", "madvise")


# Where one upload's CPU goes: each sample is charged to the first
# category (in this order) that one of its frames or its thread matches;
# the rest is "other". Frames are matched by substring.
CATEGORIES = [
    ("SHA-256 (up-hash)", lambda c, f: c == "up-hash" and not any(
        k in x for x in f for k in ("futex", "clone", "exit", "schedule"))),
    ("thread start and exit (clone3, exit, join)", lambda c, f: any(
        k in x for x in f for k in ("clone3", "kernel_clone", "do_exit",
                                    "pthread_join", "start_thread", "__GI___clone"))
        and not any("tcp_" in x or "sync" in x for x in f)),
    ("flushes (fsync, fdatasync, sync_file_range)", lambda c, f: any(
        k in x for x in f for k in ("fsync", "fdatasync", "sync_file_range",
                                    "ext4_sync_file"))),
    ("page-cache write (up-write, segment records)", lambda c, f: any(
        k in x for x in f for k in ("vfs_write", "pwritev", "__x64_sys_write"))
        and c == "up-write"),
    ("Redis (hiredis, scripts)", lambda c, f: any(
        k in x for x in f for k in ("rconn_", "rstore_", "redis", "hiredis"))),
    ("receiving the body (recv, TCP)", lambda c, f: any(
        k in x for x in f for k in ("recv", "tcp_recvmsg", "sock_read"))),
    ("sending the answer (sendmsg, TCP)", lambda c, f: any(
        k in x for x in f for k in ("sendmsg", "tcp_sendmsg", "send"))),
    ("multipart parsing (formdata)", lambda c, f: any(
        k in x for x in f for k in ("fp_feed", "find_delim", "find_avx2",
                                    "find_sse2", "mp_feed"))),
    ("copying into the chunk queue", lambda c, f: any(
        "pipeline_write" in x for x in f)),
    ("waiting and waking (futex, scheduling)", lambda c, f: any(
        k in x for x in f for k in ("futex", "schedule", "finish_task_switch",
                                    "sem_wait", "sem_post", "cond_wait"))),
    ("libmicrohttpd (poll, pool, headers)", lambda c, f: any(
        k in x for x in f for k in ("MHD_", "poll", "libmicrohttpd"))),
]


def category(comm, frames):
    for name, match in CATEGORIES:
        if match(comm, frames):
            return name
    return "other"


def perf(pid, uploads, cpu_us=None):
    head = re.compile(r"^\s*(.*?)\s+(\d+)/(\d+)")
    total, comms = 0, collections.Counter()
    self_c, incl = collections.Counter(), collections.Counter()
    cats = collections.Counter()
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
        cats[category(m.group(1), frames)] += 1

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
    print("one upload's CPU by category%s:" % (
        " (µs: shares of the clean run's %.0f µs per upload)" % cpu_us
        if cpu_us else ""))
    for name, n in cats.most_common():
        share = n / total
        if cpu_us:
            print("  %7.0f µs  %5.1f%%  %s" % (share * cpu_us, 100 * share, name))
        else:
            print("  %5.1f%%  %s" % (100 * share, name))


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
    if len(a) in (3, 4) and a[0] == "perf":
        perf(a[1], int(a[2]), float(a[3]) if len(a) == 4 else None)
    elif len(a) == 3 and a[0] == "offcpu":
        offcpu(a[1], float(a[2]))
    elif len(a) == 3 and a[0] == "strace":
        strace(int(a[1]), a[2])
    else:
        sys.exit(__doc__.strip().split("\n\n")[1])


if __name__ == "__main__":
    main()
