/* Process-wide counters for GET /metrics, in the Prometheus text format
 * (version 0.0.4).
 *
 * Every counter is a relaxed C11 atomic: connection threads bump them
 * without locks, and a scrape reads a slightly moving but never torn view.
 * Uploads are counted by final HTTP status ("aborted" when the client went
 * away), with bytes stored, a duration histogram and an in-flight gauge;
 * every failed Redis call counts as a Redis error.
 */
#ifndef UPLOADD_METRICS_H
#define UPLOADD_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* An upload began; returns how many are now in flight (this one included). */
long metrics_upload_begin(void);

/* An upload ended with HTTP status (0 = client aborted), storing bytes
 * (0 unless it was committed), after seconds. Decrements the gauge. */
void metrics_upload_end(unsigned status, uint64_t bytes, double seconds);

/* Uploads in flight right now. */
long metrics_uploads_in_flight(void);

/* Any request finished with status (for uploadd_http_requests_total). */
void metrics_request(unsigned status);

/* Bytes of file content sent by downloads. */
void metrics_download_bytes(uint64_t bytes);

/* A Redis call failed (connect, timeout, lost connection, error reply). */
void metrics_redis_error(void);

/* A slow client was cut off (no request head within --header-timeout). */
void metrics_slow_client(void);

/* The orphan sweep ran (ok: it reached Redis), claimed found uploads
 * provably over and removed removed objects. */
void metrics_sweep(bool ok, unsigned found, unsigned removed);

/* Writes every metric to f. Returns 0 or -EIO. Any thread. */
int metrics_render(FILE *f);

#endif
