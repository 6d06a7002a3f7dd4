/* Single byte-range parsing (see range.h). */
#include "uploadd/http/range.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses a run of digits at *p into *v; false on no digits or overflow. */
static bool parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*p = s;
	*v = n;
	return true;
}

enum range_result range_parse(const char *header, uint64_t size,
			      struct byte_range *r)
{
	const char *p = header;
	uint64_t a = 0, b = 0;
	bool has_first, has_last;

	if (!p)
		return RANGE_NONE;
	while (is_space(*p))
		p++;
	if (strncasecmp(p, "bytes", 5) != 0)
		return RANGE_NONE;
	p += 5;
	while (is_space(*p))
		p++;
	if (*p++ != '=')
		return RANGE_NONE;
	while (is_space(*p))
		p++;
	has_first = parse_u64(&p, &a);
	if (*p++ != '-')
		return RANGE_NONE;
	has_last = parse_u64(&p, &b);
	while (is_space(*p))
		p++;
	if (*p != '\0') /* a list of ranges or junk */
		return RANGE_NONE;
	if (!has_first) {
		/* Suffix: the last b bytes. */
		if (!has_last)
			return RANGE_NONE;
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		r->first = b >= size ? 0 : size - b;
		r->last = size - 1;
		return RANGE_OK;
	}
	if (has_last && b < a)
		return RANGE_NONE; /* invalid syntax per the RFC: ignore */
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	r->first = a;
	r->last = has_last && b < size - 1 ? b : size - 1;
	return RANGE_OK;
}
