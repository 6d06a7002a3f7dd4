/* Unit tests for the multipart field state machine: field order, part
 * boundaries as MHD reports them, duplicates, unknown and missing fields,
 * limits, and validation when a small field ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/http/multipart.h"

/* Feeds a whole small field as MHD does for a short value. */
static int feed(struct mp_state *st, const char *key, const char *value)
{
	return mp_feed(st, key, 0, value, strlen(value));
}

static void test_names_first(void **state)
{
	struct mp_state st;

	(void)state;
	mp_init(&st);
	assert_int_equal(feed(&st, "filename", "a.txt"), 0);
	assert_int_equal(feed(&st, "version", "1"), 0);
	assert_false(mp_names_ready(&st)); /* version's part is still open */
	assert_int_equal(mp_feed(&st, "file", 0, "hello", 5),
			 MP_EV_FILE_BEGIN | MP_EV_FILE_DATA);
	assert_true(mp_names_ready(&st));
	assert_string_equal(st.filename, "a.txt");
	assert_string_equal(st.version, "1");
	assert_int_equal(mp_feed(&st, "file", 5, " world", 6), MP_EV_FILE_DATA);
	assert_int_equal(mp_finish(&st), 0);
	assert_int_equal(st.file_size, 11);
	assert_false(mp_has_sha256(&st));
}

static void test_file_first(void **state)
{
	struct mp_state st;

	(void)state;
	mp_init(&st);
	assert_int_equal(mp_feed(&st, "file", 0, "x", 1),
			 MP_EV_FILE_BEGIN | MP_EV_FILE_DATA);
	assert_false(mp_names_ready(&st));
	assert_int_equal(feed(&st, "sha256", "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"), 0);
	assert_int_equal(feed(&st, "version", "2"), 0);
	assert_int_equal(feed(&st, "filename", "b"), 0);
	assert_int_equal(mp_finish(&st), 0);
	assert_true(mp_names_ready(&st));
	assert_true(mp_has_sha256(&st));
	assert_string_equal(st.sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
}

static void test_split_small_field_and_empty_announcement(void **state)
{
	struct mp_state st;

	(void)state;
	mp_init(&st);
	/* MHD may announce a part with an empty call, then deliver it. */
	assert_int_equal(mp_feed(&st, "filename", 0, "", 0), 0);
	assert_int_equal(mp_feed(&st, "filename", 0, "ab", 2), 0);
	assert_int_equal(mp_feed(&st, "filename", 2, "cd", 2), 0);
	assert_int_equal(mp_feed(&st, "file", 0, "", 0), MP_EV_FILE_BEGIN);
	assert_int_equal(mp_feed(&st, "file", 0, "z", 1), MP_EV_FILE_DATA);
	assert_int_equal(feed(&st, "version", "3"), 0);
	assert_int_equal(mp_finish(&st), 0);
	assert_string_equal(st.filename, "abcd");
	assert_int_equal(st.file_size, 1);
}

static void test_duplicate_and_unknown(void **state)
{
	struct mp_state st;

	(void)state;
	mp_init(&st);
	assert_int_equal(feed(&st, "version", "1"), 0);
	assert_int_equal(feed(&st, "filename", "a"), 0);
	assert_int_equal(feed(&st, "version", "2"), -MP_ERR_DUPLICATE_FIELD);
	assert_non_null(strstr(st.detail, "\"version\" appears more than once"));

	mp_init(&st);
	assert_int_equal(mp_feed(&st, "file", 0, "a", 1),
			 MP_EV_FILE_BEGIN | MP_EV_FILE_DATA);
	assert_int_equal(feed(&st, "filename", "a"), 0);
	assert_int_equal(mp_feed(&st, "file", 0, "b", 1), -MP_ERR_DUPLICATE_FIELD);

	mp_init(&st);
	assert_int_equal(feed(&st, "path", "/etc"), -MP_ERR_UNKNOWN_FIELD);
	assert_non_null(strstr(st.detail, "unexpected field \"path\""));
	mp_init(&st);
	assert_int_equal(mp_feed(&st, NULL, 0, "x", 1), -MP_ERR_UNKNOWN_FIELD);
}

static void test_missing_and_empty(void **state)
{
	struct mp_state st;

	(void)state;
	mp_init(&st);
	assert_int_equal(feed(&st, "filename", "a"), 0);
	assert_int_equal(mp_feed(&st, "file", 0, "x", 1),
			 MP_EV_FILE_BEGIN | MP_EV_FILE_DATA);
	assert_int_equal(mp_finish(&st), -MP_ERR_MISSING_FIELD);
	assert_non_null(strstr(st.detail, "missing field \"version\""));

	mp_init(&st);
	assert_int_equal(feed(&st, "filename", "a"), 0);
	assert_int_equal(feed(&st, "version", "1"), 0);
	assert_int_equal(mp_finish(&st), -MP_ERR_MISSING_FIELD);
	assert_non_null(strstr(st.detail, "\"file\""));

	mp_init(&st);
	assert_int_equal(mp_finish(&st), -MP_ERR_MISSING_FIELD);

	mp_init(&st);
	assert_int_equal(feed(&st, "filename", "a"), 0);
	assert_int_equal(feed(&st, "version", "1"), 0);
	assert_int_equal(mp_feed(&st, "file", 0, "", 0), MP_EV_FILE_BEGIN);
	assert_int_equal(mp_finish(&st), -MP_ERR_EMPTY_FILE);
}

static void test_validation_when_field_ends(void **state)
{
	char big[FILENAME_MAX_LEN + 1];
	struct mp_state st;

	(void)state;
	mp_init(&st);
	assert_int_equal(feed(&st, "filename", "../etc/passwd"), 0);
	/* The part is only known complete when the next one starts. */
	assert_int_equal(feed(&st, "version", "1"), -MP_ERR_BAD_FILENAME);
	assert_non_null(strstr(st.detail, "invalid filename: it contains '..'"));

	mp_init(&st);
	assert_int_equal(feed(&st, "version", "1 2"), 0);
	assert_int_equal(mp_finish(&st), -MP_ERR_BAD_VERSION);

	mp_init(&st);
	assert_int_equal(feed(&st, "sha256", "abc"), 0);
	assert_int_equal(mp_feed(&st, "file", 0, "x", 1), -MP_ERR_BAD_SHA256);

	mp_init(&st);
	memset(big, 'x', sizeof(big));
	assert_int_equal(mp_feed(&st, "filename", 0, big, 200), 0);
	assert_int_equal(mp_feed(&st, "filename", 200, big, 56),
			 -MP_ERR_FIELD_TOO_LONG);
	assert_non_null(strstr(st.detail, "longer than 255 bytes"));

	mp_init(&st);
	assert_int_equal(mp_feed(&st, "filename", 0, "a\0b", 3), 0);
	assert_int_equal(mp_finish(&st), -MP_ERR_BAD_FILENAME);
	assert_non_null(strstr(st.detail, "NUL"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_first),
		cmocka_unit_test(test_file_first),
		cmocka_unit_test(test_split_small_field_and_empty_announcement),
		cmocka_unit_test(test_duplicate_and_unknown),
		cmocka_unit_test(test_missing_and_empty),
		cmocka_unit_test(test_validation_when_field_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
