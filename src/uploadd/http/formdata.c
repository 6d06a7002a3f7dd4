/* Streaming multipart/form-data splitter (see formdata.h). */
#include "uploadd/http/formdata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <emmintrin.h>
#include <immintrin.h>

static int fp_fail(struct fp_parser *p, const char *why)
{
	p->stage = FP_ERROR;
	p->error = why;
	return -EBADMSG;
}

static int cancel(struct fp_parser *p)
{
	p->stage = FP_ERROR;
	p->cancelled = true;
	p->error = "stopped by the field callback";
	return -ECANCELED;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses one "; key=value" parameter list entry starting at s (after the
 * ';'). Writes the key's bounds and the unquoted value into val (at most
 * vcap - 1 bytes, NUL-terminated); *toolong when it did not fit. Returns
 * where the next entry starts (after its ';') or the end of s. */
static const char *next_param(const char *s, const char **key, size_t *klen,
			      char *val, size_t vcap, bool *toolong)
{
	size_t v = 0;

	*toolong = false;
	while (is_space(*s))
		s++;
	*key = s;
	while (*s && *s != '=' && *s != ';' && !is_space(*s))
		s++;
	*klen = (size_t)(s - *key);
	while (is_space(*s))
		s++;
	if (*s == '=') {
		s++;
		while (is_space(*s))
			s++;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (v + 1 < vcap)
					val[v++] = *s;
				else
					*toolong = true;
			}
			if (*s == '"')
				s++;
		} else {
			for (; *s && *s != ';' && !is_space(*s); s++) {
				if (v + 1 < vcap)
					val[v++] = *s;
				else
					*toolong = true;
			}
		}
	}
	val[v] = '\0';
	while (*s && *s != ';')
		s++;
	return *s == ';' ? s + 1 : s;
}

int fp_init(struct fp_parser *p, const char *ct, fp_field_fn cb, void *cls)
{
	static const char type[] = "multipart/form-data";
	char val[FP_BOUNDARY_MAX + 2];
	const char *s, *key;
	size_t klen;
	bool toolong;

	memset(p, 0, sizeof(*p));
	p->cb = cb;
	p->cls = cls;
	p->stage = FP_ERROR;
	if (!ct || strncasecmp(ct, type, sizeof(type) - 1) != 0) {
		p->error = "the Content-Type is not multipart/form-data";
		return -EINVAL;
	}
	s = strchr(ct + sizeof(type) - 1, ';');
	while (s && *s) {
		s = next_param(*s == ';' ? s + 1 : s, &key, &klen, val,
			       sizeof(val), &toolong);
		if (klen != 8 || strncasecmp(key, "boundary", 8) != 0)
			continue;
		p->dlen = strlen(val);
		if (toolong || p->dlen == 0 || p->dlen > FP_BOUNDARY_MAX ||
		    strpbrk(val, "\r\n")) {
			p->error = "the Content-Type's boundary is empty, longer "
				   "than 200 bytes or holds a line break";
			return -EINVAL;
		}
		memcpy(p->delim, "\r\n--", 4);
		memcpy(p->delim + 4, val, p->dlen + 1);
		p->dlen += 4;
		/* The first boundary may open the body without a CRLF
		 * before it: search as if the body began with one. */
		memcpy(p->carry, "\r\n", 2);
		p->clen = 2;
		p->stage = FP_PREAMBLE;
		return 0;
	}
	p->error = "the Content-Type has no boundary";
	return -EINVAL;
}

void fp_free(struct fp_parser *p)
{
	free(p->head);
	p->head = NULL;
	p->hlen = p->hcap = 0;
}

/* Hands len bytes of the current part to the callback (nothing in the
 * preamble). Returns 0 or -ECANCELED. */
static int emit(struct fp_parser *p, const char *data, size_t len)
{
	if (len == 0 || p->stage == FP_PREAMBLE)
		return 0;
	if (p->cb(p->cls, p->name, p->off, data, len) != 0)
		return cancel(p);
	p->off += len;
	return 0;
}

/* Finds the delimiter d (dlen >= 5 bytes, starting with CR) in h[0..n).
 * Each block of positions is tested against the delimiter's first and
 * last bytes at once (SIMD compares of two shifted loads); on random file
 * bytes only one position in 65,536 passes both, and only those are
 * compared in full. Memory-bound: measured at the speed of memcpy, where
 * glibc's memmem took twice that inside uploadd (profiled on 1 MiB
 * uploads). Returns the first match or NULL. */
/* The positions set in mask m, from block offset i on, whose bytes
 * match the whole delimiter (first and last bytes already do). */
static inline const char *match_in_block(const char *h, size_t i, unsigned m,
					 const char *d, size_t dlen)
{
	while (m) {
		size_t k = (size_t)__builtin_ctz(m);

		if (memcmp(h + i + k + 1, d + 1, dlen - 2) == 0)
			return h + i + k;
		m &= m - 1;
	}
	return NULL;
}

