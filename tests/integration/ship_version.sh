#!/usr/bin/env bash
# One version everywhere: `uploadd --version` and `taskscope --version`
# (and -V) print "<program> <version>" alone on stdout and exit 0, with the
# same version, the one in $BUILD/gen/version.h, which the man pages carry
# too. The Makefile's rule regenerates version.h on every make (a stale
# version is replaced) and falls back to the VERSION file outside git.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"
require_cmd make

version_of() { # program flag
	local out err
	out=$("$TS_BUILD/$1" "$2" 2>"$TEST_TMP/v.err") || fail "$1 $2 exited $?"
	[ ! -s "$TEST_TMP/v.err" ] || fail "$1 $2 wrote to stderr: $(cat "$TEST_TMP/v.err")"
	[ "$(wc -l <<<"$out")" = 1 ] || fail "$1 $2 printed more than one line: $out"
	[[ $out =~ ^$1\ ([A-Za-z0-9._+-]+)$ ]] || fail "$1 $2 printed '$out', not '$1 VERSION'"
	echo "${BASH_REMATCH[1]}"
}

v=$(version_of uploadd --version)
for p in "uploadd -V" "taskscope --version" "taskscope -V"; do
	[ "$(version_of $p)" = "$v" ] || fail "$p says $(version_of $p), uploadd --version says $v"
done
h=$(sed -n 's/^#define TS_VERSION "\(.*\)"$/\1/p' "$TS_BUILD/gen/version.h")
[ "$h" = "$v" ] || fail "the programs say $v, $TS_BUILD/gen/version.h says $h"
for name in uploadd taskscope; do
	th=$(grep '^\.TH ' "$SHIP_DIST/$name.8")
	[[ $th == *"\"$name $v\""* ]] || fail "$name(8) does not carry version $v: $th"
done
info "uploadd, taskscope, version.h and both man pages: $v"

# The rule itself, in a scratch build directory.
unset MAKEFLAGS MFLAGS MAKELEVEL
vb=$TEST_TMP/vbuild
mkdir -p "$vb/gen"
echo '#define TS_VERSION "stale-0"' > "$vb/gen/version.h"
make -s -C "$TS_ROOT" --no-print-directory BUILD="$vb" "$vb/gen/version.h" ||
	fail "make $vb/gen/version.h failed"
want=$(cd "$TS_ROOT" && git describe --tags --always --dirty 2>/dev/null || cat VERSION)
got=$(sed -n 's/^#define TS_VERSION "\(.*\)"$/\1/p' "$vb/gen/version.h")
# The tree may turn dirty or clean while tests run (others edit it): the
# part before -dirty must match.
[ "${got%-dirty}" = "${want%-dirty}" ] || fail "version.h was not regenerated: has '$got', git describe says '$want'"
# Outside git: the VERSION file.
rm "$vb/gen/version.h"
GIT_DIR=$TEST_TMP/no-git GIT_CEILING_DIRECTORIES=$TS_ROOT \
	make -s -C "$TS_ROOT" --no-print-directory BUILD="$vb" "$vb/gen/version.h" ||
	fail "make version.h without git failed"
got=$(sed -n 's/^#define TS_VERSION "\(.*\)"$/\1/p' "$vb/gen/version.h")
[ "$got" = "$(cat "$TS_ROOT/VERSION")" ] || fail "without git, version.h has '$got', VERSION has '$(cat "$TS_ROOT/VERSION")'"
info "version.h: regenerated when stale; '$(cat "$TS_ROOT/VERSION")' from VERSION outside git"
echo "ok"
