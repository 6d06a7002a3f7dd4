/* The local-directory backend (the default): a small upload (one piece of
 * at most --small-file-max bytes) becomes a record in a shared segment
 * file, made durable by a group fdatasync (segstore.h); any other streams
 * into an unnamed file in the storage directory and is linked into place
 * under its locator when published (storage.h has the file-system
 * details). The writer starts writeback as the file grows and hands the
 * page cache back as it reaches the disk. Its Redis namespace is the
 * directory's own id, a random name kept in the directory (.uploadd-id),
 * so instances on different machines sharing one Redis never sweep each
 * other's uploads.
 */
#ifndef UPLOADD_STORE_LOCAL_H
#define UPLOADD_STORE_LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "uploadd/store/backend.h"
#include "uploadd/store/storage.h"

/* Opens (creating it when missing) the storage directory. Returns 0 with
 * *out set, or -errno. Start-up, before privileges are dropped. */
int store_local_open(const char *path, struct store_backend **out);

/* After privileges are dropped: checks the directory is writable, reads or
 * creates its id, removes temp files an earlier run left (named-temp mode
 * only) and opens the small-object store (segstore.h), which takes files
 * of up to small_max bytes (0: none; at most SEG_OBJECT_MAX). Returns 0,
 * or -errno with a one-line reason in err. */
int store_local_start(struct store_backend *b, uint64_t small_max, char *err,
		      size_t errlen);

/* The directory (for unit tests and messages). */
struct storage *store_local_storage(struct store_backend *b);

#endif
