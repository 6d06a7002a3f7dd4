"""Matching the two views thread by thread (by tid) and saying where they
differ; threads only taskscope watch saw."""

from views.describe import (FUTEX_KINDS, app_frame, app_functions,
                            describe_fd, fmt_ns, kernel_says, kernel_wait,
                            process_says)


def same_state(p, k):
    # /proc says R for running and runnable alike.
    if p == "running" and k in ("running", "runnable"):
        return True
    return p == k


def compare_thread(p, k, names, skew_ms):
    """Differences between the process's and the kernel's view of one
    thread, each {kind, detail}."""
    diffs = []
    moved = f"(the captures are {skew_ms:.0f} ms apart)"
    if p["name"] != k["name"]:
        diffs.append({"kind": "name", "detail":
                      f"named \"{p['name']}\" in the dump, \"{k['name']}\" "
                      f"in the snapshot {moved}"})
    if not same_state(p["state"], k["state"]):
        diffs.append({"kind": "state", "detail":
                      f"process says {p['state']}, kernel says {k['state']} "
                      f"{moved}"})
    psc = (p.get("syscall") or {}).get("name")
    ksc = (k.get("syscall") or {}).get("name")
    if psc != ksc and p["state"] != "running" and k["state"] != "running":
        diffs.append({"kind": "syscall", "detail":
                      f"process says {psc or 'no syscall'}, kernel says "
                      f"{ksc or 'no syscall'}"})
    pf, kf = app_functions(p), app_functions(k)
    if p["stack_status"] == "unavailable":
        diffs.append({"kind": "process_no_stack", "detail":
                      f"the thread gave the dump no stack: {p['stack_note']}"
                      + ("; the kernel has it" if k["stack"] else "")})
    elif k["stack_status"] in ("unavailable", "stale"):
        diffs.append({"kind": "kernel_no_stack", "detail":
                      f"the kernel's stack is {k['stack_status']}"
                      f" ({k.get('stack_note')}); the thread recorded its own"})
    elif pf != kf and "threaddump_serve" not in pf:
        diffs.append({"kind": "stack", "detail":
                      f"stacks differ: {' < '.join(pf[:3]) or '-'} vs "
                      f"{' < '.join(kf[:3]) or '-'} {moved}"})
    if "threaddump_serve" in pf:
        diffs.append({"kind": "dumping", "detail":
                      "this thread was serving /debug/threads: the dump "
                      "shows it at work"})
    b = k.get("blocked_on")
    if b:
        dur = k.get("off_cpu_ns")
        how_long = f"for how long ({fmt_ns(dur)})" if dur is not None else ""
        fd = b.get("fd") or {}
        if b["kind"] in FUTEX_KINDS:
            detail = (f"only the kernel knows it waits on "
                      f"{kernel_wait(k, names)}" +
                      (f" and {how_long}" if how_long else ""))
        elif fd.get("peer"):
            detail = (f"only the kernel knows the other end: fd "
                      f"{fd.get('num')} is {describe_fd(fd)}" +
                      (f"; and {how_long}" if how_long else ""))
        else:
            detail = f"only the kernel knows {how_long}" if how_long else ""
        if detail:
            diffs.append({"kind": "kernel_only", "detail": detail})
        peer = b.get("peer")
        if peer:
            diffs.append({"kind": "kernel_peer", "detail":
                          "only the kernel knows who holds the other end: "
                          + describe_peer(peer)})
    return diffs


def describe_peer(peer):
    """'redis-server 15801, stopped; 57 B sent, unread there' from a
    blocked_on.peer (docs/taskscope-snapshot.md)."""
    procs = peer.get("processes") or []
    if peer.get("remote"):
        who = f"{peer.get('address')}, no process on this machine"
    elif not procs:
        who = f"{peer.get('address')}, no process"
    else:
        p = procs[0]
        who = f"{p['comm']} {p['pid']}, {p['state']}"
        if peer.get("not_accepted"):
            who = f"{p['comm']} {p['pid']} has not accepted it yet"
        if len(procs) > 1:
            who += f" (and {len(procs) - 1} more)"
    q = peer.get("queues")
    return who + (f"; {q}" if q else "")


