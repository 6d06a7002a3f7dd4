/* Unit tests for the fan-out chunk queue: every reader sees every chunk in
 * order, slots are reused only after all readers released them, close and
 * abort wake everyone, and a many-chunk run with real threads keeps the
 * bytes intact. No timing assertions: blocking is shown by what a thread
 * could not have done yet, never by how long it took. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "uploadd/pipeline/chunkq.h"

static void publish_str(struct chunkq *q, const char *s)
{
	char *buf = chunkq_acquire(q);

	assert_non_null(buf);
	memcpy(buf, s, strlen(s));
	chunkq_publish(q, strlen(s));
}

static void expect_chunk(struct chunkq *q, unsigned r, const char *s)
{
	const char *data;
	size_t len;

	assert_int_equal(chunkq_next(q, r, &data, &len), 1);
	assert_int_equal(len, strlen(s));
	assert_memory_equal(data, s, len);
	chunkq_release(q, r);
}

static void test_both_readers_see_everything(void **state)
{
	struct chunkq q;
	const char *data;
	size_t len;

	(void)state;
	assert_int_equal(chunkq_init(&q, 4, 16, 2), 0);
	publish_str(&q, "one");
	publish_str(&q, "two");
	expect_chunk(&q, 0, "one");
	expect_chunk(&q, 0, "two");
	publish_str(&q, "three");
	chunkq_close(&q);
	expect_chunk(&q, 0, "three");
	assert_int_equal(chunkq_next(&q, 0, &data, &len), 0);
	/* The second reader is behind but loses nothing. */
	expect_chunk(&q, 1, "one");
	expect_chunk(&q, 1, "two");
	expect_chunk(&q, 1, "three");
	assert_int_equal(chunkq_next(&q, 1, &data, &len), 0);
	chunkq_destroy(&q);
}

static void test_acquire_is_idempotent_until_publish(void **state)
{
	struct chunkq q;
	char *a, *b;

	(void)state;
	assert_int_equal(chunkq_init(&q, 2, 8, 1), 0);
	a = chunkq_acquire(&q);
	b = chunkq_acquire(&q);
	assert_ptr_equal(a, b);
	chunkq_publish(&q, 1);
	b = chunkq_acquire(&q);
	assert_ptr_not_equal(a, b);
	chunkq_destroy(&q);
}

static void test_bad_init(void **state)
{
	struct chunkq q;

	(void)state;
	assert_int_equal(chunkq_init(&q, 0, 8, 1), -EINVAL);
	assert_int_equal(chunkq_init(&q, 2, 8, 0), -EINVAL);
	assert_int_equal(chunkq_init(&q, 2, 8, CHUNKQ_MAX_READERS + 1), -EINVAL);
}

struct producer {
	struct chunkq *q;
	atomic_int acquired; /* chunks acquired so far */
	char *last;
};

static void *produce_three(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < 3; i++) {
		p->last = chunkq_acquire(p->q);
		if (!p->last)
			break;
		atomic_fetch_add(&p->acquired, 1);
		chunkq_publish(p->q, 1);
	}
	return NULL;
}

/* With two slots, the third acquire must wait for the slowest reader: the
 * producer cannot have acquired it before reader 1 released chunk 0. */
static void test_slowest_reader_paces_producer(void **state)
{
	struct producer p = { 0 };
	struct chunkq q;
	pthread_t t;
	const char *data;
	size_t len;

	(void)state;
	assert_int_equal(chunkq_init(&q, 2, 8, 2), 0);
	p.q = &q;
	assert_int_equal(pthread_create(&t, NULL, produce_three, &p), 0);
	/* Reader 0 consumes both chunks; reader 1 takes chunk 0 but holds it. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(chunkq_next(&q, 0, &data, &len), 1);
		chunkq_release(&q, 0);
	}
	assert_int_equal(chunkq_next(&q, 1, &data, &len), 1);
	assert_true(atomic_load(&p.acquired) <= 2);
	chunkq_release(&q, 1); /* frees slot 0: the third chunk can go */
	assert_int_equal(chunkq_next(&q, 1, &data, &len), 1);
	chunkq_release(&q, 1);
	assert_int_equal(chunkq_next(&q, 1, &data, &len), 1);
	chunkq_release(&q, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&p.acquired), 3);
	chunkq_destroy(&q);
}

static void *wait_next(void *arg)
{
	struct chunkq *q = arg;
	const char *data;
	size_t len;

	return (void *)(intptr_t)chunkq_next(q, 0, &data, &len);
}

static void test_abort_wakes_everyone(void **state)
{
	struct producer p = { 0 };
	struct chunkq q;
	pthread_t reader, producer;
	void *ret;

	(void)state;
	/* A blocked reader. */
	assert_int_equal(chunkq_init(&q, 1, 8, 1), 0);
	assert_int_equal(pthread_create(&reader, NULL, wait_next, &q), 0);
	chunkq_abort(&q, -ENOSPC);
	assert_int_equal(pthread_join(reader, &ret), 0);
	assert_int_equal((intptr_t)ret, -ENOSPC);
	assert_int_equal(chunkq_error(&q), -ENOSPC);
	chunkq_abort(&q, -EIO); /* the first error is kept */
	assert_int_equal(chunkq_error(&q), -ENOSPC);
	chunkq_destroy(&q);

	/* A blocked producer: one slot, never released. */
	assert_int_equal(chunkq_init(&q, 1, 8, 1), 0);
	p.q = &q;
	assert_int_equal(pthread_create(&producer, NULL, produce_three, &p), 0);
	assert_int_equal((intptr_t)wait_next(&q), 1);
	chunkq_abort(&q, -ECANCELED);
	assert_int_equal(pthread_join(producer, NULL), 0);
	assert_null(p.last);
	chunkq_destroy(&q);
}

#define STRESS_CHUNKS 2000
#define STRESS_SLOT   64

struct reader {
	struct chunkq *q;
	unsigned id;
	uint64_t sum, count;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	const char *data;
	size_t len;

	while (chunkq_next(r->q, r->id, &data, &len) == 1) {
		for (size_t i = 0; i < len; i++)
			r->sum = r->sum * 31 + (unsigned char)data[i];
		r->count++;
		chunkq_release(r->q, r->id);
	}
	return NULL;
}

static void test_stress_two_readers(void **state)
{
	struct reader r[2];
	pthread_t t[2];
	struct chunkq q;
	uint64_t want = 0;

	(void)state;
	assert_int_equal(chunkq_init(&q, 3, STRESS_SLOT, 2), 0);
	for (unsigned i = 0; i < 2; i++) {
		r[i] = (struct reader){ .q = &q, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, read_all, &r[i]), 0);
	}
	for (unsigned c = 0; c < STRESS_CHUNKS; c++) {
		char *buf = chunkq_acquire(&q);
		size_t len = 1 + c % STRESS_SLOT;

		assert_non_null(buf);
		for (size_t i = 0; i < len; i++) {
			buf[i] = (char)(c * 7 + i);
			want = want * 31 + (unsigned char)buf[i];
		}
		chunkq_publish(&q, len);
	}
	chunkq_close(&q);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].count, STRESS_CHUNKS);
		assert_int_equal(r[i].sum, want);
	}
	chunkq_destroy(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_readers_see_everything),
		cmocka_unit_test(test_acquire_is_idempotent_until_publish),
		cmocka_unit_test(test_bad_init),
		cmocka_unit_test(test_slowest_reader_paces_producer),
		cmocka_unit_test(test_abort_wakes_everyone),
		cmocka_unit_test(test_stress_two_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
