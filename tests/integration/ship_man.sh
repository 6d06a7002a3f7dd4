#!/usr/bin/env bash
# The man pages as built for install ($BUILD/dist/*.8): groff -ww and man -l
# render them without a single warning, every section a reader looks for is
# there, the NAME line is what apropos/mandb read, the text fits 80
# columns, and no @PLACEHOLDER@ is left unfilled.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"
require_cmd groff "apt-get install groff-base"
require_cmd man "apt-get install man-db"

for name in uploadd taskscope; do
	page=$SHIP_DIST/$name.8
	groff -ww -man -Tutf8 "$page" > "$TEST_TMP/$name.txt" 2> "$TEST_TMP/groff.err" ||
		fail "groff failed on $page: $(cat "$TEST_TMP/groff.err")"
	[ ! -s "$TEST_TMP/groff.err" ] || fail "groff -ww warns on $page: $(cat "$TEST_TMP/groff.err")"
	[ -s "$TEST_TMP/$name.txt" ] || fail "groff rendered $page as nothing"
	MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings=w -l "$page" > "$TEST_TMP/$name.man" 2> "$TEST_TMP/man.err" ||
		fail "man -l $page failed: $(cat "$TEST_TMP/man.err")"
	[ ! -s "$TEST_TMP/man.err" ] || fail "man -l warns on $page: $(cat "$TEST_TMP/man.err")"

	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES \
		EXAMPLES "SEE ALSO"; do
		grep -qx "$sec" "$TEST_TMP/$name.man" || fail "$name(8) has no $sec section"
	done
	if command -v lexgrog >/dev/null; then
		whatis=$(lexgrog "$page") || fail "lexgrog cannot read the NAME section of $page: $whatis"
		grep -q "\"$name - " <<<"$whatis" || fail "$name(8)'s NAME line is not '$name - ...': $whatis"
	fi
	wide=$(awk 'length > 80 { print FNR": "$0 }' "$TEST_TMP/$name.man")
	[ -z "$wide" ] || fail "$name(8) has lines over 80 columns: $wide"
	! grep -n '@[A-Z_]*@' "$page" || fail "$page has an unfilled placeholder (above)"
	info "$name(8): $(wc -l < "$TEST_TMP/$name.man") lines, no warnings"
done
echo "ok"
