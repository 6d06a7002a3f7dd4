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

#include "threadview/describe_peer.h"
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

/* A peer whose chain goes on at next_tid, held by process pid "comm". */
static struct ts_peer *peer_to(enum ts_peer_via via, pid_t pid,
			       const char *comm, pid_t next_tid)
{
	struct ts_peer *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->via = via;
	p->procs = calloc(1, sizeof(*p->procs));
	assert_non_null(p->procs);
	p->nprocs = 1;
	p->procs[0].pid = pid;
	p->procs[0].fd = 8;
	snprintf(p->procs[0].comm, sizeof(p->procs[0].comm), "%s", comm);
	p->procs[0].tids = malloc(sizeof(pid_t));
	assert_non_null(p->procs[0].tids);
	p->procs[0].tids[0] = next_tid;
	p->procs[0].ntids = 1;
	p->next_tid = next_tid;
	return p;
}

static void blocked_read(struct ts_thread *t, int fd, struct ts_peer *p)
{
	t->blocked.kind = TS_BLOCK_READ;
	t->blocked.fd = fd;
	t->blocked.fdi.type = TS_FD_SOCKET;
	t->blocked.peer = p;
	t->syscall_nr = 0;
}

/* uploadd (pid 100) thread 110 reads a socket whose other end redis
 * (pid 200) holds; redis's main thread is stopped in epoll_wait. The
 * graph's other threads come from the resolver (s.others). */
static void make_redis(struct ts_snapshot *s, bool stopped)
{
	memset(s, 0, sizeof(*s));
	s->pid = 100;
	strcpy(s->comm, "uploadd");
	s->threads = calloc(2, sizeof(*s->threads));
	s->others = calloc(2, sizeof(*s->others));
	assert_non_null(s->threads);
	assert_non_null(s->others);
	s->nthreads = s->nothers = 2;
	s->threads[0] = (struct ts_thread){ .tid = 100, .pid = 100,
		.name = "uploadd", .state = TS_STATE_SLEEPING, .syscall_nr = -1 };
	s->threads[1] = (struct ts_thread){ .tid = 110, .pid = 100,
		.name = "MHD-connection", .state = TS_STATE_SLEEPING };
	s->threads[0].blocked.fd = -1;
	blocked_read(&s->threads[1], 12, peer_to(TS_VIA_TCP, 200, "redis-server", 200));
	s->others[0] = (struct ts_thread){ .tid = 200, .pid = 200,
		.name = "redis-server", .syscall_nr = 232,
		.state = stopped ? TS_STATE_STOPPED : TS_STATE_SLEEPING,
		.off_cpu_known = true, .off_cpu_ns = 1100000000ull };
	s->others[0].blocked = (struct ts_blocked){ .kind = TS_BLOCK_EPOLL,
		.fd = 5, .remaining_ns = -1, .timeout_ms = -1 };
	s->others[1] = (struct ts_thread){ .tid = 201, .pid = 200,
		.name = "io_thd_1", .state = TS_STATE_SLEEPING };
	/* A wait inside redis that no uploadd thread leads to. */
	s->others[1].blocked = (struct ts_blocked){ .kind = TS_BLOCK_MUTEX,
		.fd = -1, .owner_tid = 200, .has_object = true };
}

static void test_chain_across_processes(void **state)
{
	struct ts_snapshot s;
	char line[1024];

	(void)state;
	make_redis(&s, true);
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 2);
	assert_int_equal(s.edges[0].waiter, 110);
	assert_int_equal(s.edges[0].holder, 200);
	assert_int_equal(s.edges[0].holder_pid, 200);
	assert_int_equal(s.edges[0].via, TS_VIA_TCP);
	assert_int_equal(s.edges[0].object, 12);
	/* A peer edge does not name a lock owner. */
	assert_null(s.threads[1].blocked.owner_name);
	/* One chain, from the target's thread only (not redis's io thread). */
	assert_int_equal(s.nchains, 1);
	assert_int_equal(s.chains[0].n, 2);
	assert_int_equal(s.chains[0].tids[0], 110);
	assert_int_equal(s.chains[0].tids[1], 200);
	assert_true(s.chains[0].crosses);
	assert_false(s.chains[0].into_cycle);
	assert_int_equal(s.ncycles, 0);
	assert_string_equal(ts_describe_chain(&s, s.chains[0].tids, 2,
					      TS_CHAIN_END, line, sizeof(line)),
		"110 \"MHD-connection\" (uploadd 100) -> (tcp) -> 200 "
		"\"redis-server\" (redis-server 200) -> (stopped in epoll_wait "
		"fd 5, 1.1s)");
	assert_string_equal(ts_proc_state(&s, &s.threads[1].blocked.peer->procs[0]),
			    "stopped");
	/* With a thread that is not stopped, the process is not. */
	s.others[0].state = TS_STATE_SLEEPING;
	assert_string_equal(ts_proc_state(&s, &s.threads[1].blocked.peer->procs[0]),
			    "sleeping");
	ts_snapshot_free(&s);
}

