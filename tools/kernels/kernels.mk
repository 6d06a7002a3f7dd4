# The kernel matrix (tools/kernels/matrix.sh): taskscope's BPF integration
# tests on the running kernel and on Debian 12's stock 6.1 booted under
# QEMU/TCG. Included by tools/build.mk.
#
# KERNEL_TESTS: the tests every kernel runs, one per line; a new BPF
# program's test joins the matrix with one line here. (watch_cpu stays
# out: under TCG a thread's exit path costs far more CPU than on hardware,
# so its figure beats the thread's own by 70%, past the test's 25% bound;
# the exit record at the final switch-out is loaded and checked on 6.1 by
# watch_shortlived.)
KERNEL_TESTS ?= \
	snapshot_blocked \
	snapshot_deadlock \
	watch_shortlived \
	watch_waits \
	kernel_features \
	go_bpf_load \
	go_snapshot \
	go_watch \
	xproc_peers \
	xproc_cycle \
	xproc_namespaces \
	xproc_redis_stopped \
	watch_xproc
# Rows: the running kernel; the running kernel with every optional kernel
# facility forced off (the fallbacks older kernels take, checked in
# seconds); Debian 12's stock 6.1 under QEMU/TCG.
KERNELS ?= host host-fallbacks debian-6.1

.PHONY: check-kernels
check-kernels: all
	@TS_SETUP_EXTRA="qemu-system-x86 busybox-static $(TS_SETUP_EXTRA)" tools/setup.sh
	@KERNELS="$(KERNELS)" KERNEL_TESTS="$(strip $(KERNEL_TESTS))" \
		tools/kernels/matrix.sh $(BUILD)
