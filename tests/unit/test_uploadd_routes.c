/* Unit tests for the public URL space: route shapes, per-segment
 * percent-decoding, traversal attempts, and methods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/http/routes.h"

static struct route parse(const char *path)
{
	struct route r;

	route_parse(path, &r);
	return r;
}

static void test_shapes(void **state)
{
	struct route r;

	(void)state;
	assert_int_equal(parse("/upload").kind, ROUTE_UPLOAD);
	assert_int_equal(parse("/healthz").kind, ROUTE_HEALTHZ);
	assert_int_equal(parse("/metrics").kind, ROUTE_METRICS);
	r = parse("/files/a.txt");
	assert_int_equal(r.kind, ROUTE_LIST);
	assert_string_equal(r.filename, "a.txt");
	r = parse("/files/a.txt/1.0");
	assert_int_equal(r.kind, ROUTE_DOWNLOAD);
	assert_string_equal(r.version, "1.0");
	assert_int_equal(parse("/files/a.txt/1.0/meta").kind, ROUTE_META);
	assert_int_equal(parse("/files/a.txt/1.0/other").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/files/a/1/meta/x").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/files/").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/files/a/").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/files//1").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/upload/").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("/").kind, ROUTE_NOT_FOUND);
	assert_int_equal(parse("").kind, ROUTE_NOT_FOUND);
}

static void test_decoding(void **state)
{
	struct route r;

	(void)state;
	r = parse("/files/report%20v1.pdf/2");
	assert_int_equal(r.kind, ROUTE_DOWNLOAD);
	assert_string_equal(r.filename, "report v1.pdf");
	r = parse("/files/r%C3%A9sum%c3%a9/1");
	assert_string_equal(r.filename, "r\xc3\xa9sum\xc3\xa9");
	r = parse("/files/a+b/1"); /* '+' is not a space in a path */
	assert_string_equal(r.filename, "a+b");
}

static void test_traversal_and_bad_names(void **state)
{
	struct route r;

	(void)state;
	r = parse("/files/..%2F..%2Fetc%2Fpasswd/1");
	assert_int_equal(r.kind, ROUTE_BAD_NAME);
	assert_non_null(strstr(r.detail, "invalid filename"));
	assert_int_equal(parse("/files/../1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/%2e%2e/1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/%C0%AE%C0%AE/1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/a%00b/1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/a%5Cb").kind, ROUTE_BAD_NAME);
	r = parse("/files/a%zz/1");
	assert_int_equal(r.kind, ROUTE_BAD_NAME);
	assert_non_null(strstr(r.detail, "malformed percent-encoding"));
	assert_int_equal(parse("/files/a%2/1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/a%/1").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/a/1%2F2").kind, ROUTE_BAD_NAME);
	assert_int_equal(parse("/files/a/..").kind, ROUTE_BAD_NAME);
}

static void test_long_names(void **state)
{
	char path[2048], name[300];
	struct route r;

	(void)state;
	memset(name, 'x', 255);
	name[255] = '\0';
	snprintf(path, sizeof(path), "/files/%s/1", name);
	r = parse(path);
	assert_int_equal(r.kind, ROUTE_DOWNLOAD);
	assert_int_equal(r.filename_len, 255);
	name[255] = 'x';
	name[256] = '\0';
	snprintf(path, sizeof(path), "/files/%s/1", name);
	r = parse(path);
	assert_int_equal(r.kind, ROUTE_BAD_NAME);
	assert_non_null(strstr(r.detail, "longer than 255 bytes"));
}

static void test_methods(void **state)
{
	(void)state;
	assert_true(route_allows(ROUTE_UPLOAD, "POST"));
	assert_false(route_allows(ROUTE_UPLOAD, "GET"));
	assert_true(route_allows(ROUTE_DOWNLOAD, "GET"));
	assert_true(route_allows(ROUTE_DOWNLOAD, "HEAD"));
	assert_false(route_allows(ROUTE_DOWNLOAD, "PUT"));
	assert_false(route_allows(ROUTE_LIST, "DELETE"));
	assert_string_equal(route_allow_header(ROUTE_UPLOAD), "POST");
	assert_string_equal(route_allow_header(ROUTE_META), "GET, HEAD");
}

static void test_encode_roundtrip(void **state)
{
	const char *name = "r\xc3\xa9sum\xc3\xa9 #1?&/%.txt";
	char enc[256], dec[256];
	long n;

	(void)state;
	percent_encode(name, enc, sizeof(enc));
	assert_string_equal(enc, "r%C3%A9sum%C3%A9%20%231%3F%26%2F%25.txt");
	n = percent_decode(enc, strlen(enc), dec, sizeof(dec));
	assert_int_equal(n, (long)strlen(name));
	assert_memory_equal(dec, name, (size_t)n);
	/* Too small: stops before splitting an escape, stays terminated. */
	percent_encode("ab c", enc, 5);
	assert_string_equal(enc, "ab");
	assert_int_equal(percent_decode("abc", 3, dec, 2), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_traversal_and_bad_names),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_encode_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
