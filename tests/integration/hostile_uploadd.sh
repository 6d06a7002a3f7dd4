#!/usr/bin/env bash
# Hostile input for uploadd, beyond uploadd_bad_input.sh (which covers each
# documented 4xx once): path traversal in every field and in every encoding
# (percent-encoded, double-encoded, overlong UTF-8, backslashes) in the URL
# and in multipart fields, header and field sizes at and past their limits,
# many parts, broken boundaries, duplicate fields and conflicting framing
# headers (request smuggling), and slow clients: slowloris heads trickled a
# byte at a time (--header-timeout) and trickled bodies (--min-body-rate).
# Every hostile request gets a 4xx; names that
# merely look like traversal ("%2e%2e%2f" sent as plain text in a form
# field) are stored as the opaque names they are and read back unchanged.
# Nothing is written outside the storage directory (a marker carried in
# every traversal payload is searched for on the whole root file system),
# no temp file or lock is left, and the server keeps serving others
# throughout.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3

MARK=hx$RANDOM$RANDOM$RANDOM
HEAD_TIMEOUT=3
MAX_CONN=24
mkdir -p "$TEST_TMP/root" "$TEST_TMP/scratch"
UPLOADD_STORAGE=$TEST_TMP/root/storage
start_redis
start_uploadd --max-upload-size 1M --max-connections "$MAX_CONN" \
	--header-timeout "$HEAD_TIMEOUT" --connection-timeout 2 --min-body-rate 1024
touch "$TEST_TMP/stamp"
export PYTHONPATH=$TS_ROOT/tools/chaos

info "hostile requests: traversal, sizes, parts, boundaries, duplicates, framing"
python3 - "$UPLOADD_PORT" "$MARK" >"$TEST_TMP/cases.log" 2>&1 <<'PY' || { cat "$TEST_TMP/cases.log"; fail "hostile requests"; }
import hashlib, json, sys, urllib.parse
from rawhttp import request

port, mark = int(sys.argv[1]), sys.argv[2].encode()
failures, n201 = [], 0

def req(method, path, body=b"", headers=b"", ct=b"multipart/form-data; boundary=XB"):
    head = b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % (method, path)
    if body or method == b"POST":
        head += b"Content-Type: " + ct + b"\r\nContent-Length: %d\r\n" % len(body)
    return head + headers + b"\r\n" + body

def part(name, value, extra=b""):
    return (b"--XB\r\nContent-Disposition: form-data; name=\"" + name + b"\"" +
            extra + b"\r\n\r\n" + value + b"\r\n")

def form(filename, version, data=b"payload", sha=None, file_extra=b"", more=b""):
    b = part(b"filename", filename) + part(b"version", version)
    if sha is not None:
        b += part(b"sha256", sha)
    return b + more + part(b"file", data, file_extra) + b"--XB--\r\n"

def expect(name, raw, want, check_body=True):
    global n201
    status, head, body, _ = request(port, raw)
    ok = status in want
    if ok and status and status >= 400 and check_body:
        try:
            ok = json.loads(body)["status"] == status
        except ValueError:
            ok = False
    if b"root:" in body:
        ok = False
    if status == 201:
        n201 += 1
    print("%-48s %s" % (name, status))
    if not ok:
        failures.append("%s: got %s, want %s: %r" % (name, status, sorted(want), body[:200]))
    return status, body

def get(path):
    status, _, body, _ = request(port, req(b"GET", path))
    return status, body

U4 = set(range(400, 500))
# -- the URL: every route segment, every encoding ---------------------------
for p in [b"/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd/1",
          b"/files/..%2f..%2f" + mark + b"/1/meta",
          b"/files/..%c0%af..%c0%afetc%c0%afpasswd/1",
          b"/files/%c0%ae%c0%ae/1", b"/files/%e0%80%ae%e0%80%ae/1",
          b"/files/%f0%80%80%af" + mark + b"/1",
          b"/files/a/%2e%2e", b"/files/a/..%2f..%2f/meta",
          b"/files/..\\..\\" + mark + b"/1", b"/files/%2fetc%2fpasswd/1",
          b"/files/a%00/1", b"/files/%ff%fe/1", b"/files/a/%c0%ae%c0%ae"]:
    for m in (b"GET", b"HEAD"):
        expect(m.decode() + " " + p.decode("latin-1"), req(m, p), {400}, m == b"GET")
