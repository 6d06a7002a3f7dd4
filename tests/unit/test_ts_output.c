/* cmocka tests of the snapshot output formats (output_text.c,
 * output_json.c, output_folded.c) and shared wording (describe.c, fdinfo.c)
 * on a hand-built snapshot modelled on a real blocked_target capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "threadview/describe.h"
#include "threadview/describe_peer.h"
#include "threadview/fdinfo.h"
#include "threadview/output.h"
#include "threadview/waitgraph.h"

static struct ts_frame waiter_frames[] = {
	{ 0x7f0000001000, "__GI___lll_lock_wait", 0x2b,
	  "/usr/lib/x86_64-linux-gnu/libc.so.6", "../sysdeps/nptl/futex-internal.h", 146 },
	{ 0x7f0000002000, "__pthread_mutex_lock", 0x112,
	  "/usr/lib/x86_64-linux-gnu/libc.so.6", "./nptl/pthread_mutex_lock.c", 48 },
	{ 0x555500001000, "waiter_lock_mutex", 0x10, "/repo/build/targets/t",
	  "/repo/tests/targets/blocked_target.c", 75 },
	{ 0x555500002000, NULL, 0, "/repo/build/targets/t", NULL, 0 },
};
static struct ts_frame holder_frames[] = {
	{ 0x555500003000, "holder_wait", 0x10, "/repo/build/targets/t",
	  "tests/targets/blocked_target.c", 60 },
};

static void make_snapshot(struct ts_snapshot *s, struct ts_thread *t)
{
	memset(s, 0, sizeof(*s));
	memset(t, 0, 3 * sizeof(*t));
	s->pid = 4240;
	strcpy(s->comm, "uploadd");
	s->taken_real_ns = 1700000000ull * 1000000000ull;
	s->threads = t;
	s->nthreads = 3;
	t[0] = (struct ts_thread){ .tid = 4240, .pid = 4240, .name = "up-hash",
		.state = TS_STATE_SLEEPING, .syscall_nr = 202,
		.off_cpu_known = true, .off_cpu_ns = 5000000,
		.frames = holder_frames, .nframes = 1 };
	t[0].blocked = (struct ts_blocked){ .kind = TS_BLOCK_SEMAPHORE, .fd = -1,
		.object = 0x5000, .has_object = true, .remaining_ns = -1,
		.timeout_ms = -2 };
	t[1] = (struct ts_thread){ .tid = 4242, .pid = 4240, .name = "up-write",
		.state = TS_STATE_SLEEPING, .syscall_nr = 202,
		.off_cpu_known = true, .off_cpu_ns = 2300000000ull,
		.frames = waiter_frames, .nframes = 4,
		.stack_status = TS_STACK_TRUNCATED,
		.stack_note = "stack window too small" };
	t[1].blocked = (struct ts_blocked){ .kind = TS_BLOCK_MUTEX, .fd = -1,
		.object = 0x7f00deadbe00, .has_object = true, .owner_tid = 4240,
		.owner_name = t[0].name, .remaining_ns = -1, .timeout_ms = -2 };
	t[2] = (struct ts_thread){ .tid = 4243, .pid = 4240, .name = "up-conn",
		.state = TS_STATE_SLEEPING, .syscall_nr = 45,
		.off_cpu_known = true, .off_cpu_ns = 150000000,
		.frames = holder_frames, .nframes = 1 };
	t[2].blocked = (struct ts_blocked){ .kind = TS_BLOCK_READ, .fd = 7,
		.remaining_ns = -1, .timeout_ms = -2 };
	t[2].blocked.fdi = (struct ts_fd_info){ .type = TS_FD_SOCKET, .family = 2,
		.protocol = 6, .sk_state = 1, .lport = 40000, .rport = 6379,
		.laddr = { 127, 0, 0, 1 }, .raddr = { 127, 0, 0, 1 }, .rx_queued = 12 };
}

static char *render(int (*fn)(FILE *, const struct ts_snapshot *,
			      const struct ts_output_opts *),
		    const struct ts_snapshot *s)
{
	struct ts_output_opts o = { .strip_prefix = "/repo", .version = "t" };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(fn(m, s, &o), 0);
	fclose(m);
	return buf;
}

static void test_durations(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ts_format_duration(850000, b, sizeof(b)), "850us");
	assert_string_equal(ts_format_duration(150000000, b, sizeof(b)), "150ms");
	assert_string_equal(ts_format_duration(2300000000ull, b, sizeof(b)), "2.3s");
	assert_string_equal(ts_format_duration(303000000000ull, b, sizeof(b)), "5m3s");
	assert_string_equal(ts_format_duration(7500000000000ull, b, sizeof(b)), "2h5m");
}

static void test_fd_wording(void **state)
{
	struct ts_fd_info fi = { .type = TS_FD_SOCKET, .family = 2, .protocol = 6,
		.sk_state = 10, .lport = 8080, .laddr = { 127, 0, 0, 1 } };
	char b[128];

	(void)state;
	assert_string_equal(ts_fd_describe(&fi, NULL, b, sizeof(b)),
			    "tcp listening 127.0.0.1:8080");
	fi = (struct ts_fd_info){ .type = TS_FD_PIPE, .ino = 1234 };
	assert_string_equal(ts_fd_describe(&fi, NULL, b, sizeof(b)), "pipe:[1234]");
	fi = (struct ts_fd_info){ .type = TS_FD_FILE };
	assert_string_equal(ts_fd_describe(&fi, "/var/log/x", b, sizeof(b)),
			    "file /var/log/x");
	fi = (struct ts_fd_info){ .type = TS_FD_SOCKET, .family = 10, .protocol = 17,
		.lport = 53, .rport = 5353 };
	fi.laddr[15] = 1;
	fi.raddr[15] = 1;
	assert_string_equal(ts_fd_describe(&fi, NULL, b, sizeof(b)),
			    "udp6 [::1]:53 -> [::1]:5353, 0 B queued");
}

/* A futex wait the stack did not explain names its command, not a number. */
static void test_futex_wording(void **state)
{
	struct ts_thread t = { .tid = 7, .syscall_nr = 202 };
	char b[96];

	(void)state;
	t.blocked = (struct ts_blocked){ .kind = TS_BLOCK_FUTEX, .fd = -1,
		.object = 0x7f0000001000, .has_object = true, .futex_op = 9 };
	assert_string_equal(ts_describe_blocked(&t, b, sizeof(b)),
			    "futex: wait_bitset 0x7f0000001000");
	t.blocked.futex_op = 0;
	assert_string_equal(ts_describe_blocked(&t, b, sizeof(b)),
			    "futex: wait 0x7f0000001000");
	t.blocked.futex_op = 5;            /* WAKE_OP: not a wait */
	assert_string_equal(ts_describe_blocked(&t, b, sizeof(b)),
			    "futex: wait 0x7f0000001000 op 5");
	t.blocked.has_object = false;
	assert_string_equal(ts_describe_blocked(&t, b, sizeof(b)), "futex");
}

