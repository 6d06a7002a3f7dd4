/* `taskscope snapshot --pprof FILE`: the snapshot as a goroutine-style
 * pprof profile (see pprof.h). Like Go's goroutine profile, one sample of
 * value 1 per thread (per goroutine for a Go program), so `go tool pprof -top` counts threads by where they
 * are and `-traces` lists each one; labels (`-tags`) say which thread,
 * its state and what it is blocked on. Threads that already exited (from
 * --recent) have no stack and are left out. */
#include "threadview/pprof.h"

#include <errno.h>
#include <stdio.h>

#include "threadview/describe.h"
#include "threadview/goroutine.h"

#define GO_MAX_FRAMES 256

static int add_thread(struct ts_pprof *p, const struct ts_thread *t)
{
	struct ts_pprof_label l[6];
	const int64_t one = 1;
	char what[320];
	size_t n = 0;

	ts_describe_blocked(t, what, sizeof(what));
	l[n++] = (struct ts_pprof_label){ .key = "thread", .str = t->name };
	l[n++] = (struct ts_pprof_label){ .key = "tid", .num = t->tid };
	l[n++] = (struct ts_pprof_label){ .key = "state",
					  .str = ts_state_name(t->state) };
	l[n++] = (struct ts_pprof_label){ .key = "blocked_on", .str = what };
	if (t->blocked.kind != TS_BLOCK_NONE)
		l[n++] = (struct ts_pprof_label){
			.key = "wait", .str = ts_block_kind_name(t->blocked.kind) };
	if (t->off_cpu_known)
		l[n++] = (struct ts_pprof_label){ .key = "off_cpu",
			.num = (int64_t)t->off_cpu_ns, .unit = "nanoseconds" };
	if (t->nframes > 0)
		return ts_pprof_sample(p, t->frames, t->nframes, &one, l, n);
	return ts_pprof_sample(p, &ts_pprof_no_stack, 1, &one, l, n);
}

/* A goroutine, as Go's own goroutine profile has it: its stack (inlined
 * calls are frames of their own, at the address of the call that holds
 * them) and labels saying which goroutine and what it waits for. */
static int add_goroutine(struct ts_pprof *p, const struct ts_go_view *v,
			 const struct ts_goroutine *g)
{
	struct ts_frame fr[GO_MAX_FRAMES];
	struct ts_pprof_label l[5];
	const int64_t one = 1;
	int i, n = g->nframes < GO_MAX_FRAMES ? g->nframes : GO_MAX_FRAMES;
	uint64_t pc = 0;
	size_t nl = 0;

	for (i = n - 1; i >= 0; i--) {
		const struct ts_goframe *gf = &g->frames[i];

		if (!gf->inlined)
			pc = gf->pc;
		fr[i] = (struct ts_frame){ .pc = gf->inlined ? pc : gf->pc,
			.function = gf->function, .offset = gf->offset,
			.module = v->binary, .file = gf->file, .line = gf->line };
	}
	l[nl++] = (struct ts_pprof_label){ .key = "goroutine", .num = g->goid };
	l[nl++] = (struct ts_pprof_label){ .key = "status", .str = g->state };
	if (g->reason && g->reason[0])
		l[nl++] = (struct ts_pprof_label){ .key = "wait", .str = g->reason };
	if (g->wait_ns >= 0)
		l[nl++] = (struct ts_pprof_label){ .key = "waiting_at_least",
			.num = g->wait_ns, .unit = "nanoseconds" };
	if (g->thread)
		l[nl++] = (struct ts_pprof_label){ .key = "tid", .num = g->thread };
	if (n > 0)
		return ts_pprof_sample(p, fr, n, &one, l, nl);
	return ts_pprof_sample(p, &ts_pprof_no_stack, 1, &one, l, nl);
}

/* The executable: the module of the main thread's outermost frame
 * (_start), or NULL. */
static const char *main_module(const struct ts_snapshot *s)
{
	const struct ts_thread *t = ts_snapshot_find(s, s->pid);

	if (!t || t->nframes == 0 || t->stack_status != TS_STACK_COMPLETE)
		return NULL;
	return t->frames[t->nframes - 1].module;
}

int ts_pprof_snapshot(const struct ts_snapshot *s, const char *path)
{
	static const char *const types[] = { "threads", "count" };
	static const char *const gotypes[] = { "goroutine", "count" };
	struct ts_pprof *p = ts_pprof_new(s->go ? gotypes : types, 1);
	char comment[128];
	size_t i;
	int err = 0;

	if (!p)
		return -ENOMEM;
	ts_pprof_set_time(p, (int64_t)s->taken_real_ns, 0);
	snprintf(comment, sizeof(comment), "taskscope snapshot of %d \"%s\"",
		 s->pid, s->comm);
	err = ts_pprof_comment(p, comment);
	if (!err)
		err = ts_pprof_main_module(p, s->go ? s->go->binary : main_module(s));
	/* A Go program's profile is its goroutines, as Go's own is. */
	for (i = 0; !err && s->go && i < s->go->n; i++)
		err = add_goroutine(p, s->go, &s->go->gs[i]);
	for (i = 0; !err && !s->go && i < s->nthreads; i++)
		if (!s->threads[i].recent)
			err = add_thread(p, &s->threads[i]);
	if (!err)
		err = ts_pprof_write(p, path);
	ts_pprof_free(p);
	return err;
}
