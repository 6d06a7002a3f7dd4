/* A minimal HTTP/1.x message-head parser for the benchmark tools.
 *
 * The load generator parses response heads with it and the sink parses
 * request heads. It reads only what those two need to frame messages on a
 * keep-alive connection: the status code or method, Content-Length,
 * Transfer-Encoding: chunked, Connection: close (or HTTP/1.0 without
 * keep-alive) and Expect: 100-continue. Pure: no I/O, so unit tests call it
 * directly.
 */
#ifndef BENCH_HTTPHEAD_H
#define BENCH_HTTPHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_head {
	size_t head_len;         /* bytes through the blank line ending the head */
	unsigned status;         /* response: 100..999; request: 0 */
	char method[16];         /* request: the method; response: "" */
	uint64_t content_length; /* valid when has_length */
	bool has_length;
	bool chunked;            /* Transfer-Encoding ends in "chunked" */
	bool close;              /* the connection ends after this message */
	bool expect_continue;    /* request: Expect: 100-continue */
};

/* Parses the head at the start of buf[0..len). response selects a status
 * line ("HTTP/1.1 201 Created") over a request line ("POST /x HTTP/1.1").
 * Returns 1 with *h filled when the head is complete, 0 when more bytes are
 * needed, -EINVAL when the bytes are not an HTTP/1.x head, -E2BIG when no
 * head ends within max_head bytes. Any thread; buf is only read. */
int http_head_parse(const char *buf, size_t len, bool response,
		    size_t max_head, struct http_head *h);

#endif
