/* Unit tests: classification (watch_classify.c), text and JSON Lines output
 * (watch_format.c), the summary (watch_summary.c) and flag parsing
 * (watch_opts.c) of taskscope watch, on recorded waits. JSON output is
 * parsed back with jansson. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "taskscope/cli.h"
#include "taskscope/watch/watch_classify.h"
#include "taskscope/watch/watch_format.h"
#include "taskscope/watch/watch_opts.h"
#include "taskscope/watch/watch_summary.h"

#define PID 4240

/* A finished wait of waiter 4242 on a futex, woken by 4240 "up-hash". */
static void mutex_wait(struct wev *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = TS_WEV_WAIT;
	ev->ts_ns = 2000000000ull + 3100000;
	ev->tid = 4242;
	ev->pid = PID;
	strcpy(ev->name, "up-write");
	ev->wait.w.start_ns = 2000000000ull;
	ev->wait.w.wake_ns = ev->wait.w.end_ns = ev->ts_ns;
	ev->wait.w.obj = 0x7f0000001000;
	ev->wait.w.syscall = 202;
	ev->wait.w.futex_op = 128;
	ev->wait.w.cls = TS_WAIT_FUTEX;
	ev->wait.w.sched_state = 1;
	ev->wait.w.flags = TS_WAIT_F_WAKER | TS_WAIT_F_WAKER_FUTEX;
	ev->wait.w.waker_tid = 4240;
	ev->wait.w.waker_tgid = PID;
	ev->wait.w.waker_syscall = 202;
	strcpy(ev->wait.waker_name, "up-hash");
}

static char *render(void (*fn)(FILE *, const struct wev_view *),
		    const struct wev_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, v);
	fclose(f);
	return buf;
}

static json_t *parse(const char *s)
{
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);

	if (!j)
		fail_msg("bad JSON (%s): %s", err.text, s);
	return j;
}

static void test_mutex_from_ip_and_waker(void **state)
{
	struct ts_frame ip = { .pc = 0x7f00aa, .function = "__GI___lll_lock_wait" };
	struct wthreads threads = { 0 };
	struct wthread *t;
	struct wev_view v = { 0 };
	struct wev ev;
	char *text, *js;
	json_t *j, *on;

	(void)state;
	t = wthreads_get(&threads, 4240, true);
	strcpy(t->name, "up-hash");
	mutex_wait(&ev);
	v.ev = &ev;
	v.t_ns = 1500000000ull;
	watch_classify_wait(&v, &ip, 1, &threads);
	assert_int_equal(v.kind, TS_BLOCK_MUTEX);
	assert_int_equal(v.owner_tid, 4240);
	assert_string_equal(v.owner_name, "up-hash");
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "wait     4242 up-write         3ms on futex: mutex "
				     "0x7f0000001000 held by 4240 \"up-hash\"; woken by "
				     "4240 \"up-hash\" (futex wake)"));
	assert_non_null(strstr(text, "    1.500000 "));
	js = render(watch_print_json, &v);
	assert_non_null(strchr(js, '\n'));
	j = parse(js);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "wait");
	assert_int_equal(json_integer_value(json_object_get(j, "dur_ns")), 3100000);
	on = json_object_get(j, "on");
	assert_string_equal(json_string_value(json_object_get(on, "kind")), "mutex");
	assert_int_equal(json_integer_value(json_object_get(on, "owner_tid")), 4240);
	assert_string_equal(json_string_value(json_object_get(on, "addr")), "0x7f0000001000");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "woken_by"), "via")), "futex_wake");
	json_decref(j);
	free(text);
	free(js);
	wthreads_free(&threads);
}

/* An fdatasync woken from another process is an I/O completion that ran
 * in softirq on that thread, not a wakeup by it; one woken from inside the
 * target keeps its waker. */