for p in [b"/files/%252e%252e%252fetc%252fpasswd/1",   # "%2e%2e%2f..." as a name
          b"/../../etc/passwd", b"/files/a/1/../../../etc/passwd",
          b"//files//a", b"/files/a/1?x=../../etc/passwd"]:
    expect("GET " + p.decode(), req(b"GET", p), {404})
expect("POST /upload/..%2f..%2f" + mark.decode(),
       req(b"POST", b"/upload/..%2f..%2f" + mark, form(b"a", b"1")), {404})

# -- multipart fields ------------------------------------------------------
for fn in [b"../../../../tmp/" + mark, b"..\\..\\" + mark, b"/etc/" + mark,
           b"\xc0\xaf" + mark, b"\xc0\xae\xc0\xae\xc0\xaf" + mark,
           b"\xe0\x80\xaf" + mark, b"\xf0\x80\x80\xaf" + mark,
           b"..", b"a/../" + mark, b"\xed\xa0\x80" + mark]:
    expect("filename %r" % fn, req(b"POST", b"/upload", form(fn, b"1")), {400})
for v in [b"../" + mark, b"%2e%2e", b"1/../../" + mark, b"..", b".1", b"1\\..\\x"]:
    expect("version %r" % v, req(b"POST", b"/upload", form(b"v.txt", v)), {400})
expect("sha256 ../../" + mark.decode(),
       req(b"POST", b"/upload", form(b"s.txt", b"1", sha=b"../../../../" + mark)), {400})
expect("part named ../file", req(b"POST", b"/upload",
       part(b"filename", b"a") + part(b"version", b"1") + part(b"../file", b"x") + b"--XB--\r\n"), {400})
expect("urlencoded body (decoded by MHD: refused)",
       req(b"POST", b"/upload", b"filename=..%2f..%2f" + mark + b"&version=1&file=x",
           ct=b"application/x-www-form-urlencoded"), {415})
# Looks like traversal, is not: plain-text form fields are never decoded.
lit = b"%2e%2e%2f%2e%2e%2f" + mark
data = b"literal name content"
expect("filename %r (opaque, stored)" % lit, req(b"POST", b"/upload", form(lit, b"1", data)), {201})
st, body = get(b"/files/" + urllib.parse.quote(lit, safe="").encode() + b"/1")
if st != 200 or body != data:
    failures.append("the literal name does not read back: %s %r" % (st, body[:80]))
st, body = get(b"/files/" + urllib.parse.quote(lit, safe="").encode() + b"/1/meta")
if st != 200 or json.loads(body)["filename"] != lit.decode():
    failures.append("the literal name's metadata: %s %r" % (st, body[:200]))
# The client's own name for its file (the part's filename=) is never used.
expect("file part filename=../../../../tmp/" + mark.decode(),
       req(b"POST", b"/upload", form(b"ignored.bin", b"1",
           file_extra=b"; filename=\"../../../../tmp/" + mark + b"\"")), {201})

# -- sizes at and past the limits ------------------------------------------
expect("filename of 255 bytes (127 x U+00E9 + 1)",
       req(b"POST", b"/upload", form("é".encode() * 127 + b"x", b"1")), {201})
expect("filename of 256 bytes (128 x U+00E9)",
       req(b"POST", b"/upload", form("é".encode() * 128, b"1")), {400})
expect("version of 64 bytes", req(b"POST", b"/upload", form(b"v64", b"9" * 64)), {201})
for n in (63, 65):
    expect("sha256 of %d hex digits" % n,
           req(b"POST", b"/upload", form(b"s%d" % n, b"1", sha=b"a" * n)), {400})
