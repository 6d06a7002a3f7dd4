/* A streaming multipart/form-data splitter (RFC 7578, RFC 2046 5.1) for
 * upload bodies: it finds the parts of a body handed over in pieces of any
 * size and calls back with each part's field name and its bytes, as
 * libmicrohttpd's post processor did, but without copying them.
 *
 * Why not MHD's post processor: it copies every body byte into its own
 * buffer before looking at it, hands the callback at most that buffer
 * (16 KiB) at a time, and finds boundaries by stopping at every CR, which
 * random binary data holds every 256 bytes on average. Profiled on 1 MiB
 * uploads (tools/bench/upload_profile.sh) that was a tenth of the
 * connection thread's CPU. Here the callback gets pointers into the
 * caller's buffer (only the few bytes that might begin a boundary at the
 * end of a piece are held back, and the part head), and the delimiter is
 * found with SIMD compares of its first and last bytes.
 *
 * The callback contract is MHD's, which multipart.c expects: for each part
 * one call with 0 bytes at offset 0 when its head ends, then calls with
 * its bytes at increasing offsets. A callback returning nonzero stops the
 * parser (fp_feed then returns -ECANCELED and must not be called again).
 *
 * Leniency, as MHD's: bytes before the first boundary (preamble) and after
 * the last (epilogue) are ignored; part head lines end in CRLF or LF. Only
 * the Content-Disposition parameter `name` is read (quoted or a token);
 * every other header and parameter, the client's file name included, is
 * skipped. Limits: boundary 1-200 bytes, a part head at most FP_HEAD_MAX
 * bytes.
 *
 * Pure and single-threaded: the connection thread feeds it; unit tests
 * and the upload_pp fuzzer drive it directly.
 */
#ifndef UPLOADD_FORMDATA_H
#define UPLOADD_FORMDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_BOUNDARY_MAX 200
#define FP_DELIM_MAX    (FP_BOUNDARY_MAX + 4)  /* "\r\n--" + boundary */
#define FP_HEAD_MAX     (16u * 1024)           /* bytes of one part head */
#define FP_NAME_MAX     255                    /* bytes of a field name */

/* One piece of one part: name is the part's field name ("" when its head
 * had none), off the offset of data in the part. Return 0 to go on. */
typedef int (*fp_field_fn)(void *cls, const char *name, uint64_t off,
			   const char *data, size_t size);

enum fp_stage {
	FP_PREAMBLE,  /* before the first boundary */
	FP_AFTER,     /* just after a boundary: "--", padding, CRLF */
	FP_HEAD,      /* a part's head lines */
	FP_BODY,      /* a part's bytes */
	FP_END,       /* after the closing boundary */
	FP_ERROR,
};

struct fp_parser {
	enum fp_stage stage;
	fp_field_fn cb;
	void *cls;
	char delim[FP_DELIM_MAX + 1]; /* "\r\n--" + boundary */
	size_t dlen;
	char carry[FP_DELIM_MAX];     /* held-back bytes that may begin delim */
	size_t clen;
	unsigned after_state;         /* FP_AFTER: bytes of "--" or CRLF seen */
	char *head;                   /* FP_HEAD: the head so far (malloc'd) */
	size_t hlen, hcap;
	char name[FP_NAME_MAX + 1];   /* the current part's field name */
	uint64_t off;                 /* bytes of the current part so far */
	const char *error;            /* why, once stage is FP_ERROR */
	bool cancelled;               /* the callback stopped it */
};

/* Prepares p for a body whose Content-Type header value is content_type.
 * Returns 0, or -EINVAL when it is not multipart/form-data with a valid
 * boundary parameter (p->error says which). */
int fp_init(struct fp_parser *p, const char *content_type, fp_field_fn cb,
	    void *cls);

/* Feeds the next len bytes of the body. Returns 0, -EBADMSG when the body
 * is malformed (p->error says how), or -ECANCELED when the callback
 * stopped it. */
int fp_feed(struct fp_parser *p, const char *data, size_t len);

/* The body ended: returns 0 when the closing boundary was seen, else
 * -EBADMSG (p->error set). */
int fp_finish(struct fp_parser *p);

/* Frees what p holds (safe twice and on a failed init). */
void fp_free(struct fp_parser *p);

/* For tests: search with AVX2 where the CPU has it (the default), or with
 * SSE2 only, the path of CPUs without AVX2, so both are exercised here. */
void fp_set_simd(bool use_avx2);

#endif
