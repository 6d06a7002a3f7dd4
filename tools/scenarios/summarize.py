#!/usr/bin/env python3
"""What a scenario's captures show, printed for a reader and written to
scenario.json for the tests: reads the documents tools/compare-views and
taskscope watch saved in the results directory.

usage: summarize.py WHAT DIR [ARGS...]
  idle-capture DIR             per-upload threads in the idle captures
  idle DIR BURST               the burst's threads as watch saw them
  large-upload DIR CAPTURE     connection, hash, writer threads, both views
  slow-redis DIR CAPTURE REDIS_PORT
                               the thread blocked on Redis, both views
"""

import json
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from views.describe import (FUTEX_KINDS, app_functions, fmt_ns,  # noqa: E402
                            functions, kernel_wait, process_says)

UPLOAD_THREADS = ("up-hash", "up-write")


def load(path):
    with open(path) as f:
        return json.load(f)


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_result(out, res):
    tmp = os.path.join(out, ".scenario.json.tmp")
    with open(tmp, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "scenario.json"))


def update_result(out, **fields):
    path = os.path.join(out, "scenario.json")
    res = load(path) if os.path.exists(path) else {}
    res.update(fields)
    write_result(out, res)


def long_lived_names(doc):
    """(tid, name) of the threads that are not per-connection or
    per-upload: the ones both views must agree on."""
    return sorted((t["tid"], t["name"]) for t in doc["threads"]
                  if t["name"] not in ("MHD-connection",) + UPLOAD_THREADS)


def idle_capture(out):
    d = os.path.join(out, "idle")
    res = {}
    for doc, who, key in (("inprocess.json", "uploadd's own dump", "process"),
                          ("snapshot.json", "taskscope snapshot", "kernel")):
        threads = load(os.path.join(d, doc))["threads"]
        per = [t for t in threads if t["name"] in UPLOAD_THREADS]
        print(f"{who} shows {len(per)} per-upload threads "
              f"(of {len(threads)} threads)")
        res[f"idle_{key}_upload_threads"] = len(per)
    p = long_lived_names(load(os.path.join(d, "inprocess.json")))
    k = long_lived_names(load(os.path.join(d, "snapshot.json")))
    print("long-lived threads: " + ("the same in both views: " if p == k else
                                    "DIFFERENT: ") +
          ", ".join(f"{tid} {name}" for tid, name in p))
    res["long_lived_agree"] = p == k
    update_result(out, scenario="idle", **res)


def idle(out, burst):
    events = load_jsonl(os.path.join(out, "watch.jsonl"))
    created = {e["tid"]: e for e in events if e["type"] == "create"}
    rows = []
    for e in events:
        if e["type"] == "exit" and e["name"] in UPLOAD_THREADS:
            c = created.get(e["tid"], {})
            rows.append({"tid": e["tid"], "name": e["name"],
                         "start_routine": e.get("start_routine"),
                         "parent_tid": c.get("parent_tid"),
                         "lifetime_ns": e["lifetime_ns"],
                         "cpu_ns": e.get("cpu_ns")})
    summary = events[-1]
    print(f"{'TID':<8}{'NAME':<10}{'START ROUTINE':<15}{'PARENT':<8}"
          f"{'LIFETIME':>10}{'CPU':>10}")
    for r in rows:
        print(f"{r['tid']:<8}{r['name']:<10}{r['start_routine'] or '?':<15}"
              f"{r['parent_tid'] or '?':<8}{fmt_ns(r['lifetime_ns']):>10}"
              f"{fmt_ns(r['cpu_ns']):>10}")
    hashes = sum(1 for r in rows if r["name"] == "up-hash")
    writes = sum(1 for r in rows if r["name"] == "up-write")
    print(f"\n{hashes} up-hash and {writes} up-write threads came and went "
          f"for {burst} uploads (lost events: {summary['lost']}); the idle "
          f"captures before had none")
    update_result(out, burst_uploads=burst, watch_up_hash=hashes,
                  watch_up_write=writes, watch_lost=summary["lost"],
                  watch_upload_threads=rows)


def by_name(doc, name):
    return [t for t in doc["threads"] if t["name"] == name]


def process_line(t):
    at = app_functions(t)
    return process_says(t) + (f", at {' < '.join(at[:3])}" if at else "")


def kernel_line(t, names):
    return (kernel_wait(t, names) +
            (f", off CPU {fmt_ns(t.get('off_cpu_ns'))}"
             if t.get("blocked_on") else ""))


