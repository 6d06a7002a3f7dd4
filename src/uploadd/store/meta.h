/* A stored file's metadata and its JSON form (the 201 body, GET .../meta and
 * the entries of GET /files/{filename}). Pure. */
#ifndef UPLOADD_META_H
#define UPLOADD_META_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "uploadd/http/validate.h"
#include "uploadd/store/storage.h"

#define META_TIME_LEN 32

struct file_meta {
	char filename[FILENAME_MAX_LEN + 1];
	char version[VERSION_MAX_LEN + 1];
	char sha256[SHA256_HEX_LEN + 1];  /* lower-case hex */
	uint64_t size;                     /* bytes */
	char path[STORAGE_NAME_MAX];       /* object name in the storage dir */
	char uploaded_at[META_TIME_LEN];   /* RFC 3339 UTC, milliseconds */
};

/* Writes m as one JSON object (keys filename, version, sha256, size, path,
 * uploaded_at) into w. */
void meta_write_json(struct json_writer *w, const struct file_meta *m);

/* Formats ms since the epoch as "2024-05-01T12:34:56.789Z" into out. */
void meta_format_time(int64_t ms, char out[META_TIME_LEN]);

#endif
