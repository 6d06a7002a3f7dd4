#!/usr/bin/env bash
# --help and the man pages describe the same command line: for uploadd and
# for taskscope (global options, the command list, each command's options)
# the flags, commands and exit codes of --help and of uploadd(8) /
# taskscope(8) are the same sets, both ways; every --help goes to stdout and
# exits 0; no flag is documented outside an options section of the page.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"

SHIP_HINT="a flag, command or exit code changed: update docs/man/*.8.in, and tools/dist/completion.bash for flags"
up=$TS_BUILD/uploadd ts=$TS_BUILD/taskscope
man_up=$SHIP_DIST/uploadd.8 man_ts=$SHIP_DIST/taskscope.8

# uploadd: one option list.
h=$(help_text "$up" --help)
[ "$(help_text "$up" -h)" = "$h" ] || fail "uploadd -h and --help differ"
same_set "uploadd flags" "uploadd --help" "$(contract flags-help <<<"$h")" \
	"uploadd(8) OPTIONS" "$(contract flags-man "$man_up" OPTIONS)"
same_set "uploadd exit codes" "uploadd --help" "$(contract exits-help <<<"$h")" \
	"uploadd(8) EXIT STATUS" "$(contract exits-man "$man_up")"
stray=$(contract stray-man "$man_up" OPTIONS)
[ -z "$stray" ] || fail "uploadd(8) documents flags outside OPTIONS: $stray"

# taskscope: global options, then each command of its command list.
h=$(help_text "$ts" --help)
[ "$(help_text "$ts" -h)" = "$h" ] || fail "taskscope -h and --help differ"
[ "$(help_text "$ts" help)" = "$h" ] || fail "taskscope help and --help differ"
same_set "taskscope global flags" "taskscope --help" "$(contract flags-help <<<"$h")" \
	"taskscope(8) OPTIONS" "$(contract flags-man "$man_ts" OPTIONS)"
cmds=$(contract commands-help <<<"$h")
same_set "taskscope commands" "taskscope --help" "$cmds" \
	"taskscope(8) COMMANDS" "$(contract commands-man "$man_ts")"
same_set "taskscope exit codes" "taskscope --help" "$(contract exits-help <<<"$h")" \
	"taskscope(8) EXIT STATUS" "$(contract exits-man "$man_ts")"
sections=(OPTIONS)
for c in $cmds; do
	ch=$(help_text "$ts" "$c" --help)
	[ "$(help_text "$ts" help "$c")" = "$ch" ] ||
		fail "taskscope help $c and taskscope $c --help differ"
	[ "$(help_text "$ts" "$c" -h)" = "$ch" ] || fail "taskscope $c -h and --help differ"
	sec="${c^^} OPTIONS"
	same_set "taskscope $c flags" "taskscope $c --help" "$(contract flags-help <<<"$ch")" \
		"taskscope(8) $sec" "$(contract flags-man "$man_ts" "$sec")"
	same_set "taskscope $c exit codes" "taskscope $c --help" \
		"$(contract exits-help <<<"$ch")" \
		"taskscope(8) EXIT STATUS" "$(contract exits-man "$man_ts")"
	sections+=("$sec")
done
stray=$(contract stray-man "$man_ts" "${sections[@]}")
[ -z "$stray" ] || fail "taskscope(8) documents flags outside its options sections: $stray"

# The parsers themselves: a flag added to a help text must be noticed.
extra=$(printf '%s\n      --not-in-the-man  x\n' "$(help_text "$up" --help)" |
	contract flags-help | grep -c -- '--not-in-the-man' || true)
[ "$extra" = 1 ] || fail "cli_contract.py flags-help missed a flag line"
echo "ok"
