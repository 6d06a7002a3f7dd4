"""The Go side of compare-views: a Go program's own goroutine dump
(net/http/pprof's /debug/pprof/goroutine?debug=2) beside taskscope's
goroutine snapshot of the same process, goroutine by goroutine, and with
--watch the goroutines that were born and died inside the window, which
no dump can show.

Both captures start together: Go's dump stops the world for its duration
(~0.1 s for 10,000 goroutines), taskscope reads around it without
stopping anything.
"""

import json
import re
import threading
import urllib.error
import urllib.request

from views.capture import Failure, run_snapshot, taskscope_failed

DUMP_PATH = "/debug/pprof/goroutine?debug=2"


def fetch_go_dump(base_url, timeout_s=30):
    url = base_url.rstrip("/") + DUMP_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        raise Failure(f"cannot read Go's goroutine dump from {url}: HTTP "
                      f"{e.code} (does the program import net/http/pprof?)")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Failure(f"cannot read Go's goroutine dump from {url}: {reason} "
                      f"(check --go-url: where the program serves "
                      f"net/http/pprof)")


def parse_go_dump(text):
    """goid -> {"words": [...], "frames": [func...], "created_by": func}."""
    out = {}
    for block in text.strip().split("\n\n"):
        m = re.match(r"goroutine (\d+) \[([^\]]*)\]:\n?(.*)", block, re.S)
        if not m:
            continue
        frames = [ln[:ln.rindex("(")] for ln in m.group(3).split("\n")
                  if "(" in ln and not ln.startswith("\t")
                  and not ln.startswith("created by")]
        cb = re.search(r"created by (\S+)", block)
        out[int(m.group(1))] = {"words": m.group(2).split(", "),
                                "frames": frames,
                                "created_by": cb.group(1) if cb else None}
    return out


def capture_go(pid, go_url, taskscope):
    """Go's dump and taskscope's snapshot, started at the same moment."""
    box = {}

    def dump():
        try:
            box["dump"] = fetch_go_dump(go_url)
        except Failure as e:
            box["error"] = e

    t = threading.Thread(target=dump)
    proc = run_snapshot(taskscope, pid)
    t.start()
    out, err = proc.communicate()
    t.join()
    if proc.returncode != 0:
        raise taskscope_failed("snapshot", proc.returncode, err)
    if "error" in box:
        raise box["error"]
    try:
        snap = json.loads(out)
    except ValueError as e:
        raise Failure(f"taskscope snapshot printed no JSON document: {e}")
    if not snap.get("go"):
        raise Failure(f"taskscope saw no goroutines in process {pid} (not a "
                      f"Go program, or built without DWARF: see its stderr)")
    return box["dump"], snap


def _user_frame(funcs):
    """The program's own innermost frame (package main), else the first
    outside the runtime."""
    for f in funcs:
        if f and f.startswith("main."):
            return f
    for f in funcs:
        if f and not f.startswith("runtime.") and not f.startswith("internal/"):
            return f
    return funcs[0] if funcs else "?"


def _ts_says(g):
    what = g["wait_reason"] or g["status"]
    if g["wait_ns"] is not None:
        what += f", at least {g['wait_ns'] / 1e9:.1f}s"
    w = g["waits_on"]
    if w:
        if w["kind"] in ("channel", "semaphore"):
            what += f"; {w['kind']} {w['object']}"
        elif w["kind"] == "select":
            what += f"; select, first channel {w['object']}"
        elif w["kind"] == "fd":
            what += f"; fd {w['fd']} {w['fd_desc'] or ''}".rstrip()
        elif w["kind"] == "syscall":
            what += f"; {w['syscall']}"
    if g["thread"]:
        what += f"; thread {g['thread']}"
    return what


