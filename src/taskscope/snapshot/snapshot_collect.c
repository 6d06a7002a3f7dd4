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
#include "taskscope/attach/bpf_features.h"
#include "taskscope/attach/target.h"
#include "taskscope/exit_codes.h"
#include "taskscope/phase.h"
#include "taskscope_abi.h"      /* before the skeletons: they name our structs */
#include "snapshot_lskel.h"     /* after errno.h, which skel_internal.h uses */
#include "snapshot_norcu_lskel.h"

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

/* The iterator is loaded through a light skeleton (bpftool gen skeleton
 * -L): a loader program makes the CO-RE relocations and finds the attach
 * point and kfuncs in the kernel, against the BTF the kernel already holds.
 * libbpf's skeleton first reads and indexes all of /sys/kernel/btf/vmlinux
 * in user space (5.5 MB in 4 KiB reads, then ~127,000 types: ~20 ms of CPU,
 * a third of a 1,000-thread snapshot); this takes ~4 ms.
 *
 * A light skeleton cannot leave a kfunc out at run time, so the object is
 * built in variants (bpf/build.mk), richest first, and the first that
 * loads is used. Where a variant's kfunc is missing its loader fails at
 * once, at the kfunc's name lookup, with ENOENT, before any verification,
 * so trying costs a failed loader run on old kernels only (measured in
 * docs/taskscope-kernels.md) and nothing on new ones; probing the kernel's
 * BTF first would cost every run the ~20 ms this skeleton exists to save. */
struct iter_variant {
	const char *name;
	uint64_t features;        /* TS_FEAT_* its programs use */
	/* Opens, configures and loads; the skeleton, or NULL with *err. */
	void *(*load)(const struct ts_collect_opts *o, char *log,
		      size_t log_len, int *err);
	int (*prog_fd)(void *skel);
	void (*destroy)(void *skel);
};

/* The three functions of one variant, whose skeleton type is L. With log,
 * the verifier's log of the iterator goes there. */
#define ITER_VARIANT(L)							\
static void *L##_load(const struct ts_collect_opts *o, char *log,	\
		      size_t log_len, int *err)				\
{									\
	struct L *skel = L##__open();					\
									\
	if (!skel) {							\
		*err = errno ? -errno : -ENOMEM;			\
		return NULL;						\
	}								\
	skel->rodata->ts_cfg.want_kstack = o->kernel_stacks;		\
	skel->rodata->ts_cfg.want_kthreads = o->kthreads;		\
	skel->rodata->ts_cfg.stack_max =				\
		o->stack_max && o->stack_max < TS_STACK_MAX ?		\
		o->stack_max : TS_STACK_MAX;				\
	if (log) {							\
		skel->ctx.log_level = 1;				\
		skel->ctx.log_buf = (__u64)(unsigned long)log;		\
		skel->ctx.log_size = log_len;				\
	}								\
	*err = L##__load(skel);						\
	if (*err) {							\
		L##__destroy(skel);					\
		return NULL;						\
	}								\
	return skel;							\
}									\
static int L##_prog_fd(void *skel)					\
{									\
	return ((struct L *)skel)->progs.ts_snapshot.prog_fd;		\
}									\
static void L##_destroy(void *skel)					\
{									\
	L##__destroy(skel);						\
}

ITER_VARIANT(snapshot_lskel)
ITER_VARIANT(snapshot_norcu_lskel)

static const struct iter_variant variants[] = {
	{ "snapshot", TS_FEAT_RCU_KFUNC, snapshot_lskel_load,
	  snapshot_lskel_prog_fd, snapshot_lskel_destroy },
	{ "snapshot_norcu", 0, snapshot_norcu_lskel_load,
	  snapshot_norcu_lskel_prog_fd, snapshot_norcu_lskel_destroy },
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))
#define VLOG_SIZE (4u << 20)      /* a level-1 verifier log of the pass */

/* Facilities the iterator cannot do without, checked when every variant
 * failed without a verifier log (a loader that failed at a name lookup):
 * the first missing one is the cause. */
static const char *const required[] = {
	"task_iterator", "task_iterator_pid", "tp_btf_sched_switch",
};

static int lacks(const struct ts_feature *f)
{
	log_err("cannot load the snapshot iterator (iter.s/task): this "
		"kernel, %s, lacks %s, which Linux has from %s on",
		ts_kernel_release(), f->what, f->since);
	return TS_EXIT_KERNEL;
}

