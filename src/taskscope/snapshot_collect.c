/* Loading and reading the snapshot iterator (see snapshot_collect.h). */
#include "taskscope/snapshot_collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope_abi.h"      /* before the skeleton: it names our structs */
#include "snapshot.skel.h"
#include "taskscope/bpf_env.h"
#include "taskscope/core_btf.h"
#include "taskscope/exit_codes.h"
#include "taskscope/phase.h"
#include "taskscope/target.h"

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

static int attach_iter(struct snapshot_bpf *skel, pid_t pid,
		       struct bpf_link **link)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;

	memset(&linfo, 0, sizeof(linfo));
	if (pid > 0) {
		/* The kernel walks only this process's threads. */
		linfo.task.pid = pid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	*link = bpf_program__attach_iter(skel->progs.ts_snapshot, &opts);
	return *link ? 0 : -errno;
}

/* Opens the skeleton, relocating against the build kernel's minimal CO-RE
 * BTF when this is that kernel (core_btf.h). *core_fd is the memfd holding
 * that BTF, or -1; the caller closes it once the object is loaded. Returns
 * NULL with errno set on failure (then *core_fd is -1). */
static struct snapshot_bpf *open_object(int *core_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct snapshot_bpf *skel;
	char path[64];
	int err;

	*core_fd = ts_core_btf_open(path, sizeof(path));
	if (*core_fd >= 0)
		oo.btf_custom_path = path;   /* libbpf copies the path */
	skel = snapshot_bpf__open_opts(&oo);
	if (!skel && *core_fd >= 0) {
		err = errno;
		close(*core_fd);
		*core_fd = -1;
		errno = err;
	}
	return skel;
}

int ts_snapshot_collect(const struct ts_collect_opts *o,
			struct ts_collect_result *out)
{
	struct snapshot_bpf *skel;
	struct bpf_link *link = NULL;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int err, rc = TS_EXIT_FAILURE, iter_fd;
	struct ts_phase ph;
	int core_fd;

	memset(out, 0, sizeof(*out));
	ts_phase_start(&ph);
	skel = open_object(&core_fd);
	if (!skel)
		return ts_bpf_explain("open the snapshot BPF object", -errno);
	ts_phase_mark(&ph, "bpf-open");
	skel->rodata->ts_cfg.want_kstack = o->kernel_stacks;
	skel->rodata->ts_cfg.want_kthreads = o->kthreads;
	skel->rodata->ts_cfg.stack_max =
		o->stack_max && o->stack_max < TS_STACK_MAX ? o->stack_max
							    : TS_STACK_MAX;
	err = snapshot_bpf__load(skel);
	if (core_fd >= 0)
		close(core_fd);     /* libbpf has read it */
	if (err) {
		rc = ts_bpf_explain("load the snapshot iterator (iter.s/task)", err);
		goto destroy_skel;
	}
	ts_phase_mark(&ph, "bpf-load");
	err = attach_iter(skel, o->pid, &link);
	if (err) {
		if (o->pid > 0 && !ts_pid_alive(o->pid)) {
			log_err("process %d exited before the snapshot", o->pid);
			rc = TS_EXIT_NO_TARGET;
		} else {
			rc = ts_bpf_explain("attach the task iterator", err);
		}
		goto destroy_skel;
	}
	out->load_ms = ms_since(t0);
	ts_phase_mark(&ph, "attach");
	iter_fd = bpf_iter_create(bpf_link__fd(link));
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
	bpf_link__destroy(link);
destroy_skel:
	snapshot_bpf__destroy(skel);
	ts_phase_mark(&ph, "unload");
	return rc;
}
