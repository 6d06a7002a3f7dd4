/* Raw records -> struct ts_snapshot (see snapshot_build.h). */
#include "taskscope/snapshot/snapshot_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "taskscope/attach/kallsyms.h"
#include "taskscope/attach/target.h"
#include "taskscope/snapshot/snapshot_decode.h"
#include "threadview/classify.h"
#include "threadview/fdinfo.h"
#include "threadview/unwind.h"
#include "threadview/waitgraph.h"

#define MAX_FRAMES 128

struct ts_snapshot_builder {
	struct ts_unwinder **unwinders;   /* one per process seen */
	size_t nunwinders;
	struct ts_unwinder *warm;         /* made ahead for the target */
	pid_t warm_pid;
	struct ts_kallsyms *ksyms;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct ts_snap_thread *x = *(const struct ts_snap_thread *const *)a;
	const struct ts_snap_thread *y = *(const struct ts_snap_thread *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* A Go thread's system stack (g0) ends where the runtime switched onto
 * it: past runtime.mcall, systemstack or morestack the unwinder follows
 * CFI that does not describe the switch into another stack (a goroutine's,
 * shown with the goroutines) and reads garbage. Returns the frames to
 * keep. */
static int go_switch_end(const struct ts_frame *f, int n)
{
	static const char *const ends[] = { "runtime.mcall", "runtime.systemstack",
					    "runtime.morestack" };
	size_t k, len;
	int i;

	for (i = 0; i < n; i++) {
		if (!f[i].function || strncmp(f[i].function, "runtime.", 8))
			continue;
		for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
			len = strlen(ends[k]);
			if (!strncmp(f[i].function, ends[k], len) &&
			    (!f[i].function[len] || !strcmp(f[i].function + len, ".abi0")))
				return i + 1;
		}
	}
	return n;
}

static void unwind_thread(struct ts_unwinder *u, const struct ts_snap_thread *r,
			  struct ts_thread *t)
{
	uint64_t pcs[MAX_FRAMES];
	enum ts_unwind_stop why;
	bool truncated;
	int n, i;

	if (r->flags & TS_SNAP_KTHREAD) {
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = "kernel thread: no user stack";
		return;
	}
	if ((r->flags & TS_SNAP_NO_REGS) || t->exited) {
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = t->exited ? "thread exited" : "no user registers";
		return;
	}
	if (!u) {
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = "cannot read the process's modules (exited?)";
		return;
	}
	n = ts_unwind(u, t->tid, &r->regs, r->ustack.addr, ts_rec_ustack(r),
		      r->ustack.len, pcs, MAX_FRAMES, &truncated, &why);
	if (n <= 0)
		return;
	t->frames = calloc(n, sizeof(*t->frames));
	if (!t->frames)
		return;
	for (i = 0; i < n; i++)
		ts_symbolize(ts_unwinder_symbolizer(u), pcs[i], i > 0, &t->frames[i]);
	t->nframes = go_switch_end(t->frames, n);
	if (t->nframes < n)
		truncated = false;    /* complete: its own stack ends there */
	t->stack_status = truncated ? TS_STACK_TRUNCATED : TS_STACK_COMPLETE;
	if (truncated)
		t->stack_note = (r->ustack.flags & TS_STACK_COPY_FAIL) ?
			"stack copy failed" : ts_unwind_stop_str(why);
	if (t->state == TS_STATE_RUNNING) {
		/* Its registers are from its last kernel entry and its stack
		 * kept changing while we copied it. */
		t->stack_status = TS_STACK_STALE;
		t->stack_note = "running on another CPU: stack may be stale";
	}
}

static void kernel_stack(struct ts_snapshot_builder *b,
			 const struct ts_snap_thread *r, struct ts_thread *t)
{
	const uint64_t *ks;
	int n, i;

	ks = ts_rec_kstack(r, &n);
	if (n <= 0)
		return;
	t->kframes = calloc(n, sizeof(*t->kframes));
	if (!t->kframes)
		return;
	for (i = 0; i < n; i++) {
		uint64_t addr;

		memcpy(&addr, &ks[i], sizeof(addr));
		t->kframes[i].pc = addr;
		if (b->ksyms)
			t->kframes[i].function = ts_kallsyms_lookup(
				b->ksyms, addr, &t->kframes[i].offset);
		t->kframes[i].module = "kernel";
	}
	t->nkframes = n;
}

static struct ts_unwinder *unwinder_for(struct ts_snapshot_builder *b, pid_t pid)
{
	struct ts_unwinder **nu, *u;

