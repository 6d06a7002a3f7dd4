/* cmocka tests of the cross-process resolver's pure parts
 * (src/taskscope/xproc/): records to tables, finding the other end of a
 * pipe, FIFO, TCP connection (same namespace, across namespaces, not
 * accepted, remote) and unix socket (stream, not accepted, datagram),
 * ranking the holders' threads, and turning task records into threads;
 * all on hand-made records like the iterators write. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "taskscope/xproc/xproc_match.h"
#include "taskscope/xproc/xproc_table.h"
#include "taskscope/xproc/xproc_threads.h"

#define NETNS 4026531840u
#define PIDNS 4026531836u

/* A record buffer built record by record. */
struct recs {
	unsigned char buf[64 * 1024];
	size_t len;
};

static void add_file(struct recs *r, uint32_t pid, uint32_t fd, uint32_t kind,
		     uint64_t obj, uint32_t mode, const char *comm)
{
	struct ts_xp_file f = {
		.rec_type = TS_XP_REC_FILE, .rec_len = sizeof(f), .tgid = pid,
		.fd = fd, .obj = obj, .ino = obj & 0xffff, .kind = kind,
		.f_mode = mode, .ns_tgid = pid, .pidns = PIDNS,
	};

	snprintf(f.comm, sizeof(f.comm), "%s", comm);
	assert_true(r->len + sizeof(f) <= sizeof(r->buf));
	memcpy(r->buf + r->len, &f, sizeof(f));
	r->len += sizeof(f);
}

static struct ts_xp_file *last_file(struct recs *r)
{
	return (struct ts_xp_file *)(r->buf + r->len - sizeof(struct ts_xp_file));
}

/* A TCP socket 127.0.0.1:lport -> 127.0.0.1:rport (IPv4). */
static struct ts_xp_sock *add_tcp(struct recs *r, uint64_t obj, uint16_t lport,
				  uint16_t rport, uint16_t state)
{
	struct ts_xp_sock s = {
		.rec_type = TS_XP_REC_SOCK, .rec_len = sizeof(s), .obj = obj,
		.ino = obj & 0xffff, .netns = NETNS, .family = 2, .sotype = 1,
		.protocol = 6, .state = state, .lport = lport, .rport = rport,
		.laddr = { 127, 0, 0, 1 }, .raddr = { 127, 0, 0, 1 },
	};
	struct ts_xp_sock *p = (struct ts_xp_sock *)(r->buf + r->len);

	if (state == 10)
		memset(s.raddr, 0, sizeof(s.raddr));
	memcpy(p, &s, sizeof(s));
	r->len += sizeof(s);
	return p;
}

static struct ts_xp_sock *add_unix(struct recs *r, uint64_t obj, uint64_t peer,
				   uint16_t type, uint16_t state, uint64_t addr)
{
	struct ts_xp_sock s = {
		.rec_type = TS_XP_REC_SOCK, .rec_len = sizeof(s), .obj = obj,
		.peer = peer, .addr = addr, .ino = obj & 0xffff, .netns = NETNS,
		.family = 1, .sotype = type, .state = state,
	};
	struct ts_xp_sock *p = (struct ts_xp_sock *)(r->buf + r->len);

	if (addr) {
		s.flags |= TS_XP_F_PATH;
		snprintf(s.path, sizeof(s.path), "/run/x.sock");
	}
	memcpy(p, &s, sizeof(s));
	r->len += sizeof(s);
	return p;
}

static void add_task(struct recs *r, uint32_t pid, uint32_t tid, uint32_t state,
		     int32_t nr, uint64_t arg0, const char *comm)
{
	struct ts_xp_task t = {
		.rec_type = TS_XP_REC_TASK, .rec_len = sizeof(t), .tid = tid,
		.tgid = pid, .state = state, .syscall_nr = nr, .args = { arg0 },
		.last_arrival_ns = 1000, .last_run_ns = 10,
		.now_sched_ns = 5000, .now_mono_ns = 4000,
	};

	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	memcpy(r->buf + r->len, &t, sizeof(t));
	r->len += sizeof(t);
}

