/* The public API's URL space: which route a raw request path names, with
 * its file name and version percent-decoded and validated. Pure.
 *
 * MHD is told not to unescape paths (http.c), so "%2F" cannot pose as a
 * separator: the raw path is split on '/' first, then each segment is
 * percent-decoded and held to validate.h's grammar. A name that fails gives
 * ROUTE_BAD_NAME (400), never a lookup.
 *
 *   POST     /upload
 *   GET|HEAD /files/{filename}                  versions (JSON)
 *   GET|HEAD /files/{filename}/{version}        the file
 *   GET|HEAD /files/{filename}/{version}/meta   metadata (JSON)
 *   GET|HEAD /healthz, /metrics
 */
#ifndef UPLOADD_ROUTES_H
#define UPLOADD_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "uploadd/http/validate.h"

enum route_kind {
	ROUTE_NOT_FOUND,
	ROUTE_BAD_NAME, /* a route, but its name or version is invalid */
	ROUTE_UPLOAD,
	ROUTE_LIST,
	ROUTE_DOWNLOAD,
	ROUTE_META,
	ROUTE_HEALTHZ,
	ROUTE_METRICS,
};

struct route {
	enum route_kind kind;
	char filename[FILENAME_MAX_LEN + 1];
	size_t filename_len;
	char version[VERSION_MAX_LEN + 1];
	char detail[128]; /* why, for ROUTE_BAD_NAME */
};

/* Classifies a raw (not unescaped) path; fills r. Any thread. */
void route_parse(const char *path, struct route *r);

/* True when method may be used on a route of this kind. */
bool route_allows(enum route_kind kind, const char *method);

/* The Allow header value for a route kind ("GET, HEAD" or "POST"). */
const char *route_allow_header(enum route_kind kind);

/* Percent-decodes src[0..len) into dst (capacity cap, no terminator added).
 * Returns the decoded length, -1 for a malformed escape or -2 when the result
 * would not fit. Any thread. */
long percent_decode(const char *src, size_t len, char *dst, size_t cap);

/* Percent-encodes s into out (cap > 0 bytes, always NUL-terminated) as
 * %XX for every byte keep() rejects. Stops early rather than split an
 * escape when out is too small; returns false then. Any thread. */
bool percent_encode_with(const char *s, bool (*keep)(unsigned char c),
			 char *out, size_t cap);

/* percent_encode_with() keeping only RFC 3986 unreserved characters
 * (letters, digits, - . _ ~): safe as a URL path segment and as an RFC 8187
 * ext-value (Content-Disposition filename*). */
void percent_encode(const char *s, char *out, size_t cap);

#endif
