/* POST /upload: one request, three phases, as libmicrohttpd drives it.
 *
 * First call (headers only): refuse early what can be refused without the
 * body (shutting down, too many uploads, bad token, not multipart, declared
 * body too large); MHD then answers without reading the body.
 * Middle calls: feed the body to the multipart splitter (formdata.c: no
 * copy); the field callback (multipart.c decides what each piece is)
 * validates names as they end, takes the Redis lock as soon as the file
 * part starts after filename and version (early 409 for an existing or
 * locked version; not when the whole body is already received, where the
 * commit decides just as well), gives the backend the names (a small
 * file's segment record carries them, so it needs no intent in Redis), and
 * streams file bytes into the pipeline (pipeline.c: hash and writer
 * threads). Once the outcome is an error, the rest of the body is read and
 * dropped (bounded), since MHD can only answer after the body.
 * Last call: complete the body, join the pipeline, check the expected
 * sha256 (422), make the bytes durable (a file linked into place and
 * fsynced, or a segment record under a group fdatasync), commit metadata
 * to Redis (one atomic script that also frees the lock; for a group of
 * segment records, the group's commits in one round trip sent by the
 * flush's leader), answer 201 with the metadata.
 * A commit whose reply is lost (Redis died or hung after receiving it) is
 * asked again for a few seconds; if its outcome stays unknown, the file is
 * kept, since the metadata may name it, and the answer is 503.
 *
 * A body that averages under --min-body-rate once --connection-timeout
 * has passed is cut off (the connection is closed): a trickle of bytes
 * would otherwise hold the connection for ever (slowloris).
 *
 * Whatever happens, including a client that disconnects or a daemon
 * shutdown, the request's cleanup (run by http.c from MHD's completion
 * callback) stops the threads, discards the file and releases the lock.
 */
#ifndef UPLOADD_UPLOAD_H
#define UPLOADD_UPLOAD_H

#include <stddef.h>

#include <microhttpd.h>

#include "uploadd/http/http.h"
#include "uploadd/http/server_state.h"

/* One access-handler call for POST /upload (data/size as MHD passes them).
 * Connection thread. */
enum MHD_Result upload_handle(struct uploadd_server *srv,
			      struct MHD_Connection *c, struct request *rq,
			      const char *data, size_t *size);

#endif
