#!/usr/bin/env python3
"""Checks uploadd's state after a chaos run (chaos_client.py's results).

Verifies, against the live uploadd, its Redis and its storage directory:
  - every upload answered 201 downloads with the recorded size and sha256,
    and its /meta says the same filename, version, sha256 and size;
  - nothing else is visible: each metadata entry in Redis is an upload
    answered 201, or one whose answer was lost after its whole body went
    out (connection dropped by a restart: the server may have stored it;
    then it must be intact too); never one answered 4xx/5xx or aborted;
  - no object without metadata and no metadata without its object (files
    of their own and live segment records alike); the versions index
    matches the metadata;
  - no temp files in the storage directory, no lock keys left in Redis.
Prints the counts (tried, 201, 4xx, 5xx, aborted, connection errors,
verified) and every problem found, one line each.

Usage: chaos_check.py --url http://127.0.0.1:PORT --redis-port N
                      --storage DIR --results FILE [--json FILE]
Exit codes: 0 consistent, 1 a problem was found, 2 usage.
"""
import argparse
import collections
import hashlib
import json
import os
import socket
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import segments  # noqa: E402  (tools/segments.py)


class Redis:
    """Just enough RESP for SCAN and HGETALL on loopback."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("Redis: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("Redis: unexpected reply %r" % line)

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def keys(self, pattern):
        cursor, found = b"0", []
        while True:
            cursor, batch = self.call("SCAN", cursor, "MATCH", pattern,
                                      "COUNT", 1000)
            found += batch
            if cursor == b"0":
                return found


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--storage", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not args.url.startswith("http://127.0.0.1:"):
        print("chaos_check: --url must be on 127.0.0.1", file=sys.stderr)
        return 2

    problems = []
    attempts = [json.loads(l) for l in open(args.results)]
    counts = collections.Counter()
    accepted = {}          # (name, version) -> attempt answered 201
    by_pair = collections.defaultdict(list)
    for a in attempts:
        o = a["outcome"]
        counts["tried"] += 1
        by_pair[(a["name"], a["version"])].append(a)
        if o == "aborted":
            counts["aborted"] += 1
        elif isinstance(o, str):
            counts["conn_errors"] += 1
            if a["sent_all"]:
                counts["unknown_outcome"] += 1
        else:
            counts["%dxx" % (o // 100)] += 1
            counts[str(o)] += 1
        if o == 201:
            pair = (a["name"], a["version"])
            if pair in accepted:
                problems.append("version %s of %s was answered 201 twice "
                                "(versions must be immutable)" % pair[::-1])
            accepted[pair] = a
            if a["kind"] != "new":
                problems.append("a %s upload of %s/%s was answered 201"
                                % (a["kind"], a["name"], a["version"]))

    # What Redis holds.
    r = Redis(args.redis_port)
    meta = {}
    for key in r.keys("file:*"):
        flat = r.call("HGETALL", key)
        h = {flat[i].decode(): flat[i + 1].decode()
             for i in range(0, len(flat), 2)}
        meta[(h.get("filename"), h.get("version"))] = h
    versions = set()
    for key in r.keys("versions:*"):
        name = key.decode()[len("versions:"):]
        for v in r.call("ZRANGE", key, 0, -1):
            versions.add((name, v.decode()))
    locks = r.keys("lock:*")

    # Every 201 is there, downloadable and right.
    verified = 0
    for (name, version), a in sorted(accepted.items()):
        q = "%s/files/%s/%s" % (args.url, urllib.parse.quote(name, safe=""),
                                urllib.parse.quote(version, safe=""))
        status, body = get(q)
        if status != 200:
            problems.append("lost: %s/%s was answered 201 but GET gives %d"
                            % (name, version, status))
            continue
        if len(body) != a["size"] or hashlib.sha256(body).hexdigest() != a["sha256"]:
            problems.append("corrupt: %s/%s downloads %d bytes with another "
                            "sha256" % (name, version, len(body)))
            continue
        status, body = get(q + "/meta")
        m = json.loads(body) if status == 200 else {}
        want = {"filename": name, "version": version, "sha256": a["sha256"],
                "size": a["size"]}
        if any(m.get(k) != v for k, v in want.items()):
            problems.append("wrong metadata for %s/%s: %s" % (name, version, m))
            continue
        verified += 1

    # Nothing else is visible.
    ambiguous_stored = 0
    for pair, h in sorted(meta.items(), key=lambda kv: str(kv[0])):
        if pair in accepted:
            continue
        tries = by_pair.get(pair, [])
        lost_answer = [a for a in tries if isinstance(a["outcome"], str)
                       and a["outcome"] != "aborted" and a["sent_all"]
                       and a["sha256"] == h.get("sha256")]
        if lost_answer:
            ambiguous_stored += 1
        else:
            problems.append("visible but never accepted: %s/%s (answers: %s)"
                            % (pair[0], pair[1],
                               [a["outcome"] for a in tries] or "no such upload"))
    if versions != set(meta):
        problems.append("versions index and metadata differ: %d vs %d entries "
                        "(e.g. %s)" % (len(versions), len(meta),
                                       sorted(versions ^ set(meta))[:3]))

    # Objects on disk match the metadata, one for one: files of their own
    # (not the temp files, nor .uploadd-id, which names the directory in
    # Redis) and live segment records (tools/segments.py reads both).
    temps = sorted(f for f in os.listdir(args.storage)
                   if f.startswith(".uploadd-tmp-"))
    objects = set(segments.files(args.storage)) | \
        {loc for loc, _ in segments.records(args.storage)}
    paths = {h.get("path") for h in meta.values()}
    for f in sorted(objects - paths):
        problems.append("orphan object (no metadata): %s" % f)
    for p in sorted(paths - objects):
        problems.append("metadata without its object: %s" % p)
    if temps:
        problems.append("%d temp file(s) left: %s" % (len(temps), temps[:3]))
    if locks:
        problems.append("%d lock key(s) left in Redis: %s"
                        % (len(locks), [k.decode() for k in locks[:3]]))

    summary = {
        "tried": counts["tried"], "201": counts["201"],
        "4xx": counts["4xx"], "5xx": counts["5xx"],
        "aborted": counts["aborted"], "conn_errors": counts["conn_errors"],
        "unknown_outcome": counts["unknown_outcome"],
        "unknown_but_stored": ambiguous_stored, "verified": verified,
        "objects": len(objects), "problems": len(problems),
        "by_status": {k: v for k, v in sorted(counts.items()) if k.isdigit()},
    }
    print("chaos: tried %(tried)d, 201 %(201)d, 4xx %(4xx)d, 5xx %(5xx)d, "
          "aborted %(aborted)d, connection errors %(conn_errors)d "
          "(%(unknown_outcome)d after the whole body, %(unknown_but_stored)d "
          "of them stored), verified %(verified)d, objects %(objects)d, "
          "problems %(problems)d" % summary)
    print("chaos: answers by status: %s" % json.dumps(summary["by_status"]))
    for p in problems:
        print("chaos: PROBLEM: " + p)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
