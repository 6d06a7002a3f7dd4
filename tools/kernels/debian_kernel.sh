#!/usr/bin/env bash
# Fetches a Debian kernel for the kernel matrix and prints the directory
# that holds what a boot needs (on stdout, nothing else): DIR/vmlinuz,
# DIR/release, DIR/version, and DIR/modules/ with the .ko files of a virtio
# 9p root (virtio PCI transport, 9pnet_virtio, 9p and what they depend on)
# listed in load order in DIR/modules/order.
#
#   usage: tools/kernels/debian_kernel.sh SERIES CACHE_DIR
#   e.g.   tools/kernels/debian_kernel.sh 6.1 .cache/kernels
#
# SERIES picks the newest linux-image-SERIES.0-N-amd64 that apt knows
# (signed generic flavour; Debian 12's stock kernel for 6.1), downloaded
# with `apt-get download` (no root needed, nothing installed), unpacked with
# dpkg-deb -x and indexed with depmod -b (busybox's depmod: kmod is not a
# dependency of anything here). The .deb stays in DIR; the unpacked tree
# (400 MB) is dropped once the kernel and modules are copied out. A kernel
# already in CACHE_DIR is reused: repeated runs fetch nothing.
set -euo pipefail

# Modules the guest loads before mounting its root (their dependencies are
# added from modules.dep).
ROOT_MODULES="virtio_pci 9pnet_virtio 9p"

series=${1:?usage: debian_kernel.sh SERIES CACHE_DIR}
cache=${2:?usage: debian_kernel.sh SERIES CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

die() { echo "kernels: $*" >&2; exit 1; }

# The newest package of the series by Debian version, among those apt knows.
pattern="^linux-image-${series//./\\.}\\.0-[0-9]+-amd64\$"
best= best_ver=
for pkg in $(apt-cache search --names-only "$pattern" | awk '{print $1}'); do
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || continue
	if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
		best=$pkg best_ver=$ver
	fi
done
if [ -z "$best" ]; then
	# Offline and never fetched: fall back to the newest one in the cache.
	dir=$(ls -d "$cache"/linux-image-"$series".0-*-amd64_* 2>/dev/null | grep -v '\.tmp$' | sort -V | tail -1 || true)
	[ -n "$dir" ] && [ -f "$dir/release" ] && { echo "$dir"; exit 0; }
	die "apt knows no package matching $pattern (run apt-get update; Debian 12's main archive has them)"
fi

release=${best#linux-image-}
dir=$cache/${best}_$best_ver
if [ -f "$dir/release" ] && [ -f "$dir/vmlinuz" ]; then
	echo "$dir"
	exit 0
fi

echo "kernels: fetching $best $best_ver" >&2
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/modules"
# apt-get download writes into the current directory. As root it warns that
# the _apt user cannot write there; the download itself is unaffected.
(cd "$dir.tmp" && apt-get download -q "$best=$best_ver" 2>&1 |
	grep -v -e 'unsandboxed as root' -e '^Get:' -e '^Fetched' >&2 || true)
deb=$(ls "$dir.tmp"/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "apt-get download $best=$best_ver produced no .deb"
tree=$dir.tmp/tree
dpkg-deb -x "$deb" "$tree"
[ -f "$tree/boot/vmlinuz-$release" ] || die "$deb holds no boot/vmlinuz-$release"
busybox depmod -b "$tree" "$release" || die "depmod -b failed for $release"
cp "$tree/boot/vmlinuz-$release" "$dir.tmp/vmlinuz"
cp "$tree/boot/config-$release" "$dir.tmp/config"

# Load order: each module after everything it depends on (depth first over
# modules.dep; busybox's depmod lists dependencies unordered).
moddir=$tree/lib/modules/$release
declare -A path_of=() deps_of=() done_=()
while IFS=: read -r mod deps; do
	name=$(basename "$mod" .ko)
	path_of[$name]=$mod
	deps_of[$name]=$deps
done <"$moddir/modules.dep"
order=()
visit() {
	local name=$1 d
	[ -n "${done_[$name]:-}" ] && return 0
	[ -n "${path_of[$name]:-}" ] || die "module $name is not in $release's modules.dep"
	done_[$name]=1
	for d in ${deps_of[$name]}; do visit "$(basename "$d" .ko)"; done
	order+=("$name")
}
for m in $ROOT_MODULES; do visit "$m"; done
for m in "${order[@]}"; do
	cp "$moddir/${path_of[$m]}" "$dir.tmp/modules/$m.ko"
	echo "$m" >>"$dir.tmp/modules/order"
done
rm -rf "$tree"
echo "$release" > "$dir.tmp/release"
echo "$best_ver" > "$dir.tmp/version"
mv "$dir.tmp" "$dir"
echo "$dir"
