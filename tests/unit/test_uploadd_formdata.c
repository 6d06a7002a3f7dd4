/* Unit tests for the streaming multipart/form-data splitter: boundaries
 * found whatever the piece sizes (every split point of a body gives the
 * same parts), bytes that look like a delimiter but are not one, the
 * preamble, transport padding, LF-only head lines, quoted names, and the
 * malformed bodies that must be refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/http/formdata.h"

#define CT "multipart/form-data; boundary=XB"

/* What the callback saw: parts concatenated as "name=bytes|". */
struct seen {
	char out[8192];
	size_t len;
	uint64_t expect_off;
	int calls;
	int stop_after; /* return nonzero on this call (0: never) */
};

static int on_piece(void *cls, const char *name, uint64_t off,
		    const char *data, size_t size)
{
	struct seen *s = cls;

	s->calls++;
	if (off == 0 && size == 0) {
		/* A new part is announced. */
		s->len += (size_t)snprintf(s->out + s->len, sizeof(s->out) - s->len,
					   "%s%s=", s->len ? "|" : "", name);
		s->expect_off = 0;
	} else {
		assert_int_equal(off, s->expect_off);
		assert_true(s->len + size < sizeof(s->out));
		memcpy(s->out + s->len, data, size);
		s->len += size;
		s->out[s->len] = '\0';
		s->expect_off += size;
	}
	return s->stop_after && s->calls == s->stop_after;
}

/* Parses body in pieces of at most step bytes; returns fp_finish's (or
 * fp_feed's) result and leaves the parts in s. */
static int parse(const char *ct, const char *body, size_t blen, size_t step,
		 struct seen *s)
{
	struct fp_parser p;
	int err;

	memset(s, 0, sizeof(*s));
	err = fp_init(&p, ct, on_piece, s);
	if (err)
		return err;
	for (size_t i = 0; i < blen; i += step) {
		size_t n = blen - i < step ? blen - i : step;

		err = fp_feed(&p, body + i, n);
		if (err) {
			fp_free(&p);
			return err;
		}
	}
	err = fp_finish(&p);
	fp_free(&p);
	return err;
}

static const char body1[] =
	"--XB\r\n"
	"Content-Disposition: form-data; name=\"filename\"\r\n\r\n"
	"a.txt\r\n"
	"--XB\r\n"
	"Content-Disposition: form-data; name=\"version\"\r\n\r\n"
	"1\r\n"
	"--XB\r\n"
	"Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n"
	"Content-Type: application/octet-stream\r\n\r\n"
	"he\r\nllo\r\n--X \r\n--XBC\r\r\n-\r\n--"
	"\r\n--XB--\r\n";
static const char parts1[] =
	"filename=a.txt|version=1|file=he\r\nllo\r\n--X \r\n--XBC\r\r\n-\r\n--";

static void test_every_split(void **state)
{
	struct seen s;

	(void)state;
	/* Any piece size, down to one byte: a delimiter split across pieces
	 * is still found, and near-delimiters are content. Except for a
	 * boundary followed by 'C', which is malformed: see below. */
	for (size_t step = 1; step <= sizeof(body1); step++) {
		char *b = strdup(body1);
		char *bad = strstr(b, "--XBC");

		bad[3] = 'Q'; /* "--XQC": not a delimiter */
		assert_int_equal(parse(CT, b, strlen(b), step, &s), 0);
		{
			char want[sizeof(parts1)];

			memcpy(want, parts1, sizeof(parts1));
			strstr(want, "--XBC")[3] = 'Q';
			assert_string_equal(s.out, want);
		}
		free(b);
	}
}

static void test_boundary_followed_by_garbage(void **state)
{
	struct seen s;

	(void)state;
	/* "\r\n--XB" is a delimiter even when 'C' follows: RFC 2046 forbids
	 * the boundary inside content, so this body is malformed. */
	for (size_t step = 1; step <= sizeof(body1); step += 7)
		assert_int_equal(parse(CT, body1, strlen(body1), step, &s),
				 -EBADMSG);
}

static void test_preamble_padding_lf(void **state)
{
	static const char b[] =
		"ignored preamble\r\n--XB  \t\r\n"
		"content-disposition: form-data; NAME=version\n\n"
		"7\r\n--XB\n"
		"Content-Disposition: form-data; filename=\"n\\\"ame\"; "
		"name=\"fi\\\"le\"\r\n\r\n"
		"\r\n--XB--epilogue, ignored";
	struct seen s;

	(void)state;
	for (size_t step = 1; step < sizeof(b); step++) {
		assert_int_equal(parse(CT, b, sizeof(b) - 1, step, &s), 0);
		assert_string_equal(s.out, "version=7|fi\"le=");
	}
}

static void test_quoted_boundary_and_params(void **state)
{
	static const char b[] = "--a b\r\n"
		"Content-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--a b--";
	struct seen s;

	(void)state;
	assert_int_equal(parse("Multipart/Form-Data; charset=x; "
			       "BOUNDARY=\"a b\"", b, sizeof(b) - 1, 3, &s), 0);
	assert_string_equal(s.out, "x=v");
}

static void test_bad_content_types(void **state)
{
	struct fp_parser p;
	char big[400];

	(void)state;
	assert_int_equal(fp_init(&p, "multipart/form-data", on_piece, NULL), -EINVAL);
	assert_int_equal(fp_init(&p, "multipart/form-data; boundary=", on_piece, NULL), -EINVAL);
	assert_int_equal(fp_init(&p, "multipart/form-data; boundary=\"\"", on_piece, NULL), -EINVAL);
	assert_int_equal(fp_init(&p, "text/plain; boundary=x", on_piece, NULL), -EINVAL);
	assert_int_equal(fp_init(&p, NULL, on_piece, NULL), -EINVAL);
	snprintf(big, sizeof(big), "multipart/form-data; boundary=%0201d", 0);
	assert_int_equal(fp_init(&p, big, on_piece, NULL), -EINVAL);
	snprintf(big, sizeof(big), "multipart/form-data; boundary=%0200d", 0);
	assert_int_equal(fp_init(&p, big, on_piece, NULL), 0);
	fp_free(&p);
}

