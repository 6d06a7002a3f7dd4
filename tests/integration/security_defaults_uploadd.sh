#!/usr/bin/env bash
# uploadd's security defaults, as shipped (uploadd_security.sh covers the
# Redis password file, the root warning and --user dropping to nobody):
# - the debug listener (/metrics, /healthz, /debug/threads) binds to
#   127.0.0.1 unless told otherwise, and its routes are not on the public
#   listener (checked with the real default ports, in a private network
#   namespace so nothing else can hold them);
# - with --token-file, every upload needs the exact bearer token: missing,
#   wrong, prefix, extended, padded and wrong-scheme tokens get 401 and
#   store nothing; the comparison is of SHA-256 digests with CRYPTO_memcmp
#   (constant time, length hidden): the binary must import both;
# - secrets never come from argv (no such options), never show in
#   /proc/PID/cmdline or environ or in the log, and a secret file readable
#   by others is warned about;
# - after --user: no capabilities, no supplementary groups, root cannot be
#   regained (privs.c checks it); stored objects are not world-readable, the storage directory
#   not world-accessible, and a symlink planted in it is never followed.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uploadd.sh"
require_cmd curl
require_cmd python3
UPLOADD=$TS_BUILD/uploadd

info "secrets never on the command line"
for opt in --token --redis-password --password; do
	rc=0
	"$UPLOADD" "$opt" hunter2 >/dev/null 2>"$TEST_TMP/err" || rc=$?
	[ $rc -eq 2 ] || fail "$opt: exit $rc, want 2 (usage)"
	grep -q "unknown option '$opt'" "$TEST_TMP/err" || fail "$opt: $(cat "$TEST_TMP/err")"
done
# Read whole: grep -q would stop reading early and the writer get SIGPIPE.
help=$("$UPLOADD" --help)
grep -q -- '--token-file FILE' <<<"$help" || fail "--help lacks --token-file"
grep -q -- '--redis-password-file FILE' <<<"$help" || fail "--help lacks --redis-password-file"
grep -q 'default 127.0.0.1:9090' <<<"$help" || fail "--help does not say the debug listener defaults to loopback"

info "bearer token: every near miss is refused"
TOKEN=Tk-$RANDOM$RANDOM$RANDOM
printf '%s\n' "$TOKEN" >"$TEST_TMP/token"
chmod 644 "$TEST_TMP/token"          # readable by others: must be warned about
start_redis
start_uploadd --token-file "$TEST_TMP/token"
grep -q "warning: $TEST_TMP/token is readable by other users (chmod 600" "$UPLOADD_LOG" ||
	fail "no warning for a world-readable token file"
head -c 5000 /dev/urandom >"$TEST_TMP/f"
n=0
for hdr in "" "Authorization: Bearer" "Authorization: Bearer " "Authorization: Bearer x" \
	"Authorization: Bearer ${TOKEN:0:${#TOKEN}-1}" "Authorization: Bearer ${TOKEN}x" \
	"Authorization: Bearer ${TOKEN} " "Authorization: Basic $TOKEN" \
	"Authorization: $TOKEN" "Authorization: Bearer ${TOKEN^^}" "X-Token: $TOKEN"; do
	n=$((n + 1))
	code=$(upload "$TEST_TMP/f" guarded "$n" ${hdr:+-H "$hdr"})
	expect_status 401 "$code" "upload with '${hdr:-no header}'"
	grep -q 'Bearer' "$TEST_TMP/body" || fail "401 body does not say what to send"
done
curl -s -D "$TEST_TMP/h" -o /dev/null -F filename=a -F version=1 -F "file=@$TEST_TMP/f" "$UPLOADD_URL/upload"
grep -qi '^WWW-Authenticate: Bearer' "$TEST_TMP/h" || fail "401 without WWW-Authenticate"
assert_object_count 0
assert_no_locks
expect_status 201 "$(upload "$TEST_TMP/f" guarded 0 -H "Authorization: Bearer $TOKEN")" "upload with the token"
expect_status 201 "$(upload "$TEST_TMP/f" guarded 00 -H "authorization: bearer $TOKEN")" "scheme and header name are case-insensitive"
! grep -q -- "$TOKEN" "$UPLOADD_LOG" || fail "the token appears in the log"
! grep -qa -- "$TOKEN" "/proc/$UPLOADD_PID/cmdline" "/proc/$UPLOADD_PID/environ" ||
	fail "the token is in uploadd's command line or environment"
undef=$(nm -D --undefined-only "$UPLOADD")
grep -q ' CRYPTO_memcmp\(@\|$\)' <<<"$undef" || fail "uploadd does not use CRYPTO_memcmp for the token"
grep -q ' EVP_Digest\(@\|$\)' <<<"$undef" || fail "uploadd does not digest the token before comparing"