/* The positions from i on that a full vector block no longer covers. */
static const char *find_tail(const char *h, size_t i, size_t n, const char *d,
			     size_t dlen)
{
	for (; i + dlen <= n; i++)
		if (h[i] == d[0] && memcmp(h + i, d, dlen) == 0)
			return h + i;
	return NULL;
}

__attribute__((target("avx2")))
static const char *find_avx2(const char *h, size_t n, const char *d, size_t dlen)
{
	const __m256i first = _mm256_set1_epi8(d[0]);
	const __m256i last = _mm256_set1_epi8(d[dlen - 1]);
	size_t i = 0;

	for (; i + 32 + dlen - 1 <= n; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(h + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(h + i + dlen - 1));
		unsigned m = (unsigned)_mm256_movemask_epi8(
			_mm256_and_si256(_mm256_cmpeq_epi8(a, first),
					 _mm256_cmpeq_epi8(b, last)));
		const char *hit = m ? match_in_block(h, i, m, d, dlen) : NULL;

		if (hit)
			return hit;
	}
	return find_tail(h, i, n, d, dlen);
}

static const char *find_sse2(const char *h, size_t n, const char *d, size_t dlen)
{
	const __m128i first = _mm_set1_epi8(d[0]);
	const __m128i last = _mm_set1_epi8(d[dlen - 1]);
	size_t i = 0;

	for (; i + 16 + dlen - 1 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(h + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(h + i + dlen - 1));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(a, first),
				      _mm_cmpeq_epi8(b, last)));
		const char *hit = m ? match_in_block(h, i, m, d, dlen) : NULL;

		if (hit)
			return hit;
	}
	return find_tail(h, i, n, d, dlen);
}

static int avx2 = -1; /* unknown; every thread finds the same answer */

void fp_set_simd(bool use_avx2)
{
	__atomic_store_n(&avx2, use_avx2 && __builtin_cpu_supports("avx2"),
			 __ATOMIC_RELAXED);
}

static const char *find_delim(const struct fp_parser *p, const char *h, size_t n)
{
	int has = __atomic_load_n(&avx2, __ATOMIC_RELAXED);

	if (has < 0) {
		has = __builtin_cpu_supports("avx2") ? 1 : 0;
		__atomic_store_n(&avx2, has, __ATOMIC_RELAXED);
	}
	return has ? find_avx2(h, n, p->delim, p->dlen) :
	       find_sse2(h, n, p->delim, p->dlen);
}

/* True when the len bytes at s are a prefix of the delimiter. */
static bool delim_prefix(const struct fp_parser *p, const char *s, size_t len)
{
	return memcmp(s, p->delim, len) == 0;
}

/* Body or preamble: emits bytes up to the next delimiter. Sets *found and
 * returns the bytes of data consumed (through the delimiter when found,
 * else all of them, some perhaps held back in carry), or -errno. */
static long scan(struct fp_parser *p, const char *data, size_t len,
		 bool *found)
{
	const char *hit;
	size_t keep;
	int err;

	*found = false;
	if (p->clen) {
		/* Could a delimiter begin in the held-back bytes? */
		char win[2 * FP_DELIM_MAX];
		size_t n = len < p->dlen - 1 ? len : p->dlen - 1;
		size_t wlen = p->clen + n, i;

		memcpy(win, p->carry, p->clen);
		memcpy(win + p->clen, data, n);
		for (i = 0; i < p->clen; i++) {
			size_t have = wlen - i;

			if (win[i] != '\r')
				continue;
			if (have >= p->dlen && delim_prefix(p, win + i, p->dlen)) {
				err = emit(p, p->carry, i);
				p->clen = 0;
				*found = true;
				return err ? err : (long)(i + p->dlen - (wlen - n));
			}
			if (have < p->dlen && n == len &&
			    delim_prefix(p, win + i, have)) {
				/* Still undecided: keep holding from i. */
				err = emit(p, p->carry, i);
				memmove(p->carry, win + i, have);
				p->clen = have;
				return err ? err : (long)len;
			}
		}
		err = emit(p, p->carry, p->clen);
		p->clen = 0;
		if (err)
			return err;
	}
	hit = find_delim(p, data, len);
	if (hit) {
		*found = true;
		err = emit(p, data, (size_t)(hit - data));
		return err ? err : (long)(hit - data) + (long)p->dlen;
	}
	/* Hold back the longest tail that may begin a delimiter. */
	keep = 0;
	for (size_t i = len > p->dlen - 1 ? len - (p->dlen - 1) : 0; i < len; i++) {
		if (data[i] == '\r' && delim_prefix(p, data + i, len - i)) {
			keep = len - i;
			break;
		}
	}
	err = emit(p, data, len - keep);
	if (err)
		return err;
	memcpy(p->carry, data + len - keep, keep);
	p->clen = keep;
	return (long)len;
}

/* Just after a delimiter: "--" ends the body; else optional padding (RFC
 * 2046 transport padding: spaces and tabs) and a line end begin a part's
 * head. Returns the bytes consumed or -EBADMSG. */
