/* Unit tests for single byte-range parsing (RFC 9110): forms, clamping,
 * unsatisfiable ranges, and what is ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "uploadd/http/range.h"

static void expect_ok(const char *h, uint64_t size, uint64_t first, uint64_t last)
{
	struct byte_range r;

	assert_int_equal(range_parse(h, size, &r), RANGE_OK);
	assert_int_equal(r.first, first);
	assert_int_equal(r.last, last);
}

static void test_forms(void **state)
{
	(void)state;
	expect_ok("bytes=0-0", 10, 0, 0);
	expect_ok("bytes=0-9", 10, 0, 9);
	expect_ok("bytes=2-", 10, 2, 9);
	expect_ok("bytes=-3", 10, 7, 9);
	expect_ok("bytes=-30", 10, 0, 9);     /* suffix longer than the file */
	expect_ok("bytes=5-100", 10, 5, 9);   /* last clamped */
	expect_ok("Bytes = 1-2 ", 10, 1, 2);
	expect_ok("bytes=0-18446744073709551614", 10, 0, 9);
}

static void test_unsatisfiable(void **state)
{
	struct byte_range r;

	(void)state;
	assert_int_equal(range_parse("bytes=10-", 10, &r), RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=10-20", 10, &r), RANGE_UNSATISFIABLE);
	assert_int_equal(range_parse("bytes=-0", 10, &r), RANGE_UNSATISFIABLE);
}

static void test_ignored(void **state)
{
	struct byte_range r;

	(void)state;
	assert_int_equal(range_parse(NULL, 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes=0-1,3-4", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("items=0-1", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes=5-2", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes=-", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes=a-b", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes 0-1", 10, &r), RANGE_NONE);
	assert_int_equal(range_parse("bytes=99999999999999999999-", 10, &r), RANGE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