static void test_text_go_style(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[3];
	char *out;

	(void)state;
	make_snapshot(&s, t);
	s.edges = calloc(1, sizeof(*s.edges));
	s.edges[0] = (struct ts_wait_edge){ .waiter = 4242, .holder = 4240,
		.kind = TS_BLOCK_MUTEX, .object = 0x7f00deadbe00 };
	s.nedges = 1;
	out = render(ts_output_text, &s);
	assert_non_null(strstr(out,
		"thread 4242 \"up-write\" [futex: mutex 0x7f00deadbe00 held by "
		"4240 \"up-hash\", 2.3s]:\n"
		"    __GI___lll_lock_wait+0x2b (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
		"    __pthread_mutex_lock+0x112 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
		"    waiter_lock_mutex+0x10 (tests/targets/blocked_target.c:75)\n"
		"    0x555500002000 (/repo/build/targets/t)\n"
		"    ... (stack window too small)\n"));
	assert_non_null(strstr(out, "thread 4243 \"up-conn\" [recvfrom fd 7, tcp "
				    "127.0.0.1:40000 -> 127.0.0.1:6379, 12 B queued, 150ms]:\n"));
	assert_non_null(strstr(out, "  4242 \"up-write\" waits for 4240 \"up-hash\" "
				    "(mutex 0x7f00deadbe00)\n"));
	assert_null(strstr(out, "DEADLOCK"));
	free(out);
	free(s.edges);
}

