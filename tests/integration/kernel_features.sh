#!/usr/bin/env bash
# taskscope on the kernel it runs on (a test of the kernel matrix, run on
# each kernel of `make check-kernels`):
# - snapshot's JSON and watch's summary name the kernel and say which
#   optional kernel facilities their programs used (kernel.bpf_features);
# - every facility this kernel lacks, forced on with TASKSCOPE_BPF_FEATURES
#   =+name, makes the command fail with exit 5 (kernel feature missing) and
#   one line that names the facility and the Linux release it exists from,
#   never a bare errno (on a kernel that has them all there is none);
# - every facility it has, forced off, is done without: the command still
#   works and says it did without (its fallback; the other matrix tests
#   check the fallbacks' output with all of them off).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"
require_bpf
unset TASKSCOPE_BPF_FEATURES     # this test sets it per command

start_target blocked_target "$TEST_TMP/manifest.json"

# features CMD...: runs a command that prints JSON, prints its
# kernel.bpf_features as "name=true|false" lines.
snap_features() {
	"$TASKSCOPE" snapshot -p "$TARGET_PID" --json "$@" | python3 -c '
import json, os, sys
k = json.load(sys.stdin)["kernel"]
assert k["release"] == os.uname().release, k
for n, on in k["bpf_features"].items(): print(f"{n}={str(on).lower()}")'
}
watch_features() {
	"$TASKSCOPE" watch -p "$TARGET_PID" -d 300ms --json -q "$@" | tail -1 | python3 -c '
import json, os, sys
s = json.load(sys.stdin)
assert s["type"] == "summary", s
k = s["kernel"]
assert k["release"] == os.uname().release, k
for n, on in k["bpf_features"].items(): print(f"{n}={str(on).lower()}")'
}

snap=$(snap_features) || fail "snapshot --json failed"
watch=$(watch_features) || fail "watch --json failed"
info "snapshot uses: $(echo $snap)"
info "watch uses: $(echo $watch)"
grep -q '^rcu_kfunc=' <<<"$snap" || fail "snapshot names no rcu_kfunc: $snap"
for f in rcu_kfunc exit_group_dead sock_recv_length switch_prev_state uprobe_multi; do
	grep -q "^$f=" <<<"$watch" || fail "watch's summary names no $f: $watch"
done

# check_forced CMD FEATURE: with FEATURE forced on where the kernel lacks
# it, CMD must fail with exit 5 and one line naming the facility.
forced=0
check_forced() {
	local cmd=$1 f=$2 rc=0
	if [ "$cmd" = snapshot ]; then
		TASKSCOPE_BPF_FEATURES="+$f" "$TASKSCOPE" snapshot -p "$TARGET_PID" \
			>/dev/null 2>"$TEST_TMP/err" || rc=$?
	else
		TASKSCOPE_BPF_FEATURES="+$f" "$TASKSCOPE" watch -p "$TARGET_PID" \
			-d 300ms --stuck 100ms -q >/dev/null 2>"$TEST_TMP/err" || rc=$?
	fi
	[ $rc -eq 5 ] || fail "$cmd with $f forced on: exit $rc, want 5: $(cat "$TEST_TMP/err")"
	[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] ||
		fail "$cmd with $f forced on: want one line, got: $(cat "$TEST_TMP/err")"
	grep -Eq "^taskscope: cannot .* lacks .*, which Linux has from [0-9]+\.[0-9]+ on" "$TEST_TMP/err" ||
		fail "$cmd with $f forced on: the line does not name the facility and release: $(cat "$TEST_TMP/err")"
	info "$cmd +$f: $(cat "$TEST_TMP/err")"
	forced=$((forced + 1))
}

# check_without CMD FEATURE: forced off, CMD works and did without it.
check_without() {
	local cmd=$1 f=$2 out
	out=$(TASKSCOPE_BPF_FEATURES="-$f" "${cmd}_features" 2>"$TEST_TMP/err") ||
		fail "$cmd with $f forced off failed: $(cat "$TEST_TMP/err")"
	grep -qx "$f=false" <<<"$out" || fail "$cmd with $f forced off still used it: $out"
}

for line in $snap; do
	f=${line%=*}
	if [ "${line#*=}" = false ]; then check_forced snapshot "$f"; else check_without snap "$f"; fi
done
for line in $watch; do
	f=${line%=*}
	if [ "${line#*=}" = false ]; then check_forced watch "$f"; else check_without watch "$f"; fi
done
info "kernel $(uname -r): $forced missing facilities named when forced on"

# An unknown name is said, not ignored.
TASKSCOPE_BPF_FEATURES="-no_such_thing" "$TASKSCOPE" snapshot -p "$TARGET_PID" \
	>/dev/null 2>"$TEST_TMP/err" || fail "snapshot with an unknown forced name failed"
grep -q "no optional facility is called 'no_such_thing'" "$TEST_TMP/err" ||
	fail "unknown TASKSCOPE_BPF_FEATURES name not reported: $(cat "$TEST_TMP/err")"
info "all checks passed"
