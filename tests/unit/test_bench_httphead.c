/* Unit tests for the benchmark tools' HTTP head parser: status and request
 * lines, framing headers, keep-alive rules, incomplete and malformed heads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bench/httphead.h"

static int parse(const char *s, bool response, struct http_head *h)
{
	return http_head_parse(s, strlen(s), response, 4096, h);
}

static void test_response(void **state)
{
	static const char msg[] = "HTTP/1.1 201 Created\r\n"
		"Content-Type: application/json\r\ncontent-length:  42 \r\n\r\n{\"a\"";
	struct http_head h;

	(void)state;
	assert_int_equal(parse(msg, true, &h), 1);
	assert_int_equal(h.status, 201);
	assert_true(h.has_length);
	assert_int_equal(h.content_length, 42);
	assert_int_equal(h.head_len, strlen(msg) - 4); /* the body is not the head */
	assert_false(h.close);
	assert_false(h.chunked);
	assert_string_equal(h.method, "");
}

static void test_request(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("POST /upload HTTP/1.1\r\nHost: x\r\n"
			       "Expect: 100-Continue\r\nContent-Length: 7\r\n\r\n",
			       false, &h), 1);
	assert_string_equal(h.method, "POST");
	assert_int_equal(h.status, 0);
	assert_true(h.expect_continue);
	assert_int_equal(h.content_length, 7);
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", false, &h), 1);
	assert_false(h.has_length);
	assert_false(h.expect_continue);
}

static void test_connection_rules(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n",
			       true, &h), 1);
	assert_true(h.close);
	assert_int_equal(parse("HTTP/1.0 200 OK\r\n\r\n", true, &h), 1);
	assert_true(h.close); /* 1.0 closes by default */
	assert_int_equal(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n",
			       true, &h), 1);
	assert_false(h.close);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
			       true, &h), 1);
	assert_true(h.chunked);
	/* Two equal lengths are one length; two different ones are an error. */
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			       "Content-Length: 3\r\n\r\n", true, &h), 1);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
			       "Content-Length: 4\r\n\r\n", true, &h), -EINVAL);
}

static void test_incomplete(void **state)
{
	struct http_head h;
	char big[64];

	(void)state;
	assert_int_equal(parse("", true, &h), 0);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n", true, &h), 0);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nA: b\r\n\r", true, &h), 0);
	/* No end of head within max_head bytes. */
	memset(big, 'a', sizeof(big));
	assert_int_equal(http_head_parse(big, sizeof(big), true, 32, &h), -E2BIG);
	assert_int_equal(http_head_parse(big, 16, true, 32, &h), 0);
}

static void test_malformed(void **state)
{
	static const char *const bad_responses[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Odd\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
	};
	static const char *const bad_requests[] = {
		"POST\r\n\r\n",
		"POST /x\r\n\r\n",
		"POST  HTTP/1.1\r\n\r\n",
		"AVERYLONGMETHODNAME / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.2\r\n\r\n",
		"\nPOST / HTTP/1.1\r\n\r\n",  /* a body byte too many before it */
		"PO(ST / HTTP/1.1\r\n\r\n",
		"POST /a\tb HTTP/1.1\r\n\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_responses) / sizeof(*bad_responses); i++)
		assert_int_equal(parse(bad_responses[i], true, &h), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(*bad_requests); i++)
		assert_int_equal(parse(bad_requests[i], false, &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_connection_rules),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
