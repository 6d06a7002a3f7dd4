/* Unit tests for the load generator's pure parts: the multipart request it
 * sends (framing, Content-Length, boundary absent from the payload) and the
 * latency percentiles. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/httphead.h"
#include "bench/lg_body.h"
#include "bench/lg_stats.h"

/* Assembles the whole request as it goes on the wire. */
static char *whole_request(const struct lg_body *b, const char *name,
			   const char *version, size_t *len)
{
	char head[1024];
	ssize_t n = lg_body_head(b, "127.0.0.1:80", "/upload", name, version,
				 head, sizeof(head));
	char *out;

	assert_true(n > 0);
	*len = (size_t)n + b->size + b->tail_len;
	out = malloc(*len);
	assert_non_null(out);
	memcpy(out, head, (size_t)n);
	memcpy(out + n, b->payload, b->size);
	memcpy(out + n + b->size, b->tail, b->tail_len);
	return out;
}

static void test_request_framing(void **state)
{
	struct lg_body b;
	struct http_head h;
	char delim[LG_BOUNDARY_LEN + 8], field[128];
	size_t len;
	char *req, *body;

	(void)state;
	assert_int_equal(lg_body_init(&b, 5000, 7), 0);
	req = whole_request(&b, "f-c3", "12", &len);
	assert_int_equal(http_head_parse(req, len, false, 4096, &h), 1);
	assert_string_equal(h.method, "POST");
	assert_true(h.has_length);
	/* Content-Length counts exactly the bytes after the head. */
	assert_int_equal(h.content_length, len - h.head_len);
	body = req + h.head_len;
	snprintf(delim, sizeof(delim), "--%s\r\n", b.boundary);
	assert_memory_equal(body, delim, strlen(delim));
	/* Names first, then the file, then the closing delimiter. */
	snprintf(field, sizeof(field), "name=\"filename\"\r\n\r\nf-c3\r\n--%s", b.boundary);
	assert_non_null(memmem(body, len - h.head_len, field, strlen(field)));
	snprintf(field, sizeof(field), "name=\"version\"\r\n\r\n12\r\n--%s", b.boundary);
	assert_non_null(memmem(body, len - h.head_len, field, strlen(field)));
	assert_true((char *)memmem(body, len - h.head_len, "name=\"version\"", 14) <
		    (char *)memmem(body, len - h.head_len, "name=\"file\"", 11));
	assert_memory_equal(req + len - b.tail_len, "\r\n--", 4);
	assert_memory_equal(req + len - 4, "--\r\n", 4);
	assert_memory_equal(req + len - b.tail_len - b.size, b.payload, b.size);
	free(req);
	lg_body_free(&b);
}

static void test_payload(void **state)
{
	struct lg_body a, b;
	char delim[LG_BOUNDARY_LEN + 8];

	(void)state;
	assert_int_equal(lg_body_init(&a, 1 << 20, 1), 0);
	assert_int_equal(lg_body_init(&b, 1 << 20, 1), 0);
	/* Same seed, same bytes: runs are comparable. */
	assert_memory_equal(a.payload, b.payload, a.size);
	assert_string_equal(a.boundary, b.boundary);
	snprintf(delim, sizeof(delim), "\r\n--%s", a.boundary);
	assert_null(memmem(a.payload, a.size, delim, strlen(delim)));
	/* Not a constant fill: the first and second KiB differ. */
	assert_true(memcmp(a.payload, a.payload + 1024, 1024) != 0);
	lg_body_free(&a);
	lg_body_free(&b);
	lg_body_free(&b); /* freeing twice is safe */
	assert_int_equal(lg_body_init(&a, 0, 1), -EINVAL);
	assert_int_equal(lg_body_init(&a, LG_SIZE_MAX + 1, 1), -EINVAL);
}

static void test_head_too_small(void **state)
{
	struct lg_body b;
	char head[64];

	(void)state;
	assert_int_equal(lg_body_init(&b, 10, 3), 0);
	assert_int_equal(lg_body_head(&b, "h", "/upload", "n", "1", head,
				      sizeof(head)), -ENOSPC);
	lg_body_free(&b);
}

static void test_percentiles(void **state)
{
	struct lg_samples s = { 0 };

	(void)state;
	assert_int_equal(lg_samples_percentile(&s, 50), 0);
	/* 100 down to 1: the order of arrival does not matter. */
	for (uint64_t v = 100; v >= 1; v--)
		assert_int_equal(lg_samples_add(&s, v), 0);
	assert_int_equal(lg_samples_percentile(&s, 50), 50);
	assert_int_equal(lg_samples_percentile(&s, 99), 99);
	assert_int_equal(lg_samples_percentile(&s, 100), 100);
	assert_int_equal(lg_samples_percentile(&s, 0.5), 1);
	/* Adding after a sort sorts again. */
	assert_int_equal(lg_samples_add(&s, 0), 0);
	assert_int_equal(lg_samples_percentile(&s, 1), 1);
	assert_int_equal(lg_samples_percentile(&s, 0.1), 0);
	lg_samples_free(&s);
	assert_int_equal(s.n, 0);
	/* More samples than the first allocation holds. */
	for (uint64_t v = 0; v < 10000; v++)
		assert_int_equal(lg_samples_add(&s, v), 0);
	assert_int_equal(lg_samples_percentile(&s, 50), 4999);
	assert_int_equal(lg_samples_percentile(&s, 99), 9899);
	lg_samples_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_framing),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_head_too_small),
		cmocka_unit_test(test_percentiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
