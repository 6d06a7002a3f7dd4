/* Prometheus counters for uploadd (see metrics.h). */
#include "uploadd/debug/metrics.h"

#include <errno.h>
#include <stdatomic.h>

/* Status codes uploadd answers with; anything else counts as "other". */
static const unsigned known_codes[] = {
	200, 201, 206, 304, 400, 401, 404, 405, 408, 409, 411, 413, 415, 416, 422,
	500, 503, 507,
};
#define NCODES (sizeof(known_codes) / sizeof(known_codes[0]))
#define CODE_OTHER   NCODES      /* index of "other" */
#define CODE_ABORTED (NCODES + 1) /* index of "aborted" (uploads only) */

static const double bucket_le[] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	120,
};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

static struct {
	atomic_long in_flight;
	atomic_ulong uploads[NCODES + 2];
	atomic_ulong requests[NCODES + 1];
	atomic_ulong upload_bytes;
	atomic_ulong download_bytes;
	atomic_ulong redis_errors;
	atomic_ulong slow_clients;
	atomic_ulong sweeps, sweep_failures, orphans_found, orphans_removed;
	atomic_ulong buckets[NBUCKETS]; /* non-cumulative; summed on render */
	atomic_ulong duration_count;
	atomic_ulong duration_sum_us;
} m;

static unsigned code_index(unsigned status)
{
	for (unsigned i = 0; i < NCODES; i++)
		if (known_codes[i] == status)
			return i;
	return CODE_OTHER;
}

long metrics_upload_begin(void)
{
	return atomic_fetch_add_explicit(&m.in_flight, 1, memory_order_relaxed) + 1;
}

void metrics_upload_end(unsigned status, uint64_t bytes, double seconds)
{
	unsigned i = status ? code_index(status) : CODE_ABORTED;
	unsigned b = 0;

	atomic_fetch_sub_explicit(&m.in_flight, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m.uploads[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m.upload_bytes, bytes, memory_order_relaxed);
	while (b < NBUCKETS && seconds > bucket_le[b])
		b++;
	if (b < NBUCKETS)
		atomic_fetch_add_explicit(&m.buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m.duration_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m.duration_sum_us,
				  (unsigned long)(seconds * 1e6),
				  memory_order_relaxed);
}

long metrics_uploads_in_flight(void)
{
	return atomic_load_explicit(&m.in_flight, memory_order_relaxed);
}

void metrics_request(unsigned status)
{
	atomic_fetch_add_explicit(&m.requests[code_index(status)], 1,
				  memory_order_relaxed);
}

void metrics_download_bytes(uint64_t bytes)
{
	atomic_fetch_add_explicit(&m.download_bytes, bytes, memory_order_relaxed);
}

void metrics_redis_error(void)
{
	atomic_fetch_add_explicit(&m.redis_errors, 1, memory_order_relaxed);
}

void metrics_slow_client(void)
{
	atomic_fetch_add_explicit(&m.slow_clients, 1, memory_order_relaxed);
}

void metrics_sweep(bool ok, unsigned found, unsigned removed)
{
	atomic_fetch_add_explicit(ok ? &m.sweeps : &m.sweep_failures, 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&m.orphans_found, found, memory_order_relaxed);
	atomic_fetch_add_explicit(&m.orphans_removed, removed,
				  memory_order_relaxed);
}

static unsigned long get(atomic_ulong *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Writes one labelled series per status code of a counter array. */
static void render_by_code(FILE *f, const char *name, atomic_ulong *v,
			   unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i < NCODES)
			fprintf(f, "%s{status=\"%u\"} %lu\n", name, known_codes[i],
				get(&v[i]));
		else
			fprintf(f, "%s{status=\"%s\"} %lu\n", name,
				i == CODE_OTHER ? "other" : "aborted", get(&v[i]));
	}
}

int metrics_render(FILE *f)
{
	unsigned long cum = 0;

	fputs("# HELP uploadd_uploads_total Uploads finished, by HTTP status "
	      "(aborted: the client went away).\n"
	      "# TYPE uploadd_uploads_total counter\n", f);
	render_by_code(f, "uploadd_uploads_total", m.uploads, NCODES + 2);
	fprintf(f, "# HELP uploadd_upload_bytes_total Bytes of files stored.\n"
		"# TYPE uploadd_upload_bytes_total counter\n"
		"uploadd_upload_bytes_total %lu\n", get(&m.upload_bytes));
	fputs("# HELP uploadd_upload_duration_seconds Time from request "
	      "headers to the answer, per upload.\n"
	      "# TYPE uploadd_upload_duration_seconds histogram\n", f);
	for (unsigned b = 0; b < NBUCKETS; b++) {
		cum += get(&m.buckets[b]);
		fprintf(f, "uploadd_upload_duration_seconds_bucket{le=\"%g\"} %lu\n",
			bucket_le[b], cum);
	}
	fprintf(f, "uploadd_upload_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
		"uploadd_upload_duration_seconds_sum %.6f\n"
		"uploadd_upload_duration_seconds_count %lu\n",
		get(&m.duration_count), (double)get(&m.duration_sum_us) / 1e6,
		get(&m.duration_count));
	fprintf(f, "# HELP uploadd_uploads_in_flight Uploads in progress.\n"
		"# TYPE uploadd_uploads_in_flight gauge\n"
		"uploadd_uploads_in_flight %ld\n", metrics_uploads_in_flight());
	fprintf(f, "# HELP uploadd_redis_errors_total Failed Redis calls.\n"
		"# TYPE uploadd_redis_errors_total counter\n"
		"uploadd_redis_errors_total %lu\n", get(&m.redis_errors));
	fprintf(f, "# HELP uploadd_slow_clients_closed_total Connections "
		"closed for sending no request head within --header-timeout.\n"
		"# TYPE uploadd_slow_clients_closed_total counter\n"
		"uploadd_slow_clients_closed_total %lu\n", get(&m.slow_clients));
	fprintf(f, "# HELP uploadd_orphan_sweeps_total Orphan sweeps run, by "
		"outcome.\n# TYPE uploadd_orphan_sweeps_total counter\n"
		"uploadd_orphan_sweeps_total{outcome=\"ok\"} %lu\n"
		"uploadd_orphan_sweeps_total{outcome=\"failed\"} %lu\n",
		get(&m.sweeps), get(&m.sweep_failures));
	fprintf(f, "# HELP uploadd_orphans_found_total Uploads found over "
		"without metadata (crashed or lost), claimed for removal.\n"
		"# TYPE uploadd_orphans_found_total counter\n"
		"uploadd_orphans_found_total %lu\n"
		"# HELP uploadd_orphans_removed_total Objects (files, RADOS "
		"objects) such uploads left, removed.\n"
		"# TYPE uploadd_orphans_removed_total counter\n"
		"uploadd_orphans_removed_total %lu\n",
		get(&m.orphans_found), get(&m.orphans_removed));
	fprintf(f, "# HELP uploadd_download_bytes_total Bytes of files sent.\n"
		"# TYPE uploadd_download_bytes_total counter\n"
		"uploadd_download_bytes_total %lu\n", get(&m.download_bytes));
	fputs("# HELP uploadd_http_requests_total Requests answered, by HTTP "
	      "status.\n# TYPE uploadd_http_requests_total counter\n", f);
	render_by_code(f, "uploadd_http_requests_total", m.requests, NCODES + 1);
	return ferror(f) ? -EIO : 0;
}
