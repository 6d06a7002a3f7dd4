#!/usr/bin/env bash
# `make install DESTDIR=...` lays out the complete tree (binaries, man pages,
# unit, sysusers, example files, completions; exactly those, with their
# modes), the installed programs run and the installed man pages are found
# by man(1); `make uninstall` then leaves the staged tree empty, and never
# removes a file it did not install. Done for the default PREFIX and for
# PREFIX=/usr (the unit's ExecStart follows the prefix).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/ship.sh"
require_cmd make

check_prefix() {
	local prefix=$1 dest=$TEST_TMP/dest-${1//\//_} p
	p=${dest}${prefix}
	mkdir -p "$dest"
	# Someone else's file in a directory install shares: must survive.
	mkdir -p "$p/sbin" && echo keep > "$p/sbin/not-ours"

	ship_make PREFIX="$prefix" DESTDIR="$dest" install > "$TEST_TMP/install.log" 2>&1 ||
		fail "make install PREFIX=$prefix failed: $(tail -3 "$TEST_TMP/install.log")"

	local want="0644 $p/lib/systemd/system/uploadd.service
0644 $p/lib/sysusers.d/uploadd.conf
0644 $p/sbin/not-ours
0644 $p/share/bash-completion/completions/taskscope
0644 $p/share/doc/uploadd/redis-password.conf
0644 $p/share/doc/uploadd/uploadd.default
0644 $p/share/man/man8/taskscope.8
0644 $p/share/man/man8/uploadd.8
0755 $p/sbin/taskscope
0755 $p/sbin/uploadd"
	local got
	got=$(find "$dest" -type f -printf '%m %p\n' | sed 's/^\([0-9][0-9][0-9]\) /0\1 /' | sort)
	[ "$got" = "$(sort <<<"$want")" ] ||
		fail "PREFIX=$prefix: installed tree differs: $(diff <(sort <<<"$want") <(printf '%s\n' "$got") | grep '^[<>]' | tr '\n' ' ')"
	info "PREFIX=$prefix: $(grep -c . <<<"$want") files, modes as expected"
	local links
	links=$(cd "$dest" && find . -type l -printf '%p -> %l\n')
	[ "$links" = "./${prefix#/}/share/bash-completion/completions/uploadd -> taskscope" ] ||
		fail "PREFIX=$prefix: symbolic links installed: [$links], want completions/uploadd -> taskscope"

	cmp -s "$p/sbin/uploadd" "$TS_BUILD/uploadd" || fail "installed uploadd is not the built one"
	cmp -s "$p/sbin/taskscope" "$TS_BUILD/taskscope" || fail "installed taskscope is not the built one"
	"$p/sbin/uploadd" --version | grep -q '^uploadd ' || fail "installed uploadd --version failed"
	"$p/sbin/taskscope" --version | grep -q '^taskscope ' || fail "installed taskscope --version failed"
	grep -qx "ExecStart=$prefix/sbin/uploadd .*" "$p/lib/systemd/system/uploadd.service" ||
		fail "PREFIX=$prefix: the unit's ExecStart does not run $prefix/sbin/uploadd: $(grep ExecStart= "$p/lib/systemd/system/uploadd.service")"
	! grep -n '@[A-Z]*@' "$p/share/man/man8/"*.8 "$p/lib/systemd/system/uploadd.service" ||
		fail "PREFIX=$prefix: a placeholder was left unfilled (above)"
	# man(1) finds the pages in the tree, as it would under $prefix.
	for m in uploadd taskscope; do
		[ "$(MANPATH="$p/share/man" man -w "$m" 2>/dev/null)" = "$p/share/man/man8/$m.8" ] ||
			fail "man -w $m does not find $p/share/man/man8/$m.8"
	done

	ship_make PREFIX="$prefix" DESTDIR="$dest" uninstall > "$TEST_TMP/uninstall.log" 2>&1 ||
		fail "make uninstall PREFIX=$prefix failed: $(tail -3 "$TEST_TMP/uninstall.log")"
	got=$(cd "$dest" && find . -mindepth 1 -type f | tr '\n' ' ')
	[ "$got" = "./${prefix#/}/sbin/not-ours " ] ||
		fail "PREFIX=$prefix: after uninstall, files other than sbin/not-ours: $got"
	[ -f "$p/sbin/not-ours" ] || fail "PREFIX=$prefix: uninstall removed a file it did not install"
	rm "$p/sbin/not-ours"
	# Removing our file left sbin empty; a second uninstall prunes it too.
	ship_make PREFIX="$prefix" DESTDIR="$dest" uninstall > "$TEST_TMP/uninstall.log" 2>&1 ||
		fail "second make uninstall PREFIX=$prefix failed"
	got=$(cd "$dest" && find . -mindepth 1 | tr '\n' ' ')
	[ -z "$got" ] || fail "PREFIX=$prefix: uninstall left: $got"
	info "PREFIX=$prefix: uninstall left $dest empty and kept the file it did not install"
}

check_prefix /usr/local
check_prefix /usr

# Bad paths are refused with one line, not half-installed.
bad=$TEST_TMP/has:colon
if ship_make DESTDIR="$bad" install > "$TEST_TMP/bad.log" 2>&1; then
	fail "make install DESTDIR with ':' succeeded"
fi
grep -q "may not contain ':' or spaces" "$TEST_TMP/bad.log" || fail "no clear error for DESTDIR with ':': $(cat "$TEST_TMP/bad.log")"
[ ! -e "$bad" ] || fail "a refused install still created $bad"
echo "ok"