static void build(struct recs *r, struct ts_xp_table *t)
{
	assert_int_equal(ts_xp_table_build(t, r->buf, r->len), 0);
}

static void test_table_rejects_bad_records(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_table t;

	(void)state;
	add_file(r, 10, 3, TS_XP_PIPE, 0x100, 1, "a");
	last_file(r)->rec_len = 12;
	assert_int_equal(ts_xp_table_build(&t, r->buf, r->len), -EPROTO);
	r->len = 0;
	add_file(r, 10, 3, TS_XP_PIPE, 0x100, 1, "a");
	last_file(r)->rec_type = 99;
	assert_int_equal(ts_xp_table_build(&t, r->buf, r->len), -EPROTO);
	r->len = 0;
	add_file(r, 10, 3, TS_XP_PIPE, 0x100, 1, "a");
	assert_int_equal(ts_xp_table_build(&t, r->buf, r->len - 1), -EPROTO);
	/* Empty is fine. */
	assert_int_equal(ts_xp_table_build(&t, r->buf, 0), 0);
	assert_null(ts_xp_file_of(&t, 10, 3));
	ts_xp_table_free(&t);
	free(r);
}

static void test_pipe_writers(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	add_file(r, 10, 3, TS_XP_PIPE, 0x100, TS_XP_FMODE_READ, "reader");
	add_file(r, 20, 4, TS_XP_PIPE, 0x100, TS_XP_FMODE_WRITE, "writer");
	add_file(r, 20, 9, TS_XP_PIPE, 0x100, TS_XP_FMODE_WRITE, "writer");
	add_file(r, 30, 5, TS_XP_PIPE, 0x100, TS_XP_FMODE_READ, "other-reader");
	add_file(r, 40, 6, TS_XP_PIPE, 0x200, TS_XP_FMODE_WRITE, "unrelated");
	build(r, &t);
	/* A reader waits for the write ends: one process, its first fd. */
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(p->via, TS_VIA_PIPE);
	assert_true(p->pipe);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	assert_int_equal(p->procs[0].fd, 4);
	assert_string_equal(p->procs[0].comm, "writer");
	assert_false(p->procs[0].other_pidns);
	ts_peer_free(p);
	/* A writer waits for the read ends: both readers. */
	p = ts_xp_match(&t, 20, 4, true);
	assert_non_null(p);
	assert_int_equal(p->nprocs, 2);
	assert_int_equal(p->procs[0].pid, 10);
	assert_int_equal(p->procs[1].pid, 30);
	ts_peer_free(p);
	/* No such fd: nothing to say. */
	assert_null(ts_xp_match(&t, 10, 99, false));
	ts_xp_table_free(&t);
	free(r);
}

static void test_tcp_peer_and_queues(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_sock *mine, *theirs;
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	mine = add_tcp(r, 0xa0, 40000, 6379, 1);
	theirs = add_tcp(r, 0xb0, 6379, 40000, 1);
	theirs->rx_queued = 57;
	/* The same pair in another namespace is another connection. */
	add_tcp(r, 0xc0, 6379, 40000, 1)->netns = NETNS + 1;
	add_tcp(r, 0xd0, 6379, 0, 10);
	add_file(r, 10, 12, TS_XP_SOCKET, 0xa0, 3, "uploadd");
	add_file(r, 20, 8, TS_XP_SOCKET, 0xb0, 3, "redis-server");
	add_file(r, 20, 6, TS_XP_SOCKET, 0xd0, 3, "redis-server");
	add_file(r, 30, 5, TS_XP_SOCKET, 0xc0, 3, "elsewhere");
	(void)mine;
	build(r, &t);
	p = ts_xp_match(&t, 10, 12, false);
	assert_non_null(p);
	assert_int_equal(p->via, TS_VIA_TCP);
	assert_string_equal(p->where, "127.0.0.1:6379");
	assert_false(p->remote);
	assert_false(p->not_accepted);
	assert_true(p->queues_known);
	assert_int_equal(p->rx_queued, 57);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	assert_int_equal(p->procs[0].fd, 8);
	assert_false(p->procs[0].other_netns);
	ts_peer_free(p);
	/* A listening socket has no other end. */
	assert_null(ts_xp_match(&t, 20, 6, false));
	ts_xp_table_free(&t);
	free(r);
}

