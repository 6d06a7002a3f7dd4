/* Helpers on the snapshot model: lookup, ordering, names, freeing (see
 * snapshot_model.h). */
#include "threadview/snapshot_model.h"

#include <stdlib.h>

static int cmp_thread(const void *a, const void *b)
{
	const struct ts_thread *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return 0;
}

void ts_snapshot_sort(struct ts_snapshot *s)
{
	if (s->nthreads)
		qsort(s->threads, s->nthreads, sizeof(*s->threads), cmp_thread);
	if (s->nothers)
		qsort(s->others, s->nothers, sizeof(*s->others), cmp_thread);
}

struct ts_thread *ts_snapshot_find(const struct ts_snapshot *s, pid_t tid)
{
	struct ts_thread key = { .tid = tid }, *t = NULL;

	if (s->nthreads)
		t = bsearch(&key, s->threads, s->nthreads, sizeof(*s->threads),
			    cmp_thread);
	if (!t && s->nothers)
		t = bsearch(&key, s->others, s->nothers, sizeof(*s->others),
			    cmp_thread);
	return t;
}

void ts_peer_free(struct ts_peer *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nprocs; i++)
		free(p->procs[i].tids);
	free(p->procs);
	free(p);
}

void ts_thread_free(struct ts_thread *t)
{
	free(t->frames);
	free(t->kframes);
	free(t->fd_path_buf);
	ts_peer_free(t->blocked.peer);
	t->frames = t->kframes = NULL;
	t->fd_path_buf = NULL;
	t->blocked.peer = NULL;
}

void ts_snapshot_free_graph(struct ts_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->ncycles; i++)
		free(s->cycles[i].tids);
	for (i = 0; i < s->nchains; i++)
		free(s->chains[i].tids);
	free(s->cycles);
	free(s->chains);
	free(s->edges);
	s->cycles = NULL;
	s->chains = NULL;
	s->edges = NULL;
	s->ncycles = s->nchains = s->nedges = 0;
}

void ts_snapshot_free(struct ts_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++)
		ts_thread_free(&s->threads[i]);
	for (i = 0; i < s->nothers; i++)
		ts_thread_free(&s->others[i]);
	ts_snapshot_free_graph(s);
	free(s->threads);
	free(s->others);
	s->threads = s->others = NULL;
	s->cycles = NULL;
	s->chains = NULL;
	s->edges = NULL;
	s->nthreads = s->nothers = s->ncycles = s->nchains = s->nedges = 0;
}

/* task->__state and exit_state bits (include/linux/sched.h). */
#define TS_TASK_INTERRUPTIBLE   0x1
#define TS_TASK_UNINTERRUPTIBLE 0x2
#define TS_TASK_STOPPED         0x4
#define TS_TASK_TRACED          0x8
#define TS_TASK_NOLOAD          0x400
#define TS_EXIT_DEAD            0x10
#define TS_EXIT_ZOMBIE          0x20

enum ts_sched_state ts_task_state(uint32_t state, uint32_t exit_state,
				  bool on_cpu)
{
	if (exit_state & TS_EXIT_DEAD)
		return TS_STATE_DEAD;
	if (exit_state & TS_EXIT_ZOMBIE)
		return TS_STATE_ZOMBIE;
	if (state == 0)
		return on_cpu ? TS_STATE_RUNNING : TS_STATE_RUNNABLE;
	if (state & TS_TASK_TRACED)
		return TS_STATE_TRACED;
	if (state & TS_TASK_STOPPED)
		return TS_STATE_STOPPED;
	if ((state & (TS_TASK_UNINTERRUPTIBLE | TS_TASK_NOLOAD)) ==
	    (TS_TASK_UNINTERRUPTIBLE | TS_TASK_NOLOAD))
		return TS_STATE_IDLE;
	if (state & TS_TASK_UNINTERRUPTIBLE)
		return TS_STATE_UNINTERRUPTIBLE;
	if (state & TS_TASK_INTERRUPTIBLE)
		return TS_STATE_SLEEPING;
	return TS_STATE_UNKNOWN;
}

const char *ts_state_name(enum ts_sched_state st)
{
	static const char *const names[] = {
		[TS_STATE_RUNNING] = "running",
		[TS_STATE_RUNNABLE] = "runnable",
		[TS_STATE_SLEEPING] = "sleeping",
		[TS_STATE_UNINTERRUPTIBLE] = "uninterruptible",
		[TS_STATE_IDLE] = "idle",
		[TS_STATE_STOPPED] = "stopped",
		[TS_STATE_TRACED] = "traced",
		[TS_STATE_ZOMBIE] = "zombie",
		[TS_STATE_DEAD] = "dead",
		[TS_STATE_UNKNOWN] = "unknown",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st]
							        : "unknown";
}

const char *ts_block_kind_name(enum ts_block_kind k)
{
	static const char *const names[] = {
		[TS_BLOCK_NONE] = "none",
		[TS_BLOCK_MUTEX] = "mutex",
		[TS_BLOCK_CONDVAR] = "condvar",
		[TS_BLOCK_RWLOCK] = "rwlock",
		[TS_BLOCK_JOIN] = "join",
		[TS_BLOCK_SEMAPHORE] = "semaphore",
		[TS_BLOCK_FUTEX] = "futex",
		[TS_BLOCK_READ] = "read",
		[TS_BLOCK_WRITE] = "write",
		[TS_BLOCK_ACCEPT] = "accept",
		[TS_BLOCK_CONNECT] = "connect",
		[TS_BLOCK_POLL] = "poll",
		[TS_BLOCK_SELECT] = "select",
		[TS_BLOCK_EPOLL] = "epoll",
		[TS_BLOCK_SLEEP] = "sleep",
		[TS_BLOCK_WAIT] = "wait",
		[TS_BLOCK_SIGNAL] = "signal",
		[TS_BLOCK_SYSCALL] = "syscall",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k]
							      : "unknown";
}

const char *ts_peer_via_name(enum ts_peer_via v)
{
	switch (v) {
	case TS_VIA_TCP: return "tcp";
	case TS_VIA_UNIX: return "unix";
	case TS_VIA_PIPE: return "pipe";
	case TS_VIA_FIFO: return "fifo";
	case TS_VIA_NONE: break;
	}
	return "none";
}
