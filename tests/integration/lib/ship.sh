# Helpers for the ship_* tests (sourced after common.sh): the programs'
# command-line contract read from --help and from the man pages
# (cli_contract.py), and a set comparison that names every difference.

SHIP_CONTRACT="$TS_ROOT/tests/integration/lib/cli_contract.py"
SHIP_DIST="$TS_BUILD/dist"

require_cmd python3
[ -x "$TS_BUILD/uploadd" ] && [ -x "$TS_BUILD/taskscope" ] ||
	fail "$TS_BUILD/uploadd or taskscope is missing: run make BUILD=$TS_BUILD first"
[ -f "$SHIP_DIST/uploadd.8" ] && [ -f "$SHIP_DIST/taskscope.8" ] ||
	fail "$SHIP_DIST has no man pages: run make BUILD=$TS_BUILD first (tools/dist/install.mk)"

contract() { python3 "$SHIP_CONTRACT" "$@"; }

# Runs a program's help; it must exit 0 and print to stdout only.
# Prints the help text. Args: the command line.
help_text() {
	local out err rc
	out=$("$@" 2>"$TEST_TMP/help.err") && rc=0 || rc=$?
	err=$(cat "$TEST_TMP/help.err")
	[ $rc -eq 0 ] || fail "'$*' exited $rc, not 0"
	[ -z "$err" ] || fail "'$*' wrote to stderr: $err"
	[ -n "$out" ] || fail "'$*' printed nothing"
	printf '%s\n' "$out"
}

# Compares two sorted lists (one item a line); fails naming what is only in
# one, and SHIP_HINT (what to edit) when set. Args: what, name-of-left,
# left, name-of-right, right.
same_set() {
	local what=$1 ln=$2 left=$3 rn=$4 right=$5 only_l only_r
	[ -n "$left" ] || fail "$what: nothing found in $ln (parser or format changed?)"
	[ -n "$right" ] || fail "$what: nothing found in $rn (parser or format changed?)"
	only_l=$(comm -23 <(printf '%s\n' "$left") <(printf '%s\n' "$right") | tr '\n' ' ')
	only_r=$(comm -13 <(printf '%s\n' "$left") <(printf '%s\n' "$right") | tr '\n' ' ')
	[ -z "$only_l$only_r" ] ||
		fail "$what differ: only in $ln: [${only_l% }]; only in $rn: [${only_r% }]${SHIP_HINT:+ ($SHIP_HINT)}"
	info "$what agree: $(printf '%s\n' "$left" | tr '\n' ' ')"
}

# Runs make on the repository's Makefile the way a user would run
# `make install`, without touching this build: a make of our own (the flags
# of the make running the tests, -j, BUILD, SANITIZE, stay outside), the
# binaries and version.h used as built (-o: a sanitizer build would
# otherwise be rebuilt without its flags, and version.h follow the tree),
# and the generated man pages and unit (which carry PREFIX) written to
# $TEST_TMP/dist instead of $TS_BUILD/dist. Args: make arguments.
ship_make() {
	local b
	b=$(realpath --relative-to="$TS_ROOT" "$TS_BUILD")
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$TS_ROOT" --no-print-directory BUILD="$b" \
		DIST="$TEST_TMP/dist" -o "$b/uploadd" -o "$b/taskscope" \
		-o "$b/gen/version.h" "$@"
}
