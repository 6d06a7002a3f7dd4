/* libmicrohttpd glue shared by both listeners: starting a daemon, the
 * per-request context, replies that record their status, and the access log.
 *
 * Each daemon runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION
 * with an internal polling thread, poll() so fd numbers are not limited),
 * with a connection limit, an idle timeout and a deadline for request heads
 * (deadline.h) for slow clients. MHD is told
 * not to unescape request paths (routes.c decodes each segment itself). A
 * request context is created when the request line arrives (URI log
 * callback) and destroyed in the completion callback, which MHD also calls
 * when the client goes away: that is where per-request clean-up runs
 * (struct request.cleanup) and where the access-log line is written.
 */
#ifndef UPLOADD_HTTP_H
#define UPLOADD_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "common/json.h"
#include "uploadd/config.h"
#include "uploadd/http/routes.h"
#include "uploadd/pipeline/deadline.h"

struct request {
	struct timespec start;
	char method[16];
	char path[512];     /* raw request path, for the log */
	char peer[64];
	unsigned status;    /* 0 until a response is queued */
	uint64_t bytes_in;  /* request body bytes received */
	uint64_t bytes_out; /* response body bytes (as queued) */
	unsigned calls;     /* handler calls so far, this one included */
	bool routed;        /* route holds the parsed path */
	bool access_log;
	struct route route; /* the public listener's parsed route */
	void *state;        /* owned by the handler, freed by cleanup */
	/* Runs once when the request ends, in the connection thread;
	 * aborted when no complete response was delivered. */
	void (*cleanup)(struct request *rq, bool aborted);
};

struct http_options {
	unsigned max_connections;
	unsigned timeout_s;
	size_t memory_limit; /* per connection: read buffer and headers */
	size_t thread_stack; /* bytes per connection thread */
	bool access_log;
	struct deadlines *deadlines; /* request-head deadlines, or NULL */
};

/* Binds and listens on a (port 0 picks a free one), before any thread
 * exists and before privileges are dropped. Returns the socket or -errno.
 * Writes the bound port to *port. */
int http_listen(const struct listen_addr *a, unsigned *port);

/* Starts a daemon on the listening socket fd (MHD owns it from here)
 * serving handler(cls, ...). o must outlive the daemon. Returns the daemon
 * or NULL. Main thread. */
struct MHD_Daemon *http_start(int fd, const struct http_options *o,
			      MHD_AccessHandlerCallback handler, void *cls);

/* The request context of a handler call (created at the request line),
 * counting the call and filling method and peer on the first. NULL only on
 * ENOMEM. */
struct request *http_request(struct MHD_Connection *c, const char *method,
			     void **con_cls);

/* Checks the body framing headers of c's request (RFC 9112 section 6):
 * Content-Length and Transfer-Encoding together, Content-Length headers
 * that disagree, or a transfer coding other than chunked. A front proxy
 * may frame such a request differently from MHD (which takes the first
 * Content-Length, or chunked over Content-Length, and keeps the connection
 * open): the way requests get smuggled. Returns NULL when the framing is
 * sound, else the reason; *status is then 400 or 501. Connection thread. */
const char *http_bad_framing(struct MHD_Connection *c, unsigned *status);

/* For handlers that answer without reading a body (everything but
 * uploads). Returns true when the caller should answer now: on the first
 * call if the client announced a body (MHD then answers without reading it
 * and closes), else on the call after the (empty) body, which keeps the
 * connection alive: MHD 0.9.75 closes it whenever the answer is queued on
 * the first call. When false, return MHD_YES. */
bool http_ready_to_answer(struct MHD_Connection *c, struct request *rq,
			  size_t *upload_data_size);

/* Queues r (then drops our reference) with status, recording both for the
 * access log; body_len is what the body holds. Returns MHD_YES, or MHD_NO
 * when MHD refused (then the connection closes). Connection thread. */
enum MHD_Result http_reply(struct MHD_Connection *c, struct request *rq,
			   unsigned status, struct MHD_Response *r,
			   uint64_t body_len);

/* A JSON body written into memory, then sent by http_reply_json(). */
struct json_reply {
	struct json_writer w;
	FILE *f;
	char *buf;
	size_t len;
};

/* Starts a JSON body in jr. Returns its writer, or NULL on ENOMEM. */
struct json_writer *http_json_begin(struct json_reply *jr);

/* Ends jr's document and queues it with status and extra headers (name,
 * value pairs, NULL-terminated; NULL for none). jr is consumed either way.
 * Connection thread. */
enum MHD_Result http_reply_json(struct MHD_Connection *c, struct request *rq,
				unsigned status, struct json_reply *jr,
				const char *const *headers);

/* Replies with a body; buf is malloc'd and taken over (freed by MHD). */
enum MHD_Result http_reply_owned(struct MHD_Connection *c, struct request *rq,
				 unsigned status, const char *content_type,
				 char *buf, size_t len);

/* Replies {"error": <message>, "status": <status>} as JSON. The message is
 * printf-formatted. Adds Connection: close when close is set. */
enum MHD_Result http_reply_error(struct MHD_Connection *c, struct request *rq,
				 unsigned status, bool close,
				 const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Like http_reply_error with extra response headers (name, value pairs,
 * NULL-terminated). */
enum MHD_Result http_reply_error_hdr(struct MHD_Connection *c,
				     struct request *rq, unsigned status,
				     const char *const *headers,
				     const char *message);

/* Monotonic seconds between a and now. */
double http_elapsed(const struct timespec *a);

#endif
