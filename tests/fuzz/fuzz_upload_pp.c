/* libFuzzer target: an upload body through uploadd's multipart splitter
 * (formdata.c) into its field state (multipart.c), the way upload.c wires
 * them: the Content-Type test, fp_init on the header, fp_feed on each
 * piece of the body with the callback feeding mp_feed (stop at the first
 * error, count file bytes), fp_finish and mp_finish at the end. Redis and
 * the hash/writer threads are left out: they never see bytes the field
 * state has not accepted.
 *
 * Input: the Content-Type value up to the first newline, then the body.
 * The body is parsed twice: whole, and in pieces whose sizes come from a
 * hash of the input (1 byte to 4 KiB), as the network would split it.
 * Checked: both parses give the same parts (names and bytes) and the same
 * outcome; file bytes are given only for the "file" field and never more
 * than the body had; every piece the callback gets lies inside the input
 * piece or the parser's own small carry buffer (nothing else is copied);
 * a 201 (all fields fine) comes with names that pass validate.c and a
 * non-empty file. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "uploadd/http/formdata.h"
#include "uploadd/http/multipart.h"
#include "uploadd/http/validate.h"

#define CT_MAX 256
#define LOG_MAX (1u << 20)

struct run {
	struct fp_parser fp;
	struct mp_state mp;
	bool failed;            /* mp_feed refused: the parse was stopped */
	uint64_t file_bytes;
	const char *piece;      /* the input piece being fed */
	size_t piece_len;
	char *log;              /* "name\0" + bytes per callback */
	size_t log_len;
};

static int on_field(void *cls, const char *name, uint64_t off,
		    const char *data, size_t size)
{
	struct run *r = cls;
	int ev;

	FZ_ASSERT(!r->failed); /* the parser stops after a refusal */
	/* Zero copy: pieces point into the input or the carry buffer. */
	FZ_ASSERT(size == 0 ||
		  (data >= r->piece && data + size <= r->piece + r->piece_len) ||
		  (data >= r->fp.carry &&
		   data + size <= r->fp.carry + sizeof(r->fp.carry)));
	ev = mp_feed(&r->mp, name, off, data, size);
	if (ev < 0) {
		FZ_ASSERT(r->mp.detail[0] != '\0');
		r->failed = true;
		return 1;
	}
	if (ev & MP_EV_FILE_DATA) {
		FZ_ASSERT(strcmp(name, "file") == 0);
		r->file_bytes += size;
	}
	/* The parts, as a flat log to compare the two parses by. */
	if (off == 0 && size == 0) {
		size_t n = strlen(name) + 1;

		if (r->log_len + n + 1 <= LOG_MAX) {
			r->log[r->log_len++] = '\n';
			memcpy(r->log + r->log_len, name, n);
			r->log_len += n;
		}
	} else if (r->log_len + size <= LOG_MAX) {
		memcpy(r->log + r->log_len, data, size);
		r->log_len += size;
	}
	return 0;
}

/* Returns the outcome as upload.c decides it: 201, 400 or 415. */
static unsigned parse(struct run *r, const char *ct, const char *body,
		      size_t len, uint32_t seed)
{
	unsigned status = 0;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	r->log = malloc(LOG_MAX);
	FZ_ASSERT(r->log != NULL);
	mp_init(&r->mp);
	if (!mp_is_form_data(ct))
		return 415;
	if (fp_init(&r->fp, ct, on_field, r) < 0) {
		FZ_ASSERT(r->fp.error != NULL);
		return 400;
	}
	while (off < len && !status) {
		size_t n = len - off;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 8) % 4096;
			if (n > len - off)
				n = len - off;
		}
		r->piece = body + off;
		r->piece_len = n;
		if (fp_feed(&r->fp, body + off, n) < 0)
			status = 400;
		off += n;
	}
	if (!status && (fp_finish(&r->fp) < 0 || mp_finish(&r->mp) < 0))
		status = 400;
	if (!status) {
		FZ_ASSERT(r->mp.file_size == r->file_bytes && r->file_bytes > 0);
		FZ_ASSERT(filename_problem(r->mp.filename, r->mp.filename_len) == NULL);
		FZ_ASSERT(version_problem(r->mp.version, r->mp.version_len) == NULL);
		status = 201;
	}
	FZ_ASSERT(r->file_bytes <= len);
	fp_free(&r->fp);
	return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < CT_MAX ? size : CT_MAX);
	size_t ctlen = nl ? (size_t)(nl - data) : (size < CT_MAX ? size : CT_MAX);
	size_t blen = size - ctlen - (nl ? 1 : 0);
	const char *body = (const char *)data + size - blen;
	char ct[CT_MAX + 1];
	struct run whole, split;
	uint32_t seed = 2166136261u;
	unsigned a, b;

	memcpy(ct, data, ctlen);
	ct[ctlen] = '\0';
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	a = parse(&whole, ct, body, blen, 0);
	b = parse(&split, ct, body, blen, seed | 1);
	FZ_SAY("upload_pp: %u %u %s\n", a, b, whole.mp.detail);
	/* However the body is split, the same parts and the same outcome
	 * (a refusal may come at another byte: compare up to it). */
	FZ_ASSERT(a == b);
	if (a == 201) {
		FZ_ASSERT(whole.log_len == split.log_len);
		FZ_ASSERT(memcmp(whole.log, split.log, whole.log_len) == 0);
	}
	free(whole.log);
	free(split.log);
	return 0;
}
