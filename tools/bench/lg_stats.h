/* Latency samples of the load generator and their percentiles.
 *
 * Every completed request's latency is kept (8 bytes each: a 10-second run
 * at 100,000 requests/s holds 8 MB), so percentiles are exact nearest-rank
 * values rather than histogram buckets. Pure, for unit tests.
 */
#ifndef BENCH_LG_STATS_H
#define BENCH_LG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lg_samples {
	uint64_t *ns;  /* latencies in nanoseconds, owned */
	size_t n;
	size_t cap;
	bool sorted;
};

/* Appends one latency. Returns 0 or -ENOMEM (the sample is lost, the
 * others are kept). */
int lg_samples_add(struct lg_samples *s, uint64_t ns);

/* Nearest-rank percentile p (0 < p <= 100) in nanoseconds; 0 when there
 * are no samples. Sorts the samples the first time. */
uint64_t lg_samples_percentile(struct lg_samples *s, double p);

/* Frees the samples; s is empty and reusable afterwards. */
void lg_samples_free(struct lg_samples *s);

#endif
