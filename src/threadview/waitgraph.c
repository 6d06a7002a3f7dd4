/* Wait-for graph, chains and deadlock cycles (see waitgraph.h).
 *
 * Nodes are s->threads followed by s->others (node i >= nthreads is
 * others[i - nthreads]); next[i] is the node thread i waits for, or -1. */
#include "threadview/waitgraph.h"

#include <errno.h>
#include <stdlib.h>

bool ts_thread_halted(const struct ts_thread *t)
{
	switch (t->state) {
	case TS_STATE_STOPPED:
	case TS_STATE_TRACED:
	case TS_STATE_ZOMBIE:
	case TS_STATE_DEAD:
		return true;
	default:
		return t->exited;
	}
}

static size_t nnodes(const struct ts_snapshot *s)
{
	return s->nthreads + s->nothers;
}

static struct ts_thread *node(const struct ts_snapshot *s, size_t i)
{
	return i < s->nthreads ? &s->threads[i] : &s->others[i - s->nthreads];
}

static bool through_peer(const struct ts_thread *t)
{
	return t->blocked.peer && (t->blocked.kind == TS_BLOCK_READ ||
				   t->blocked.kind == TS_BLOCK_WRITE ||
				   t->blocked.kind == TS_BLOCK_CONNECT);
}

static pid_t holder_of(const struct ts_thread *t)
{
	switch (t->blocked.kind) {
	case TS_BLOCK_MUTEX:
	case TS_BLOCK_RWLOCK:
		return t->blocked.owner_tid;
	case TS_BLOCK_JOIN:
		return t->blocked.join_tid;
	default:
		/* A halted thread is not waiting for its peer: the stop is
		 * what holds it. */
		return through_peer(t) && !ts_thread_halted(t) ?
		       t->blocked.peer->next_tid : 0;
	}
}

static long index_of(const struct ts_snapshot *s, pid_t tid)
{
	const struct ts_thread *o = ts_snapshot_find(s, tid);

	if (!o)
		return -1;
	if (o >= s->threads && o < s->threads + s->nthreads)
		return o - s->threads;
	return (long)s->nthreads + (o - s->others);
}

/* Node that t (node i) waits for, or -1. */
static long next_index(const struct ts_snapshot *s, size_t i)
{
	pid_t h = holder_of(node(s, i));

	if (h <= 0)
		return -1;   /* waits for no thread (a tid 0 is no self-wait) */
	if (h == node(s, i)->tid)
		return (long)i;
	return index_of(s, h);
}

static int add_cycle(struct ts_snapshot *s, const long *next, long start,
		     unsigned char *on_cycle)
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
		c->tids[c->n++] = node(s, i)->tid;
		on_cycle[i] = 1;
		i = next[i];
	} while (i != start);
	s->ncycles++;
	return 0;
}

/* Colours: 0 unvisited, 1 on the current path, 2 done. A path that comes
 * back to a node on itself closes a cycle. */
static int find_cycles(struct ts_snapshot *s, const long *next,
		       unsigned char *on_cycle)
{
	size_t n = nnodes(s), i;
	unsigned char *colour = calloc(n ? n : 1, 1);
	long j;
	int err = 0;

	if (!colour)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		for (j = (long)i; j >= 0 && colour[j] == 0; j = next[j])
			colour[j] = 1;
		if (j >= 0 && colour[j] == 1)
			err = add_cycle(s, next, j, on_cycle);
		for (j = (long)i; j >= 0 && colour[j] == 1; j = next[j])
			colour[j] = 2;
	}
	free(colour);
	return err;
}

