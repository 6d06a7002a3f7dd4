/* Latency samples and percentiles (see lg_stats.h). */
#include "bench/lg_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int lg_samples_add(struct lg_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint64_t *p = realloc(s->ns, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->n++] = ns;
	s->sorted = false;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t lg_samples_percentile(struct lg_samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	if (!s->sorted) {
		qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
		s->sorted = true;
	}
	/* Nearest rank: the smallest sample with at least p% at or below. */
	rank = (size_t)ceil(p * (double)s->n / 100.0); /* exact for integer p */
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->ns[rank - 1];
}

void lg_samples_free(struct lg_samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
	s->sorted = false;
}