	if (b->warm && pid == b->warm_pid) {
		u = b->warm;
		b->warm = NULL;
	} else {
		u = ts_unwinder_new(pid);
	}
	if (!u) {
		log_debug(1, "cannot read the modules of process %d: %s", pid,
			  strerror(errno));
		return NULL;
	}
	nu = realloc(b->unwinders, (b->nunwinders + 1) * sizeof(*nu));
	if (!nu) {
		ts_unwinder_free(u);
		return NULL;
	}
	b->unwinders = nu;
	b->unwinders[b->nunwinders++] = u;
	return u;
}

static void build_threads(struct ts_snapshot_builder *b,
			  const struct ts_snap_thread **recs, size_t n,
			  const struct ts_collect_result *raw, bool kstacks,
			  struct ts_snapshot *s)
{
	int64_t off = ts_sched_clock_offset(recs, n);
	struct ts_classify_clock clk;
	struct ts_unwinder *u = NULL;
	pid_t cur = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ts_snap_thread *r = recs[i];
		struct ts_thread *t = &s->threads[i];

		ts_decode_thread(r, off, t);
		if (r->tgid != (__u32)cur) {
			cur = r->tgid;
			u = (r->flags & TS_SNAP_KTHREAD) ? NULL : unwinder_for(b, cur);
			if (!u && s->pid == cur && !ts_pid_alive(cur))
				s->target_exited = true;
		}
		unwind_thread(u, r, t);
		if (kstacks)
			kernel_stack(b, r, t);
		if (t->blocked.fd >= 0 && t->blocked.fdi.type == TS_FD_FILE) {
			t->fd_path_buf = ts_fd_readlink(t->pid, t->blocked.fd);
			t->blocked.fd_path = t->fd_path_buf;
		}
		clk.mono_ns = r->now_mono_ns;
		clk.real_ns = raw->real_ns + (r->now_mono_ns - raw->mono_ns);
		ts_classify(t, &clk);
	}
	s->nthreads = n;
}

struct ts_snapshot_builder *ts_snapshot_build(const struct ts_collect_result *raw,
					      bool kernel_stacks,
					      struct ts_unwinder *warm,
					      struct ts_snapshot *s)
{
	struct ts_snapshot_builder *b = calloc(1, sizeof(*b));
	const struct ts_snap_thread **recs = NULL;
	struct timespec t0, t1;
	size_t n = 0;
	int err;

	if (!b) {
		ts_unwinder_free(warm);
		return NULL;
	}
	b->warm = warm;
	b->warm_pid = s->pid;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = ts_decode_records(raw->buf, raw->len, &recs, &n);
	if (err) {
		errno = -err;
		goto free_b;
	}
	qsort(recs, n, sizeof(*recs), cmp_rec);
	s->threads = calloc(n ? n : 1, sizeof(*s->threads));
	if (!s->threads) {
		errno = ENOMEM;
		goto free_recs;
	}
	if (kernel_stacks) {
		b->ksyms = ts_kallsyms_load();
		if (!b->ksyms)
			log_warn("cannot read /proc/kallsyms (%s): kernel stacks "
				 "are shown as addresses", strerror(errno));
	}
	s->taken_mono_ns = raw->mono_ns;
	s->taken_real_ns = raw->real_ns;
	s->collect_ms = raw->pass_ms;
	s->load_ms = raw->load_ms;
	build_threads(b, recs, n, raw, kernel_stacks, s);
	ts_snapshot_sort(s);
	if (ts_waitgraph_build(s)) {
		errno = ENOMEM;
		goto free_recs;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->unwind_ms = (t1.tv_sec - t0.tv_sec) * 1e3 +
		       (t1.tv_nsec - t0.tv_nsec) / 1e6;
	free(recs);
	return b;

free_recs:
	free(recs);
free_b:
	ts_snapshot_builder_free(b);
	return NULL;
}

void ts_snapshot_builder_free(struct ts_snapshot_builder *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nunwinders; i++)
		ts_unwinder_free(b->unwinders[i]);
	free(b->unwinders);
	ts_unwinder_free(b->warm);
	ts_kallsyms_free(b->ksyms);
	free(b);
}
