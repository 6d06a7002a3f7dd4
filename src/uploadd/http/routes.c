/* Route parsing for the public listener (see routes.h). */
#include "uploadd/http/routes.h"

#include <stdio.h>
#include <string.h>

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long percent_decode(const char *src, size_t len, char *dst, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = hex_val(src[i + 1]);
			lo = hex_val(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o == cap)
			return -2;
		dst[o++] = c;
	}
	return (long)o;
}

bool percent_encode_with(const char *s, bool (*keep)(unsigned char c),
			 char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = keep(*p);

		if (o + (plain ? 1 : 3) >= cap) {
			out[o] = '\0';
			return false;
		}
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return true;
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

void percent_encode(const char *s, char *out, size_t cap)
{
	percent_encode_with(s, is_unreserved, out, cap);
}

/* Decodes and validates the filename segment. */
static bool route_set_filename(struct route *r, const char *seg, size_t len)
{
	long n = percent_decode(seg, len, r->filename, FILENAME_MAX_LEN);
	const char *why;

	if (n == -1) {
		snprintf(r->detail, sizeof(r->detail),
			 "invalid filename: malformed percent-encoding");
		return false;
	}
	if (n == -2) {
		snprintf(r->detail, sizeof(r->detail),
			 "invalid filename: it is longer than 255 bytes");
		return false;
	}
	r->filename_len = (size_t)n;
	r->filename[n] = '\0';
	why = filename_problem(r->filename, r->filename_len);
	if (why) {
		snprintf(r->detail, sizeof(r->detail), "invalid filename: it %s",
			 why);
		return false;
	}
	return true;
}

/* Decodes and validates the version segment. */
static bool route_set_version(struct route *r, const char *seg, size_t len)
{
	long n = percent_decode(seg, len, r->version, VERSION_MAX_LEN);
	const char *why;

	if (n < 0) {
		snprintf(r->detail, sizeof(r->detail),
			 "invalid version: %s", n == -1 ?
			 "malformed percent-encoding" : "it is longer than 64 bytes");
		return false;
	}
	r->version[n] = '\0';
	why = version_problem(r->version, (size_t)n);
	if (why) {
		snprintf(r->detail, sizeof(r->detail), "invalid version: it %s",
			 why);
		return false;
	}
	return true;
}

void route_parse(const char *path, struct route *r)
{
	const char *seg[4];
	size_t seglen[4];
	unsigned nseg = 0;
	const char *p;

	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_NOT_FOUND;
	if (strcmp(path, "/upload") == 0) {
		r->kind = ROUTE_UPLOAD;
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		r->kind = ROUTE_HEALTHZ;
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		r->kind = ROUTE_METRICS;
		return;
	}
	if (strncmp(path, "/files/", 7) != 0)
		return;
	/* Split the rest on '/': filename [/ version [/ meta]]. Empty
	 * segments (a trailing or doubled slash) name nothing. */
	for (p = path + 7;; ) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0 || nseg == 3)
			return;
		seg[nseg] = p;
		seglen[nseg++] = len;
		if (!end)
			break;
		p = end + 1;
	}
	if (nseg == 3 && (seglen[2] != 4 || memcmp(seg[2], "meta", 4) != 0))
		return;
	r->kind = nseg == 1 ? ROUTE_LIST : nseg == 2 ? ROUTE_DOWNLOAD : ROUTE_META;
	if (!route_set_filename(r, seg[0], seglen[0]) ||
	    (nseg > 1 && !route_set_version(r, seg[1], seglen[1])))
		r->kind = ROUTE_BAD_NAME;
}

bool route_allows(enum route_kind kind, const char *method)
{
	if (kind == ROUTE_UPLOAD)
		return strcmp(method, "POST") == 0;
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

const char *route_allow_header(enum route_kind kind)
{
	return kind == ROUTE_UPLOAD ? "POST" : "GET, HEAD";
}
