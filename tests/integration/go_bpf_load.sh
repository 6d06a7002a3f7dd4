#!/usr/bin/env bash
# The goroutine BPF programs pass this kernel's verifier: bpf/goroutines.bpf.o
# (the sleepable task iterator that reads a Go runtime) and
# bpf/gowatch.bpf.o (the uprobes on it) are loaded with bpftool, pinned
# under a temporary bpffs directory, then removed. Cheap, and meant for the
# kernel matrix too (make check-kernels): they must load on Linux 6.1.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd bpftool "apt-get install bpftool"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf"
pin=/sys/fs/bpf/ts_go_load_$$
cleanup_pins() { rm -rf "$pin"; }
trap 'cleanup_pins; cleanup_test' EXIT
for obj in goroutines gowatch; do
	o=$TS_BUILD/bpf/$obj.bpf.o
	[ -f "$o" ] || fail "$o is not built (make all)"
	mkdir -p "$pin"
	bpftool prog loadall "$o" "$pin/$obj" >"$TEST_TMP/$obj.log" 2>&1 ||
		fail "$obj.bpf.o does not load on $(uname -r): $(grep -v '^$' "$TEST_TMP/$obj.log" | tail -4)"
	info "$obj.bpf.o loads on $(uname -r): $(ls "$pin/$obj" | tr '\n' ' ')"
	rm -rf "$pin/$obj"
done
echo ok