def large_upload(out, capture):
    d = os.path.join(out, capture)
    proc, kern = load(os.path.join(d, "inprocess.json")), load(os.path.join(d, "snapshot.json"))
    res = load(os.path.join(out, "scenario.json"))
    conn = res.get("conn_tid")
    roles = [("connection", conn)]
    for name in UPLOAD_THREADS:
        ts = by_name(kern, name)
        roles.append((name, ts[0]["tid"] if ts else None))
    ptids = {t["tid"]: t for t in proc["threads"]}
    ktids = {t["tid"]: t for t in kern["threads"]}
    names = {t["tid"]: t["name"] for t in kern["threads"]}
    objects = {}
    for role, tid in roles:
        p, k = ptids.get(tid), ktids.get(tid)
        print(f"{role} thread {tid}:")
        print(f"  process says: {process_line(p) if p else '(not in the dump)'}")
        print(f"  kernel says:  {kernel_line(k, names) if k else '(not in the snapshot)'}")
        if k and k.get("blocked_on") and k["blocked_on"]["kind"] in FUTEX_KINDS:
            objects[role] = k["blocked_on"]["object"]
    shared = objects.get("up-hash") and objects.get("up-hash") == objects.get("up-write")
    if shared:
        hasher = ktids[dict(roles)["up-hash"]]
        print(f"\nup-hash and up-write both wait on "
              f"{kernel_wait(hasher, names)}: their upload's chunk queue "
              f"(chunkq_next). Only the kernel can say which object and for "
              f"how long.")
    update_result(out, upload_threads={r: t for r, t in roles},
                  queue_objects=objects, hash_write_share_queue=bool(shared),
                  in_both={r: t in ptids and t in ktids for r, t in roles})


def slow_redis(out, capture, redis_port):
    d = os.path.join(out, capture)
    proc, kern = load(os.path.join(d, "inprocess.json")), load(os.path.join(d, "snapshot.json"))
    blocked = None
    for t in kern["threads"]:
        b = t.get("blocked_on") or {}
        fd = b.get("fd") or {}
        if b.get("kind") == "read" and fd.get("peer_port") == redis_port:
            blocked = t
            break
    res = {"redis_port": redis_port, "blocked_tid": None}
    if not blocked:
        print(f"no thread of uploadd was blocked reading from Redis's port "
              f"{redis_port} at the snapshot")
        update_result(out, **res)
        return
    fd = blocked["blocked_on"]["fd"]
    p = next((t for t in proc["threads"] if t["tid"] == blocked["tid"]), None)
    print(f"thread {blocked['tid']} \"{blocked['name']}\":")
    print(f"  kernel says:  read on fd {fd['num']}, {fd['type']} {fd['local']} "
          f"-> {fd['peer']} (Redis is port {redis_port}), off CPU "
          f"{fmt_ns(blocked.get('off_cpu_ns'))}")
    print(f"                stack: {' < '.join(app_functions(blocked)[:5])}")
    peer = blocked["blocked_on"].get("peer") or {}
    procs = peer.get("processes") or []
    if procs:
        print(f"                other end: {procs[0]['comm']} {procs[0]['pid']}, "
              f"{procs[0]['state']}; {peer.get('queues')}")
    chain = next((c for c in kern.get("chains") or []
                  if c["tids"][0] == blocked["tid"]), None)
    if chain:
        print(f"                chain: {chain['text']}")
    if p:
        print(f"  process says: {process_line(p)}")
        print("                (no peer, no duration: a thread in read(2) "
              "looks the same whatever it waits for)")
    res.update(blocked_tid=blocked["tid"], blocked_name=blocked["name"],
               peer=fd.get("peer"), peer_port=fd.get("peer_port"),
               kernel_stack=functions(blocked),
               process_stack=functions(p) if p else None,
               off_cpu_ns=blocked.get("off_cpu_ns"),
               peer_pid=procs[0]["pid"] if procs else None,
               peer_comm=procs[0]["comm"] if procs else None,
               peer_state=procs[0]["state"] if procs else None,
               chain=chain)
    update_result(out, **res)


def main(argv):
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    what, out = argv[0], argv[1]
    if what == "idle-capture":
        idle_capture(out)
    elif what == "idle":
        idle(out, int(argv[2]))
    elif what == "large-upload":
        large_upload(out, argv[2])
    elif what == "slow-redis":
        slow_redis(out, argv[2], int(argv[3]))
    else:
        print(f"summarize.py: unknown summary '{what}'", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
