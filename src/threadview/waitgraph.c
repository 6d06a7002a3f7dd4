/* Wait-for graph and deadlock cycles (see waitgraph.h). */
#include "threadview/waitgraph.h"

#include <errno.h>
#include <stdlib.h>

static pid_t holder_of(const struct ts_thread *t)
{
	switch (t->blocked.kind) {
	case TS_BLOCK_MUTEX:
	case TS_BLOCK_RWLOCK:
		return t->blocked.owner_tid;
	case TS_BLOCK_JOIN:
		return t->blocked.join_tid;
	default:
		return 0;
	}
}

/* Index of the thread that t waits for, or -1. */
static long next_index(const struct ts_snapshot *s, const struct ts_thread *t)
{
	pid_t h = holder_of(t);
	const struct ts_thread *o;

	if (h <= 0)
		return -1;   /* waits for no thread (a tid 0 is no self-wait) */
	if (h == t->tid)
		return t - s->threads;
	o = ts_snapshot_find(s, h);
	return o ? o - s->threads : -1;
}

static void free_results(struct ts_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->ncycles; i++)
		free(s->cycles[i].tids);
	free(s->cycles);
	free(s->edges);
	s->cycles = NULL;
	s->edges = NULL;
	s->ncycles = s->nedges = 0;
}

static int add_cycle(struct ts_snapshot *s, const long *next, long start)
{
	struct ts_cycle *nc, *c;
	size_t n = 1;
	long i;

	for (i = next[start]; i != start; i = next[i])
		n++;
	nc = realloc(s->cycles, (s->ncycles + 1) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	s->cycles = nc;
	c = &s->cycles[s->ncycles];
	c->tids = malloc(n * sizeof(*c->tids));
	if (!c->tids)
		return -ENOMEM;
	c->n = 0;
	i = start;
	do {
		c->tids[c->n++] = s->threads[i].tid;
		i = next[i];
	} while (i != start);
	s->ncycles++;
	return 0;
}

/* Colours: 0 unvisited, 1 on the current path, 2 done. A path that comes
 * back to a node on itself closes a cycle. */
static int find_cycles(struct ts_snapshot *s, const long *next)
{
	unsigned char *colour = calloc(s->nthreads ? s->nthreads : 1, 1);
	size_t i;
	long j;
	int err = 0;

	if (!colour)
		return -ENOMEM;
	for (i = 0; i < s->nthreads && !err; i++) {
		for (j = (long)i; j >= 0 && colour[j] == 0; j = next[j])
			colour[j] = 1;
		if (j >= 0 && colour[j] == 1)
			err = add_cycle(s, next, j);
		for (j = (long)i; j >= 0 && colour[j] == 1; j = next[j])
			colour[j] = 2;
	}
	free(colour);
	return err;
}

int ts_waitgraph_build(struct ts_snapshot *s)
{
	long *next;
	size_t i;
	int err;

	free_results(s);
	next = malloc((s->nthreads ? s->nthreads : 1) * sizeof(*next));
	if (!next)
		return -ENOMEM;
	s->edges = calloc(s->nthreads ? s->nthreads : 1, sizeof(*s->edges));
	if (!s->edges) {
		free(next);
		return -ENOMEM;
	}
	for (i = 0; i < s->nthreads; i++) {
		struct ts_thread *t = &s->threads[i];
		pid_t h = holder_of(t);

		next[i] = next_index(s, t);
		if (next[i] >= 0) {
			const char *name = s->threads[next[i]].name;

			if (t->blocked.kind == TS_BLOCK_JOIN)
				t->blocked.join_name = name;
			else
				t->blocked.owner_name = name;
		}
		if (h > 0)
			s->edges[s->nedges++] = (struct ts_wait_edge){
				.waiter = t->tid, .holder = h,
				.kind = t->blocked.kind, .object = t->blocked.object,
			};
	}
	err = find_cycles(s, next);
	free(next);
	return err;
}
