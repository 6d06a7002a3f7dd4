/* Multipart upload requests for the load generator (see lg_body.h). */
#include "bench/lg_body.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: fast, and good enough that the payload does not compress or
 * repeat; seed 0 is mapped away because it is a fixed point. */
static uint64_t next_random(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static void fill(char *p, size_t n, uint64_t *state)
{
	while (n >= 8) {
		uint64_t v = next_random(state);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t v = next_random(state);

		memcpy(p, &v, n);
	}
}

static void make_boundary(char *out, uint64_t *state)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuv";

	memcpy(out, "lgbound", 7);
	for (int i = 7; i < LG_BOUNDARY_LEN; i++)
		out[i] = alphabet[next_random(state) % 32];
	out[LG_BOUNDARY_LEN] = '\0';
}

int lg_body_init(struct lg_body *b, uint64_t size, uint64_t seed)
{
	char delim[LG_BOUNDARY_LEN + 5];
	uint64_t state = seed ? seed : 0x9E3779B97F4A7C15ull;

	memset(b, 0, sizeof(*b));
	if (size == 0 || size > LG_SIZE_MAX)
		return -EINVAL;
	b->payload = malloc(size);
	if (!b->payload)
		return -ENOMEM;
	b->size = size;
	fill(b->payload, size, &state);
	/* A multipart body must not contain its own delimiter. With 25
	 * random characters a collision is astronomically unlikely, but the
	 * check is cheap next to the fill, so prove it instead. */
	do {
		make_boundary(b->boundary, &state);
		snprintf(delim, sizeof(delim), "\r\n--%s", b->boundary);
	} while (memmem(b->payload, size, delim, strlen(delim)));
	b->tail_len = (size_t)snprintf(b->tail, sizeof(b->tail), "\r\n--%s--\r\n",
				       b->boundary);
	return 0;
}

void lg_body_free(struct lg_body *b)
{
	free(b->payload);
	b->payload = NULL;
	b->size = 0;
}

ssize_t lg_body_head(const struct lg_body *b, const char *host,
		     const char *path, const char *filename,
		     const char *version, char *out, size_t cap)
{
	char parts[1024];
	int plen, hlen;

	plen = snprintf(parts, sizeof(parts),
		"--%s\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\n%s\r\n"
		"--%s\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n%s\r\n"
		"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n",
		b->boundary, filename, b->boundary, version, b->boundary);
	if (plen < 0 || (size_t)plen >= sizeof(parts))
		return -ENOSPC;
	hlen = snprintf(out, cap,
		"POST %s HTTP/1.1\r\nHost: %s\r\n"
		"Content-Type: multipart/form-data; boundary=%s\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		path, host, b->boundary,
		(size_t)plen + b->size + b->tail_len, parts);
	if (hlen < 0 || (size_t)hlen >= cap)
		return -ENOSPC;
	return hlen;
}