static void test_io_completion_waker(void **state)
{
	struct wev_view v = { 0 };
	struct wev ev;
	char *text, *js;
	json_t *j;

	(void)state;
	mutex_wait(&ev);
	ev.wait.w.syscall = 75;            /* fdatasync */
	ev.wait.w.cls = TS_WAIT_OTHER;
	ev.wait.w.flags = TS_WAIT_F_WAKER;
	ev.wait.w.waker_tid = 7790;
	ev.wait.w.waker_tgid = 7790;
	strcpy(ev.wait.waker_name, "curl");
	v.ev = &ev;
	watch_classify_wait(&v, NULL, 0, NULL);
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "; woken by an I/O completion\n"));
	assert_null(strstr(text, "curl"));
	js = render(watch_print_json, &v);
	j = parse(js);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "woken_by"), "via")), "io_completion");
	json_decref(j);
	free(text);
	free(js);
	ev.wait.w.waker_tgid = PID;        /* a thread of the target */
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "; woken by 7790 \"curl\""));
	free(text);
}

static void test_join_by_exiting_waker(void **state)
{
	struct wev_view v = { 0 };
	struct wev ev;

	(void)state;
	mutex_wait(&ev);
	ev.wait.w.futex_op = 265;          /* WAIT_BITSET, not private */
	ev.wait.w.flags = TS_WAIT_F_WAKER;
	ev.wait.w.waker_syscall = 60;      /* exit: the joined thread */
	v.ev = &ev;
	watch_classify_wait(&v, NULL, 0, NULL);
	assert_int_equal(v.kind, TS_BLOCK_JOIN);
	assert_int_equal(v.owner_tid, 4240);
	assert_non_null(strstr(v.what, "join thread 4240"));
}

static void test_socket_read(void **state)
{
	struct wev_view v = { 0 };
	struct wev ev;
	char *text, *js;
	json_t *j, *on;

	(void)state;
	mutex_wait(&ev);
	ev.wait.w.syscall = 45;            /* recvfrom */
	ev.wait.w.cls = TS_WAIT_READ;
	ev.wait.w.obj = 5;
	ev.wait.w.flags = TS_WAIT_F_FD | TS_WAIT_F_BYTES | TS_WAIT_F_WAKER |
			  TS_WAIT_F_WAKER_IRQ;
	ev.wait.w.bytes = 18;
	ev.wait.w.fd.type = TS_FD_SOCKET;
	ev.wait.w.fd.family = 2;
	ev.wait.w.fd.sotype = 1;
	ev.wait.w.fd.protocol = 6;
	ev.wait.w.fd.lport = 40000;
	ev.wait.w.fd.rport = 5555;
	memcpy(ev.wait.w.fd.laddr, "\x7f\0\0\x01", 4);
	memcpy(ev.wait.w.fd.raddr, "\x7f\0\0\x01", 4);
	v.ev = &ev;
	watch_classify_wait(&v, NULL, 0, NULL);
	assert_int_equal(v.kind, TS_BLOCK_READ);
	assert_string_equal(v.fd_peer, "127.0.0.1:5555");
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "on recvfrom fd 5, tcp 127.0.0.1:40000 -> 127.0.0.1:5555"));
	assert_non_null(strstr(text, "; 18 bytes; woken in an interrupt on 4240 \"up-hash\""));
	js = render(watch_print_json, &v);
	j = parse(js);
	on = json_object_get(j, "on");
	assert_string_equal(json_string_value(json_object_get(on, "fd_type")), "tcp");
	assert_string_equal(json_string_value(json_object_get(on, "peer")), "127.0.0.1:5555");
	assert_int_equal(json_integer_value(json_object_get(on, "bytes")), 18);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "woken_by"), "via")), "interrupt");
	json_decref(j);
	free(text);
	free(js);
}

/* A pipe read woken by a thread of another process names that process;
 * a stuck read carries its chain across processes. */
