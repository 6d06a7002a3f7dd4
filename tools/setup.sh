#!/usr/bin/env bash
# Prepares this machine for `make test` and `make demo`: installs the Debian 12
# packages the build and tests need (only when root and only what is missing)
# and mounts tracefs and bpffs for the BPF programs. Idempotent and quiet when
# there is nothing to do. TS_SETUP_EXTRA adds packages (CI adds golang-go).
set -euo pipefail

pkgs=(gcc make pkg-config clang llvm libbpf-dev bpftool libmicrohttpd-dev
      libhiredis-dev redis-server libssl-dev libcmocka-dev libelf-dev libdw-dev
      libprotobuf-c-dev protobuf-c-compiler zlib1g-dev curl python3 procps
      iproute2 libc6-dbg elfutils libjansson-dev
      groff-base man-db bash-completion golang-go golang-gopkg-redis.v5-dev
      ceph-mon ceph-osd ceph-common librados-dev ${TS_SETUP_EXTRA:-})

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages: ${missing[*]}" >&2
		echo "setup: run as root to install them, or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}" >&2
	# Keep apt from starting the packaged redis-server service: the tests
	# start their own private servers and nothing else may be left running.
	policy=/usr/sbin/policy-rc.d
	created_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"
		chmod +x "$policy"
		created_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	(apt-get install -y -q --no-install-recommends "${missing[@]}" ||
	 { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }) >&2
	[ "$created_policy" = 1 ] && rm -f "$policy"
fi

# BPF needs tracefs for tracepoints; mount it when we may.
if [ "$(id -u)" -eq 0 ]; then
	if [ ! -e /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
		mount -t tracefs nodev /sys/kernel/tracing ||
			echo "setup: warning: cannot mount tracefs on /sys/kernel/tracing" >&2
	fi
	if ! mountpoint -q /sys/fs/bpf 2>/dev/null && [ -d /sys/fs/bpf ]; then
		mount -t bpf bpf /sys/fs/bpf ||
			echo "setup: warning: cannot mount bpffs on /sys/fs/bpf" >&2
	fi
fi
exit 0
