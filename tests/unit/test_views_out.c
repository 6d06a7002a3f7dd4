/* cmocka tests of the in-process view (uploadd's /debug/threads) as
 * taskscope's writers print it (output_json.c, output_text.c with
 * s->in_process): the JSON is rendered for the same threads as the
 * process sees them and as the kernel does, parsed back with jansson and
 * compared key for key; the fields only the kernel knows must be null,
 * "source" must say "uploadd". The text dump is checked line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "threadview/output.h"

static struct ts_frame frames[] = {
	{ 0x7f0000001000, "__futex_abstimed_wait_common", 0xc6,
	  "/usr/lib/x86_64-linux-gnu/libc.so.6", "./nptl/futex-internal.c", 57 },
	{ 0x555500001000, "chunkq_next", 0x45, "/repo/build/uploadd",
	  "src/uploadd/pipeline/chunkq.c", 163 },
	{ 0x555500002000, NULL, 0, "/repo/build/uploadd", NULL, 0 },
};

static void make_snapshot(struct ts_snapshot *s, struct ts_thread *t)
{
	memset(s, 0, sizeof(*s));
	memset(t, 0, 2 * sizeof(*t));
	s->pid = 4240;
	strcpy(s->comm, "uploadd");
	s->source = "uploadd";
	s->in_process = true;
	s->taken_real_ns = 1700000000ull * 1000000000ull;
	s->taken_mono_ns = 123456789;
	s->collect_ms = 0.5;
	s->unwind_ms = 0.25;
	s->threads = t;
	s->nthreads = 2;
	t[0] = (struct ts_thread){ .tid = 4242, .pid = 4240, .name = "up-write",
		.state = TS_STATE_SLEEPING, .cpu = 1, .cpu_ns = 81234,
		.syscall_nr = 202, .args = { 0x5000, 0x80 },
		.frames = frames, .nframes = 3,
		.stack_status = TS_STACK_COMPLETE };
	t[0].blocked = (struct ts_blocked){ .kind = TS_BLOCK_NONE, .fd = -1,
		.remaining_ns = -1, .timeout_ms = -2 };
	t[1] = (struct ts_thread){ .tid = 4250, .pid = 4240, .name = "up-hash",
		.state = TS_STATE_UNINTERRUPTIBLE, .syscall_nr = 75,
		.stack_status = TS_STACK_UNAVAILABLE,
		.stack_note = "did not answer the dump signal in time" };
	t[1].blocked = t[0].blocked;
}

static json_t *render(const struct ts_snapshot *s)
{
	struct ts_output_opts o = { .version = "test" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t e;
	json_t *doc;

	assert_non_null(f);
	assert_int_equal(ts_output_json(f, s, &o), 0);
	fclose(f);
	doc = json_loads(buf, 0, &e);
	if (!doc)
		fail_msg("invalid JSON: %s: %s", e.text, buf);
	free(buf);
	return doc;
}

/* Fails unless a and b have the same keys wherever both are objects, and
 * the same element shape wherever both are arrays. */
static void same_shape(json_t *a, json_t *b, const char *where)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach(a, k, v)
			if (!json_object_get(b, k))
				fail_msg("%s.%s only in uploadd's JSON", where, k);
		json_object_foreach(b, k, v) {
			char sub[256];

			if (!json_object_get(a, k))
				fail_msg("%s.%s only in taskscope's JSON", where, k);
			snprintf(sub, sizeof(sub), "%s.%s", where, k);
			same_shape(json_object_get(a, k), v, sub);
		}
	} else if (json_is_array(a) && json_is_array(b)) {
		for (i = 0; i < json_array_size(a) && i < json_array_size(b); i++)
			same_shape(json_array_get(a, i), json_array_get(b, i),
				   where);
	}
}

static void test_json_same_schema(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[2];
	json_t *in, *kern, *th;

	(void)state;
	make_snapshot(&s, t);
	s.load_ms = 40;           /* must not show: nothing was loaded */
	in = render(&s);
	/* The kernel's view of the same threads. */
	s.source = NULL;
	s.in_process = false;
	t[0].off_cpu_known = true;
	t[0].off_cpu_ns = 2000000;
	t[0].blocked = (struct ts_blocked){ .kind = TS_BLOCK_CONDVAR,
		.object = 0x5000, .has_object = true, .fd = -1,
		.remaining_ns = -1, .timeout_ms = -2 };
	kern = render(&s);
	same_shape(in, kern, "$");

	assert_string_equal(json_string_value(json_object_get(in, "schema")),
			    "taskscope.snapshot/1");
	assert_string_equal(json_string_value(json_object_get(in, "source")),
			    "uploadd");
	assert_string_equal(json_string_value(json_object_get(kern, "source")),
			    "taskscope");
	assert_true(json_is_array(json_object_get(kern, "wait_for")));
	assert_true(json_is_null(json_object_get(in, "load_ms")));
	assert_true(json_is_null(json_object_get(in, "wait_for")));
	assert_true(json_is_null(json_object_get(in, "deadlocks")));
	assert_int_equal(json_array_size(json_object_get(in, "threads")), 2);

	th = json_array_get(json_object_get(in, "threads"), 0);
	assert_int_equal(json_integer_value(json_object_get(th, "tid")), 4242);
	assert_string_equal(json_string_value(json_object_get(th, "name")),
			    "up-write");
	assert_true(json_is_null(json_object_get(th, "off_cpu_ns")));
	assert_true(json_is_null(json_object_get(th, "blocked_on")));
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(th, "syscall"), "name")), "futex");
	assert_int_equal(json_array_size(json_object_get(th, "stack")), 3);
	assert_true(json_is_true(json_object_get(th, "stack_complete")));

	th = json_array_get(json_object_get(in, "threads"), 1);
	assert_string_equal(json_string_value(json_object_get(th, "state")),
			    "uninterruptible");
	assert_string_equal(json_string_value(json_object_get(th, "stack_status")),
			    "unavailable");
	assert_string_equal(json_string_value(json_object_get(th, "stack_note")),
			    "did not answer the dump signal in time");
	json_decref(in);
	json_decref(kern);
}

static void test_text(void **state)
{
	struct ts_output_opts o = { 0 };
	struct ts_snapshot s;
	struct ts_thread t[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	make_snapshot(&s, t);
	f = open_memstream(&buf, &len);
	assert_int_equal(ts_output_text(f, &s, &o), 0);
	fclose(f);
	assert_non_null(strstr(buf, "uploadd 4240 in-process thread dump at "
				    "2023-11-14T22:13:20Z: 2 threads\n"));
	assert_non_null(strstr(buf, "\nthread 4242 \"up-write\" [sleeping in "
				    "futex]:\n    __futex_abstimed_wait_common+0xc6 "
				    "(/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
				    "    chunkq_next+0x45 (src/uploadd/pipeline/chunkq.c:163)\n"
				    "    0x555500002000 (/repo/build/uploadd)\n\n"));
	assert_non_null(strstr(buf, "\nthread 4250 \"up-hash\" [uninterruptible "
				    "in fdatasync]:\n    ... (did not answer the "
				    "dump signal in time)\n"));
	/* No wait-for section: the process cannot know lock owners. */
	assert_null(strstr(buf, "wait-for"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_same_schema),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
