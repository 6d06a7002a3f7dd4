/* Loading and reading the snapshot iterator (see snapshot_collect.h). */
#include "taskscope/snapshot/snapshot_collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/attach/target.h"
#include "taskscope/exit_codes.h"
#include "taskscope/phase.h"
#include "taskscope_abi.h"      /* before the skeleton: it names our structs */
#include "snapshot_lskel.h"     /* after errno.h, which skel_internal.h uses */

/* Bytes asked of one read(). The kernel walks threads until the user
 * buffer is full, without a preemption point; smaller reads return to user
 * space often, so a CPU shared with the target's threads is handed back at
 * least every few hundred records. */
#define READ_CHUNK (256 * 1024)
/* The output buffer is reserved, not committed: pages cost only when
 * written, and growing it with mremap never copies. 10,000 threads with
 * typical stacks need ~50 MiB. */
#define INITIAL_RESERVE (64ul << 20)

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double ms_since(uint64_t start)
{
	return (now_ns(CLOCK_MONOTONIC) - start) / 1e6;
}

void ts_collect_result_free(struct ts_collect_result *out)
{
	if (out->buf)
		munmap(out->buf, out->cap);
	out->buf = NULL;
	out->len = out->cap = 0;
}

/* Reads the iterator fd to EOF into out->buf. Returns 0 or -errno. */
static int read_all(int fd, struct ts_collect_result *out)
{
	void *nb;
	ssize_t n;

	out->cap = INITIAL_RESERVE;
	out->buf = mmap(NULL, out->cap, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (out->buf == MAP_FAILED) {
		out->buf = NULL;
		return -errno;
	}
	out->len = 0;
	for (;;) {
		if (out->cap - out->len < READ_CHUNK) {
			nb = mremap(out->buf, out->cap, out->cap * 2, MREMAP_MAYMOVE);
			if (nb == MAP_FAILED)
				return -ENOMEM;
			out->buf = nb;
			out->cap *= 2;
		}
		n = read(fd, out->buf + out->len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		out->len += n;
	}
}

/* Loads the iterator through its light skeleton (bpftool gen skeleton -L):
 * a loader program makes the CO-RE relocations and finds the attach point
 * and kfuncs in the kernel, against the BTF the kernel already holds.
 * libbpf's skeleton first reads and indexes all of /sys/kernel/btf/vmlinux
 * in user space (5.5 MB in 4 KiB reads, then ~127,000 types: ~20 ms of CPU,
 * a third of a 1,000-thread snapshot); this takes ~4 ms. With -vv the
 * verifier's log goes to log. Returns the skeleton or NULL with errno. */
static struct snapshot_lskel *load_iter(const struct ts_collect_opts *o,
					char *log, size_t log_len)
{
	struct snapshot_lskel *skel = snapshot_lskel__open();
	int err;

	if (!skel)
		return NULL;
	skel->rodata->ts_cfg.want_kstack = o->kernel_stacks;
	skel->rodata->ts_cfg.want_kthreads = o->kthreads;
	skel->rodata->ts_cfg.stack_max =
		o->stack_max && o->stack_max < TS_STACK_MAX ? o->stack_max
							    : TS_STACK_MAX;
	if (log_verbose_level() >= 2) {
		skel->ctx.log_level = 1;
		skel->ctx.log_buf = (__u64)(unsigned long)log;
		skel->ctx.log_size = log_len;
	}
	err = snapshot_lskel__load(skel);
	if (err) {
		snapshot_lskel__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* Creates the iterator link, limited to process pid when pid > 0 (the
 * kernel then walks only its threads). Returns the link fd or -errno. */
static int attach_iter(struct snapshot_lskel *skel, pid_t pid)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	union bpf_iter_link_info linfo;
	int fd;

	memset(&linfo, 0, sizeof(linfo));
	if (pid > 0) {
		linfo.task.pid = pid;
		opts.iter_info = &linfo;
		opts.iter_info_len = sizeof(linfo);
	}
	fd = bpf_link_create(skel->progs.ts_snapshot.prog_fd, 0, BPF_TRACE_ITER,
			     &opts);
	return fd < 0 ? -errno : fd;
}

int ts_snapshot_collect(const struct ts_collect_opts *o,
			struct ts_collect_result *out)
{
	struct snapshot_lskel *skel;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int err, rc = TS_EXIT_FAILURE, iter_fd, link_fd;
	static char vlog[1 << 20];  /* verifier log, -vv only */
	struct ts_phase ph;

	memset(out, 0, sizeof(*out));
	ts_phase_start(&ph);
	skel = load_iter(o, vlog, sizeof(vlog));
	if (!skel) {
		err = -errno;
		if (vlog[0])
			log_debug(2, "verifier log:\n%s", vlog);
		return ts_bpf_explain("load the snapshot iterator (iter.s/task)",
				      err);
	}
	ts_phase_mark(&ph, "bpf-load");
	link_fd = attach_iter(skel, o->pid);
	if (link_fd < 0) {
		if (o->pid > 0 && !ts_pid_alive(o->pid)) {
			log_err("process %d exited before the snapshot", o->pid);
			rc = TS_EXIT_NO_TARGET;
		} else {
			rc = ts_bpf_explain("attach the task iterator", link_fd);
		}
		goto destroy_skel;
	}
	out->load_ms = ms_since(t0);
	ts_phase_mark(&ph, "attach");
	iter_fd = bpf_iter_create(link_fd);
	if (iter_fd < 0) {
		rc = ts_bpf_explain("create the task iterator", -errno);
		goto destroy_link;
	}
	/* Sleep so the scheduler switches us in right before the pass: the
	 * records carry that moment as the scheduler-clock reference. */
	usleep(50);
	t0 = now_ns(CLOCK_MONOTONIC);
	out->mono_ns = t0;
	out->real_ns = now_ns(CLOCK_REALTIME);
	err = read_all(iter_fd, out);
	out->pass_ms = ms_since(t0);
	ts_phase_mark(&ph, "pass");
	close(iter_fd);
	if (err) {
		ts_collect_result_free(out);
		log_err("cannot read the task iterator: %s%s", strerror(-err),
			err == -E2BIG ? " (a record exceeded the seq_file "
					"buffer; report this as a bug)" : "");
		goto destroy_link;
	}
	rc = 0;
destroy_link:
	close(link_fd);
destroy_skel:
	snapshot_lskel__destroy(skel);
	ts_phase_mark(&ph, "unload");
	return rc;
}
