/* Unit tests for the JSON writer: separators, nesting, escaping, UTF-8
 * repair and number formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"

/* Runs fn on a fresh compact writer and returns what it wrote (caller frees). */
static char *render(void (*fn)(struct json_writer *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json_writer w;

	assert_non_null(f);
	json_init(&w, f, false);
	fn(&w);
	fclose(f);
	return buf;
}

static void nested(struct json_writer *w)
{
	json_object_begin(w);
	json_kv_int(w, "a", -1);
	json_key(w, "b");
	json_array_begin(w);
	json_uint(w, 18446744073709551615ULL);
	json_bool(w, true);
	json_null(w);
	json_object_begin(w);
	json_object_end(w);
	json_array_end(w);
	json_kv_hex(w, "addr", 0x7f00dead);
	json_object_end(w);
}

static void test_nesting_and_commas(void **state)
{
	char *s = render(nested);

	(void)state;
	assert_string_equal(s, "{\"a\":-1,\"b\":[18446744073709551615,true,null,{}],"
			       "\"addr\":\"0x7f00dead\"}");
	free(s);
}

static void escapes(struct json_writer *w)
{
	json_string_n(w, "q\"b\\n\n\x01\x7f\0z", 10);
}

static void test_escapes(void **state)
{
	char *s = render(escapes);

	(void)state;
	assert_string_equal(s, "\"q\\\"b\\\\n\\n\\u0001\\u007f\\u0000z\"");
	free(s);
}

static void bad_utf8(struct json_writer *w)
{
	/* valid é, a lone continuation byte, an overlong '/', a truncated
	 * 3-byte sequence at the end */
	json_string(w, "\xc3\xa9|\x80|\xc0\xaf|\xe2\x82");
}

static void test_invalid_utf8_is_replaced(void **state)
{
	char *s = render(bad_utf8);

	(void)state;
	assert_string_equal(s, "\"\xc3\xa9|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\"");
	free(s);
}

static void doubles(struct json_writer *w)
{
	json_array_begin(w);
	json_double(w, 1.5);
	json_double(w, 0.0 / 0.0);
	json_array_end(w);
}

static void test_doubles(void **state)
{
	char *s = render(doubles);

	(void)state;
	assert_string_equal(s, "[1.5,null]");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8_is_replaced),
		cmocka_unit_test(test_doubles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
