/* The Ceph RADOS backend (--storage rados:POOL): uploads stream into a
 * pool of a Ceph cluster through librados, so every uploadd instance on
 * the same pool and Redis serves every file.
 *
 * Layout: an upload is a series of objects "<token>.<n>" of RADOS_PART
 * bytes each (the last one shorter; an empty file is one empty object),
 * named by the upload's random token only, because the file part may
 * arrive before the names. The locator in the metadata is the same
 * "<hash of name and version>.<token>" as the local backend's; readers
 * take the token from it. A series of plain objects, not libradosstriper:
 * the striper adds a library and its own lock/xattr protocol per object
 * for what a fixed part size and the offset arithmetic here do; reads of
 * a range touch only the parts they need; and the sweep removes parts by
 * name without asking the striper's metadata.
 *
 * Writes: the writer thread ("up-write") issues one aio write per chunk,
 * up to RADOS_INFLIGHT in flight per upload (librados copies the chunk,
 * so the queue slot is free at once); memory per upload stays
 * RADOS_INFLIGHT chunks whatever the size. Before the first write to part
 * n+1, every write to parts <= n has completed, so the parts that exist
 * after a crash are always 0..k: the sweep removes "<token>.0", ".1", ...
 * until one is missing. upload_finish waits for the last writes (librados
 * completes a write once the OSDs have it on disk): publish has nothing
 * left to do, since nothing names the objects until the metadata does.
 *
 * Reads: one rados_read per block asked, within one part.
 */
#ifndef UPLOADD_STORE_RADOS_H
#define UPLOADD_STORE_RADOS_H

#include <stddef.h>

#include "uploadd/store/backend.h"

#define RADOS_PART     (4u * 1024 * 1024) /* bytes per object: on-disk
					    * format, never change */
#define RADOS_INFLIGHT 8u                  /* aio writes per upload */

/* Connects to the cluster (conf file, client id "client.<id>"), opens the
 * pool, sets operation timeouts of timeout_s. Returns 0 with *out set, or
 * -errno with a one-line reason in err. Starts librados's threads: after
 * privileges are dropped. */
int store_rados_open(const char *pool, const char *conf, const char *id,
		     unsigned timeout_s, struct store_backend **out,
		     char *err, size_t errlen);

#endif
