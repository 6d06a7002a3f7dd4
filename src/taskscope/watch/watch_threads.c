/* The table of threads seen by a watch (see watch_threads.h), a glibc
 * tsearch tree keyed by tid. */
#include "taskscope/watch/watch_threads.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = ((const struct wthread *)a)->tid;
	pid_t y = ((const struct wthread *)b)->tid;

	return (x > y) - (x < y);
}

struct wthread *wthreads_get(struct wthreads *ts, pid_t tid, bool create)
{
	struct wthread key = { .tid = tid }, *t, **slot;

	slot = tfind(&key, &ts->root, cmp_tid);
	if (slot)
		return *slot;
	if (!create)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	slot = tsearch(t, &ts->root, cmp_tid);
	if (!slot) {
		free(t);
		return NULL;
	}
	ts->n++;
	return t;
}

const char *wthreads_name(struct wthreads *ts, pid_t tid)
{
	struct wthread *t = wthreads_get(ts, tid, false);

	return t && t->name[0] ? t->name : NULL;
}

void wthread_set_start_routine(struct wthread *t, const char *sym)
{
	char *copy = sym ? strdup(sym) : NULL;

	if (!copy)
		return;
	free(t->start_routine);
	t->start_routine = copy;
}

void wthread_add_wait(struct wthread *t, uint64_t dur_ns, const char *what)
{
	int i, j;

	t->reported++;
	t->reported_ns += dur_ns;
	for (i = 0; i < WTHREAD_TOP && t->top[i].dur_ns >= dur_ns; i++)
		;
	if (i == WTHREAD_TOP)
		return;
	for (j = WTHREAD_TOP - 1; j > i; j--)
		t->top[j] = t->top[j - 1];
	t->top[i].dur_ns = dur_ns;
	snprintf(t->top[i].what, sizeof(t->top[i].what), "%s", what);
}

uint64_t wthread_reported_ns(const struct wthread *t)
{
	uint64_t sum = 0;

	for (int c = 0; c < TS_WAIT_NCLASS; c++)
		sum += t->tot.blocked_ns[c];
	return sum;
}

uint64_t wthread_blocked_ns(const struct wthread *t, uint64_t end_ns)
{
	uint64_t end = t->exited ? t->end_ns : end_ns, busy;

	if (!t->has_totals || !t->start_ns || end <= t->start_ns)
		return wthread_reported_ns(t);
	busy = t->cpu_ns + t->run_delay_ns;
	return end - t->start_ns > busy ? end - t->start_ns - busy : 0;
}

struct collect {
	struct wthread **arr;
	size_t n;
};

static uint64_t sort_end_ns;         /* qsort has no context argument */

static void collect_one(const void *node, VISIT v, void *ctx)
{
	struct collect *c = ctx;

	if (v == postorder || v == leaf)
		c->arr[c->n++] = *(struct wthread *const *)node;
}

static void count_alive(const void *node, VISIT v, void *ctx)
{
	if ((v == postorder || v == leaf) &&
	    !(*(struct wthread *const *)node)->exited)
		++*(size_t *)ctx;
}

size_t wthreads_alive(const struct wthreads *ts)
{
	size_t n = 0;

	twalk_r(ts->root, count_alive, &n);
	return n;
}

static int cmp_blocked(const void *a, const void *b)
{
	const struct wthread *x = *(struct wthread *const *)a;
	const struct wthread *y = *(struct wthread *const *)b;
	uint64_t bx = wthread_blocked_ns(x, sort_end_ns);
	uint64_t by = wthread_blocked_ns(y, sort_end_ns);

	if (bx != by)
		return bx < by ? 1 : -1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

struct wthread **wthreads_sorted(struct wthreads *ts, uint64_t end_ns,
				 size_t *n)
{
	struct collect c = { .arr = NULL, .n = 0 };

	*n = 0;
	if (!ts->n)
		return NULL;
	c.arr = calloc(ts->n, sizeof(*c.arr));
	if (!c.arr)
		return NULL;
	twalk_r(ts->root, collect_one, &c);
	sort_end_ns = end_ns;
	qsort(c.arr, c.n, sizeof(*c.arr), cmp_blocked);
	*n = c.n;
	return c.arr;
}

static void free_one(void *node)
{
	struct wthread *t = node;

	free(t->start_routine);
	free(t);
}

void wthreads_free(struct wthreads *ts)
{
	tdestroy(ts->root, free_one);
	ts->root = NULL;
	ts->n = 0;
}
