/* libFuzzer target: uploadd's HTTP Range parser (range.c) on any header
 * text against any file size.
 *
 * Input: [file size, 8 bytes little-endian][header bytes]. Sizes are
 * folded so small files (0, 1, a few bytes) and huge ones both come up.
 *
 * Checked: a 206 range always lies inside the file (first <= last <
 * size) and, for "bytes=a-b" headers the parser accepted, agrees with an
 * independent reading of RFC 9110; 416 never comes for a range that
 * starts inside the file; anything else is "send the whole file". */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "uploadd/http/range.h"

/* sscanf-based reading of the plain forms "bytes=A-B", "bytes=A-" and
 * "bytes=-N" (no spaces), or false when the header is not one of them. */
static bool simple_form(const char *h, bool *has_a, uint64_t *a, bool *has_b,
			uint64_t *b)
{
	char tail;
	int used = 0;

	if (strncmp(h, "bytes=", 6) != 0)
		return false;
	h += 6;
	*has_a = *has_b = false;
	if (sscanf(h, "%" SCNu64 "-%n", a, &used) == 1 && used > 0 &&
	    h[0] >= '0' && h[0] <= '9') {
		*has_a = true;
		h += used;
	} else if (h[0] == '-') {
		h++;
	} else {
		return false;
	}
	if (h[0] >= '0' && h[0] <= '9') {
		if (sscanf(h, "%" SCNu64 "%n", b, &used) != 1)
			return false;
		*has_b = true;
		h += used;
	}
	return sscanf(h, "%c", &tail) != 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	uint64_t fsize = fz_u64(&in), a = 0, b = 0;
	struct byte_range r = { 0, 0 };
	bool has_a, has_b;
	char h[512];
	size_t len = in.n < sizeof(h) - 1 ? in.n : sizeof(h) - 1;
	enum range_result res;

	if (fsize >> 63)
		fsize &= 0xff;           /* half the inputs: small files */
	memcpy(h, in.p, len);
	h[len] = '\0';
	res = range_parse(h, fsize, &r);
	FZ_ASSERT(res == RANGE_NONE || res == RANGE_OK ||
		  res == RANGE_UNSATISFIABLE);
	if (res == RANGE_OK)
		FZ_ASSERT(r.first <= r.last && r.last < fsize);
	if (!simple_form(h, &has_a, &a, &has_b, &b) || strlen(h) != len ||
	    (has_a && a > UINT64_MAX / 2) || (has_b && b > UINT64_MAX / 2))
		return 0;
	/* Digits that overflow make sscanf saturate; those were cut above. */
	if (has_a && has_b && b < a) {
		FZ_ASSERT(res == RANGE_NONE);
	} else if (has_a) {
		if (a >= fsize) {
			FZ_ASSERT(res == RANGE_UNSATISFIABLE);
		} else {
			FZ_ASSERT(res == RANGE_OK && r.first == a);
			FZ_ASSERT(r.last == (has_b && b < fsize - 1 ? b : fsize - 1));
		}
	} else if (has_b) {
		if (b == 0 || fsize == 0) {
			FZ_ASSERT(res == RANGE_UNSATISFIABLE);
		} else {
			FZ_ASSERT(res == RANGE_OK && r.last == fsize - 1);
			FZ_ASSERT(r.first == (b >= fsize ? 0 : fsize - b));
		}
	} else {
		FZ_ASSERT(res == RANGE_NONE);   /* "bytes=-" */
	}
	return 0;
}
