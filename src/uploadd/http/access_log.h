/* The access log: one logfmt line per request on stderr, e.g.
 *   uploadd: access peer=127.0.0.1 method=POST path=/upload status=201
 *   in=1048771 out=236 ms=12.345
 * with " end=client-abort" (or timeout, shutdown, error) when the request
 * did not complete. Paths are escaped (bytes outside printable ASCII,
 * spaces, quotes and '%' become %XX), so a line is always one line and
 * always parses. */
#ifndef UPLOADD_ACCESS_LOG_H
#define UPLOADD_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

struct access_entry {
	const char *peer;
	const char *method;
	const char *path; /* raw request path */
	unsigned status;  /* 0: no response was sent */
	uint64_t bytes_in, bytes_out;
	double ms;
	const char *end;  /* NULL when completed, else why it ended */
};

/* Formats e into buf (always NUL-terminated, ends with '\n'). Returns the
 * length. Pure. */
size_t access_log_format(char *buf, size_t cap, const struct access_entry *e);

/* Writes the line for e to stderr in one write. Any thread. */
void access_log_write(const struct access_entry *e);

#endif