/* Names what the kernel lacks after a load failure with no better
 * explanation: one of the facilities required, or of those the last
 * variant tried uses. Returns an exit code after logging, or 0 when
 * everything is there (the caller explains err itself). */
static int explain_missing(uint64_t features)
{
	const struct ts_feature *f;
	size_t i, j, n;

	f = ts_features_table(&n);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		for (j = 0; j < n; j++)
			if (!strcmp(f[j].name, required[i]) &&
			    !ts_feature_present(&f[j]))
				return lacks(&f[j]);
	for (j = 0; j < n; j++)
		if ((f[j].bit & features) && !ts_feature_present(&f[j]))
			return lacks(&f[j]);
	return 0;
}

/* Whether TASKSCOPE_BPF_FEATURES lets variant v be tried. */
static bool allowed(const struct iter_variant *v)
{
	uint64_t on, off;

	ts_features_forced(&on, &off);
	return !(v->features & off) && (v->features & on) == on;
}

/* Loads the first variant that works into *skel. At -vv the verifier's
 * log is printed; after a failure the load is retried with the log on so
 * the one-line error can give the verifier's reason. Returns 0 or an exit
 * code after logging. */
static int load_iter(const struct ts_collect_opts *o,
		     const struct iter_variant **used, void **skel)
{
	bool vv = log_verbose_level() >= 2;
	size_t i, last = N_VARIANTS;
	char *vlog = NULL;
	int err = -ENOENT, rc;

	ts_bpf_log_mark();
	if (vv)
		vlog = calloc(1, VLOG_SIZE);
	for (i = 0; i < N_VARIANTS; i++) {
		if (!allowed(&variants[i]))
			continue;
		last = i;
		*skel = variants[i].load(o, vlog, vlog ? VLOG_SIZE : 0, &err);
		if (vlog && vlog[0])
			log_debug(2, "%s: the kernel's load log (BTF, verifier):\n%s", variants[i].name,
				  vlog);
		if (*skel) {
			*used = &variants[i];
			free(vlog);
			return 0;
		}
		log_debug(1, "snapshot: variant %s does not load here: %s",
			  variants[i].name, strerror(-err));
		/* Only a missing name (kfunc) makes a leaner variant worth a
		 * try; anything else would fail there the same way. */
		if (err != -ENOENT)
			break;
	}
	if (last == N_VARIANTS) {
		free(vlog);
		log_err("cannot load the snapshot iterator: TASKSCOPE_BPF_"
			"FEATURES rules out every variant (unset it)");
		return TS_EXIT_USAGE;
	}
	i = last;
	if (err != -ENOENT) {
		/* The verifier's reason, from a second attempt with its log
		 * on (the loader's own log is overwritten by the program's). */
		if (!vlog)
			vlog = calloc(1, VLOG_SIZE);
		if (vlog && !vv) {
			*skel = variants[i].load(o, vlog, VLOG_SIZE, &err);
			if (*skel) {     /* loads now: use it after all */
				*used = &variants[i];
				free(vlog);
				return 0;
			}
		}
		if (vlog)
			ts_bpf_note_verifier_log("ts_snapshot", vlog);
	} else if ((rc = explain_missing(variants[i].features))) {
		free(vlog);
		return rc;
	}
	free(vlog);
	return ts_bpf_explain("load the snapshot iterator (iter.s/task)", err);
}

/* Creates the iterator link, limited to process pid when pid > 0 (the
 * kernel then walks only its threads). Returns the link fd or -errno. */
static int attach_iter(int prog_fd, pid_t pid)
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
	fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	return fd < 0 ? -errno : fd;
}

int ts_snapshot_collect(const struct ts_collect_opts *o,
			struct ts_collect_result *out)
{
	const struct iter_variant *v = NULL;
	void *skel = NULL;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	int err, rc = TS_EXIT_FAILURE, iter_fd, link_fd;
	struct ts_phase ph;

	memset(out, 0, sizeof(*out));
	ts_phase_start(&ph);
	rc = load_iter(o, &v, &skel);
	if (rc)
		return rc;
	rc = TS_EXIT_FAILURE;
	out->features = v->features;
	out->features_wanted = variants[0].features;
	ts_features_report(out->features_wanted, out->features);
	ts_phase_mark(&ph, "bpf-load");
	link_fd = attach_iter(v->prog_fd(skel), o->pid);
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
	v->destroy(skel);
	ts_phase_mark(&ph, "unload");
	return rc;
}
