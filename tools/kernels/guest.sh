#!/bin/bash
# Stage 2 of a kernel-matrix boot, run as PID 1 by tools/kernels/init once
# the host's root filesystem is mounted read-only over 9p. Gives the guest
# what taskscope's tests expect of a machine (proc, sys, devtmpfs, devpts,
# tmpfs on /tmp /run /var/tmp /root /dev/shm, bpffs, tracefs, debugfs, lo
# up), mounts the results share (9p tag "tsresults", writable) on
# /run/ts-results, runs the job the host left there (job.sh, run by bash in
# the repository named by job.env's TS_ROOT), writes its output to job.log
# and its exit status to job.rc, then powers the machine off (sysrq o).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

say() { echo "ts-guest: $*" >/dev/console; }
poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}
trap poweroff_now EXIT

must() { "$@" || say "failed: $*"; }
must mount -t proc proc /proc
# Every sysrq key from the keyboard: boot.sh sends l and w through QEMU's
# monitor when the guest hangs.
echo 1 >/proc/sys/kernel/sysrq
must mount -t sysfs sysfs /sys
must mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
# What udev/systemd would add: bash's <(...) needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
must mount -t devpts -o gid=5,mode=620 devpts /dev/pts
for d in /tmp /run /var/tmp /root /dev/shm; do
	must mount -t tmpfs -o mode=1777 tmpfs "$d"
done
chmod 700 /root
must mount -t bpf bpf /sys/fs/bpf
must mount -t tracefs nodev /sys/kernel/tracing
must mount -t debugfs nodev /sys/kernel/debug
must ip link set lo up
hostname tsguest 2>/dev/null

res=/run/ts-results
mkdir -p "$res"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tsresults "$res"; then
	say "cannot mount the results share (tag tsresults)"
	exit 1
fi
# shellcheck source=/dev/null
. "$res/job.env"
say "running $res/job.sh on $(uname -r)"
cd "${TS_ROOT:-/}" || exit 1
# The job's output goes to the share and to the console (the host's log).
bash "$res/job.sh" </dev/null 2>&1 | tee "$res/job.log" >/dev/console
echo "${PIPESTATUS[0]}" >"$res/job.rc"
say "job exited $(cat "$res/job.rc")"
