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
}

struct ts_thread *ts_snapshot_find(const struct ts_snapshot *s, pid_t tid)
{
	struct ts_thread key = { .tid = tid };

	if (!s->nthreads)
		return NULL;
	return bsearch(&key, s->threads, s->nthreads, sizeof(*s->threads),
		       cmp_thread);
}

void ts_snapshot_free(struct ts_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++) {
		free(s->threads[i].frames);
		free(s->threads[i].kframes);
		free(s->threads[i].fd_path_buf);
	}
	for (i = 0; i < s->ncycles; i++)
		free(s->cycles[i].tids);
	free(s->cycles);
	free(s->edges);
	free(s->threads);
	s->threads = NULL;
	s->cycles = NULL;
	s->edges = NULL;
	s->nthreads = s->ncycles = s->nedges = 0;
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