static void test_cross_process_waker_and_chain(void **state)
{
	struct wev_chain chain = { .n = 2, .tids = { 4242, 5001 },
		.pids = { PID, 5001 }, .end_state = "stopped",
		.end = "stopped in epoll_wait fd 5, 2.0s",
		.text = "4242 \"up-write\" (uploadd 4240) -> (pipe) -> 5001 "
			"\"writer\" (writer 5001) -> (stopped in epoll_wait fd 5, 2.0s)" };
	struct wev_view v = { 0 };
	struct wev ev;
	char *text, *js;
	json_t *j, *wb, *c;

	(void)state;
	mutex_wait(&ev);
	ev.wait.w.syscall = 0;             /* read */
	ev.wait.w.cls = TS_WAIT_READ;
	ev.wait.w.obj = 3;
	ev.wait.w.flags = TS_WAIT_F_FD | TS_WAIT_F_WAKER;
	ev.wait.w.fd.type = TS_FD_PIPE;
	ev.wait.w.fd.ino = 77;
	ev.wait.w.waker_tid = 5001;
	ev.wait.w.waker_tgid = 5001;
	strcpy(ev.wait.waker_name, "writer");
	v.ev = &ev;
	v.waker_process = "writer";
	watch_classify_wait(&v, NULL, 0, NULL);
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "on read fd 3, pipe:[77]; woken by 5001 "
				     "\"writer\" of writer 5001\n"));
	free(text);
	js = render(watch_print_json, &v);
	j = parse(js);
	wb = json_object_get(j, "woken_by");
	assert_true(json_is_true(json_object_get(wb, "other_process")));
	assert_string_equal(json_string_value(json_object_get(wb, "process")), "writer");
	json_decref(j);
	free(js);
	/* The same wait, stuck. */
	ev.type = TS_WEV_STUCK;
	ev.wait.w.flags &= ~TS_WAIT_F_WAKER;
	v.chain = &chain;
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "\n                 chain: 4242 \"up-write\" "
				     "(uploadd 4240) -> (pipe) -> 5001"));
	free(text);
	js = render(watch_print_json, &v);
	j = parse(js);
	c = json_object_get(j, "chain");
	assert_non_null(c);
	assert_int_equal(json_array_size(json_object_get(c, "tids")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(c, "pids"), 1)), 5001);
	assert_string_equal(json_string_value(json_object_get(c, "end_state")), "stopped");
	assert_true(json_is_false(json_object_get(c, "deadlock")));
	json_decref(j);
	free(js);
}

static void test_lifecycle_lines(void **state)
{
	struct wev_view v = { 0 };
	struct wev ev = { 0 };
	char *text, *js;
	json_t *j;

	(void)state;
	ev.type = TS_WEV_CREATE;
	ev.tid = 4243;
	ev.pid = PID;
	strcpy(ev.name, "uploadd");
	ev.create.parent_tid = 4240;
	ev.create.start_routine = 0x401000;
	v.ev = &ev;
	v.start_routine = "hash_main";
	v.parent_name = "MHD-connection";
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "create   4243 uploadd          by 4240 "
				     "\"MHD-connection\", start hash_main\n"));
	free(text);
	ev.type = TS_WEV_EXIT;
	ev.ts_ns = 3000000;
	ev.exit.start_ns = 1000000;
	ev.exit.cpu_ns = 500000;
	ev.exit.exit_code = 9;             /* killed by SIGKILL */
	text = render(watch_print_text, &v);
	assert_non_null(strstr(text, "lived 2ms, cpu 500us, killed by signal 9, start hash_main"));
	js = render(watch_print_json, &v);
	j = parse(js);
	assert_int_equal(json_integer_value(json_object_get(j, "lifetime_ns")), 2000000);
	assert_false(json_is_true(json_object_get(j, "process_exit")));
	json_decref(j);
	free(text);
	free(js);
	ev.type = TS_WEV_TOTALS;
	text = render(watch_print_text, &v);
	assert_string_equal(text, "");
	free(text);
}