static long after_delim(struct fp_parser *p, const char *data, size_t len)
{
	size_t i;

	/* after_state: 0 start, 1 one '-', 2 CR seen, 3 in padding */
	for (i = 0; i < len; i++) {
		char c = data[i];

		switch (p->after_state) {
		case 0:
		case 3:
			if (c == '-' && p->after_state == 0) {
				p->after_state = 1;
			} else if (is_space(c)) {
				p->after_state = 3;
			} else if (c == '\r') {
				p->after_state = 2;
			} else if (c == '\n') {
				p->stage = FP_HEAD;
				return (long)i + 1;
			} else {
				return fp_fail(p, "a boundary is followed by "
					       "neither a line end nor \"--\"");
			}
			break;
		case 1:
			if (c != '-')
				return fp_fail(p, "a boundary is followed by "
					       "a single \"-\"");
			p->stage = FP_END;
			return (long)i + 1;
		default:
			if (c != '\n')
				return fp_fail(p, "a boundary's line ends in a "
					       "CR without LF");
			p->stage = FP_HEAD;
			return (long)i + 1;
		}
	}
	return (long)len;
}

/* Reads the field name out of a Content-Disposition value (after the
 * ':'). Returns 0 or -EBADMSG (name too long). */
static int disposition_name(struct fp_parser *p, const char *v)
{
	char val[FP_NAME_MAX + 2];
	const char *key;
	size_t klen;
	bool toolong;

	v = strchr(v, ';');
	while (v && *v) {
		v = next_param(*v == ';' ? v + 1 : v, &key, &klen, val,
			       sizeof(val), &toolong);
		if (klen != 4 || strncasecmp(key, "name", 4) != 0)
			continue;
		if (toolong || strlen(val) > FP_NAME_MAX)
			return fp_fail(p, "a part's field name is longer than "
				       "255 bytes");
		memcpy(p->name, val, strlen(val) + 1);
		return 0;
	}
	return 0;
}

/* The head in p->head is complete (its last line empty): finds the field
 * name and announces the part. Returns 0 or -errno. */
static int head_done(struct fp_parser *p)
{
	static const char cd[] = "content-disposition:";
	char *line = p->head, *end = p->head + p->hlen, *nl;

	p->name[0] = '\0';
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strncasecmp(line, cd, sizeof(cd) - 1) == 0 &&
		    disposition_name(p, line + sizeof(cd) - 1) < 0)
			return -EBADMSG;
	}
	p->hlen = 0;
	p->off = 0;
	p->stage = FP_BODY;
	if (p->cb(p->cls, p->name, 0, "", 0) != 0)
		return cancel(p);
	return 0;
}

/* A part's head: lines up to an empty one. Returns the bytes consumed or
 * -errno. */
static long head(struct fp_parser *p, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
		size_t start = p->hlen;

		if (p->hlen + n + 1 > FP_HEAD_MAX)
			return fp_fail(p, "a part's head is longer than 16 KiB");
		if (p->hlen + n + 1 > p->hcap) {
			size_t cap = p->hcap ? p->hcap : 512;
			char *h;

			while (cap < p->hlen + n + 1)
				cap *= 2;
			if (cap > FP_HEAD_MAX)
				cap = FP_HEAD_MAX;
			h = realloc(p->head, cap);
			if (!h)
				return fp_fail(p, "out of memory for a part's head");
			p->head = h;
			p->hcap = cap;
		}
		memcpy(p->head + p->hlen, data + i, n);
		p->hlen += n;
		i += n;
		if (!nl)
			break;
		/* The line just completed: is it empty? Find its start. */
		while (start > 0 && p->head[start - 1] != '\n')
			start--;
		if (p->hlen - start == 1 ||
		    (p->hlen - start == 2 && p->head[start] == '\r')) {
			int err;

			p->hlen = start; /* the empty line is not a header */
			err = head_done(p);
			return err ? err : (long)i;
		}
	}
	return (long)len;
}

int fp_feed(struct fp_parser *p, const char *data, size_t len)
{
	while (len > 0) {
		long used;
		bool found;

		switch (p->stage) {
		case FP_PREAMBLE:
		case FP_BODY:
			used = scan(p, data, len, &found);
			if (used >= 0 && found) {
				p->stage = FP_AFTER;
				p->after_state = 0;
			}
			break;
		case FP_AFTER:
			used = after_delim(p, data, len);
			break;
		case FP_HEAD:
			used = head(p, data, len);
			break;
		case FP_END:
			return 0; /* the epilogue is ignored */
		default:
			return p->cancelled ? -ECANCELED : -EBADMSG;
		}
		if (used < 0)
			return (int)used;
		data += used;
		len -= (size_t)used;
	}
	return 0;
}

int fp_finish(struct fp_parser *p)
{
	if (p->stage == FP_END)
		return 0;
	if (p->stage != FP_ERROR)
		fp_fail(p, "the body ends before its closing boundary");
	return -EBADMSG;
}
