/* Loading, attaching and reading bpf/watch.bpf.c (see watch_bpf.h). */
#include "taskscope/watch/watch_bpf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/attach/bpf_features.h"
#include "taskscope/attach/elf_sym.h"
#include "taskscope/exit_codes.h"
#include "watch.skel.h"

struct watch_probe {
	struct watch_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *iter_links[3];   /* adopt, stuck, totals */
	int uprobe_fd;                    /* uprobe_multi link, or -1 */
	uint64_t attach_ns;               /* CLOCK_MONOTONIC at first attach */
	watch_record_fn fn;
	void *ctx;
	pid_t pid;
	bool self_time;
	bool stacks;
	uint64_t features;                /* TS_FEAT_* in use */
};

/* The optional kernel facilities watch can use (bpf_features.h). */
#define WATCH_FEATURES (TS_FEAT_RCU_KFUNC | TS_FEAT_EXIT_GROUP_DEAD | \
			TS_FEAT_SOCK_RECV_LENGTH | TS_FEAT_SWITCH_PREV_STATE | \
			TS_FEAT_UPROBE_MULTI)

static const char *const iter_names[3] = { "adopt", "stuck", "totals" };

static int on_record(void *ctx, void *data, size_t size)
{
	struct watch_probe *p = ctx;

	return p->fn(p->ctx, data, size);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t watch_probe_t0(const struct watch_probe *p)
{
	return p->attach_ns;
}

bool watch_bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

uint32_t watch_state_slots(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long pid_max = 32768;
	uint32_t slots = 1024;

	if (f) {
		if (fscanf(f, "%lu", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	while (slots < pid_max && slots < 65536)
		slots <<= 1;
	return slots;
}

/* The programs in enum ts_wprog order. */
static struct bpf_program *prog_of(struct watch_bpf *s, int i)
{
	switch (i) {
	case TS_WPROG_SWITCH:  return s->progs.tsw_switch;
	case TS_WPROG_WAKING:  return s->progs.tsw_waking;
	case TS_WPROG_NEWTASK: return s->progs.tsw_newtask;
	case TS_WPROG_RENAME:  return s->progs.tsw_rename;
	case TS_WPROG_EXIT:    return s->progs.tsw_exit;
	case TS_WPROG_RECV:    return s->progs.tsw_recv;
	case TS_WPROG_RSEQ:    return s->progs.tsw_rseq;
	case TS_WPROG_UPROBE:  return s->progs.tsw_pcreate;
	}
	return NULL;
}

static struct bpf_link **link_of(struct watch_bpf *s, int i)
{
	switch (i) {
	case TS_WPROG_SWITCH:  return &s->links.tsw_switch;
	case TS_WPROG_WAKING:  return &s->links.tsw_waking;
	case TS_WPROG_NEWTASK: return &s->links.tsw_newtask;
	case TS_WPROG_RENAME:  return &s->links.tsw_rename;
	case TS_WPROG_EXIT:    return &s->links.tsw_exit;
	case TS_WPROG_RECV:    return &s->links.tsw_recv;
	case TS_WPROG_RSEQ:    return &s->links.tsw_rseq;
	case TS_WPROG_UPROBE:  return &s->links.tsw_pcreate;
	}
	return NULL;
}

static const char *const prog_names[TS_WPROG_MAX] = {
	"sched_switch", "sched_waking", "task_newtask", "task_rename",
	"sched_process_exit", "sock_recv_length", "rseq_update",
	"uprobe:pthread_create",
};

/* The uprobe is attached as a uprobe_multi link (kernel 6.6+) filtered to
 * the target process, not through perf_event_open: a perf uprobe event
 * bound to the target's pid hangs a perf context on its main thread, whose
 * every context switch then pays for it; measured here, that alone slowed
 * the futex ping-pong by 4 us of CPU per round trip. libbpf 1.1 knows no
 * uprobe_multi, hence the raw bpf(2) call with the 6.6 attr layout.
 * Before 6.6 it is a system-wide perf uprobe instead (pid -1): no perf
 * context on the target, and every process's pthread_create traps once
 * into a program that returns at its first compare; thread creation is
 * rare next to the context switches a per-pid event would tax. */
#define TS_BPF_TRACE_UPROBE_MULTI 48
#define TS_BPF_LINK_CREATE 28

struct uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, uflags, pid, pad;
};

/* Attaches the pthread_create uprobe in the target's libc. A target
 * without a dynamic libc (static binary) still gets every other event:
 * say so and go on without start routines. */
static int attach_pthread_create(struct watch_probe *p)
{
	struct uprobe_multi_attr a;
	struct bpf_link *l;
	char libc[PATH_MAX];
	uint64_t off;
	int err, fd;

	err = elf_sym_find_mapping(p->pid, "libc.so", libc, sizeof(libc));
	if (err == -ENOENT) {
		/* No libc at all (a static binary, e.g. a Go program): no
		 * pthread_create, no start routine to miss. */
		log_debug(1, "process %d maps no libc: thread start routines "
			  "do not apply", (int)p->pid);
		return 0;
	}
	if (!err)
		err = elf_sym_file_offset(libc, "pthread_create", &off);
	if (err) {
		log_warn("start routines unknown: cannot find pthread_create in "
			 "the libc of process %d: %s (static binary?)",
			 (int)p->pid, strerror(-err));
		return 0;
	}
	ts_bpf_log_mark();
	if (!(p->features & TS_FEAT_UPROBE_MULTI)) {
		l = bpf_program__attach_uprobe(p->skel->progs.tsw_pcreate, false,
					       -1, libc, off);
		if (!l)
			return ts_bpf_explain("attach a uprobe on "
					      "pthread_create", -errno);
		p->skel->links.tsw_pcreate = l;
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.prog_fd = bpf_program__fd(p->skel->progs.tsw_pcreate);
	a.attach_type = TS_BPF_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)libc;
	a.offsets = (uint64_t)(uintptr_t)&off;
	a.cnt = 1;
	a.pid = (uint32_t)p->pid;
	fd = (int)syscall(__NR_bpf, TS_BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		return ts_bpf_explain("attach a uprobe on pthread_create", -errno);
	p->uprobe_fd = fd;
	return 0;
}

static int configure(struct watch_probe *p, const struct watch_probe_opts *o)
{
	struct watch_bpf *s = p->skel;
	int err;

	s->rodata->targ_tgid = (uint32_t)o->pid;
	s->rodata->min_block_ns = o->min_block_ns;
	s->rodata->stuck_ns = o->stuck_ns;
	s->rodata->want_stacks = o->stacks;
	s->rodata->stack_max = o->stack_max && o->stack_max <= TS_STACK_MAX ?
			       o->stack_max : TS_STACK_MAX;
	s->rodata->rec_slots = o->recorder_slots;
	s->rodata->self_time = p->self_time;
	s->rodata->state_mask = o->state_slots - 1;
	s->rodata->wake_bytes = o->ring_bytes / 8;
	s->rodata->nr_cpus = libbpf_num_possible_cpus() > 0 ?
			     libbpf_num_possible_cpus() : 1;
	/* What this kernel has decides which paths the programs take
	 * (bpf/features.bpf.h) and which programs load at all. */
	p->features = ts_features_probe(WATCH_FEATURES);
	s->rodata->ts_features = p->features;
	ts_features_report(WATCH_FEATURES, p->features);
	bpf_program__set_autoload(s->progs.tsw_recv,
				  p->features & TS_FEAT_SOCK_RECV_LENGTH);
	/* rseq_update only matters for --stacks, or for socket-read bytes
	 * where sock_recv_length is missing: no cost otherwise. */
	bpf_program__set_autoload(s->progs.tsw_rseq, o->stacks ||
				  !(p->features & TS_FEAT_SOCK_RECV_LENGTH));
	bpf_program__set_autoload(s->progs.tsw_stuck, o->stuck_ns != 0);
	if (p->features & TS_FEAT_UPROBE_MULTI)
		bpf_program__set_expected_attach_type(s->progs.tsw_pcreate,
						      TS_BPF_TRACE_UPROBE_MULTI);
	err = bpf_map__set_max_entries(s->maps.ts_wevents, o->ring_bytes);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.ts_recent,
					       o->recorder_slots);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.ts_wstate,
					       o->state_slots);
	return err;
}

int watch_probe_start(const struct watch_probe_opts *o, watch_record_fn fn,
		      void *ctx, struct watch_probe **out)
{
	struct watch_probe *p;
	int err, i, rc;

	p = calloc(1, sizeof(*p));
	if (!p) {
		log_err("cannot start watch: out of memory");
		return TS_EXIT_FAILURE;
	}
	p->fn = fn;
	p->ctx = ctx;
	p->uprobe_fd = -1;
	p->pid = o->pid;
	p->stacks = o->stacks;
	p->self_time = !watch_bpf_stats_enabled();
	ts_bpf_log_mark();
	p->skel = watch_bpf__open();
	if (!p->skel) {
		rc = ts_bpf_explain("open the watch BPF object", -errno);
		goto free_probe;
	}
	err = configure(p, o);
	if (err) {
		rc = ts_bpf_explain("size the watch BPF maps", err);
		goto free_probe;
	}
	ts_bpf_log_mark();
	err = watch_bpf__load(p->skel);
	ts_features_release();         /* libbpf has read its own copy */
	if (err) {
		rc = ts_bpf_explain("load the watch BPF programs", err);
		goto free_probe;
	}
	p->attach_ns = mono_ns();
	for (i = 0; i < TS_WPROG_MAX; i++) {
		struct bpf_link *l;
		char what[96];

		if (i == TS_WPROG_UPROBE ||
		    !bpf_program__autoload(prog_of(p->skel, i)))
			continue;
		ts_bpf_log_mark();
		l = bpf_program__attach(prog_of(p->skel, i));
		if (!l) {
			snprintf(what, sizeof(what), "attach to %s",
				 prog_names[i]);
			rc = ts_bpf_explain(what, -errno);
			goto free_probe;
		}
		*link_of(p->skel, i) = l;
	}
	rc = attach_pthread_create(p);
	if (rc)
		goto free_probe;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.ts_wevents),
				 on_record, p, NULL);
	if (!p->rb) {
		rc = ts_bpf_explain("open the watch ring buffer", -errno);
		goto free_probe;
	}
	*out = p;
	return 0;
free_probe:
	watch_probe_free(p);
	return rc;
}

