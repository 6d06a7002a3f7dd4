#!/usr/bin/env python3
"""Raw HTTP/1.1 over loopback for hostile-input tests: requests curl will
not send (duplicate or conflicting framing headers, oversized heads,
bytes trickled one at a time), and the server's answer read back exactly.

As a library: request(port, raw_bytes) -> (status or None, head, body)
As a command, one request per line of a batch file (JSON, see batch()):
  rawhttp.py PORT BATCH.jsonl  -> one JSON line per request:
  {"name", "status", "closed_s", "error"}
Loopback only. Exit codes: 0 done (whatever the answers), 2 usage.
"""
import json
import socket
import sys
import time


def request(port, data, timeout=15.0, chunk=None, pause=0.0):
    """Sends data (in pieces of chunk bytes, pause seconds apart, if
    given), then reads until the server closes or timeout. Returns
    (status, head, body, seconds until the server closed or None)."""
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    closed = None
    try:
        step = chunk or len(data) or 1
        for i in range(0, len(data), step):
            s.sendall(data[i:i + step])
            if pause:
                time.sleep(pause)
        while True:
            c = s.recv(65536)
            if not c:
                closed = time.monotonic() - start
                break
            out += c
    except (ConnectionResetError, BrokenPipeError):
        closed = time.monotonic() - start
    except socket.timeout:
        pass
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    status = None
    if head.startswith(b"HTTP/1."):
        status = int(head.split()[1])
    return status, head, body, closed


def batch(port, path):
    """Each input line: {"name": ..., "hex": request bytes in hex}."""
    for line in open(path):
        case = json.loads(line)
        status, _, body, closed = request(port, bytes.fromhex(case["hex"]))
        print(json.dumps({"name": case["name"], "status": status,
                          "closed_s": closed,
                          "body": body[:200].decode("utf-8", "replace")}))


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    batch(int(sys.argv[1]), sys.argv[2])