expect("filename field of 1 MiB", req(b"POST", b"/upload", form(b"n" * (1 << 20), b"1")), {400, 413})
expect("part head of 100 KiB", req(b"POST", b"/upload",
       form(b"ph", b"1", file_extra=b"; x=\"" + b"p" * 100000 + b"\"")), {400})
expect("request header of 60 KiB (fits)", req(b"POST", b"/upload", form(b"hdr60k", b"1"),
       headers=b"X-Pad: " + b"a" * 60000 + b"\r\n"), {201})
expect("request header of 200 KiB", req(b"GET", b"/healthz",
       headers=b"X-Pad: " + b"a" * 200000 + b"\r\n"), {431}, False)
expect("20000 request headers", req(b"GET", b"/healthz", headers=b"X-A: b\r\n" * 20000), {431}, False)
expect("URL of 150 KiB", req(b"GET", b"/files/" + b"a" * 150000), {414}, False)

# -- many parts, broken boundaries, duplicates -----------------------------
expect("10000 parts named file", req(b"POST", b"/upload",
       part(b"filename", b"mp") + part(b"version", b"1") + part(b"file", b"x") * 10000 + b"--XB--\r\n"), {400})
expect("5000 unknown parts", req(b"POST", b"/upload", part(b"x", b"y") * 5000 + b"--XB--\r\n"), {400})
expect("empty boundary", req(b"POST", b"/upload", form(b"b", b"1"),
       ct=b"multipart/form-data; boundary="), {400})
expect("body without the declared boundary", req(b"POST", b"/upload",
       form(b"b", b"1").replace(b"--XB", b"--YB")), {400})
expect("duplicate filename", req(b"POST", b"/upload",
       part(b"filename", b"a") + form(b"b", b"1")), {400})
expect("duplicate sha256", req(b"POST", b"/upload",
       part(b"sha256", b"0" * 64) + form(b"b", b"1", sha=b"1" * 64)), {400})
body = form(b"smuggle", b"1")
expect("two Content-Length headers", req(b"POST", b"/upload", body,
       headers=b"Content-Length: 5\r\n"), {400}, False)
raw = (b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XB\r\n"
       b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
       b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\nGET /files/smuggle/1 HTTP/1.1\r\nHost: x\r\n\r\n")
st, body = expect("Content-Length with Transfer-Encoding (smuggling)", raw, {400}, False)
if b"HTTP/1." in body:
    failures.append("the request smuggled after a conflicting head was answered: %r" % body[:300])
expect("Transfer-Encoding gzip", req(b"POST", b"/upload", b"",
       headers=b"Transfer-Encoding: gzip\r\n").replace(b"Content-Length: 0\r\n", b""), {501}, False)
expect("negative Content-Length", req(b"POST", b"/upload", b"",
       headers=b"Content-Length: -1\r\n"), {400}, False)
expect("Content-Length past 2^64", req(b"POST", b"/upload", b"",
       headers=b"Content-Length: 99999999999999999999999\r\n"), {400, 413}, False)

print("201 answers: %d" % n201)
for f in failures:
    print("FAILED: " + f)
sys.exit(1 if failures else 0)
PY
grep -E '^201 answers' "$TEST_TMP/cases.log"
n201=$(sed -n 's/^201 answers: //p' "$TEST_TMP/cases.log")
assert_object_count "$n201"
assert_no_temp_files
assert_no_locks

# Nothing was written anywhere but the storage directory: not beside it,
# and no file anywhere on the root file system carries the marker that
# every traversal payload named.
beside=$(find "$TEST_TMP/root" -newer "$TEST_TMP/stamp" ! -path "$UPLOADD_STORAGE" ! -path "$UPLOADD_STORAGE/*")
[ -z "$beside" ] || fail "written next to the storage directory: $beside"
found=$(find / -xdev -name "*$MARK*" 2>/dev/null | head -5)
[ -z "$found" ] || fail "a traversal payload reached the file system: $found"
info "nothing named *$MARK* on /, nothing new beside the storage directory"

info "slowloris: $((MAX_CONN + 16)) connections trickle their heads; the server cuts them after ${HEAD_TIMEOUT} s and serves others"
python3 - "$UPLOADD_PORT" "$MAX_CONN" "$HEAD_TIMEOUT" <<'PY' || fail "slowloris"
import sys, threading, time, urllib.request
from rawhttp import request

port, max_conn, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
closed = []

def loris():
    # A new header byte every second: each one restarts the idle timeout.
    _, _, _, t = request(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " +
                         b"a" * 40, timeout=30, chunk=1, pause=1.0)
    closed.append(t)

threads = [threading.Thread(target=loris) for _ in range(max_conn + 16)]
for t in threads:
    t.start()
    time.sleep(0.01)
time.sleep(1)
start = time.monotonic()
served = None
while time.monotonic() - start < limit + 10:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2) as r:
            if r.status == 200:
                served = time.monotonic() - start
                break
    except OSError:
        time.sleep(0.2)
