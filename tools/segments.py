#!/usr/bin/env python3
"""Reads uploadd's storage directory: the objects stored one per file and
the records in segment files (src/uploadd/store/segstore.h), for tests,
the chaos checker and operators.

  segments.py list DIR [--json] [--dead]
      every object: file names for files of their own, locators
      "seg-NNNNNNNN:OFFSET:LENGTH" for live segment records (--dead: dead
      records too, marked); --json: one JSON document with sizes, tokens,
      segment states (sealed or not)
  segments.py cat DIR LOCATOR
      writes the object a locator (the metadata's "path") names to stdout;
      exit 1 when it is missing or dead
  segments.py check DIR
      walks every segment: records, dead records, bad headers skipped;
      exit 1 when a record header is damaged in the middle of a segment

A segment is a zero-filled file of records, each at a multiple of 64
bytes: a 64-byte header (magic "uplseg01", CRC-32 of the header, flags,
payload length, token, write time, length of the names; little-endian),
the payload, then "filename\0version\0" when the upload gave its names
before its file (such a record had no intent in Redis).

Exit codes: 0 done; 1 missing, dead or damaged; 2 usage.
"""
import json
import os
import re
import signal
import struct
import sys
import zlib

MAGIC = b"uplseg01"
HEADER = 64
ALIGN = 64
DEAD = 1
NAMES_MAX = 255 + 1 + 64 + 1
SEG_DIR = "segments"
SEG_RE = re.compile(r"^seg-(\d{8})$")
LOC_RE = re.compile(r"^seg-(\d{8}):(\d+):(\d+)$")
HDR = struct.Struct("<8sIIQ16sqH14s")


def parse_header(raw, room):
    """The header at raw (64 bytes) as a dict, or None when invalid."""
    if len(raw) < HEADER or raw[:8] != MAGIC:
        return None
    magic, crc, flags, length, token, ms, names_len, _ = HDR.unpack(raw[:HEADER])
    zeroed = raw[:8] + b"\0\0\0\0" + raw[12:HEADER]
    if zlib.crc32(zeroed) != crc or names_len > NAMES_MAX or length + names_len > room:
        return None
    return {"flags": flags, "len": length, "token": token.hex(), "ms": ms,
            "names_len": names_len}


def walk(path):
    """Yields (offset of payload, header dict) for every record of a
    segment, resyncing over zeroes and torn headers 64 bytes at a time;
    also yields (offset, None) once per resync stretch that is not zero."""
    with open(path, "rb") as f:
        data = f.read()
    size = len(data)
    off = 0
    while off + HEADER <= size:
        h = parse_header(data[off:off + HEADER], size - off - HEADER)
        if h is None:
            if data[off:off + HEADER].strip(b"\0"):
                yield off, None
            off += ALIGN
            continue
        if h["names_len"]:
            start = off + HEADER + h["len"]
            parts = data[start:start + h["names_len"]].split(b"\0")
            if len(parts) == 3:
                h["filename"] = parts[0].decode("utf-8", "replace")
                h["version"] = parts[1].decode("utf-8", "replace")
        yield off + HEADER, h
        off = (off + HEADER + h["len"] + h["names_len"] + ALIGN - 1) // ALIGN * ALIGN


def segments(storage):
    d = os.path.join(storage, SEG_DIR)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d) if SEG_RE.match(n))


def files(storage):
    """Objects stored as files of their own (temp files and the id file,
    which start with a dot, excluded)."""
    return sorted(n for n in os.listdir(storage)
                  if not n.startswith(".") and
                  os.path.isfile(os.path.join(storage, n)))


def records(storage, dead=False):
    """Yields (locator, header) for the records of every segment."""
    for seg in segments(storage):
        name = os.path.basename(seg)
        for off, h in walk(seg):
            if h is None or (h["flags"] & DEAD and not dead):
                continue
            yield "%s:%d:%d" % (name, off, h["len"]), h


def read_object(storage, locator):
    """The bytes a locator names, or None when missing or dead."""
    m = LOC_RE.match(locator)
    if not m:
        p = os.path.join(storage, locator)
        if "/" in locator or not os.path.isfile(p):
            return None
        with open(p, "rb") as f:
            return f.read()
    seg = os.path.join(storage, SEG_DIR, "seg-" + m.group(1))
    off, length = int(m.group(2)), int(m.group(3))
    try:
        with open(seg, "rb") as f:
            f.seek(off - HEADER)
            raw = f.read(HEADER + length + NAMES_MAX)
    except OSError:
        return None
    h = parse_header(raw[:HEADER], len(raw) - HEADER)
    if h is None or h["flags"] & DEAD or h["len"] != length:
        return None
    return raw[HEADER:HEADER + length]


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) < 3 or argv[1] not in ("list", "cat", "check"):
        sys.stderr.write("usage: segments.py list|cat|check DIR ... (see --help)\n")
        return 2
    cmd, storage = argv[1], argv[2]
    if cmd == "cat":
        if len(argv) != 4:
            sys.stderr.write("usage: segments.py cat DIR LOCATOR\n")
            return 2
        data = read_object(storage, argv[3])
        if data is None:
            sys.stderr.write("segments.py: no live object %s in %s\n" % (argv[3], storage))
            return 1
        sys.stdout.buffer.write(data)
        return 0
    if cmd == "check":
        bad = 0
        for seg in segments(storage):
            for off, h in walk(seg):
                if h is None:
                    bad += 1
                    print("%s: damaged or torn header near offset %d" % (seg, off))
        return 1 if bad else 0
    show_dead = "--dead" in argv[3:]
    if "--json" in argv[3:]:
        segs = []
        for seg in segments(storage):
            st = os.stat(seg)
            segs.append({"name": os.path.basename(seg), "size": st.st_size,
                         "sealed": not st.st_mode & 0o200})
        doc = {"files": files(storage), "segments": segs,
               "records": [dict(h, locator=loc, dead=bool(h["flags"] & DEAD))
                           for loc, h in records(storage, show_dead)]}
        json.dump(doc, sys.stdout)
        print()
        return 0
    for name in files(storage):
        print(name)
    for loc, h in records(storage, show_dead):
        print(loc + (" dead" if h["flags"] & DEAD else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