static void test_folded_merges_and_escapes(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[3];
	char *out;

	(void)state;
	make_snapshot(&s, t);
	strcpy(t[2].name, "up-hash");        /* same name and stack as t[0]... */
	t[2].blocked = t[0].blocked;         /* ...and same wait: merged */
	strcpy(t[1].name, "a b;c");
	out = render(ts_output_folded, &s);
	assert_string_equal(out,
		"a_b_c;0x555500002000;waiter_lock_mutex;__pthread_mutex_lock;"
		"__GI___lll_lock_wait;[mutex] 1\n"
		"up-hash;holder_wait;[semaphore] 2\n");
	free(out);
}

static void test_json_fields(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[3];
	pid_t tids[] = { 4242, 4240 };
	struct ts_cycle c = { tids, 2 };
	char *out;

	(void)state;
	make_snapshot(&s, t);
	s.cycles = &c;
	s.ncycles = 1;
	out = render(ts_output_json, &s);
	assert_non_null(strstr(out, "\"schema\":\"taskscope.snapshot/1\""));
	assert_non_null(strstr(out, "\"kind\":\"mutex\",\"object\":\"0x7f00deadbe00\","
				    "\"owner_tid\":4240,\"owner_name\":\"up-hash\""));
	assert_non_null(strstr(out, "\"off_cpu_ns\":2300000000"));
	assert_non_null(strstr(out, "\"fd\":{\"num\":7,\"type\":\"tcp\","
				    "\"local\":\"127.0.0.1:40000\",\"peer\":\"127.0.0.1:6379\","
				    "\"local_port\":40000,\"peer_port\":6379"));
	assert_non_null(strstr(out, "\"file\":\"tests/targets/blocked_target.c\",\"line\":75"));
	assert_non_null(strstr(out, "\"stack_complete\":false,\"stack_status\":\"truncated\""));
	assert_non_null(strstr(out, "\"deadlocks\":[[4242,4240]]"));
	/* One document, one line. */
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n')[1], '\0');
	free(out);
}

/* up-conn (4243) reads Redis's socket; redis-server (300) is stopped:
 * its thread comes from the resolver as s.others. */
