/* cmocka tests of src/threadview/waitgraph.c: wait-for edges, owner names
 * and deadlock cycles on hand-built snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "threadview/waitgraph.h"

/* Builds a snapshot of n threads with tids 10, 20, 30...; waits_for[i] is
 * the tid thread i waits on through a mutex (0: not blocked). */
static void make(struct ts_snapshot *s, const pid_t *waits_for, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->threads = calloc(n, sizeof(*s->threads));
	assert_non_null(s->threads);
	s->nthreads = n;
	for (size_t i = 0; i < n; i++) {
		struct ts_thread *t = &s->threads[i];

		t->tid = (pid_t)(10 * (i + 1));
		snprintf(t->name, sizeof(t->name), "t%zu", i + 1);
		t->blocked.fd = -1;
		if (waits_for[i]) {
			t->blocked.kind = TS_BLOCK_MUTEX;
			t->blocked.owner_tid = waits_for[i];
			t->blocked.object = 0x1000 + i;
			t->blocked.has_object = true;
		}
	}
}

static bool cycle_is(const struct ts_cycle *c, const pid_t *tids, size_t n)
{
	size_t start, i;

	if (c->n != n)
		return false;
	/* Same cycle in the same direction, from any starting point. */
	for (start = 0; start < n; start++) {
		for (i = 0; i < n && c->tids[(start + i) % n] == tids[i]; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static void test_chain_without_cycle(void **state)
{
	pid_t w[] = { 20, 30, 0 };   /* 10 -> 20 -> 30 */
	struct ts_snapshot s;

	(void)state;
	make(&s, w, 3);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 2);
	assert_int_equal(s.ncycles, 0);
	assert_string_equal(s.threads[0].blocked.owner_name, "t2");
	assert_string_equal(s.threads[1].blocked.owner_name, "t3");
	ts_snapshot_free(&s);
}

static void test_two_thread_deadlock(void **state)
{
	pid_t w[] = { 20, 10, 20 };  /* 10 <-> 20, and 30 waits on the cycle */
	pid_t want[] = { 10, 20 };
	struct ts_snapshot s;

	(void)state;
	make(&s, w, 3);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 3);
	assert_int_equal(s.ncycles, 1);
	assert_true(cycle_is(&s.cycles[0], want, 2));
	ts_snapshot_free(&s);
}

static void test_three_cycle_and_self_deadlock(void **state)
{
	/* 10 -> 20 -> 30 -> 10, and 40 relocked its own mutex. */
	pid_t w[] = { 20, 30, 10, 40, 0 };
	pid_t want3[] = { 10, 20, 30 }, want1[] = { 40 };
	struct ts_snapshot s;

	(void)state;
	make(&s, w, 5);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.ncycles, 2);
	assert_true(cycle_is(&s.cycles[0], want3, 3));
	assert_true(cycle_is(&s.cycles[1], want1, 1));
	ts_snapshot_free(&s);
}

static void test_owner_outside_snapshot(void **state)
{
	pid_t w[] = { 999, 0 };     /* a process-shared mutex owned elsewhere */
	struct ts_snapshot s;

	(void)state;
	make(&s, w, 2);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 1);
	assert_int_equal(s.edges[0].holder, 999);
	assert_null(s.threads[0].blocked.owner_name);
	assert_int_equal(s.ncycles, 0);
	ts_snapshot_free(&s);
}

static void test_join_edges_named(void **state)
{
	pid_t w[] = { 0, 0 };
	struct ts_snapshot s;

	(void)state;
	make(&s, w, 2);
	s.threads[0].blocked.kind = TS_BLOCK_JOIN;
	s.threads[0].blocked.join_tid = 20;
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 1);
	assert_int_equal(s.edges[0].kind, TS_BLOCK_JOIN);
	assert_string_equal(s.threads[0].blocked.join_name, "t2");
	/* Rebuilding replaces, never appends. */
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 1);
	ts_snapshot_free(&s);
}

static void test_large_cycle(void **state)
{
	enum { N = 5000 };
	pid_t *w = calloc(N, sizeof(*w));
	struct ts_snapshot s;

	(void)state;
	for (int i = 0; i < N; i++)
		w[i] = (pid_t)(10 * (((i + 1) % N) + 1));
	make(&s, w, N);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.ncycles, 1);
	assert_int_equal(s.cycles[0].n, N);
	ts_snapshot_free(&s);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_without_cycle),
		cmocka_unit_test(test_two_thread_deadlock),
		cmocka_unit_test(test_three_cycle_and_self_deadlock),
		cmocka_unit_test(test_owner_outside_snapshot),
		cmocka_unit_test(test_join_edges_named),
		cmocka_unit_test(test_large_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
