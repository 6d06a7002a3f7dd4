/* Unit tests: the Chrome trace-event writer (trace_json.c). The file is
 * parsed back with jansson; it appears only on commit (temp + rename) and
 * an abort leaves nothing behind. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "taskscope/watch/trace_json.h"

static char dir[] = "/tmp/ts-test-trace.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static json_t *find(json_t *events, const char *ph, const char *name, int tid)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "ph")), ph) &&
		    !strcmp(json_string_value(json_object_get(e, "name")), name) &&
		    json_integer_value(json_object_get(e, "tid")) == tid)
			return e;
	return NULL;
}

static void test_parse_back(void **state)
{
	struct trace_arg args[] = { { "on", "futex: mutex 0x10 held by 7 \"a\\\"b\"" },
				    { "woken_by", "7 a" }, { NULL, NULL } };
	uint64_t t0 = 1000000000ull;
	struct trace_json *t;
	json_error_t err;
	json_t *root, *ev, *e;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/trace.json", dir);
	t = trace_json_open(path, 42, "uploadd", t0);
	assert_non_null(t);
	assert_int_equal(access(path, F_OK), -1);   /* not before commit */
	trace_json_thread_name(t, 43, "up-hash");
	trace_json_slice(t, 43, "mutex", "futex", t0 + 2500000, 1500000, args);
	trace_json_instant(t, 43, "exited", t0 + 5000000, NULL);
	assert_int_equal(trace_json_commit(t), 0);
	assert_int_equal(files_in_dir(), 1);        /* no temp file left */
	root = json_load_file(path, 0, &err);
	if (!root)
		fail_msg("trace is not JSON: %s (line %d)", err.text, err.line);
	ev = json_object_get(root, "traceEvents");
	assert_true(json_is_array(ev));
	e = find(ev, "M", "process_name", 42);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(e, "args"), "name")), "uploadd");
	e = find(ev, "M", "thread_name", 43);
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "pid")), 42);
	e = find(ev, "X", "mutex", 43);
	assert_non_null(e);
	assert_true(json_number_value(json_object_get(e, "ts")) == 2500.0);
	assert_true(json_number_value(json_object_get(e, "dur")) == 1500.0);
	assert_string_equal(json_string_value(json_object_get(e, "cat")), "futex");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(e, "args"), "on")), args[0].value);
	e = find(ev, "i", "exited", 43);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "s")), "t");
	json_decref(root);
	unlink(path);
}

static void test_abort_and_bad_path(void **state)
{
	struct trace_json *t;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/aborted.json", dir);
	t = trace_json_open(path, 1, "x", 0);
	assert_non_null(t);
	trace_json_slice(t, 1, "read", "read", 10, 20, NULL);
	trace_json_abort(t);
	assert_int_equal(files_in_dir(), 0);
	trace_json_abort(NULL);
	errno = 0;
	assert_null(trace_json_open("/nonexistent-dir/x.json", 1, "x", 0));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_back),
		cmocka_unit_test(test_abort_and_bad_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
