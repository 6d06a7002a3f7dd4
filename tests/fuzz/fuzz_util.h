/* Helpers shared by the libFuzzer targets in tests/fuzz/: reading typed
 * values off the front of the fuzzer's input (short input reads as zeros,
 * so every input is usable), and invariant checks that abort, which
 * libFuzzer reports as a crash with the input that caused it.
 *
 * Header-only on purpose: each target is one .c file plus the project
 * sources it exercises. */
#ifndef TS_FUZZ_UTIL_H
#define TS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unread rest of an input. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

/* Little-endian, one byte at a time (the order of two calls in one
 * expression would be unspecified). */
static inline uint64_t fz_le(struct fz *f, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)fz_u8(f) << (8 * i);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)fz_le(f, 2);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_le(f, 4);
}

static inline uint64_t fz_u64(struct fz *f)
{
	return fz_le(f, 8);
}

/* Up to max bytes off the front (fewer when the input runs out); returns
 * a pointer into the input and sets *len. */
static inline const uint8_t *fz_take(struct fz *f, size_t max, size_t *len)
{
	const uint8_t *p = f->p;

	*len = f->n < max ? f->n : max;
	f->p += *len;
	f->n -= *len;
	return p;
}

/* Copies up to len bytes into dst and zero-fills the rest. */
static inline void fz_fill(struct fz *f, void *dst, size_t len)
{
	size_t got;
	const uint8_t *p = fz_take(f, len, &got);

	memcpy(dst, p, got);
	memset((uint8_t *)dst + got, 0, len - got);
}

/* FUZZ_VERBOSE=1 in the environment: say what the target made of an
 * input (to check that seeds mean what they should). */
#define FZ_SAY(...)                                                           \
	do {                                                                  \
		if (getenv("FUZZ_VERBOSE"))                                   \
			fprintf(stderr, __VA_ARGS__);                         \
	} while (0)

/* An invariant of the code under test: abort (a libFuzzer crash) with
 * where and what when it does not hold. */
#define FZ_ASSERT(cond)                                                       \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);                   \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
