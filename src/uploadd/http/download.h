/* The read side of the API: GET|HEAD /files/{filename} (versions as JSON),
 * /files/{filename}/{version} (the bytes: Content-Length, ETag = "sha256",
 * If-None-Match, single byte Range with 206/416, If-Range) and
 * /files/{filename}/{version}/meta (metadata JSON).
 *
 * Metadata comes from Redis; only then is the object opened through the
 * storage backend, by the locator the metadata holds (checked by
 * store_open). A local file is sent with sendfile by MHD from an fd
 * response; a RADOS object is streamed through a reader callback, one
 * read per block.
 */
#ifndef UPLOADD_DOWNLOAD_H
#define UPLOADD_DOWNLOAD_H

#include <microhttpd.h>

#include "uploadd/http/http.h"
#include "uploadd/http/server_state.h"

/* Answers a ROUTE_LIST, ROUTE_DOWNLOAD or ROUTE_META request (rq->route).
 * Connection thread. */
enum MHD_Result download_handle(struct uploadd_server *srv,
				struct MHD_Connection *c, struct request *rq);

#endif
