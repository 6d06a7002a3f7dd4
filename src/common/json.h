/* A small streaming JSON writer used by every --json output and by uploadd's
 * API responses.
 *
 * It writes straight to a stdio stream (use open_memstream() for a buffer),
 * tracks commas and nesting itself, and always emits valid UTF-8: bytes that
 * are not valid UTF-8 (thread names and paths read from other processes can
 * hold anything) become U+FFFD. Not thread-safe: one writer per thread.
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *f;
	int depth;
	bool pretty;
	bool after_key;              /* a key was written, the value is next */
	bool has_items[JSON_MAX_DEPTH];
};

/* Starts a writer on f (not owned). pretty adds newlines and indentation. */
void json_init(struct json_writer *w, FILE *f, bool pretty);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
/* Writes len bytes of s as a string; NUL bytes become \u0000. */
void json_string_n(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
/* Non-finite values are written as null (JSON has no NaN). */
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* Writes "0x..." as a string: addresses stay exact in every JSON parser. */
void json_hex(struct json_writer *w, uint64_t v);

/* key + value shorthands */
void json_kv_string(struct json_writer *w, const char *k, const char *v);
void json_kv_int(struct json_writer *w, const char *k, int64_t v);
void json_kv_uint(struct json_writer *w, const char *k, uint64_t v);
void json_kv_double(struct json_writer *w, const char *k, double v);
void json_kv_bool(struct json_writer *w, const char *k, bool v);
void json_kv_hex(struct json_writer *w, const char *k, uint64_t v);

/* Ends the document: a newline after the top-level value. */
void json_end_document(struct json_writer *w);

#endif