static void test_summary(void **state)
{
	struct wthreads threads = { 0 };
	uint64_t lost[2] = { 0, 3 };
	struct watch_cost cost = { .lost = 3, .lost_per_cpu = lost, .ncpus = 2,
				   .nprogs = 1 };
	struct watch_summary s = {
		.pid = PID, .start_ns = 1000, .end_ns = 1000 + 2000000000ull,
		.end_reason = "duration", .events = 7, .cost = &cost,
		.threads = &threads, .text_max_threads = 1,
	};
	struct wthread *a, *b;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j, *th;

	(void)state;
	cost.progs[0] = (struct watch_prog_cost){ .name = "sched_switch",
		.runs = 10, .run_ns = 1500, .avg_ns = 150, .attached = true };
	a = wthreads_get(&threads, 10, true);
	strcpy(a->name, "short");
	a->start_ns = 500;
	a->exited = true;
	a->end_ns = 500 + 2000000;
	b = wthreads_get(&threads, 11, true);
	strcpy(b->name, "blocky");
	b->tot.blocked_ns[TS_WAIT_FUTEX] = 5000000;
	b->tot.waits[TS_WAIT_FUTEX] = 2;
	wthread_add_wait(b, 1000000, "futex: mutex 0x1");
	wthread_add_wait(b, 4000000, "futex: mutex 0x2");
	assert_int_equal(b->top[0].dur_ns, 4000000);
	f = open_memstream(&buf, &len);
	watch_summary_text(f, &s);
	fclose(f);
	assert_non_null(strstr(buf, "thread 11 \"blocky\""));   /* most blocked first */
	assert_null(strstr(buf, "thread 10 \"short\""));        /* cut at 1 */
	assert_non_null(strstr(buf, "(1 more threads"));
	assert_non_null(strstr(buf, "3 lost (per CPU: 0 3)"));
	free(buf);
	f = open_memstream(&buf, &len);
	watch_summary_json(f, &s);
	fclose(f);
	j = parse(buf);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "summary");
	assert_int_equal(json_integer_value(json_object_get(j, "lost")), 3);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "lost_per_cpu"), 1)), 3);
	th = json_object_get(j, "threads");
	assert_int_equal(json_array_size(th), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(th, 1), "lifetime_ns")), 2000000);
	json_decref(j);
	free(buf);
	wthreads_free(&threads);
}

static void test_durations_and_flags(void **state)
{
	char *argv1[] = { "watch", "-p", "42", "--min-block", "250us", "--stuck", "2s",
			  "--json", "--duration", "1.5m", NULL };
	char *argv2[] = { "watch", "--comm", "x", "--ring-mb", "3", NULL };
	char *argv3[] = { "watch", NULL };
	struct watch_opts o;
	uint64_t ns;

	(void)state;
	assert_int_equal(ts_parse_duration("250ms", &ns), 0);
	assert_int_equal(ns, 250000000ull);
	assert_int_equal(ts_parse_duration("2", &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(ts_parse_duration("0", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(ts_parse_duration("soon", &ns), -EINVAL);
	assert_int_equal(ts_parse_duration("5 s", &ns), -EINVAL);
	assert_int_equal(ts_parse_duration("-1s", &ns), -EINVAL);
	assert_int_equal(watch_opts_parse(10, argv1, &o), 0);
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.min_block_ns, 250000);
	assert_int_equal(o.stuck_ns, 2000000000ull);
	assert_int_equal(o.duration_ns, 90000000000ull);
	assert_true(o.json);
	assert_int_equal(o.recorder_slots, TS_RECENT_DEFAULT);
	assert_int_equal(watch_opts_parse(5, argv2, &o), 2);   /* not 2^n */
	assert_int_equal(watch_opts_parse(1, argv3, &o), 2);   /* no target */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_from_ip_and_waker),
		cmocka_unit_test(test_io_completion_waker),
		cmocka_unit_test(test_join_by_exiting_waker),
		cmocka_unit_test(test_cross_process_waker_and_chain),
		cmocka_unit_test(test_socket_read),
		cmocka_unit_test(test_lifecycle_lines),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_durations_and_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