static void test_malformed(void **state)
{
	static const char *const bodies[] = {
		"",                                       /* nothing */
		"--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",
		"--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XB",
		"--XB-x",                                 /* single dash */
		"--XB\rx",                                /* CR without LF */
		"no boundary at all",
	};
	struct seen s;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		assert_int_equal(parse(CT, bodies[i], strlen(bodies[i]), 5, &s),
				 -EBADMSG);
}

static void test_head_too_long_and_name_too_long(void **state)
{
	size_t n = FP_HEAD_MAX + 100;
	char *b = malloc(n + 64);
	struct seen s;

	(void)state;
	memcpy(b, "--XB\r\nX-Long: ", 14);
	memset(b + 14, 'a', n - 14);
	memcpy(b + n, "\r\n\r\nv\r\n--XB--", 13);
	assert_int_equal(parse(CT, b, n + 13, 4096, &s), -EBADMSG);
	snprintf(b, n, "--XB\r\nContent-Disposition: form-data; name=\"%0256d\""
		 "\r\n\r\nv\r\n--XB--", 0);
	assert_int_equal(parse(CT, b, strlen(b), 100, &s), -EBADMSG);
	free(b);
}

static void test_callback_stops(void **state)
{
	struct fp_parser p;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_after = 2; /* the first data call */
	assert_int_equal(fp_init(&p, CT, on_piece, &s), 0);
	assert_int_equal(fp_feed(&p, body1, strlen(body1)), -ECANCELED);
	assert_int_equal(fp_feed(&p, "x", 1), -ECANCELED);
	assert_int_equal(fp_finish(&p), -EBADMSG);
	fp_free(&p);
	fp_free(&p);
}

/* Counts calls and bytes, and remembers where the first bytes were. */
struct counted {
	int calls;
	size_t bytes;
	const char *first;
};

static int count_piece(void *cls, const char *name, uint64_t off,
		       const char *data, size_t size)
{
	struct counted *c = cls;

	(void)name;
	(void)off;
	c->calls++;
	if (size && !c->first)
		c->first = data;
	c->bytes += size;
	return 0;
}

static void test_zero_copy_large_piece(void **state)
{
	/* A large part in one piece reaches the callback in one call,
	 * pointing into the caller's buffer. */
	size_t n = 1 << 20, hl;
	char *b = malloc(n + 200);
	struct counted c = { 0, 0, NULL };
	struct fp_parser p;

	(void)state;
	hl = (size_t)sprintf(b, "--XB\r\nContent-Disposition: form-data; "
			     "name=\"file\"\r\n\r\n");
	for (size_t i = 0; i < n; i++)
		b[hl + i] = (char)(i * 7 + (i >> 9)); /* has CRs and dashes */
	memcpy(b + hl + n, "\r\n--XB--", 8);
	assert_int_equal(fp_init(&p, CT, count_piece, &c), 0);
	assert_int_equal(fp_feed(&p, b, hl + n + 8), 0);
	assert_int_equal(fp_finish(&p), 0);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.bytes, n);
	assert_ptr_equal(c.first, b + hl);
	fp_free(&p);
	free(b);
}

static void test_every_length(void **state)
{
	/* A part of every length from 0 to 300 bytes of varied content
	 * (CRs, dashes, near-delimiters), in one piece: the delimiter is found
	 * wherever it falls relative to the SIMD blocks. */
	char body[1024], want[400];
	struct seen s;

	(void)state;
	for (size_t len = 0; len <= 300; len++) {
		size_t hl = (size_t)snprintf(body, sizeof(body), "--XB\r\n"
			"Content-Disposition: form-data; name=\"f\"\r\n\r\n");

		for (size_t i = 0; i < len; i++)
			body[hl + i] = "\r\n-XBab"[(i * 7 + len) % 8];
		memcpy(body + hl + len, "\r\n--XB--", 8);
		assert_int_equal(parse(CT, body, hl + len + 8, 4096, &s), 0);
		snprintf(want, sizeof(want), "f=");
		memcpy(want + 2, body + hl, len);
		want[2 + len] = '\0';
		assert_int_equal(s.len, 2 + len);
		assert_memory_equal(s.out, want, 2 + len);
	}
}

static int use_sse2(void **state)
{
	(void)state;
	fp_set_simd(false);
	return 0;
}

static int use_avx2(void **state)
{
	(void)state;
	fp_set_simd(true);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_boundary_followed_by_garbage),
		cmocka_unit_test(test_preamble_padding_lf),
		cmocka_unit_test(test_quoted_boundary_and_params),
		cmocka_unit_test(test_bad_content_types),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_head_too_long_and_name_too_long),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_zero_copy_large_piece),
		cmocka_unit_test(test_every_length),
		/* The same delimiter searches on the SSE2 path. */
		{ "test_every_split (SSE2)", test_every_split, use_sse2,
		  use_avx2, NULL },
		{ "test_zero_copy_large_piece (SSE2)",
		  test_zero_copy_large_piece, use_sse2, use_avx2, NULL },
		{ "test_every_length (SSE2)", test_every_length, use_sse2,
		  use_avx2, NULL },
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