def chains(snap):
    """The kernel's wait-for chains that cross processes, one line each."""
    return [c["text"] for c in snap.get("chains") or []
            if c.get("crosses_processes")]


def watch_threads(events):
    """tid -> what watch knew of a thread: summary entries, plus names and
    start routines from the events."""
    out = {}
    for e in events:
        if e.get("type") == "summary":
            for t in e.get("threads", []):
                out.setdefault(t["tid"], {}).update(t)
        elif e.get("type") in ("create", "exit", "rename"):
            d = out.setdefault(e["tid"], {"tid": e["tid"]})
            if e.get("start_routine"):
                d.setdefault("start_routine", e["start_routine"])
            if e["type"] == "rename":
                d["name"] = e["new_name"]
            if e["type"] == "create":
                d["parent_tid"] = e.get("parent_tid")
    return out


def compare(dump, snap, events):
    ps = {t["tid"]: t for t in dump["threads"]}
    ks = {t["tid"]: t for t in snap["threads"]}
    names = {t["tid"]: t["name"] for t in snap["threads"]}
    names.update({t["tid"]: t["name"] for t in dump["threads"]})
    skew_ms = abs(dump["taken_mono_ns"] - snap["taken_mono_ns"]) / 1e6
    rows = []
    for tid in sorted(set(ps) | set(ks)):
        p, k = ps.get(tid), ks.get(tid)
        row = {"tid": tid, "name": (p or k)["name"],
               "process": None, "kernel": None, "differences": []}
        if p:
            row["process"] = {"state": p["state"],
                              "syscall": (p.get("syscall") or {}).get("name"),
                              "says": process_says(p), "at": app_frame(p),
                              "functions": [f.get("function") for f in p["stack"]],
                              "stack_status": p["stack_status"]}
        if k:
            row["kernel"] = {"state": k["state"],
                             "syscall": (k.get("syscall") or {}).get("name"),
                             "says": kernel_says(k, names), "at": app_frame(k),
                             "blocked_on": k.get("blocked_on"),
                             "off_cpu_ns": k.get("off_cpu_ns"),
                             "functions": [f.get("function") for f in k["stack"]],
                             "stack_status": k["stack_status"]}
        if p and k:
            row["differences"] = compare_thread(p, k, names, skew_ms)
        elif p:
            serving = "threaddump_serve" in app_functions(p)
            row["differences"].append({"kind": "only_process", "detail":
                "only in the dump: " + (
                    "the thread that served this dump (its connection "
                    "had closed by the snapshot)" if serving else
                    f"created or gone in the {skew_ms:.0f} ms between "
                    f"the captures")})
        else:
            row["differences"].append({"kind": "only_kernel", "detail":
                f"only in the snapshot: created or gone in the "
                f"{skew_ms:.0f} ms between the captures"})
        rows.append(row)
    watch_only = None if events is None else []
    if events is not None:
        for tid, w in sorted(watch_threads(events).items()):
            if tid in ps or tid in ks:
                continue
            watch_only.append({
                "tid": tid, "name": w.get("name"),
                "start_routine": w.get("start_routine"),
                "parent_tid": w.get("parent_tid"),
                "lifetime_ns": w.get("lifetime_ns"),
                "cpu_ns": w.get("cpu_ns"),
                "exited": w.get("exited"),
                "created_during_watch": w.get("created_during_watch")})
    return rows, watch_only, skew_ms


def summary(rows, watch_only):
    return {
        "threads_both": sum(1 for r in rows if r["process"] and r["kernel"]),
        "only_process": sum(1 for r in rows if not r["kernel"]),
        "only_kernel": sum(1 for r in rows if not r["process"]),
        "with_differences": sum(1 for r in rows if r["differences"]),
        "watch_only": None if watch_only is None else len(watch_only),
    }