info "stored objects are private; a symlink in the storage is never followed"
# A 5000-byte file is a record in a segment file (segstore.h): the
# segment and its directory must be as private as a file of its own.
path=$(json_field path)
obj=$UPLOADD_STORAGE/$path
[[ $path == seg-* ]] && obj=$UPLOADD_STORAGE/segments/${path%%:*}
mode=$(stat -c %a "$obj")
[ $((0$mode & 07)) -eq 0 ] || fail "object mode $mode is accessible to others"
dmode=$(stat -c %a "$UPLOADD_STORAGE")
[ $((0$dmode & 07)) -eq 0 ] || fail "storage directory mode $dmode is accessible to others"
dmode=$(stat -c %a "$UPLOADD_STORAGE/segments")
[ $((0$dmode & 07)) -eq 0 ] || fail "segments directory mode $dmode is accessible to others"
head -c 70000 /dev/urandom >"$TEST_TMP/big"   # above --small-file-max: a file
expect_status 201 "$(upload "$TEST_TMP/big" guarded 1 -H "Authorization: Bearer $TOKEN")" "a file of its own"
mode=$(stat -c %a "$UPLOADD_STORAGE/$(json_field path)")
[ $((0$mode & 07)) -eq 0 ] || fail "object mode $mode is accessible to others"
ln -s /etc/passwd "$UPLOADD_STORAGE/aaaa.bbbb"
redis-cli -p "$REDIS_PORT" hset file:link:1 filename link version 1 size 100 \
	sha256 "$(printf 'a%.0s' $(seq 64))" path aaaa.bbbb uploaded_at x >/dev/null
redis-cli -p "$REDIS_PORT" zadd versions:link 1 1 >/dev/null
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/link/1")
! grep -q 'root:' "$TEST_TMP/body" || fail "followed a symlink out of the storage"
[ "$code" -ge 400 ] || fail "a symlinked object was served ($code)"
rm -f "$UPLOADD_STORAGE/aaaa.bbbb"
ln -s /etc/passwd "$UPLOADD_STORAGE/segments/seg-99999999"
redis-cli -p "$REDIS_PORT" hset file:link:1 path seg-99999999:64:100 >/dev/null
code=$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL/files/link/1")
! grep -q 'root:' "$TEST_TMP/body" || fail "followed a symlinked segment out of the storage"
[ "$code" -ge 400 ] || fail "a symlinked segment was served ($code)"
rm -f "$UPLOADD_STORAGE/segments/seg-99999999"
redis-cli -p "$REDIS_PORT" del file:link:1 versions:link >/dev/null
info "debug routes are not on the public listener"
for p in /debug/threads /debug/threads?format=json; do
	expect_status 404 "$(curl -s -o "$TEST_TMP/body" -w '%{http_code}' "$UPLOADD_URL$p")" "public $p"
done
stop_uploadd

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! unshare -n true 2>/dev/null; then
	info "not root or no network namespaces: default-listener and --user checks not run"
	exit 0
fi

info "default listeners, in a private network namespace: API on 0.0.0.0:8080, debug on 127.0.0.1:9090 only"
mkdir -p "$TEST_TMP/ns"
unshare -n bash -s "$UPLOADD" "$TEST_TMP/ns" >"$TEST_TMP/ns.out" 2>&1 <<'NS' || { cat "$TEST_TMP/ns.out"; fail "default listeners"; }
set -euo pipefail
uploadd=$1 dir=$2
ip link set lo up
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
	--daemonize no >"$dir/redis.log" 2>&1 &
redis=$!
"$uploadd" --storage "$dir/storage" >"$dir/uploadd.log" 2>&1 &
up=$!
trap 'kill $up $redis 2>/dev/null; wait $up $redis 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$dir/uploadd.log" && break; sleep 0.05; done
grep 'listening on' "$dir/uploadd.log"
ss -Hltnp | grep "pid=$up," | awk '{ print $4 }' | sort >"$dir/listen"
cat "$dir/listen"
[ "$(cat "$dir/listen")" = "$(printf '0.0.0.0:8080\n127.0.0.1:9090')" ] ||
	{ echo "uploadd listens on: $(cat "$dir/listen" | tr '\n' ' ')"; exit 1; }
curl -sf http://127.0.0.1:9090/healthz >/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/debug/threads)" = 404 ]
kill -TERM $up
wait $up
NS
grep -E 'listening on|:8080|:9090' "$TEST_TMP/ns.out" | sed 's/^/# /'

info "--user: no capabilities, no supplementary groups, uid nobody everywhere"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
mkdir -p "$TEST_TMP/nobody"
chown nobody "$TEST_TMP/nobody"
chmod 755 "$TEST_TMP"
UPLOADD_STORAGE=$TEST_TMP/nobody
start_uploadd --user nobody
status=/proc/$UPLOADD_PID/status
for f in CapPrm CapEff CapAmb; do
	v=$(awk -v f="$f:" '$1 == f { print $2 }' "$status")
	[ "$v" = 0000000000000000 ] || fail "$f is $v after --user nobody"
done
groups=$(awk '$1 == "Groups:" { $1 = ""; print }' "$status" | tr -d ' ')
nogroup=$(id -g nobody)
[ -z "$groups" ] || [ "$groups" = "$nogroup" ] || fail "supplementary groups left: $groups"
[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "$status")" = 65534655346553465534 ] ||
	fail "uid not nobody everywhere"
expect_status 201 "$(upload "$TEST_TMP/f" as-nobody 1)" "upload as nobody"
stop_uploadd
