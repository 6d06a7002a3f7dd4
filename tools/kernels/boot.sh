#!/usr/bin/env bash
# Boots one kernel under QEMU's TCG emulator with this machine's root
# filesystem and runs one command inside, then returns the command's exit
# status. The building block of `make check-kernels` (matrix.sh), also handy
# by hand to see what a kernel does with taskscope:
#
#   tools/kernels/boot.sh [options] KDIR OUTDIR -- COMMAND [ARGS...]
#     KDIR    a kernel as debian_kernel.sh leaves it (vmlinuz, modules/)
#     OUTDIR  created; holds console.log, initramfs.cpio.gz and share/ (the
#             guest's /run/ts-results: job.sh, job.log, job.rc, and
#             whatever the command writes there)
#   options: --timeout SECONDS (default 1200), --stall SECONDS (kill the
#            guest once the command's log has not grown for that long;
#            default 0: off), --smp N (default: host CPUs,
#            at most 4), --mem MiB (default 2048), --env NAME=VALUE
#            (exported to the command; repeatable), -v (console to stderr)
#   e.g. tools/kernels/boot.sh .cache/kernels/linux-image-6.1.0-57-amd64_* \
#          /tmp/k61 -- build/taskscope snapshot -p 1
#
# The guest: TCG with every CPU feature QEMU emulates (-cpu max; nested KVM
# does not work on this VM: a KVM guest spins before its first line), its
# vCPUs on one host thread (thread=single: with thread=multi, QEMU 7.2
# livelocked twice in six runs when watch enabled a hot tracepoint, both
# vCPUs spinning on the int3 of the kernel's live code patching; single
# costs ~15% of the 6.1 row's time), the
# host's / read-only over virtio 9p, tmpfs where tests write (see
# guest.sh), no network but lo. The command runs as root in the repository
# this script belongs to (read-only in the guest: tests must write under
# /tmp or /run/ts-results). The guest powers itself off when the command
# ends; a guest that does not within --timeout is killed, and nothing is
# left running either way.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
timeout_s=1200 stall_s=0 mem=2048 verbose=0
smp=$(nproc); [ "$smp" -gt 4 ] && smp=4
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--stall) stall_s=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	-v) verbose=1; shift ;;
	--) shift; break ;;
	-*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] && [ "$3" = -- ] || { sed -n '8,16p' "$0" >&2; exit 2; }
kdir=$(cd "$1" && pwd)
out=$2
shift 3
[ $# -gt 0 ] || { echo "boot.sh: no command given" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "boot.sh: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 1; }

mkdir -p "$out/share"
out=$(cd "$out" && pwd)
rm -f "$out/share/job.rc" "$out/share/job.log" "$out/console.log"
"$here/initramfs.sh" "$kdir" "$out/initramfs.cpio.gz"
{
	echo "TS_ROOT=$(printf '%q' "$repo")"
} >"$out/share/job.env"
{
	echo "# written by tools/kernels/boot.sh"
	for e in "${envs[@]+"${envs[@]}"}"; do echo "export $(printf '%q' "$e")"; done
	printf '%q ' "$@"
	echo
} >"$out/share/job.sh"

# QEMU's monitor, for a hung guest's state (a short path: a unix socket's
# is limited to 107 bytes).
mon_dir=$(mktemp -d /tmp/ts-qemu-mon.XXXXXX)
qemu=(qemu-system-x86_64
	-accel tcg,thread=single -cpu max -smp "$smp" -m "$mem"
	-kernel "$kdir/vmlinuz" -initrd "$out/initramfs.cpio.gz"
	-append "console=ttyS0 panic=-1 softlockup_panic=1 softlockup_all_cpu_backtrace=1 quiet loglevel=5 ts_stage2=$here/guest.sh"
	-display none -monitor "unix:$mon_dir/sock,server=on,wait=off"
	-serial "file:$out/console.log"
	-no-reboot -nic none
	-virtfs "local,path=/,mount_tag=tsroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$out/share,mount_tag=tsresults,security_model=none")

start=$(date +%s)
tail_pid=
if [ $verbose = 1 ]; then
	touch "$out/console.log"
	tail -n +1 -F "$out/console.log" >&2 2>/dev/null &
	tail_pid=$!
fi
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
# Stop exactly what we started if we are interrupted.
cleanup() {
	kill -TERM "$qemu_pid" 2>/dev/null || true
	[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
	rm -rf "$mon_dir"
}
# Where a hung guest is, for whoever reads its logs: QEMU's view of each
# vCPU (hang-state.txt), and the guest kernel's (sysrq l: every CPU's
# backtrace; w: blocked tasks; on the console, if the kernel still runs).
hang_state() {
	python3 - "$mon_dir/sock" >"$out/hang-state.txt" 2>&1 <<'PY' || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
def cmd(c, wait):
    if c:
        s.sendall((c + "\n").encode())
    time.sleep(wait)
    out = b""
    try:
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    print(out.decode(errors="replace"))
cmd("", 0.5)
for c in ("info cpus", "info registers -a"):
    cmd(c, 0.5)
for c in ("sendkey alt-sysrq-l", "sendkey alt-sysrq-w"):
    cmd(c, 3)
PY
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rc=0
# A guest that stops making progress is killed early: under multi-threaded
# TCG the 6.1 guest once froze whole (no console line, no test timeout
# firing, both vCPUs busy in QEMU), which held the matrix for --timeout.
# The tests print a line each; none takes a minute here.
stalled=
if [ "$stall_s" -gt 0 ]; then
	last_size=-1 last_change=$(date +%s)
	while kill -0 "$qemu_pid" 2>/dev/null; do
		sleep 2
		size=$(stat -c %s "$out/share/job.log" 2>/dev/null || echo -1)
		now=$(date +%s)
		if [ "$size" != "$last_size" ]; then
			last_size=$size last_change=$now
		elif [ $((now - last_change)) -ge "$stall_s" ]; then
			echo "boot.sh: the guest wrote nothing for ${stall_s} s: saving its state ($out/hang-state.txt, console) and killing it" >&2
			hang_state
			stalled=1
			kill -TERM "$qemu_pid" 2>/dev/null || true
			break
		fi
	done
fi
wait "$qemu_pid" || rc=$?
[ -n "$stalled" ] && rc=124
trap - EXIT
rm -rf "$mon_dir"
[ -n "$tail_pid" ] && { kill "$tail_pid" 2>/dev/null || true; wait "$tail_pid" 2>/dev/null || true; }
secs=$(( $(date +%s) - start ))
echo "$secs" >"$out/wall_seconds"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	if [ -n "$stalled" ]; then
		echo "boot.sh: the guest hung (no output for ${stall_s} s; killed); console: $out/console.log" >&2
	else
		echo "boot.sh: the guest did not power off within ${timeout_s} s (killed); console: $out/console.log" >&2
	fi
	tail -n 20 "$out/console.log" | sed 's/^/    | /' >&2
	exit 124
fi
if [ ! -s "$out/share/job.rc" ]; then
	echo "boot.sh: the guest stopped without running the command (qemu exit $rc); console: $out/console.log" >&2
	tail -n 20 "$out/console.log" | sed 's/^/    | /' >&2
	tail -n 5 "$out/qemu.log" | sed 's/^/    | qemu: /' >&2
	exit 1
fi
exit "$(cat "$out/share/job.rc")"
