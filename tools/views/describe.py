"""One thread in words: what the process says about it, what the kernel
says, in taskscope's own wording (src/threadview/describe.c), and which of
its frames belong to the program rather than to a library."""

import re

FUTEX_KINDS = ("mutex", "condvar", "rwlock", "join", "semaphore", "futex")


def fmt_ns(ns):
    """Go-style short duration, as taskscope prints it."""
    if ns is None:
        return "?"
    if ns < 1_000_000:
        return f"{ns // 1000}us"
    if ns < 1_000_000_000:
        return f"{ns // 1_000_000}ms"
    s = ns / 1e9
    if s < 60:
        return f"{s:.1f}s"
    return f"{int(s) // 60}m{int(s) % 60}s"


def functions(t):
    """Every frame's function (None when unknown), innermost first."""
    return [f.get("function") for f in (t or {}).get("stack") or []]


def is_app_frame(f):
    mod = f.get("module") or ""
    return f.get("function") and not re.search(r"\.so(\.[0-9.]+)?$", mod)


def app_frame(t):
    """The innermost frame in the program itself: 'chunkq_next
    (src/uploadd/pipeline/chunkq.c:163)'."""
    for f in t.get("stack") or []:
        if is_app_frame(f):
            where = f" ({f['file']}:{f['line']})" if f.get("file") else ""
            return f["function"] + where
    return None


def app_functions(t):
    return [f["function"] for f in t.get("stack") or [] if is_app_frame(f)]


def process_says(t):
    sc = (t.get("syscall") or {}).get("name")
    if t["state"] == "dead":
        return "exited during the dump"
    return f"{t['state']} in {sc}" if sc else t["state"]


def describe_fd(fd):
    if not fd:
        return ""
    if fd.get("peer"):
        return f"{fd['type']} {fd['local']} -> {fd['peer']}"
    if fd.get("path"):
        return f"{fd['type']} {fd['path']}"
    return fd.get("type") or ""


def kernel_wait(t, names):
    """What the kernel says a thread waits on, in taskscope's words."""
    b = t.get("blocked_on")
    sc = (t.get("syscall") or {}).get("name")
    if not b:
        if t["state"] == "running":
            return f"running on CPU {t.get('cpu')}"
        return t["state"] + (f" in {sc}" if sc else "")
    kind, obj = b["kind"], b.get("object")
    if kind == "mutex":
        owner = b.get("owner_tid")
        who = f" held by {owner} \"{names.get(owner, b.get('owner_name'))}\"" \
            if owner else ", owner unknown"
        return f"mutex {obj}{who}"
    if kind == "condvar":
        return f"condition variable {obj}"
    if kind == "rwlock":
        return f"rwlock {obj}"
    if kind == "join":
        return f"join of thread {b.get('join_tid')}"
    if kind == "semaphore":
        return f"semaphore {obj}"
    if kind == "futex":
        return f"futex {obj}"
    if kind in ("read", "write", "accept", "connect"):
        fd = b.get("fd") or {}
        num = fd.get("num", "?")
        d = describe_fd(fd)
        return f"{sc or kind} fd {num}" + (f", {d}" if d else "")
    return sc or kind


def kernel_says(t, names):
    w = kernel_wait(t, names)
    if t.get("blocked_on") and t.get("off_cpu_ns") is not None:
        w += f", {fmt_ns(t['off_cpu_ns'])}"
    return w