static void test_stopped_waiter_waits_for_nobody(void **state)
{
	struct ts_snapshot s;

	(void)state;
	make_redis(&s, true);
	/* Stop the uploadd thread too: it no longer waits for redis. */
	s.threads[1].state = TS_STATE_STOPPED;
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nedges, 1);          /* redis's own mutex wait */
	assert_int_equal(s.nchains, 0);
	ts_snapshot_free(&s);
}

static void test_cycle_across_processes(void **state)
{
	struct ts_snapshot s = { 0 };
	char line[1024];

	(void)state;
	/* --all: both processes' threads are s.threads. */
	s.threads = calloc(3, sizeof(*s.threads));
	assert_non_null(s.threads);
	s.nthreads = 3;
	s.threads[0] = (struct ts_thread){ .tid = 10, .pid = 10, .name = "a",
		.state = TS_STATE_SLEEPING };
	s.threads[1] = (struct ts_thread){ .tid = 20, .pid = 20, .name = "b",
		.state = TS_STATE_SLEEPING };
	s.threads[2] = (struct ts_thread){ .tid = 30, .pid = 30, .name = "c",
		.state = TS_STATE_SLEEPING };
	blocked_read(&s.threads[0], 3, peer_to(TS_VIA_PIPE, 20, "b", 20));
	blocked_read(&s.threads[1], 4, peer_to(TS_VIA_PIPE, 10, "a", 10));
	blocked_read(&s.threads[2], 5, peer_to(TS_VIA_UNIX, 10, "a", 10));
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.ncycles, 1);
	assert_true(cycle_is(&s.cycles[0], (pid_t[]){ 10, 20 }, 2));
	/* 30 leads into the cycle. */
	assert_int_equal(s.nchains, 1);
	assert_true(s.chains[0].into_cycle);
	assert_int_equal(s.chains[0].n, 2);
	assert_string_equal(ts_describe_chain(&s, s.cycles[0].tids, 2,
					      TS_CHAIN_CYCLE, line, sizeof(line)),
		s.cycles[0].tids[0] == 10 ?
		"10 \"a\" (a 10) -> (pipe) -> 20 \"b\" (b 20) -> (pipe) -> 10 \"a\"" :
		"20 \"b\" (b 20) -> (pipe) -> 10 \"a\" (a 10) -> (pipe) -> 20 \"b\"");
	ts_snapshot_free(&s);
}

/* The path watch --stuck prints: from one thread, whoever it waits for. */
static void test_path_from_a_thread(void **state)
{
	pid_t w[] = { 20, 30, 20, 0 };   /* 10 -> 20 <-> 30; 40 alone */
	pid_t out[8];
	struct ts_snapshot s;
	long cyc;

	(void)state;
	make(&s, w, 4);
	assert_int_equal(ts_waitgraph_path(&s, 10, out, 8, &cyc), 3);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[1], 20);
	assert_int_equal(out[2], 30);
	assert_int_equal(cyc, 1);                /* 30 waits for out[1] */
	assert_int_equal(ts_waitgraph_path(&s, 20, out, 8, &cyc), 2);
	assert_int_equal(cyc, 0);                /* back to the start */
	assert_int_equal(ts_waitgraph_path(&s, 40, out, 8, &cyc), 1);
	assert_int_equal(cyc, -1);
	assert_int_equal(ts_waitgraph_path(&s, 99, out, 8, &cyc), 0);
	assert_int_equal(ts_waitgraph_path(&s, 10, out, 2, &cyc), 2);
	ts_snapshot_free(&s);
}

static void test_chains_longest_first(void **state)
{
	/* 10 -> 20 -> 30 and 40 -> 30: two chains, the longer first; a
	 * chain inside one process reads as before (no process names). */
	pid_t w[] = { 20, 30, 0, 30 };
	struct ts_snapshot s;
	char line[512];

	(void)state;
	make(&s, w, 4);
	for (size_t i = 0; i < 4; i++)
		s.threads[i].pid = 1;
	assert_int_equal(ts_waitgraph_build(&s), 0);
	assert_int_equal(s.nchains, 2);
	assert_int_equal(s.chains[0].n, 3);
	assert_int_equal(s.chains[1].n, 2);
	assert_false(s.chains[0].crosses);
	assert_string_equal(ts_describe_chain(&s, s.chains[1].tids, 2,
					      TS_CHAIN_END, line, sizeof(line)),
			    "40 \"t4\" -> 30 \"t3\" -> (running on CPU 0)");
	ts_snapshot_free(&s);
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
		cmocka_unit_test(test_chain_across_processes),
		cmocka_unit_test(test_stopped_waiter_waits_for_nobody),
		cmocka_unit_test(test_cycle_across_processes),
		cmocka_unit_test(test_chains_longest_first),
		cmocka_unit_test(test_path_from_a_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