static void test_tcp_across_namespaces(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_sock *a, *b;
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	/* 10.0.0.1:40000 (host) <-> 10.0.0.2:80 (a container on a veth). */
	a = add_tcp(r, 0xa0, 40000, 80, 1);
	b = add_tcp(r, 0xb0, 80, 40000, 1);
	memcpy(a->laddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(a->raddr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(b->laddr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(b->raddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	b->netns = NETNS + 7;
	add_file(r, 10, 3, TS_XP_SOCKET, 0xa0, 3, "client");
	add_file(r, 20, 4, TS_XP_SOCKET, 0xb0, 3, "nginx");
	last_file(r)->ns_tgid = 1;
	last_file(r)->pidns = PIDNS + 9;
	build(r, &t);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	assert_true(p->procs[0].other_netns);
	assert_true(p->procs[0].other_pidns);
	assert_int_equal(p->procs[0].ns_pid, 1);
	ts_peer_free(p);
	ts_xp_table_free(&t);
	free(r);
}

static void test_tcp_not_accepted_and_remote(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	add_tcp(r, 0xa0, 50000, 7000, 1);
	add_tcp(r, 0xb0, 7000, 50000, 1);     /* in the accept queue */
	memset(add_tcp(r, 0xc0, 7000, 0, 10)->laddr, 0, 16);   /* 0.0.0.0:7000 */
	add_tcp(r, 0xe0, 50001, 443, 1)->raddr[0] = 93; /* elsewhere */
	add_file(r, 10, 3, TS_XP_SOCKET, 0xa0, 3, "client");
	add_file(r, 10, 4, TS_XP_SOCKET, 0xe0, 3, "client");
	add_file(r, 20, 5, TS_XP_SOCKET, 0xc0, 3, "server");
	build(r, &t);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_true(p->not_accepted);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	assert_true(p->procs[0].listener);
	ts_peer_free(p);
	p = ts_xp_match(&t, 10, 4, false);
	assert_non_null(p);
	assert_true(p->remote);
	assert_int_equal(p->nprocs, 0);
	assert_string_equal(p->where, "93.0.0.1:443");
	ts_peer_free(p);
	ts_xp_table_free(&t);
	free(r);
}

static void test_unix_stream_and_dgram(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	/* A connected pair. */
	add_unix(r, 0xa0, 0xb0, 1, 1, 0);
	add_unix(r, 0xb0, 0xa0, 1, 1, 0x77)->rx_queued = 12;
	/* A client whose connection the server has not accepted yet: its
	 * peer is held by nobody and shares the listener's address. */
	add_unix(r, 0xc0, 0xd0, 1, 1, 0);
	add_unix(r, 0xd0, 0xc0, 1, 1, 0x88);
	add_unix(r, 0xe0, 0, 1, 10, 0x88);
	/* A bound datagram socket, one sender connected to it. */
	add_unix(r, 0xf0, 0, 2, 7, 0x99);
	add_unix(r, 0xf8, 0xf0, 2, 1, 0);
	add_file(r, 10, 3, TS_XP_SOCKET, 0xa0, 3, "a");
	add_file(r, 20, 4, TS_XP_SOCKET, 0xb0, 3, "b");
	add_file(r, 10, 5, TS_XP_SOCKET, 0xc0, 3, "a");
	add_file(r, 30, 6, TS_XP_SOCKET, 0xe0, 3, "server");
	add_file(r, 10, 7, TS_XP_SOCKET, 0xf0, 3, "a");
	add_file(r, 40, 8, TS_XP_SOCKET, 0xf8, 3, "sender");
	build(r, &t);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(p->via, TS_VIA_UNIX);
	assert_string_equal(p->where, "/run/x.sock");
	assert_int_equal(p->rx_queued, 12);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	ts_peer_free(p);
	p = ts_xp_match(&t, 10, 5, false);
	assert_non_null(p);
	assert_true(p->not_accepted);
	assert_int_equal(p->procs[0].pid, 30);
	ts_peer_free(p);
	p = ts_xp_match(&t, 10, 7, false);
	assert_non_null(p);
	assert_true(p->unknown_senders);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 40);
	ts_peer_free(p);
	ts_xp_table_free(&t);
	free(r);
}

static void test_v4_client_of_dual_stack_listener(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	add_tcp(r, 0xa0, 40000, 8080, 1);
	/* The server's side: an AF_INET6 socket in IPv4 form. */
	struct ts_xp_sock *s = add_tcp(r, 0xb0, 8080, 40000, 1);
	s->family = 10;
	s->flags |= TS_XP_F_V4MAPPED;
	add_file(r, 10, 3, TS_XP_SOCKET, 0xa0, 3, "curl");
	add_file(r, 20, 4, TS_XP_SOCKET, 0xb0, 3, "server");
	build(r, &t);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(p->nprocs, 1);
	assert_int_equal(p->procs[0].pid, 20);
	ts_peer_free(p);
	p = ts_xp_match(&t, 20, 4, false);
	assert_non_null(p);
	assert_string_equal(p->where, "127.0.0.1:40000");
	assert_int_equal(p->procs[0].pid, 10);
	ts_peer_free(p);
	ts_xp_table_free(&t);
	free(r);
}

/* A snapshot whose others are threads decoded from r's task records. */
static void others_from(struct ts_xp_table *t, struct ts_snapshot *s)
{
	struct ts_classify_clock clk = { 4000, 4000 };

	s->others = calloc(t->ntasks, sizeof(*s->others));
	assert_non_null(s->others);
	for (size_t i = 0; i < t->ntasks; i++)
		ts_xp_thread(t, t->tasks[i], ts_xp_sched_offset(t), &clk,
			     &s->others[s->nothers++]);
	ts_snapshot_sort(s);
}

static void test_rank_holder_threads(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_snapshot s = { 0 };
	struct ts_thread waiter = { .tid = 11, .pid = 10 };
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	add_tcp(r, 0xa0, 40000, 6379, 1);
	add_tcp(r, 0xb0, 6379, 40000, 1);
	add_tcp(r, 0xc0, 6379, 40001, 1);
	add_file(r, 10, 3, TS_XP_SOCKET, 0xa0, 3, "client");
	add_file(r, 20, 8, TS_XP_SOCKET, 0xb0, 3, "server");
	add_file(r, 20, 9, TS_XP_SOCKET, 0xc0, 3, "server");
	/* The server: main thread asleep, one in epoll, one reading
	 * another client, one reading this very connection. */
	add_task(r, 20, 20, 1, 35, 0, "server");
	add_task(r, 20, 21, 1, TS_NR_EPOLL_WAIT, 5, "loop");
	add_task(r, 20, 22, 1, TS_NR_READ, 9, "other-conn");
	add_task(r, 20, 23, 1, TS_NR_READ, 8, "this-conn");
	build(r, &t);
	others_from(&t, &s);
	assert_int_equal(s.nothers, 4);
	/* Threads decoded with their fds described from the tables. */
	assert_int_equal(ts_snapshot_find(&s, 23)->blocked.kind, TS_BLOCK_READ);
	assert_int_equal(ts_snapshot_find(&s, 23)->blocked.fdi.type, TS_FD_SOCKET);
	assert_int_equal(ts_snapshot_find(&s, 23)->blocked.fdi.lport, 6379);
	assert_int_equal(ts_snapshot_find(&s, 21)->blocked.kind, TS_BLOCK_EPOLL);
	assert_int_equal(ts_snapshot_find(&s, 20)->blocked.kind, TS_BLOCK_SLEEP);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(ts_xp_rank(&t, &s, &waiter, p), 0);
	assert_int_equal(p->next_tid, 23);
	assert_int_equal(p->procs[0].ntids, 4);
	assert_int_equal(p->procs[0].tids[1], 21);   /* event loop */
	assert_int_equal(p->procs[0].tids[2], 22);   /* another channel */
	assert_int_equal(p->procs[0].tids[3], 20);   /* the rest */
	assert_int_equal(p->procs[0].nlikely, 2);
	ts_peer_free(p);
	ts_snapshot_free(&s);
	ts_xp_table_free(&t);
	free(r);
}

static void test_rank_skips_waiter_and_prefers_others(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_snapshot s = { 0 };
	struct ts_xp_table t;
	struct ts_peer *p;

	(void)state;
	/* The reader's own process kept a write end (the classic missing
	 * close after fork), and another process holds one too. */
	add_file(r, 10, 3, TS_XP_PIPE, 0x100, TS_XP_FMODE_READ, "reader");
	add_file(r, 10, 4, TS_XP_PIPE, 0x100, TS_XP_FMODE_WRITE, "reader");
	add_file(r, 20, 4, TS_XP_PIPE, 0x100, TS_XP_FMODE_WRITE, "writer");
	add_task(r, 10, 10, 1, TS_NR_READ, 3, "reader");
	add_task(r, 20, 20, 1, 35, 0, "writer");
	build(r, &t);
	others_from(&t, &s);
	p = ts_xp_match(&t, 10, 3, false);
	assert_non_null(p);
	assert_int_equal(p->nprocs, 2);
	assert_int_equal(ts_xp_rank(&t, &s, ts_snapshot_find(&s, 10), p), 0);
	/* The waiter is no candidate: its process has no thread left. */
	assert_int_equal(p->procs[0].pid, 20);
	assert_int_equal(p->procs[1].pid, 10);
	assert_int_equal(p->procs[1].ntids, 0);
	assert_int_equal(p->next_tid, 20);
	ts_peer_free(p);
	ts_snapshot_free(&s);
	ts_xp_table_free(&t);
	free(r);
}

static void test_thread_states(void **state)
{
	struct recs *r = calloc(1, sizeof(*r));
	struct ts_classify_clock clk = { 0 };
	struct ts_xp_table t;
	struct ts_thread th;

	(void)state;
	add_task(r, 20, 20, 4, TS_NR_EPOLL_WAIT, 5, "stopped");
	add_task(r, 20, 21, 0, -1, 0, "running");
	((struct ts_xp_task *)(r->buf + r->len - sizeof(struct ts_xp_task)))->on_cpu = 1;
	add_task(r, 20, 22, 0, -1, 0, "zombie");
	((struct ts_xp_task *)(r->buf + r->len - sizeof(struct ts_xp_task)))->exit_state = 0x20;
	build(r, &t);
	assert_int_equal(ts_xp_sched_offset(&t), 1000);
	ts_xp_thread(&t, t.tasks[0], ts_xp_sched_offset(&t), &clk, &th);
	assert_int_equal(th.state, TS_STATE_STOPPED);
	assert_int_equal(th.blocked.kind, TS_BLOCK_EPOLL);
	assert_int_equal(th.blocked.fd, 5);
	assert_true(th.off_cpu_known);
	/* now 4000 + offset 1000 - (arrival 1000 + ran 10) */
	assert_int_equal(th.off_cpu_ns, 3990);
	assert_int_equal(th.stack_status, TS_STACK_UNAVAILABLE);
	ts_xp_thread(&t, t.tasks[1], 0, &clk, &th);
	assert_int_equal(th.state, TS_STATE_RUNNING);
	assert_int_equal(th.blocked.kind, TS_BLOCK_NONE);
	ts_xp_thread(&t, t.tasks[2], 0, &clk, &th);
	assert_true(th.exited);
	ts_xp_table_free(&t);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_rejects_bad_records),
		cmocka_unit_test(test_pipe_writers),
		cmocka_unit_test(test_tcp_peer_and_queues),
		cmocka_unit_test(test_tcp_across_namespaces),
		cmocka_unit_test(test_tcp_not_accepted_and_remote),
		cmocka_unit_test(test_unix_stream_and_dgram),
		cmocka_unit_test(test_v4_client_of_dual_stack_listener),
		cmocka_unit_test(test_rank_holder_threads),
		cmocka_unit_test(test_rank_skips_waiter_and_prefers_others),
		cmocka_unit_test(test_thread_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
