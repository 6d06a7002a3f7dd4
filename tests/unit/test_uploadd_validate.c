/* Unit tests for uploadd's name grammar: file names (UTF-8, traversal,
 * control characters, length), versions and sha256 strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/http/validate.h"

#define OK(s)  assert_null(filename_problem((s), sizeof(s) - 1))
#define BAD(s, why) assert_string_equal(filename_problem((s), sizeof(s) - 1), (why))

static void test_filename_accepts(void **state)
{
	char longest[FILENAME_MAX_LEN];

	(void)state;
	OK("a");
	OK("report v1.pdf");
	OK(".hidden");
	OK("a.b.c");
	OK("r\xc3\xa9sum\xc3\xa9.txt");         /* é, 2-byte UTF-8 */
	OK("\xe6\x97\xa5\xe6\x9c\xac.txt");     /* CJK, 3-byte */
	OK("\xf0\x9f\x98\x80");                 /* emoji, 4-byte */
	OK("a:b;c,d=e+f'g\"h");
	memset(longest, 'x', sizeof(longest));
	assert_null(filename_problem(longest, sizeof(longest)));
}

static void test_filename_rejects_traversal(void **state)
{
	(void)state;
	BAD("a/b", "contains '/'");
	BAD("/etc", "contains '/'");
	BAD("..", "contains '..'");
	BAD("a..b", "contains '..'");
	BAD("..hidden", "contains '..'");
	BAD(".", "is '.'");
	BAD("a\\b", "contains '\\'");
	/* Overlong encodings of '.' and '/' must not sneak through. */
	BAD("\xc0\xae\xc0\xae", "is not valid UTF-8");
	BAD("\xc0\xaf", "is not valid UTF-8");
	BAD("\xe0\x80\xaf", "is not valid UTF-8");
}

static void test_filename_rejects_bad_bytes(void **state)
{
	char toolong[FILENAME_MAX_LEN + 1];

	(void)state;
	assert_string_equal(filename_problem("", 0), "is empty");
	memset(toolong, 'x', sizeof(toolong));
	assert_string_equal(filename_problem(toolong, sizeof(toolong)),
			    "is longer than 255 bytes");
	BAD("a\0b", "contains a NUL byte");
	BAD("a\nb", "contains a control character");
	BAD("a\tb", "contains a control character");
	BAD("a\x7f", "contains a control character");
	BAD("a\xc2\x85", "contains a control character");   /* U+0085 NEL */
	BAD("a\xe2\x80\xae" "fdp.exe", "contains a control character"); /* RLO */
	BAD("a\xe2\x80\xa8", "contains a control character"); /* U+2028 */
	BAD("\xed\xa0\x80", "is not valid UTF-8");            /* surrogate */
	BAD("\xf4\x90\x80\x80", "is not valid UTF-8");        /* > U+10FFFF */
	BAD("\xe2\x82", "is not valid UTF-8");                /* truncated */
	BAD("\x80", "is not valid UTF-8");                    /* stray */
	BAD("\xff", "is not valid UTF-8");
}

static void test_version(void **state)
{
	char v64[VERSION_MAX_LEN + 1];

	(void)state;
	assert_null(version_problem("1", 1));
	assert_null(version_problem("1.2.3-rc.1+build_7", 18));
	assert_null(version_problem("v2", 2));
	memset(v64, '1', sizeof(v64));
	assert_null(version_problem(v64, VERSION_MAX_LEN));
	assert_non_null(version_problem(v64, VERSION_MAX_LEN + 1));
	assert_non_null(version_problem("", 0));
	assert_non_null(version_problem(".1", 2));
	assert_non_null(version_problem("-1", 2));
	assert_non_null(version_problem("1..2", 4));
	assert_non_null(version_problem("1/2", 3));
	assert_non_null(version_problem("1 2", 3));
	assert_non_null(version_problem("1:2", 3));
	assert_non_null(version_problem("1\0", 2));
	assert_non_null(version_problem("\xc3\xa9", 2));
}

static void test_sha256(void **state)
{
	char s[] = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789";

	(void)state;
	assert_true(valid_sha256_hex(s, 64));
	assert_false(valid_sha256_hex(s, 63));
	assert_false(valid_sha256_hex("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64));
	sha256_hex_lower(s, 64);
	assert_string_equal(s, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filename_accepts),
		cmocka_unit_test(test_filename_rejects_traversal),
		cmocka_unit_test(test_filename_rejects_bad_bytes),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_sha256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
