/* Unit tests for what uploadd writes out: metadata JSON, timestamps, object
 * names (no client bytes in paths), access-log lines, Prometheus text, and
 * the token check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/debug/metrics.h"
#include "uploadd/http/access_log.h"
#include "uploadd/http/auth.h"
#include "uploadd/store/meta.h"
#include "uploadd/store/storage.h"

static void test_meta_json(void **state)
{
	struct file_meta m = { .size = 42 };
	struct json_writer w;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	(void)state;
	strcpy(m.filename, "a \"quoted\"\nname");
	strcpy(m.version, "1.0");
	strcpy(m.sha256, "ab");
	strcpy(m.path, "cd.ef");
	meta_format_time(1700000000123LL, m.uploaded_at);
	assert_string_equal(m.uploaded_at, "2023-11-14T22:13:20.123Z");
	json_init(&w, f, false);
	meta_write_json(&w, &m);
	json_end_document(&w);
	fclose(f);
	assert_string_equal(s, "{\"filename\":\"a \\\"quoted\\\"\\nname\",\"version\":\"1.0\","
			       "\"sha256\":\"ab\",\"size\":42,\"path\":\"cd.ef\","
			       "\"uploaded_at\":\"2023-11-14T22:13:20.123Z\"}\n");
	assert_int_equal(len, strlen(s));
	free(s);
}

static void test_object_names(void **state)
{
	char a[STORAGE_NAME_MAX], b[STORAGE_NAME_MAX], tok[UPLOAD_TOKEN_HEX + 1];

	(void)state;
	assert_int_equal(storage_new_token(tok), 0);
	assert_int_equal(strlen(tok), UPLOAD_TOKEN_HEX);
	assert_int_equal(storage_object_name("../../etc/passwd", "1", tok, a), 0);
	assert_true(storage_valid_object_name(a));
	assert_null(strchr(a, '/'));
	assert_int_equal(strlen(a), 64 + 1 + UPLOAD_TOKEN_HEX);
	/* ("ab", "c") and ("a", "bc") must not share a name. */
	assert_int_equal(storage_object_name("ab", "c", tok, a), 0);
	assert_int_equal(storage_object_name("a", "bc", tok, b), 0);
	assert_string_not_equal(a, b);
	assert_false(storage_valid_object_name("../x.y"));
	assert_false(storage_valid_object_name(".uploadd-tmp-abc"));
	assert_false(storage_valid_object_name("abc"));
	assert_false(storage_valid_object_name("ab.cd.ef"));
	assert_false(storage_valid_object_name("AB.cd"));
	assert_false(storage_valid_object_name(""));
}

static void test_access_log_line(void **state)
{
	struct access_entry e = {
		.peer = "127.0.0.1", .method = "GET",
		.path = "/files/a b\n\"x\"%/1", .status = 200,
		.bytes_in = 0, .bytes_out = 5, .ms = 1.5, .end = NULL,
	};
	char line[1024], longpath[2000];

	(void)state;
	access_log_format(line, sizeof(line), &e);
	assert_string_equal(line, "uploadd: access peer=127.0.0.1 method=GET "
			    "path=/files/a%20b%0A%22x%22%25/1 status=200 in=0 "
			    "out=5 ms=1.500\n");
	e.end = "client-abort";
	e.status = 0;
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	e.path = longpath;
	access_log_format(line, sizeof(line), &e);
	assert_non_null(strstr(line, "pp... status=0 "));
	assert_non_null(strstr(line, " end=client-abort\n"));
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
	/* A tiny buffer still yields one terminated line. */
	assert_int_equal(access_log_format(line, 16, &e), 15);
	assert_int_equal(line[14], '\n');
}

static void test_metrics_text(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(metrics_upload_begin(), 1);
	assert_int_equal(metrics_upload_begin(), 2);
	metrics_upload_end(201, 100, 0.003);
	metrics_upload_end(0, 0, 7);
	metrics_redis_error();
	assert_int_equal(metrics_render(f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "uploadd_uploads_total{status=\"201\"} 1\n"));
	assert_non_null(strstr(buf, "uploadd_uploads_total{status=\"aborted\"} 1\n"));
	assert_non_null(strstr(buf, "uploadd_upload_bytes_total 100\n"));
	assert_non_null(strstr(buf, "uploadd_upload_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(buf, "uploadd_upload_duration_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(buf, "uploadd_upload_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(buf, "uploadd_upload_duration_seconds_count 2\n"));
	assert_non_null(strstr(buf, "uploadd_uploads_in_flight 0\n"));
	assert_non_null(strstr(buf, "uploadd_redis_errors_total 1\n"));
	free(buf);
}

static void test_auth(void **state)
{
	struct auth open = { 0 }, a = { 0 };

	(void)state;
	assert_true(auth_check(&open, NULL));
	assert_int_equal(auth_set_token(&a, "", 0), -22);
	assert_int_equal(auth_set_token(&a, "t0k", 3), 0);
	assert_true(auth_check(&a, "Bearer t0k"));
	assert_true(auth_check(&a, "bearer  t0k"));
	assert_false(auth_check(&a, NULL));
	assert_false(auth_check(&a, "Bearer t0"));
	assert_false(auth_check(&a, "Bearer t0kk"));
	assert_false(auth_check(&a, "Basic t0k"));
	assert_false(auth_check(&a, "t0k"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_json),
		cmocka_unit_test(test_object_names),
		cmocka_unit_test(test_access_log_line),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