def compare_go(dump_text, snap, events=None):
    """Rows per goroutine, the ones only watch saw, and totals."""
    go = parse_go_dump(dump_text)
    ts = {g["goid"]: g for g in snap["go"]["goroutines"]}
    rows = []
    for goid in sorted(set(go) | set(ts)):
        d, g = go.get(goid), ts.get(goid)
        row = {"goid": goid, "go_says": None, "taskscope_says": None,
               "function": None, "note": ""}
        if d:
            row["go_says"] = ", ".join(d["words"])
            row["function"] = _user_frame(d["frames"])
        if g:
            row["taskscope_says"] = _ts_says(g)
            row["function"] = row["function"] or _user_frame(
                [f["function"] for f in g["stack"]] or [g["start_function"]])
        if d and not g:
            row["note"] = ("created by the dump's own request" if
                           (d["created_by"] or "").startswith("net/http.")
                           else "only Go's dump has it (born after taskscope's pass)")
        elif g and not d:
            row["note"] = ("the runtime's own: Go's dump hides it" if g["system"]
                           else "only taskscope has it (ended before Go's dump)")
        else:
            ours = g["wait_reason"] or g["status"]
            if ours != d["words"][0] and not (
                    {ours, d["words"][0]} <= {"running", "runnable"}):
                row["note"] = f"differ: Go {d['words'][0]!r}, taskscope {ours!r}"
            elif g["waits_on"] and g["waits_on"]["kind"] == "fd":
                row["note"] = "only taskscope knows the fd and its peer"
            elif g["waits_on"] and g["waits_on"]["kind"] in ("channel", "semaphore", "select"):
                row["note"] = f"only taskscope names the {g['waits_on']['kind']}"
        rows.append(row)
    born = {}
    if events:
        created = {e["goid"]: e for e in events if e.get("type") == "gocreate"}
        for e in events:
            if e.get("type") == "goexit" and e["goid"] in created:
                born[e["goid"]] = {"goid": e["goid"],
                                   "start_function": e["start_function"],
                                   "lifetime_ns": e["lifetime_ns"],
                                   "parent_goid": created[e["goid"]]["parent_goid"]}
    only_watch = [born[k] for k in sorted(born) if k not in go and k not in ts]
    totals = {"go_dump": len(go), "taskscope": len(ts),
              "both": len(set(go) & set(ts)),
              "differ": sum(1 for r in rows if r["note"].startswith("differ")),
              "watch_only": len(only_watch)}
    return rows, only_watch, totals


def print_go_table(f, pid, rows, only_watch, totals, version, watch_summary):
    f.write(f"Go process {pid} ({version}): Go's own dump (debug=2) beside "
            f"taskscope's goroutine snapshot\n\n")
    f.write(f"{'GOID':<7} {'GO SAYS':<32} {'TASKSCOPE SAYS':<58} FUNCTION\n")
    for r in rows:
        f.write(f"{r['goid']:<7} {(r['go_says'] or '-')[:32]:<32} "
                f"{(r['taskscope_says'] or '-')[:58]:<58} {r['function'] or '?'}\n")
        if r["note"]:
            f.write(f"{'':<7} ! {r['note']}\n")
    f.write(f"\n{totals['both']} goroutines in both views, {totals['differ']} "
            f"differing; {totals['go_dump']} in Go's dump, {totals['taskscope']} "
            f"in taskscope's\n")
    if watch_summary is not None:
        f.write(f"\ntaskscope watch: {totals['watch_only']} goroutines were "
                f"born and died inside the window, in neither dump:\n")
        by_fn = {}
        for g in only_watch:
            by_fn.setdefault(g["start_function"] or "?", []).append(g)
        for fn, gs in sorted(by_fn.items(), key=lambda kv: -len(kv[1])):
            lives = sorted(g["lifetime_ns"] or 0 for g in gs)
            f.write(f"  {len(gs):>5} x {fn:<40} lived {lives[0] / 1e6:.2f}-"
                    f"{lives[-1] / 1e6:.2f} ms (median "
                    f"{lives[len(lives) // 2] / 1e6:.2f} ms)\n")
        gsum = watch_summary
        f.write(f"  ({gsum.get('created')} created, {gsum.get('exited')} exited, "
                f"{gsum.get('lost')} events lost)\n")
