/* What the fields of an upload's multipart body mean, one post-processor
 * callback at a time.
 *
 * MHD's post processor splits the body into parts and calls back with
 * (field name, offset, bytes). This module decides, without doing any I/O,
 * which part a callback belongs to, when a part starts and ends, collects the
 * small fields (filename, version, sha256) into fixed buffers, validates them
 * as soon as they end, and reports duplicates, unknown fields, missing fields
 * and empty files. upload.c turns its answers into locks, streaming and HTTP
 * statuses; unit tests and fuzzers drive it directly.
 *
 * Fields may come in any order. A new part is recognised by offset 0 on a
 * different field, or offset 0 after bytes were already received for the
 * current one (MHD may announce a part with an empty call first).
 */
#ifndef UPLOADD_MULTIPART_H
#define UPLOADD_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uploadd/http/validate.h"

enum mp_field {
	MP_FIELD_FILE,
	MP_FIELD_FILENAME,
	MP_FIELD_VERSION,
	MP_FIELD_SHA256,
	MP_FIELD_COUNT
};

/* Errors, returned negated by mp_feed()/mp_finish(); mp_state.detail then
 * holds the sentence for the 400 body. */
enum mp_error {
	MP_ERR_UNKNOWN_FIELD = 1,
	MP_ERR_DUPLICATE_FIELD,
	MP_ERR_FIELD_TOO_LONG,
	MP_ERR_BAD_FILENAME,
	MP_ERR_BAD_VERSION,
	MP_ERR_BAD_SHA256,
	MP_ERR_MISSING_FIELD,
	MP_ERR_EMPTY_FILE,
};

/* Event bits returned by mp_feed(). */
#define MP_EV_FILE_BEGIN 1u /* the file part starts with this call */
#define MP_EV_FILE_DATA  2u /* the call's bytes are file content */

struct mp_state {
	char filename[FILENAME_MAX_LEN + 1]; /* NUL-terminated once complete */
	size_t filename_len;
	char version[VERSION_MAX_LEN + 1];
	size_t version_len;
	char sha256[SHA256_HEX_LEN + 1];     /* lower-case once complete */
	size_t sha256_len;
	unsigned seen;      /* bit per enum mp_field: its part has started */
	unsigned complete;  /* bit per field: its part ended and is valid */
	int cur;            /* field of the part being received, -1 before any */
	uint64_t cur_len;   /* bytes received so far in that part */
	uint64_t file_size; /* bytes of the file part so far */
	char detail[128];   /* why the last call failed */
};

/* True when a Content-Type header value is multipart/form-data (any
 * parameters; case-insensitive). Pure. */
bool mp_is_form_data(const char *content_type);

/* Resets st for a new body. */
void mp_init(struct mp_state *st);

/* Feeds one post-processor callback: key is the part's field name, off the
 * offset of data within the part. Returns MP_EV_* bits (0 when the bytes were
 * a small field's), or -MP_ERR_* with st->detail set. After an error the
 * state must not be fed again. Pure; the caller's thread. */
int mp_feed(struct mp_state *st, const char *key, uint64_t off,
	    const char *data, size_t size);

/* Ends the body: completes the last part and checks that file, filename
 * and version were all present and the file is not empty. Returns 0 or
 * -MP_ERR_* with st->detail set. */
int mp_finish(struct mp_state *st);

/* True when filename and version have both arrived complete and valid. */
bool mp_names_ready(const struct mp_state *st);

/* True when the body carried an expected sha256. */
bool mp_has_sha256(const struct mp_state *st);

#endif
