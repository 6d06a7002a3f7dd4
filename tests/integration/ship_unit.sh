#!/usr/bin/env bash
# The systemd unit (tools/dist/uploadd.service.in) as installed:
#  - systemd-analyze verify is silent on it, alone and with the Redis
#    password drop-in (warnings such as an unknown key fail too);
#  - the hardening the brief asks for is there, and the offline security
#    review rates it at most SHIP_MAX_EXPOSURE (default 2.0, "OK");
#  - sysusers.d/uploadd.conf creates the user in a scratch root;
#  - the unit's ExecStart, expanded as systemd does with the example
#    environment file, a credentials directory and the drop-in's variable,
#    starts the real uploadd against a real password-protected Redis: it
#    answers /healthz, refuses an upload without the token and stores one
#    with it. (No systemd manager runs here, so the sandbox itself is not
#    exercised: that needs a machine booted with systemd.)
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"
require_cmd systemd-analyze "apt-get install systemd; it is not started by installing"
require_cmd curl

prefix=$TEST_TMP/root/usr
# Installed for real under a scratch prefix, so ExecStart names a binary
# that exists (verify checks it).
ship_make PREFIX="$prefix" install > "$TEST_TMP/install.log" 2>&1 ||
	fail "make install PREFIX=$prefix failed: $(tail -3 "$TEST_TMP/install.log")"
unit=$prefix/lib/systemd/system/uploadd.service
dropin=$prefix/share/doc/uploadd/redis-password.conf
example=$prefix/share/doc/uploadd/uploadd.default

verify_quiet() { # unit-file
	local out
	out=$(MANPATH="$prefix/share/man" systemd-analyze verify "$1" 2>&1) ||
		fail "systemd-analyze verify $1 failed: $out"
	[ -z "$out" ] || fail "systemd-analyze verify $1 warned: $out"
}
verify_quiet "$unit"
# The drop-in's [Service] lines appended to the unit: what systemd merges.
{ cat "$unit"; echo; cat "$dropin"; } > "$TEST_TMP/uploadd-redis.service"
verify_quiet "$TEST_TMP/uploadd-redis.service"
info "systemd-analyze verify: no warnings, with and without the drop-in"

for want in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
	ProtectHome=yes User=uploadd StateDirectory=uploadd \
	ReadWritePaths=/var/lib/uploadd CapabilityBoundingSet= \
	SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
	LockPersonality=yes ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectKernelLogs=yes ProtectControlGroups=yes \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'EnvironmentFile=-/etc/default/uploadd' \
	'LoadCredential=token:/etc/uploadd/token'; do
	grep -qxF "$want" "$unit" || fail "the unit lacks the line $want"
done
max=${SHIP_MAX_EXPOSURE:-2.0}
sec=$(systemd-analyze security --offline=yes --threshold=$(awk "BEGIN{print int($max*10)}") "$unit" 2>&1) ||
	fail "systemd-analyze security rates the unit above $max: $(tail -1 <<<"$sec")"
info "$(grep 'Overall exposure' <<<"$sec")"

# sysusers.d: the user exists after systemd-sysusers, with no login shell.
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$TEST_TMP/sysroot/etc"
	systemd-sysusers --root="$TEST_TMP/sysroot" "$prefix/lib/sysusers.d/uploadd.conf" \
		> "$TEST_TMP/sysusers.log" 2>&1 || fail "systemd-sysusers failed: $(cat "$TEST_TMP/sysusers.log")"
	pw=$(grep '^uploadd:' "$TEST_TMP/sysroot/etc/passwd") || fail "sysusers did not create uploadd"
	[ "$(cut -d: -f6 <<<"$pw")" = /var/lib/uploadd ] || fail "uploadd's home is not /var/lib/uploadd: $pw"
	case $(cut -d: -f7 <<<"$pw") in */nologin|*/false) ;; *) fail "uploadd has a login shell: $pw" ;; esac
	info "sysusers: $pw"
else
	info "systemd-sysusers not installed: sysusers.d file not applied"
fi

# ExecStart as systemd runs it. The example's UPLOADD_OPTS, with only the
# ports and the storage directory moved to this test's own.
start_redis
# Password set after start: start_redis checks readiness with a bare PING.
[ "$(redis-cli -p "$REDIS_PORT" config set requirepass ship-redis-secret)" = OK ] ||
	fail "cannot set a Redis password"
port=$(free_port) dport=$(free_port)
creds=$TEST_TMP/credentials
mkdir -m 0700 "$creds"
printf 'ship-upload-token\n' > "$creds/token"
printf 'ship-redis-secret\n' > "$creds/redis-password"
chmod 0400 "$creds"/*
sed -e "s|0.0.0.0:8080|127.0.0.1:$port|; s|127.0.0.1:9090|127.0.0.1:$dport|" \
    -e "s|/var/lib/uploadd|$TEST_TMP/storage|; s|--redis-port 6379|--redis-port $REDIS_PORT|" \
    "$example" > "$TEST_TMP/default"
grep -q -- "--redis-port $REDIS_PORT" "$TEST_TMP/default" || fail "the example has no --redis-port 6379 to move"
# An EnvironmentFile is KEY="value" lines: the same in bash.
set -a; source "$TEST_TMP/default"; set +a
# What the drop-in sets (Environment=, %d = the credentials directory).
env_line=$(sed -n 's/^Environment=//p' "$dropin")
UPLOADD_REDIS_AUTH=${env_line#UPLOADD_REDIS_AUTH=}
UPLOADD_REDIS_AUTH=${UPLOADD_REDIS_AUTH//%d/$creds}
exec_line=$(sed -n 's/^ExecStart=//p' "$unit")
exec_line=${exec_line//'${CREDENTIALS_DIRECTORY}'/$creds}
# $VAR alone is split at whitespace, as systemd does.
eval "argv=($exec_line)"
info "ExecStart: ${argv[*]}"
[ "${argv[0]}" = "$prefix/sbin/uploadd" ] || fail "ExecStart runs ${argv[0]}"
"${argv[@]}" --no-access-log > "$TEST_TMP/uploadd.log" 2>&1 &
track_pid $!
wait_port "$port" 10 || fail "uploadd from the unit's ExecStart did not listen: $(tail -3 "$TEST_TMP/uploadd.log")"
wait_port "$dport" 10 || fail "uploadd's debug listener is not up"
code=$(curl -s -o "$TEST_TMP/health" -w '%{http_code}' "http://127.0.0.1:$dport/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code (Redis AUTH through the credential?): $(cat "$TEST_TMP/health")"
echo hello > "$TEST_TMP/f.txt"
code=$(curl -s -o /dev/null -w '%{http_code}' -F filename=f.txt -F version=1 \
	-F "file=@$TEST_TMP/f.txt" "http://127.0.0.1:$port/upload")
[ "$code" = 401 ] || fail "an upload without the token was answered $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ship-upload-token" \
	-F filename=f.txt -F version=1 -F "file=@$TEST_TMP/f.txt" "http://127.0.0.1:$port/upload")
[ "$code" = 201 ] || fail "an upload with the credential's token was answered $code, not 201"
! grep -q "readable by other users" "$TEST_TMP/uploadd.log" ||
	fail "uploadd warned about the credential files' mode: $(cat "$TEST_TMP/uploadd.log")"
info "ExecStart + example env + credentials + drop-in: healthz 200, upload 401 without token, 201 with"
echo "ok"
