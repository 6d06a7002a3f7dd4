/* HTTP Range header parsing for downloads (RFC 9110 section 14), pure.
 *
 * Only a single byte range is served: "bytes=a-b", "bytes=a-" and the suffix
 * form "bytes=-n". Several ranges, other units or syntax errors are ignored
 * (the whole file is sent with 200, which the RFC allows); a well-formed
 * range that lies past the end gives 416.
 */
#ifndef UPLOADD_RANGE_H
#define UPLOADD_RANGE_H

#include <stdint.h>

enum range_result {
	RANGE_NONE,          /* no usable Range: send the whole file (200) */
	RANGE_OK,            /* send bytes [first, last] (206) */
	RANGE_UNSATISFIABLE, /* 416; Content-Range then gives the size */
};

struct byte_range {
	uint64_t first; /* offset of the first byte */
	uint64_t last;  /* offset of the last byte, inclusive */
};

/* Parses header (may be NULL) against a file of size bytes. Fills *r for
 * RANGE_OK. Any thread. */
enum range_result range_parse(const char *header, uint64_t size,
			      struct byte_range *r);

#endif
