/* Streaming JSON writer: commas, nesting, escaping and UTF-8 repair. */
#include "common/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	w->f = f;
	w->depth = 0;
	w->pretty = pretty;
	w->after_key = false;
	w->has_items[0] = false;
}

static void json_indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Called before every value or key: writes the separator it needs. */
static void json_before_item(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->has_items[w->depth])
			fputc(',', w->f);
		w->has_items[w->depth] = true;
		json_indent(w);
	}
}

static void json_open(struct json_writer *w, char c)
{
	json_before_item(w);
	fputc(c, w->f);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->has_items[w->depth] = false;
}

static void json_close(struct json_writer *w, char c)
{
	bool had = w->has_items[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had)
		json_indent(w);
	fputc(c, w->f);
}

void json_object_begin(struct json_writer *w) { json_open(w, '{'); }
void json_object_end(struct json_writer *w) { json_close(w, '}'); }
void json_array_begin(struct json_writer *w) { json_open(w, '['); }
void json_array_end(struct json_writer *w) { json_close(w, ']'); }

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Writes str quoted and escaped. Runs of characters that need no escape
 * go out in one fwrite: a call per character made this the slowest part of
 * a 10,000-thread snapshot's JSON. */
static void json_write_escaped(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;      /* s[run..i) goes out as it is */

	fputc('"', f);
	while (i < len) {
		unsigned char c = s[i];
		const char *esc = NULL;
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_seq_len(s + i, len - i))) {
			i += n;
			continue;
		}
		fwrite(s + run, 1, i - run, f);
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: break;
		}
		if (esc)
			fputs(esc, f);
		else if (c < 0x80)          /* other controls and DEL */
			fprintf(f, "\\u%04x", c);
		else                        /* invalid UTF-8 */
			fputs("\\ufffd", f);
		run = ++i;
	}
	fwrite(s + run, 1, i - run, f);
	fputc('"', f);
}

void json_key(struct json_writer *w, const char *key)
{
	json_before_item(w);
	json_write_escaped(w->f, key, strlen(key));
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t len)
{
	json_before_item(w);
	json_write_escaped(w->f, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_string_n(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
	json_before_item(w);
	fprintf(w->f, "%" PRId64, v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	json_before_item(w);
	fprintf(w->f, "%" PRIu64, v);
}

void json_double(struct json_writer *w, double v)
{
	json_before_item(w);
	if (!isfinite(v))
		fputs("null", w->f);
	else
		fprintf(w->f, "%.15g", v);
}

void json_bool(struct json_writer *w, bool v)
{
	json_before_item(w);
	fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w)
{
	json_before_item(w);
	fputs("null", w->f);
}

void json_hex(struct json_writer *w, uint64_t v)
{
	json_before_item(w);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

void json_kv_string(struct json_writer *w, const char *k, const char *v)
{
	json_key(w, k);
	json_string(w, v);
}

void json_kv_int(struct json_writer *w, const char *k, int64_t v)
{
	json_key(w, k);
	json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *k, uint64_t v)
{
	json_key(w, k);
	json_uint(w, v);
}

void json_kv_double(struct json_writer *w, const char *k, double v)
{
	json_key(w, k);
	json_double(w, v);
}

void json_kv_bool(struct json_writer *w, const char *k, bool v)
{
	json_key(w, k);
	json_bool(w, v);
}

void json_kv_hex(struct json_writer *w, const char *k, uint64_t v)
{
	json_key(w, k);
	json_hex(w, v);
}

void json_end_document(struct json_writer *w)
{
	fputc('\n', w->f);
}
