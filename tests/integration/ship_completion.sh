#!/usr/bin/env bash
# The bash completion (tools/dist/completion.bash) loads in a plain bash and
# completes what it should: taskscope's commands and each command's flags
# (the same sets as --help, both ways), process ids for -p, process names
# for --comm, files for -o/--trace/--pprof, directories for uploadd's
# --storage.
# Each completion function is called the way bash calls it (COMP_WORDS,
# COMP_CWORD, COMP_LINE, COMP_POINT set) in a fresh `bash --norc`, twice:
# alone, and after bash-completion's own helpers (when installed), which
# the script uses when present. Installed, bash-completion finds it by
# either command's name (completions/uploadd is a link to taskscope).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"

script=$TS_ROOT/tools/dist/completion.bash
bash -n "$script" || fail "bash -n $script: syntax error"

helpers=/usr/share/bash-completion/bash_completion
modes=(plain)
if [ -r "$helpers" ]; then
	modes+=(helpers)
else
	info "bash-completion is not installed: only the plain mode is tested (apt-get install bash-completion)"
fi

# Prints the completions of the last word, one per line. Args: mode, then
# the words of the command line (the last one being completed, maybe "").
complete_words() {
	local mode=$1
	shift
	bash --norc --noprofile -c '
		set -u
		mode=$1 file=$2 helpers=$3
		shift 3
		if [ "$mode" = helpers ]; then
			source "$helpers" || { echo "cannot source $helpers" >&2; exit 3; }
		fi
		source "$file" || { echo "cannot source $file" >&2; exit 3; }
		spec=$(complete -p "$1") || { echo "no complete -p $1" >&2; exit 4; }
		fn=${spec#*-F }
		fn=${fn%% *}
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		# The line as typed: a "=" word (COMP_WORDBREAKS) has no spaces
		# around it.
		COMP_LINE=$1
		for ((i = 1; i < $#; i++)); do
			w=${COMP_WORDS[i]}
			if [ "$w" = = ] || [ "${COMP_WORDS[i - 1]}" = = ]; then
				COMP_LINE+=$w
			else
				COMP_LINE+=" $w"
			fi
		done
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]+"${COMPREPLY[@]}"}"
	' _ "$mode" "$script" "$helpers" "$@" 2>"$TEST_TMP/complete.err" ||
		fail "[$mode] completing '$*' failed: $(cat "$TEST_TMP/complete.err")"
	[ ! -s "$TEST_TMP/complete.err" ] ||
		fail "[$mode] completing '$*' wrote to stderr: $(cat "$TEST_TMP/complete.err")"
}

# expect MODE WANT WORDS...: the completions, sorted, are exactly WANT
# (newline-separated).
expect() {
	local mode=$1 want=$2 got
	shift 2
	got=$(complete_words "$mode" "$@" | sort)
	[ "$got" = "$(sort <<<"$want")" ] ||
		fail "[$mode] completing '$*' gave [$(tr '\n' ' ' <<<"$got")], want [$(tr '\n' ' ' <<<"$want")] (the lists are in tools/dist/completion.bash)"
}
# expect_has MODE WANT WORDS...: WANT is among the completions.
expect_has() {
	local mode=$1 want=$2 got
	shift 2
	got=$(complete_words "$mode" "$@")
	grep -qxF -- "$want" <<<"$got" ||
		fail "[$mode] completing '$*' does not offer $want: $(head -5 <<<"$got" | tr '\n' ' ')..."
}

# Something to find: a process with a name of our own, and some files.
cp /bin/sleep "$TEST_TMP/ship-sleeper-bin"
"$TEST_TMP/ship-sleeper-bin" 600 &
sleeper=$!
track_pid "$sleeper"
# Until it has exec'd, the child is still called bash.
for _ in $(seq 100); do
	comm=$(cat "/proc/$sleeper/comm")
	[ "$comm" = ship-sleeper-bi ] && break
	sleep 0.05
done
[ "$comm" = ship-sleeper-bi ] || fail "the sleeper's comm is $comm"
mkdir -p "$TEST_TMP/out/dir1"
touch "$TEST_TMP/out/file1"

ts_help=$("$TS_BUILD/taskscope" --help)
cmds=$(contract commands-help <<<"$ts_help")
up_flags=$("$TS_BUILD/uploadd" --help | contract flags-help)

for mode in "${modes[@]}"; do
	spec=$(bash --norc --noprofile -c 'source "$1" && complete -p taskscope uploadd' _ "$script")
	[ "$spec" = $'complete -F _taskscope taskscope\ncomplete -F _uploadd uploadd' ] ||
		fail "complete -p taskscope uploadd: $spec"

	# The examples of the brief.
	expect "$mode" snapshot taskscope sn
	expect "$mode" --json taskscope snapshot --j
	# Commands and global flags, as --help has them.
	expect "$mode" "$cmds"$'\nhelp' taskscope ""
	expect "$mode" "$(contract flags-help <<<"$ts_help")" taskscope -
	expect "$mode" "$cmds" taskscope help ""
	expect "$mode" watch taskscope -v help w
	for c in $cmds; do
		expect "$mode" "$("$TS_BUILD/taskscope" "$c" --help | contract flags-help)" taskscope "$c" -
		expect "$mode" "$("$TS_BUILD/taskscope" "$c" --help | contract flags-help)" taskscope -v "$c" --comm x -
		# Argument completion.
		expect_has "$mode" "$sleeper" taskscope "$c" -p "${sleeper:0:2}"
		expect_has "$mode" "$sleeper" taskscope "$c" --pid ""
		expect "$mode" "$comm" taskscope "$c" --comm ship-sleeper-
	done
	expect "$mode" "$TEST_TMP/out/file1" taskscope snapshot -o "$TEST_TMP/out/fi"
	expect "$mode" "$TEST_TMP/out/file1" taskscope snapshot --output = "$TEST_TMP/out/fi"
	expect "$mode" "$TEST_TMP/out/file1" taskscope watch --trace "$TEST_TMP/out/fi"
	expect "$mode" "$TEST_TMP/out/file1" taskscope snapshot --pprof "$TEST_TMP/out/fi"
	expect "$mode" "" taskscope watch --duration ""
	expect "$mode" "" taskscope snapshot --stack-size ""

	# uploadd.
	expect "$mode" "$up_flags" uploadd -
	expect "$mode" --storage uploadd --sto
	expect "$mode" "$TEST_TMP/out/dir1" uploadd --storage "$TEST_TMP/out/d"
	expect "$mode" "" uploadd --storage "$TEST_TMP/out/f"
	expect "$mode" "$TEST_TMP/out/file1" uploadd --token-file "$TEST_TMP/out/fi"
	expect_has "$mode" root uploadd --user ro
	expect "$mode" off uploadd --debug-listen o
	expect "$mode" "" uploadd --redis-port ""
	info "[$mode] all completions as expected"
done
# Installed: bash-completion's loader finds both by name, as on first TAB.
if [ -r "$helpers" ]; then
	ship_make PREFIX="$TEST_TMP/usr" install > "$TEST_TMP/install.log" 2>&1 ||
		fail "make install PREFIX=$TEST_TMP/usr failed: $(tail -3 "$TEST_TMP/install.log")"
	for c in taskscope uploadd; do
		spec=$(HOME=$TEST_TMP XDG_DATA_DIRS=$TEST_TMP/usr/share bash --norc --noprofile -c '
			source "$1" && __load_completion "$2" && complete -p "$2"' _ "$helpers" "$c" 2>&1) ||
			fail "bash-completion does not load the installed completion of $c: $spec"
		[ "$spec" = "complete -F _$c $c" ] || fail "installed completion of $c: $spec"
	done
	info "installed: bash-completion loads completions/taskscope and completions/uploadd by name"
fi
echo "ok"
