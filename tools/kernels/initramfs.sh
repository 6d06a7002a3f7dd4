#!/usr/bin/env bash
# Packs the kernel matrix's initramfs: busybox-static, tools/kernels/init as
# /init, and the modules debian_kernel.sh copied out of the kernel's .deb
# (KDIR/modules, load order in KDIR/modules/order). Rebuilt on every run
# (well under a second) so an edit of init takes effect at once.
#
#   usage: tools/kernels/initramfs.sh KDIR OUT.cpio.gz
set -euo pipefail

kdir=${1:?usage: initramfs.sh KDIR OUT.cpio.gz}
out=${2:?usage: initramfs.sh KDIR OUT.cpio.gz}
here=$(cd "$(dirname "$0")" && pwd)
bb=/bin/busybox
! readelf -l "$bb" 2>/dev/null | grep -q "Requesting program interpreter" && [ -x "$bb" ] ||
	{ echo "kernels: $bb is not static (apt-get install busybox-static)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/modules" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/newroot"
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
cp "$kdir"/modules/*.ko "$kdir/modules/order" "$stage/modules/"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | sort | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
