#!/usr/bin/env bash
# taskscope snapshot's error paths: each is one line on stderr with its
# documented exit code (3 missing/gone/ambiguous target, 6 kernel thread,
# 2 usage, 4 no privileges), --help goes to stdout with exit 0 and lists
# the exit codes, and --comm finds a process by name.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/snapshot.sh"

[ -x "$TASKSCOPE" ] || fail "$TASKSCOPE is not built"

# expect CODE PATTERN CMD...: runs CMD, checks its exit code and that stderr
# is exactly one line matching PATTERN.
expect() {
	local code=$1 pattern=$2 rc=0
	shift 2
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq "$code" ] || fail "'$*' exited $rc, expected $code (stderr: $(cat "$TEST_TMP/err"))"
	[ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] || fail "'$*' printed $(wc -l <"$TEST_TMP/err") stderr lines, expected 1: $(cat "$TEST_TMP/err")"
	grep -Eq "$pattern" "$TEST_TMP/err" || fail "'$*' stderr '$(cat "$TEST_TMP/err")' does not match '$pattern'"
}

# A pid that does not exist: one past the largest pid.
missing=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [ -e /proc/$missing ]; do missing=$((missing - 1)); done
expect 3 "^taskscope: no process with pid $missing" "$TASKSCOPE" snapshot -p "$missing"
expect 6 '^taskscope: pid 2 is a kernel thread' "$TASKSCOPE" snapshot -p 2
expect 2 'unknown option' "$TASKSCOPE" snapshot --bogus
expect 2 'exactly one of' "$TASKSCOPE" snapshot
expect 2 'positive process id' "$TASKSCOPE" snapshot -p abc
expect 2 'missing value' "$TASKSCOPE" snapshot -p
expect 2 'unknown command' "$TASKSCOPE" nosuchcommand
expect 3 "no process named 'no-such-proc-xyz'" "$TASKSCOPE" snapshot --comm no-such-proc-xyz

for cmd in "--help" "help snapshot" "snapshot --help"; do
	# shellcheck disable=SC2086
	"$TASKSCOPE" $cmd >"$TEST_TMP/help" 2>"$TEST_TMP/err" || fail "taskscope $cmd exited $?"
	[ ! -s "$TEST_TMP/err" ] || fail "taskscope $cmd wrote to stderr"
	grep -q '^Exit codes:' "$TEST_TMP/help" || fail "taskscope $cmd lists no exit codes"
	grep -q 'Examples:' "$TEST_TMP/help" || fail "taskscope $cmd has no examples"
done
"$TASKSCOPE" --version | grep -Eq '^taskscope .+' || fail "--version"

# Contract: every long flag of snapshot --help is documented, and back.
doc=$TS_ROOT/docs/taskscope-snapshot.md
help_flags=$("$TASKSCOPE" snapshot --help | grep -Eo -- '--[a-z][a-z-]+' | sort -u)
doc_flags=$(grep -E '^\| `' "$doc" | grep -Eo -- '--[a-z][a-z-]+' | sort -u)
[ "$help_flags" = "$doc_flags" ] ||
	fail "snapshot --help and docs/taskscope-snapshot.md list different flags: $(diff <(echo "$help_flags") <(echo "$doc_flags") | tr '\n' ' ')"
for code in 0 1 2 3 4 5 6; do
	grep -Eq "^\| $code \|" "$doc" || fail "exit code $code is not documented in $doc"
done

# --comm: ambiguous names list every candidate; a unique one resolves.
name=tsambig$$
cp /bin/sleep "$TEST_TMP/$name"
"$TEST_TMP/$name" 300 & p1=$!; track_pid $p1
"$TEST_TMP/$name" 300 & p2=$!; track_pid $p2
for _ in $(seq 50); do [ "$(cat /proc/$p2/comm 2>/dev/null)" = "$name" ] && break; sleep 0.05; done
expect 3 "2 processes are named '$name': ($p1, $p2|$p2, $p1) \(pick one with -p PID\)" \
	"$TASKSCOPE" snapshot --comm "$name"
stop_pid $p2
if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	"$TASKSCOPE" snapshot --comm "$name" --json >"$TEST_TMP/comm.json" ||
		fail "--comm with one match exited $?"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pid"]==int(sys.argv[2]), d["pid"]' \
		"$TEST_TMP/comm.json" "$p1" || fail "--comm resolved the wrong process"
	# Without privileges: exit 4 and what to do.
	if command -v setpriv >/dev/null; then
		expect 4 'not root and CAP_BPF \+ CAP_PERFMON' \
			setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			"$TASKSCOPE" snapshot -p "$p1"
	fi
	# -o writes the file whole (no temp file left behind).
	"$TASKSCOPE" snapshot -p "$p1" -o "$TEST_TMP/out.txt" || fail "-o exited $?"
	grep -q "^thread $p1 " "$TEST_TMP/out.txt" || fail "-o file lacks the thread"
	[ -z "$(ls "$TEST_TMP" | grep 'out.txt.tmp')" ] || fail "-o left a temp file"
else
	info "not root: skipping the privileged half"
fi
info "error paths ok"
