/* Event -> view resolution for taskscope watch (see watch_resolve.h). */
#include "taskscope/watch/watch_resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskscope/watch/watch_classify.h"
#include "threadview/unwind.h"

#define MAX_FRAMES 64
#define PROC_NAMES 32               /* waker processes remembered */

struct proc_name {
	pid_t pid;
	char name[TS_COMM_LEN];
};

struct watch_resolver {
	struct ts_unwinder *u;       /* NULL: no symbols */
	struct wthreads *threads;
	pid_t pid;
	uint64_t t0_ns;
	uint64_t pcs[MAX_FRAMES];
	struct ts_frame frames[MAX_FRAMES];
	struct proc_name procs[PROC_NAMES];   /* round-robin */
	unsigned int next_proc;
};

struct watch_resolver *watch_resolver_new(pid_t pid, uint64_t t0_ns,
					  struct wthreads *threads)
{
	struct watch_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->pid = pid;
	r->t0_ns = t0_ns;
	r->threads = threads;
	r->u = ts_unwinder_new(pid);
	return r;
}

void watch_resolver_free(struct watch_resolver *r)
{
	if (!r)
		return;
	ts_unwinder_free(r->u);
	free(r);
}

void watch_resolver_set_t0(struct watch_resolver *r, uint64_t t0_ns)
{
	r->t0_ns = t0_ns;
}

static const char *symbol(struct watch_resolver *r, uint64_t pc)
{
	struct ts_frame f;

	if (!r->u || !pc || ts_symbolize(ts_unwinder_symbolizer(r->u), pc, false, &f))
		return NULL;
	return f.function;
}

/* The name of process pid (/proc/PID/comm), remembered: wakers from
 * another process are few and come back. NULL when it is gone. */
static const char *proc_name(struct watch_resolver *r, pid_t pid)
{
	struct proc_name *e;
	char path[64];
	FILE *f;
	size_t i;

	for (i = 0; i < PROC_NAMES; i++)
		if (r->procs[i].pid == pid)
			return r->procs[i].name;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	e = &r->procs[r->next_proc++ % PROC_NAMES];
	if (!fgets(e->name, sizeof(e->name), f)) {
		fclose(f);
		e->pid = 0;
		return NULL;
	}
	fclose(f);
	e->name[strcspn(e->name, "\n")] = '\0';
	e->pid = pid;
	return e->name;
}

/* Unwinds the copied stack, or symbolizes just the syscall's ip. */
static int wait_frames(struct watch_resolver *r, const struct wev *ev,
		       const char **note)
{
	enum ts_unwind_stop why = TS_UNWIND_COMPLETE;
	bool truncated = false;
	int n, i;

	*note = NULL;
	if (!r->u) {
		*note = "no symbols (process maps unreadable)";
		return 0;
	}
	if (!ev->wait.regs) {
		r->pcs[0] = ev->wait.w.ip;
		n = ev->wait.w.ip ? 1 : 0;
	} else {
		n = ts_unwind(r->u, ev->tid, ev->wait.regs, ev->wait.win->addr,
			      ev->wait.stack, ev->wait.win->len, r->pcs,
			      MAX_FRAMES, &truncated, &why);
		if (n < 0)
			n = 0;
		if (truncated)
			*note = ts_unwind_stop_str(why);
	}
	for (i = 0; i < n; i++)
		if (ts_symbolize(ts_unwinder_symbolizer(r->u), r->pcs[i], i > 0, &r->frames[i]))
			memset(&r->frames[i], 0, sizeof(r->frames[i])),
			r->frames[i].pc = r->pcs[i];
	return n;
}

/* Keeps the thread table current with ev. */
static void track(struct watch_resolver *r, const struct wev *ev,
		  struct wev_view *v)
{
	struct wthread *t = wthreads_get(r->threads, ev->tid, true);

	if (!t)
		return;
	switch (ev->type) {
	case TS_WEV_CREATE:
		t->parent_tid = ev->create.parent_tid;
		t->created_ns = ev->ts_ns;
		t->start_ns = ev->ts_ns;
		wthread_set_start_routine(t, v->start_routine);
		memcpy(t->name, ev->name, sizeof(t->name));
		break;
	case TS_WEV_RENAME:
		memcpy(t->name, ev->rename.new_name, sizeof(t->name));
		break;
	case TS_WEV_EXIT:
	case TS_WEV_TOTALS:
		memcpy(t->name, ev->name, sizeof(t->name));
		t->start_ns = ev->exit.start_ns;
		t->cpu_ns = ev->exit.cpu_ns;
		t->run_delay_ns = ev->exit.run_delay_ns;
		if (ev->exit.flags & TS_WEXIT_F_TOTALS) {
			t->tot = ev->exit.tot;
			t->has_totals = true;
		}
		if (v->start_routine && !t->start_routine)
			wthread_set_start_routine(t, v->start_routine);
		if (ev->type == TS_WEV_EXIT) {
			t->exited = true;
			t->end_ns = ev->ts_ns;
			t->exit_code = ev->exit.exit_code;
		}
		break;
	case TS_WEV_WAIT:
		memcpy(t->name, ev->name, sizeof(t->name));
		wthread_add_wait(t, wev_wait_ns(&ev->wait.w), v->what);
		break;
	}
}

void watch_resolve(struct watch_resolver *r, const struct wev *ev,
		   struct wev_view *v)
{
	struct wthread *t;
	int n;

	memset(v, 0, sizeof(*v));
	v->ev = ev;
	v->t_ns = ev->ts_ns > r->t0_ns ? ev->ts_ns - r->t0_ns : 0;
	switch (ev->type) {
	case TS_WEV_CREATE:
		v->start_routine = symbol(r, ev->create.start_routine);
		v->parent_name = wthreads_name(r->threads, ev->create.parent_tid);
		break;
	case TS_WEV_EXIT:
	case TS_WEV_TOTALS:
		t = wthreads_get(r->threads, ev->tid, false);
		v->start_routine = t && t->start_routine ? t->start_routine :
				   symbol(r, ev->exit.start_routine);
		break;
	case TS_WEV_WAIT:
	case TS_WEV_STUCK:
		n = wait_frames(r, ev, &v->stack_note);
		v->frames = r->frames;
		v->nframes = ev->wait.regs ? n : 0;
		watch_classify_wait(v, r->frames, n, r->threads);
		if ((ev->wait.w.flags & TS_WAIT_F_WAKER) && ev->wait.w.waker_tid &&
		    ev->wait.w.waker_tgid != (uint32_t)r->pid)
			v->waker_process = proc_name(r, (pid_t)ev->wait.w.waker_tgid);
		break;
	}
	track(r, ev, v);
}
