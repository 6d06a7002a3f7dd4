/* HTTP/1.x message-head parser for the benchmark tools (see httphead.h). */
#include "bench/httphead.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* One header line, without its CRLF. */
struct line {
	const char *p;
	size_t len;
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims optional white space at both ends. */
static struct line trim(struct line l)
{
	while (l.len > 0 && is_ows(l.p[0])) {
		l.p++;
		l.len--;
	}
	while (l.len > 0 && is_ows(l.p[l.len - 1]))
		l.len--;
	return l;
}

static bool eq_nocase(struct line l, const char *s)
{
	return l.len == strlen(s) && strncasecmp(l.p, s, l.len) == 0;
}

/* True when the comma-separated list l holds token tok (any case). */
static bool has_token(struct line l, const char *tok)
{
	while (l.len > 0) {
		const char *comma = memchr(l.p, ',', l.len);
		size_t n = comma ? (size_t)(comma - l.p) : l.len;
		struct line t = trim((struct line){ l.p, n });

		if (eq_nocase(t, tok))
			return true;
		l.p += comma ? n + 1 : n;
		l.len -= comma ? n + 1 : n;
	}
	return false;
}

/* Decimal without sign or junk; false on overflow. */
static bool parse_u64(struct line l, uint64_t *out)
{
	uint64_t v = 0;

	if (l.len == 0 || l.len > 19)
		return false;
	for (size_t i = 0; i < l.len; i++) {
		if (l.p[i] < '0' || l.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(l.p[i] - '0');
	}
	*out = v;
	return true;
}

/* "HTTP/1.0" or "HTTP/1.1" at p; sets *v10 for 1.0. */
static bool parse_version(const char *p, size_t len, bool *v10)
{
	if (len != 8 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1'))
		return false;
	*v10 = p[7] == '0';
	return true;
}

/* "HTTP/1.1 201 Created" */
static int parse_status_line(struct line l, struct http_head *h, bool *v10)
{
	if (l.len < 12 || !parse_version(l.p, 8, v10) || l.p[8] != ' ')
		return -EINVAL;
	for (int i = 9; i < 12; i++)
		if (l.p[i] < '0' || l.p[i] > '9')
			return -EINVAL;
	if (l.len > 12 && l.p[12] != ' ')
		return -EINVAL;
	h->status = (unsigned)((l.p[9] - '0') * 100 + (l.p[10] - '0') * 10 +
			       (l.p[11] - '0'));
	return h->status >= 100 ? 0 : -EINVAL;
}

/* RFC 9110 tchar: what a method may be made of. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "POST /upload HTTP/1.1" */
static int parse_request_line(struct line l, struct http_head *h, bool *v10)
{
	const char *sp1 = memchr(l.p, ' ', l.len), *sp2;
	size_t mlen;

	if (!sp1)
		return -EINVAL;
	mlen = (size_t)(sp1 - l.p);
	sp2 = memchr(sp1 + 1, ' ', l.len - mlen - 1);
	if (mlen == 0 || mlen >= sizeof(h->method) || !sp2 || sp2 == sp1 + 1 ||
	    !parse_version(sp2 + 1, (size_t)(l.p + l.len - sp2 - 1), v10))
		return -EINVAL;
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(l.p[i]))
			return -EINVAL; /* also catches a stray byte of a body */
	for (const char *t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return -EINVAL;
	memcpy(h->method, l.p, mlen);
	h->method[mlen] = '\0';
	return 0;
}

/* Applies one "Name: value" line to h. */
static int parse_field(struct line l, struct http_head *h, bool *keep_alive)
{
	const char *colon = memchr(l.p, ':', l.len);
	struct line name, value;
	uint64_t n;

	if (!colon || colon == l.p)
		return -EINVAL;
	name = (struct line){ l.p, (size_t)(colon - l.p) };
	value = trim((struct line){ colon + 1, l.len - name.len - 1 });
	if (is_ows(name.p[name.len - 1]))
		return -EINVAL; /* RFC 9112: no space before the colon */
	if (eq_nocase(name, "content-length")) {
		if (!parse_u64(value, &n) ||
		    (h->has_length && n != h->content_length))
			return -EINVAL;
		h->content_length = n;
		h->has_length = true;
	} else if (eq_nocase(name, "transfer-encoding")) {
		h->chunked = value.len >= 7 &&
			     strncasecmp(value.p + value.len - 7, "chunked", 7) == 0;
	} else if (eq_nocase(name, "connection")) {
		if (has_token(value, "close"))
			h->close = true;
		if (has_token(value, "keep-alive"))
			*keep_alive = true;
	} else if (eq_nocase(name, "expect")) {
		h->expect_continue = eq_nocase(value, "100-continue");
	}
	return 0;
}

int http_head_parse(const char *buf, size_t len, bool response,
		    size_t max_head, struct http_head *h)
{
	size_t scan = len < max_head ? len : max_head;
	const char *end = memmem(buf, scan, "\r\n\r\n", 4);
	const char *p = buf, *eol;
	bool v10 = false, keep_alive = false;
	int err;

	if (!end)
		return len >= max_head ? -E2BIG : 0;
	memset(h, 0, sizeof(*h));
	h->head_len = (size_t)(end - buf) + 4;
	eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
	err = response ? parse_status_line((struct line){ p, (size_t)(eol - p) }, h, &v10)
		       : parse_request_line((struct line){ p, (size_t)(eol - p) }, h, &v10);
	if (err)
		return err;
	for (p = eol + 2; p < end + 2; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		err = parse_field((struct line){ p, (size_t)(eol - p) }, h,
				  &keep_alive);
		if (err)
			return err;
	}
	/* HTTP/1.0 closes unless it asks to stay open. */
	if (v10 && !keep_alive)
		h->close = true;
	return 1;
}
