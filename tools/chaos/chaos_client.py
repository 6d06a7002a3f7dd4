#!/usr/bin/env python3
"""Chaos load for uploadd: N concurrent clients upload for a fixed time.

Each client loops until the deadline, picking per upload a size from a mix
(512 B to 2 MiB) and what to do:
  - most uploads are new (name, version) pairs with an expected sha256;
  - some re-upload a pair that already got 201 (expect 409), some send a
    bad version (expect 400);
  - --abort-rate of them stop mid-body and reset the connection.
File bytes are random; their sha256 is recorded, never the bytes.

Every attempt is written as one JSON line to --out:
  {"name", "version", "size", "sha256", "kind", "outcome", "sent_all"}
outcome is the HTTP status (int), "aborted" (we cut it), or "error: ..."
(connection refused or dropped: uploadd or Redis restarting). sent_all
says whether the whole body went out before an error, which makes an
error's outcome unknown (the server may have stored it) rather than a
certain failure.

Loopback only: the URL must be http://127.0.0.1:PORT.
Usage: chaos_client.py --url URL --seconds S [--concurrency 32]
                       [--abort-rate 0.05] [--seed N] --out FILE
Exit codes: 0 done (whatever the answers), 2 usage.
"""
import argparse
import hashlib
import json
import random
import socket
import struct
import sys
import threading
import time

SIZES = [(512, 30), (8 << 10, 30), (64 << 10, 25), (512 << 10, 12), (2 << 20, 3)]
BOUNDARY = b"chaosBOUNDARYx7"


def pick_size(rng):
    total = sum(w for _, w in SIZES)
    r = rng.uniform(0, total)
    for size, w in SIZES:
        r -= w
        if r <= 0:
            return size
    return SIZES[-1][0]


def multipart(fields, data):
    """The body: small fields first (names before the file, as curl -F)."""
    head = b""
    for k, v in fields:
        head += (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; "
                 b'name="' + k.encode() + b'"\r\n\r\n' + v.encode() + b"\r\n")
    head += (b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; '
             b'filename="f"\r\nContent-Type: application/octet-stream\r\n\r\n')
    tail = b"\r\n--" + BOUNDARY + b"--\r\n"
    return head, data, tail


def read_status(sock):
    """Reads an HTTP response head and body (Content-Length); returns the
    status code."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before an answer")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status


def upload(host, port, name, version, data, sha, abort_at, timeout):
    """One POST /upload. Returns (outcome, sent_all)."""
    fields = [("filename", name), ("version", version)]
    if sha:
        fields.append(("sha256", sha))
    head, body, tail = multipart(fields, data)
    length = len(head) + len(body) + len(tail)
    req = (b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           b"Content-Type: multipart/form-data; boundary=" + BOUNDARY +
           b"\r\nContent-Length: " + str(length).encode() + b"\r\n\r\n")
    sent_all = False
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return "error: connect: %s" % e.strerror, False
    try:
        payload = req + head + body + tail
        if abort_at is not None:
            sock.sendall(payload[:len(req) + len(head) + abort_at])
            # RST instead of FIN: the server sees the client vanish.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            return "aborted", False
        try:
            sock.sendall(payload)
            sent_all = True
        except OSError:
            pass  # the server may answer early (413, 503): read it
        return read_status(sock), sent_all
    except (OSError, ConnectionError, ValueError, IndexError) as e:
        return "error: %s" % (getattr(e, "strerror", None) or e), sent_all
    finally:
        sock.close()


class Shared:
    def __init__(self, out):
        self.lock = threading.Lock()
        self.out = out
        self.stored = []  # (name, version) answered 201, for conflicts

    def record(self, rec):
        with self.lock:
            self.out.write(json.dumps(rec) + "\n")
            if rec["outcome"] == 201:
                self.stored.append((rec["name"], rec["version"]))

    def some_stored(self, rng):
        with self.lock:
            return rng.choice(self.stored) if self.stored else None


def worker(wid, args, host, port, deadline, shared):
    rng = random.Random(args.seed * 1000 + wid)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        size = pick_size(rng)
        data = rng.randbytes(size)
        sha = hashlib.sha256(data).hexdigest()
        name, version = "c%02d-%d.bin" % (wid, n), "1.%d" % n
        kind = "new"
        r = rng.random()
        if r < args.abort_rate:
            kind = "abort"
        elif r < args.abort_rate + 0.03:
            pair = shared.some_stored(rng)
            if pair:
                kind, (name, version) = "conflict", pair
        elif r < args.abort_rate + 0.05:
            kind, version = "invalid", "../%d" % n
        abort_at = rng.randrange(1, size) if kind == "abort" else None
        outcome, sent_all = upload(host, port, name, version, data,
                                   sha if rng.random() < 0.5 else None,
                                   abort_at, args.timeout)
        shared.record({"name": name, "version": version, "size": size,
                       "sha256": sha, "kind": kind, "outcome": outcome,
                       "sent_all": sent_all})
        if isinstance(outcome, str) and outcome.startswith("error"):
            time.sleep(0.05)  # the server is restarting: do not spin


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--abort-rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    prefix = "http://127.0.0.1:"
    if not args.url.startswith(prefix) or not args.url[len(prefix):].isdigit():
        print("chaos_client: --url must be http://127.0.0.1:PORT (loopback "
              "only), got %r" % args.url, file=sys.stderr)
        return 2
    port = int(args.url[len(prefix):])
    deadline = time.monotonic() + args.seconds
    with open(args.out, "w") as out:
        shared = Shared(out)
        threads = [threading.Thread(target=worker, daemon=True,
                                    args=(i, args, "127.0.0.1", port, deadline,
                                          shared))
                   for i in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