static void test_peer_text_and_json(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[3], redis;
	struct ts_peer *p = calloc(1, sizeof(*p));
	char *out;

	(void)state;
	make_snapshot(&s, t);
	assert_non_null(p);
	p->via = TS_VIA_TCP;
	strcpy(p->where, "127.0.0.1:6379");
	p->queues_known = true;
	p->rx_queued = 57;
	p->procs = calloc(1, sizeof(*p->procs));
	p->procs[0] = (struct ts_peer_proc){ .pid = 300, .comm = "redis-server",
		.fd = 8, .ns_pid = 300, .ntids = 1 };
	p->procs[0].tids = malloc(sizeof(pid_t));
	p->procs[0].tids[0] = 300;
	p->nprocs = 1;
	p->next_tid = 300;
	t[2].blocked.peer = p;
	t[2].blocked.fdi.rx_queued = 0;
	redis = (struct ts_thread){ .tid = 300, .pid = 300, .name = "redis-server",
		.state = TS_STATE_STOPPED, .syscall_nr = 232, .cpu = 1,
		.off_cpu_known = true, .off_cpu_ns = 1100000000ull };
	redis.blocked = (struct ts_blocked){ .kind = TS_BLOCK_EPOLL, .fd = 5,
		.remaining_ns = -1, .timeout_ms = -1 };
	s.others = &redis;
	s.nothers = 1;
	s.xproc = true;
	assert_int_equal(ts_waitgraph_build(&s), 0);
	out = render(ts_output_text, &s);
	assert_non_null(strstr(out,
		"thread 4243 \"up-conn\" [recvfrom fd 7, tcp 127.0.0.1:40000 -> "
		"127.0.0.1:6379, 0 B queued, 150ms]:\n"
		"    other end: redis-server 300 (fd 8); 57 B sent, unread there\n"
		"      300 \"redis-server\" stopped in epoll_wait fd 5, 1.1s\n"
		"    holder_wait+0x10"));
	assert_non_null(strstr(out, "wait-for chains:\n"
		"  4243 \"up-conn\" (uploadd 4240) -> (tcp) -> 300 \"redis-server\" "
		"(redis-server 300) -> (stopped in epoll_wait fd 5, 1.1s)\n"));
	/* Redis's thread is context, never listed as uploadd's. */
	assert_null(strstr(out, "thread 300 "));
	free(out);
	out = render(ts_output_json, &s);
	assert_non_null(strstr(out, "\"peer\":{\"via\":\"tcp\",\"address\":"
				    "\"127.0.0.1:6379\",\"remote\":false"));
	assert_non_null(strstr(out, "\"rx_queued\":57,\"tx_queued\":0,"
				    "\"pipe_bytes\":null,\"queues\":\"57 B sent, "
				    "unread there\",\"next_tid\":300"));
	assert_non_null(strstr(out, "\"processes\":[{\"pid\":300,\"comm\":"
				    "\"redis-server\",\"fd\":8,\"state\":\"stopped\""));
	assert_non_null(strstr(out, "\"threads\":[{\"tid\":300,\"name\":"
				    "\"redis-server\",\"state\":\"stopped\","
				    "\"blocked_kind\":\"epoll\",\"doing\":"
				    "\"stopped in epoll_wait fd 5, 1.1s\""));
	assert_non_null(strstr(out, "\"waiter\":4243,\"holder\":300,\"kind\":"
				    "\"read\",\"object\":\"0x7\",\"waiter_pid\":4240,"
				    "\"holder_pid\":300,\"via\":\"tcp\""));
	assert_non_null(strstr(out, "\"chains\":[{\"tids\":[4243,300],\"pids\":"
				    "[4240,300],\"crosses_processes\":true,"
				    "\"into_deadlock\":false,\"end_state\":\"stopped\""));
	free(out);
	ts_peer_free(p);
	ts_snapshot_free_graph(&s);
}

/* The wording of queues on either side and of a peer held by nobody. */
static void test_peer_wording(void **state)
{
	struct ts_thread t = { .tid = 1, .pid = 1, .syscall_nr = 1 };
	struct ts_peer p = { .via = TS_VIA_PIPE, .pipe = true, .pipe_bytes = 65536 };
	char b[256];

	(void)state;
	t.blocked = (struct ts_blocked){ .kind = TS_BLOCK_WRITE, .fd = 4,
		.peer = &p };
	assert_string_equal(ts_describe_queues(&t, b, sizeof(b)),
			    "pipe holds 65536 B, unread");
	t.blocked.kind = TS_BLOCK_READ;
	p.pipe_bytes = 0;
	assert_string_equal(ts_describe_queues(&t, b, sizeof(b)),
			    "pipe empty: nothing written");
	p = (struct ts_peer){ .via = TS_VIA_TCP, .remote = true,
		.where = "10.0.0.5:6379" };
	assert_string_equal(ts_describe_peer(&t, b, sizeof(b)),
		"other end: 10.0.0.5:6379, held by no process on this machine");
	struct ts_peer_proc pp = { .pid = 4711, .comm = "nginx", .fd = 9,
		.ns_pid = 1, .other_pidns = true, .other_netns = true };
	assert_string_equal(ts_describe_peer_proc(&pp, b, sizeof(b)),
		"nginx 4711 (fd 9; pid 1 in its pid namespace; socket in another "
		"network namespace)");
	t.state = TS_STATE_STOPPED;
	t.blocked = (struct ts_blocked){ .kind = TS_BLOCK_EPOLL, .fd = 5 };
	assert_string_equal(ts_describe_blocked(&t, b, sizeof(b)),
			    "stopped in epoll_wait fd 5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_fd_wording),
		cmocka_unit_test(test_futex_wording),
		cmocka_unit_test(test_text_go_style),
		cmocka_unit_test(test_folded_merges_and_escapes),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_peer_text_and_json),
		cmocka_unit_test(test_peer_wording),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