void watch_probe_free(struct watch_probe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	if (p->uprobe_fd >= 0)
		close(p->uprobe_fd);
	for (int i = 0; i < 3; i++)
		bpf_link__destroy(p->iter_links[i]);
	watch_bpf__destroy(p->skel);
	free(p);
}

int watch_probe_poll(struct watch_probe *p, int timeout_ms)
{
	int err = ring_buffer__poll(p->rb, timeout_ms);

	/* Records are submitted without a wakeup (see submit() in
	 * bpf/watch.bpf.c), so epoll may not report them: always drain. */
	if (err < 0 && err != -EINTR)
		return err;
	return ring_buffer__consume(p->rb);
}

uint64_t watch_probe_features(const struct watch_probe *p)
{
	return p->features;
}

uint64_t watch_probe_features_wanted(void)
{
	return WATCH_FEATURES;
}

int watch_probe_fd(const struct watch_probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

static struct bpf_program *iter_prog(struct watch_bpf *s, int i)
{
	return i == 0 ? s->progs.tsw_adopt :
	       i == 1 ? s->progs.tsw_stuck : s->progs.tsw_totals;
}

int watch_probe_iterate(struct watch_probe *p, const char *which)
{
	union bpf_iter_link_info linfo;
	char buf[256];
	int i, fd, err = 0;
	ssize_t n;

	for (i = 0; i < 3 && strcmp(iter_names[i], which); i++)
		;
	if (i == 3 || !bpf_program__autoload(iter_prog(p->skel, i)))
		return -EINVAL;
	if (!p->iter_links[i]) {
		LIBBPF_OPTS(bpf_iter_attach_opts, opts);

		/* The kernel walks only the target's threads. */
		memset(&linfo, 0, sizeof(linfo));
		linfo.task.pid = (uint32_t)p->pid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
		p->iter_links[i] = bpf_program__attach_iter(iter_prog(p->skel, i),
							    &opts);
		if (!p->iter_links[i])
			return -errno;
	}
	fd = bpf_iter_create(bpf_link__fd(p->iter_links[i]));
	if (fd < 0)
		return -errno;
	/* Sleep so the scheduler switches us in right before the pass: the
	 * programs take that moment (our sched_info.last_arrival) as the
	 * scheduler clock's "now", for a wait's age (stuck) and a running
	 * thread's CPU time (totals). */
	usleep(50);
	/* The programs write to the ring buffer, not the seq_file: reading
	 * to EOF just runs the pass. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Sums the per-CPU ts_wstats into out. */
static int read_counters(struct watch_probe *p, struct watch_cost *out,
			 struct ts_wstats *sum)
{
	int ncpus = libbpf_num_possible_cpus(), c, j, err;
	struct ts_wstats *v;
	uint32_t zero = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	out->lost_per_cpu = calloc(ncpus, sizeof(uint64_t));
	if (!v || !out->lost_per_cpu) {
		free(v);
		free(out->lost_per_cpu);
		out->lost_per_cpu = NULL;
		return -ENOMEM;
	}
	err = bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.ts_wstats), &zero, v);
	if (err) {
		err = -errno;
		free(v);
		free(out->lost_per_cpu);
		out->lost_per_cpu = NULL;
		return err;
	}
	memset(sum, 0, sizeof(*sum));
	for (c = 0; c < ncpus; c++) {
		out->lost_per_cpu[c] = v[c].lost;
		sum->lost += v[c].lost;
		sum->lost_stack += v[c].lost_stack;
		sum->collisions += v[c].collisions;
		for (j = 0; j < TS_WEV_TYPE_MAX; j++)
			sum->emitted[j] += v[c].emitted[j];
		for (j = 0; j < TS_WPROG_MAX; j++) {
			sum->runs[j] += v[c].runs[j];
			sum->timed[j] += v[c].timed[j];
			sum->timed_ns[j] += v[c].timed_ns[j];
		}
	}
	out->ncpus = ncpus;
	free(v);
	return 0;
}