for t in threads:
    t.join()
# Those past the connection limit are closed at once (seen at their next
# byte, a second later); the others only by the head deadline.
cut = [t for t in closed if t is not None and t >= limit - 0.5]
print("# slowloris: %d cut by the head deadline after %.1f-%.1f s, %d closed "
      "at the connection limit, another client served after %.1f s" %
      (len(cut), min(cut or [0]), max(cut or [0]), len(closed) - len(cut),
       served if served is not None else -1))
assert None not in closed, "a slow connection was never closed"
assert len(cut) >= max_conn - 2, "too few slow connections were cut: %d" % len(cut)
assert max(cut) < limit + 4, "a slow head outlived --header-timeout: %.1f s" % max(cut)
assert served is not None, "nobody else was served while the slow clients waited"
PY
[ "$(metric uploadd_slow_clients_closed_total)" -ge $((MAX_CONN - 2)) ] ||
	fail "slow clients not counted: $(metric uploadd_slow_clients_closed_total)"

info "a few slow heads (under the connection limit) do not delay other uploads"
python3 - "$UPLOADD_PORT" <<'PY' &
import threading
from rawhttp import request
port = int(__import__("sys").argv[1])
ts = [threading.Thread(target=request, args=(port, b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 8),
      kwargs={"timeout": 10, "chunk": 1, "pause": 1.0}) for _ in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
PY
loris=$!
track_pid $loris
head -c 50000 /dev/urandom >"$TEST_TMP/scratch/f"
for i in 1 2 3; do
	expect_status 201 "$(upload "$TEST_TMP/scratch/f" during-loris "$i" --max-time 5)" "upload $i during slow heads"
done
wait $loris || fail "slow-head clients failed"

info "a body trickled in under --min-body-rate is cut off, lock and temp file released"
python3 - "$UPLOADD_PORT" <<'PY' || fail "slow body"
import sys
from rawhttp import request
port = int(sys.argv[1])
body = (b"--XB\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\ntrickle\r\n"
        b"--XB\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n1\r\n"
        b"--XB\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + b"z" * 4000)
head = (b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
        b"boundary=XB\r\nContent-Length: %d\r\n\r\n" % (len(body) + 100))
# The head and fields at once, then the file a byte every 0.3 s (~3 B/s).
status, _, _, closed = request(port, head + body[:200], timeout=1)
_, _, _, closed = request(port, head + body, timeout=20, chunk=1, pause=0.3)
print("# trickled body: closed after %s s" % closed)
assert closed is not None and closed < 15, "a trickled body was never cut off"
PY
wait_log 'status=0 .* end=error'
sleep 0.5
assert_no_temp_files
assert_no_locks

info "still serving"
expect_status 201 "$(upload "$TEST_TMP/scratch/f" after-all 1)" "a good upload after all that"
curl -s "$UPLOADD_URL/files/after-all/1" | cmp -s - "$TEST_TMP/scratch/f" || fail "download after all that"
assert_no_temp_files
stop_uploadd
