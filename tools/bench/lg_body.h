/* The upload request the load generator sends: a multipart/form-data body
 * with the fields filename, version and file, in that order (names first,
 * so uploadd can refuse a duplicate before the file streams in).
 *
 * The file bytes (pseudo-random, so nothing downstream can shortcut them)
 * are generated once and shared, read-only, by every request of every
 * connection; only the small head that carries the unique filename and
 * version is formatted per request. A request is therefore three pieces sent
 * with one writev: head, payload, tail. This is what lets one client thread
 * drive 16 MiB uploads without copying 16 MiB per request. Pure apart from
 * malloc, so unit tests call it directly.
 */
#ifndef BENCH_LG_BODY_H
#define BENCH_LG_BODY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_BOUNDARY_LEN 32           /* characters in the boundary */
#define LG_SIZE_MAX (1ull << 30)     /* largest payload: 1 GiB */

struct lg_body {
	char *payload;                      /* size bytes, owned */
	size_t size;
	char boundary[LG_BOUNDARY_LEN + 1];
	char tail[LG_BOUNDARY_LEN + 9];     /* "\r\n--B--\r\n" */
	size_t tail_len;
};

/* Generates a payload of size bytes (1..LG_SIZE_MAX) from seed and a
 * boundary that does not occur in it. Returns 0 or -errno (-EINVAL for a
 * bad size, -ENOMEM). The caller frees with lg_body_free(). */
int lg_body_init(struct lg_body *b, uint64_t size, uint64_t seed);

/* Frees the payload. Safe on a zeroed or already freed body. */
void lg_body_free(struct lg_body *b);

/* Formats the request line, headers and the multipart part heads up to the
 * first payload byte into out[0..cap): POST path, Host host, Content-Length
 * of the whole body, fields filename and version. Returns the length, or
 * -ENOSPC when cap is too small. The bytes that follow on the wire are
 * b->payload then b->tail. Any thread; b is only read. */
ssize_t lg_body_head(const struct lg_body *b, const char *host,
		     const char *path, const char *filename,
		     const char *version, char *out, size_t cap);

#endif