int watch_probe_cost(struct watch_probe *p, struct watch_cost *out)
{
	struct ts_wstats sum = { 0 };
	int err, i;

	memset(out, 0, sizeof(*out));
	err = read_counters(p, out, &sum);
	if (err)
		return err;
	out->lost = sum.lost;
	out->lost_stack = sum.lost_stack;
	out->collisions = sum.collisions;
	memcpy(out->emitted, sum.emitted, sizeof(out->emitted));
	out->kernel_stats = !p->self_time && watch_bpf_stats_enabled();
	for (i = 0; i < TS_WPROG_MAX; i++) {
		struct watch_prog_cost *c = &out->progs[out->nprogs++];
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);

		c->name = prog_names[i];
		c->attached = *link_of(p->skel, i) != NULL ||
			      (i == TS_WPROG_UPROBE && p->uprobe_fd >= 0);
		if (!c->attached)
			continue;
		if (out->kernel_stats) {
			memset(&info, 0, sizeof(info));
			if (!bpf_obj_get_info_by_fd(
				    bpf_program__fd(prog_of(p->skel, i)),
				    &info, &len)) {
				c->runs = info.run_cnt;
				c->run_ns = info.run_time_ns;
			}
		} else if (sum.timed[i]) {
			/* Sampled: the average of timed runs stands for all. */
			c->runs = sum.runs[i];
			c->run_ns = sum.timed_ns[i] * sum.runs[i] / sum.timed[i];
		} else {
			c->runs = sum.runs[i];
		}
		c->avg_ns = c->runs ? (double)c->run_ns / c->runs : 0;
	}
	return 0;
}
