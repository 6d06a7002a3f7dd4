/* The load generator's engine: N keep-alive connections, each sending one
 * upload after another (closed loop), driven by one thread with epoll.
 *
 * Why one thread and edge-triggered epoll: on a 2-core machine the client
 * shares the CPU with the server, so the client must spend as little as
 * possible. Each request is one sendmsg of three iovecs (head, the shared
 * payload, tail): the kernel's copy into the socket is the only per-byte
 * cost on the client side, the same as for any client that sends a file.
 *
 * A run ends at the deadline (or after a request count): no new request
 * starts, and the ones in flight are allowed to finish (up to the request
 * timeout), so every byte the server handled belongs to a counted upload
 * and "server CPU per upload" is not inflated by aborted tails.
 */
#ifndef BENCH_LG_RUN_H
#define BENCH_LG_RUN_H

#include <netinet/in.h>
#include <stdint.h>

#include "bench/lg_body.h"
#include "bench/lg_stats.h"

struct lg_config {
	struct sockaddr_in addr;
	char host[80];        /* Host header, "127.0.0.1:8080" */
	char path[256];       /* request target, "/upload" */
	char prefix[64];      /* filename prefix; unique per run */
	unsigned conns;       /* concurrent connections, >= 1 */
	double duration_s;    /* run length; 0 = until requests are done */
	uint64_t requests;    /* total requests; 0 = until the deadline */
	double timeout_s;     /* a request with no progress this long fails */
};

/* Status classes: index = status / 100 (1xx..5xx). */
#define LG_CLASSES 6

struct lg_result {
	uint64_t ok;                  /* 2xx answers */
	uint64_t non2xx;              /* answers with any other final status */
	uint64_t errors;              /* connection failures, timeouts, bad answers */
	uint64_t unfinished;          /* in flight when the drain timed out */
	uint64_t connects;            /* TCP connections opened */
	uint64_t by_class[LG_CLASSES];
	double elapsed_s;             /* first request to last answer */
	struct lg_samples lat;        /* latency of each 2xx answer */
	unsigned first_bad_status;    /* first non-2xx status, 0 if none */
	char first_bad_body[200];     /* its body's start, for the report */
	char first_error[256];        /* first error sentence, "" if none */
};

/* Runs the load described by cfg with body b. Fills *res (the caller frees
 * res->lat with lg_samples_free). Returns 0 when the run took place, even
 * if requests failed or no connection could be made: those are counted in
 * res->errors and res->first_error says why. Returns -ENOMEM or another
 * -errno only when the run could not be set up. Call from one thread. */
int lg_run(const struct lg_config *cfg, const struct lg_body *b,
	   struct lg_result *res);

#endif