/* The chain that starts at node start (nobody waits for it). */
static int add_chain(struct ts_snapshot *s, const long *next, long start,
		     const unsigned char *on_cycle)
{
	struct ts_chain *nc, c = { 0 };
	size_t cap = 0;
	pid_t *nt;
	long i = start;

	for (;;) {
		if (c.n == cap) {
			cap = cap ? cap * 2 : 8;
			nt = realloc(c.tids, cap * sizeof(*nt));
			if (!nt) {
				free(c.tids);
				return -ENOMEM;
			}
			c.tids = nt;
		}
		c.tids[c.n++] = node(s, i)->tid;
		if (c.n > 1 && node(s, i)->pid != node(s, start)->pid)
			c.crosses = true;
		if (on_cycle[i] && i != start) {
			c.into_cycle = true;
			break;
		}
		if (next[i] < 0)
			break;
		i = next[i];
	}
	nc = realloc(s->chains, (s->nchains + 1) * sizeof(*nc));
	if (!nc) {
		free(c.tids);
		return -ENOMEM;
	}
	s->chains = nc;
	s->chains[s->nchains++] = c;
	return 0;
}

/* Longest first; among equals, those that cross processes, then by the
 * first thread's tid so the order is stable. */
static int cmp_chain(const void *a, const void *b)
{
	const struct ts_chain *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->crosses != y->crosses)
		return x->crosses ? -1 : 1;
	return x->tids[0] < y->tids[0] ? -1 : x->tids[0] > y->tids[0];
}

static int find_chains(struct ts_snapshot *s, const long *next,
		       const unsigned char *on_cycle)
{
	size_t n = nnodes(s), i;
	unsigned char *waited = calloc(n ? n : 1, 1);
	int err = 0;

	if (!waited)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (next[i] >= 0 && next[i] != (long)i)
			waited[next[i]] = 1;
	/* Only the target's threads start chains: the other processes'
	 * threads are there to say where the target's waits lead. */
	for (i = 0; i < s->nthreads && !err; i++)
		if (next[i] >= 0 && next[i] != (long)i && !waited[i] &&
		    !on_cycle[i])
			err = add_chain(s, next, (long)i, on_cycle);
	free(waited);
	if (!err && s->nchains > 1)
		qsort(s->chains, s->nchains, sizeof(*s->chains), cmp_chain);
	return err;
}

size_t ts_waitgraph_path(const struct ts_snapshot *s, pid_t tid, pid_t *out,
			 size_t max, long *cycle_at)
{
	const struct ts_thread *t = ts_snapshot_find(s, tid);
	size_t n = 0, i;
	pid_t h;

	*cycle_at = -1;
	while (t && n < max) {
		out[n++] = t->tid;
		h = holder_of(t);
		if (h <= 0)
			break;
		for (i = 0; i < n && out[i] != h; i++)
			;
		if (i < n) {
			*cycle_at = (long)i;
			break;
		}
		t = ts_snapshot_find(s, h);
	}
	return n;
}

int ts_waitgraph_build(struct ts_snapshot *s)
{
	size_t n = nnodes(s), i;
	unsigned char *on_cycle;
	long *next;
	int err;

	ts_snapshot_free_graph(s);
	next = malloc((n ? n : 1) * sizeof(*next));
	on_cycle = calloc(n ? n : 1, 1);
	s->edges = calloc(n ? n : 1, sizeof(*s->edges));
	if (!next || !on_cycle || !s->edges) {
		free(next);
		free(on_cycle);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ts_thread *t = node(s, i);
		pid_t h = holder_of(t);
		const struct ts_thread *o;

		next[i] = next_index(s, i);
		o = next[i] >= 0 ? node(s, next[i]) : NULL;
		if (o && t->blocked.kind == TS_BLOCK_JOIN)
			t->blocked.join_name = o->name;
		else if (o && !through_peer(t))
			t->blocked.owner_name = o->name;
		if (h > 0)
			s->edges[s->nedges++] = (struct ts_wait_edge){
				.waiter = t->tid, .holder = h,
				.kind = t->blocked.kind,
				.object = through_peer(t) ? (uint64_t)t->blocked.fd
							  : t->blocked.object,
				.waiter_pid = t->pid,
				.holder_pid = o ? o->pid : 0,
				.via = through_peer(t) ? t->blocked.peer->via
						       : TS_VIA_NONE,
			};
	}
	err = find_cycles(s, next, on_cycle);
	if (!err)
		err = find_chains(s, next, on_cycle);
	free(next);
	free(on_cycle);
	return err;
}
