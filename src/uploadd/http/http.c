/* libmicrohttpd daemons, request contexts, replies and the access log
 * (see http.h). */
#include "uploadd/http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/http/access_log.h"

double http_elapsed(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) +
	       (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

/* MHD's own diagnostics, as one warning line each. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	log_warn("libmicrohttpd: %s", msg);
}

/* Leaves paths escaped: routes.c splits first, then decodes. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* Request line seen: the context lives from here to request_done(). */
static void *request_new(void *cls, const char *uri, struct MHD_Connection *c)
{
	const struct http_options *o = cls;
	struct request *rq = calloc(1, sizeof(*rq));

	(void)c;
	if (!rq)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	snprintf(rq->path, sizeof(rq->path), "%s", uri);
	/* The query string is not part of any route. */
	rq->path[strcspn(rq->path, "?")] = '\0';
	rq->access_log = o->access_log;
	return rq;
}

static const char *end_reason(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return NULL;
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client-abort";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read-error";
	default:
		return "error";
	}
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	const char *end = end_reason(toe);

	(void)cls;
	deadlines_request_done(c); /* the next request head is now due */
	if (!rq)
		return;
	if (rq->cleanup)
		rq->cleanup(rq, end != NULL);
	metrics_request(rq->status);
	if (rq->access_log) {
		struct access_entry e = {
			.peer = rq->peer[0] ? rq->peer : "-",
			.method = rq->method[0] ? rq->method : "-",
			.path = rq->path,
			.status = rq->status,
			.bytes_in = rq->bytes_in,
			.bytes_out = rq->bytes_out,
			.ms = http_elapsed(&rq->start) * 1e3,
			.end = end,
		};

		access_log_write(&e);
	}
	free(rq);
	*con_cls = NULL;
}

int http_listen(const struct listen_addr *a, unsigned *port)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int one = 1, err;
	int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* Restart on the same port while old connections sit in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->addr, a->len) < 0 ||
	    listen(fd, 512) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(bound.ss_family == AF_INET6 ?
		      ((struct sockaddr_in6 *)&bound)->sin6_port :
		      ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

struct MHD_Daemon *http_start(int fd, const struct http_options *o,
			      MHD_AccessHandlerCallback handler, void *cls)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;

	/* The logger must come first, or MHD logs the options' errors its
	 * own way. */
	return MHD_start_daemon(flags, 0, NULL, NULL, handler, cls,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->memory_limit,
		MHD_OPTION_THREAD_STACK_SIZE, o->thread_stack,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, request_new, (void *)o,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, deadlines_notify, o->deadlines,
		MHD_OPTION_END);
}

struct request *http_request(struct MHD_Connection *c, const char *method,
			     void **con_cls)
{
	struct request *rq = *con_cls;
	const union MHD_ConnectionInfo *ci;

	if (!rq || rq->calls++ > 0)
		return rq;
	deadlines_head_done(c);
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
				  rq->peer, sizeof(rq->peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				  rq->peer, sizeof(rq->peer));
	}
	return rq;
}

struct framing {
	unsigned cl_count;
	const char *cl;      /* the first Content-Length */
	bool cl_differ;      /* another one says something else */
	const char *te;      /* Transfer-Encoding, if any */
	unsigned te_count;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!key || !value)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->cl_count++ && strcmp(f->cl, value) != 0)
			f->cl_differ = true;
		if (!f->cl)
			f->cl = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->te = value;
		f->te_count++;
	}
	return MHD_YES;
}

const char *http_bad_framing(struct MHD_Connection *c, unsigned *status)
{
	struct framing f = { 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	*status = MHD_HTTP_BAD_REQUEST;
	if (f.te && f.cl_count)
		return "both Content-Length and Transfer-Encoding: the body's "
		       "length is ambiguous; send one of them";
	if (f.cl_differ)
		return "Content-Length headers that disagree; send one";
	if (f.te && (f.te_count > 1 || strcasecmp(f.te, "chunked") != 0)) {
		*status = MHD_HTTP_NOT_IMPLEMENTED;
		return "a Transfer-Encoding other than chunked";
	}
	return NULL;
}

bool http_ready_to_answer(struct MHD_Connection *c, struct request *rq,
			  size_t *upload_data_size)
{
	const char *cl;

	if (rq->calls == 1) {
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		return (cl && strcmp(cl, "0") != 0) ||
		       MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING);
	}
	*upload_data_size = 0;
	return rq->status == 0;
}

enum MHD_Result http_reply(struct MHD_Connection *c, struct request *rq,
			   unsigned status, struct MHD_Response *r,
			   uint64_t body_len)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES) {
		rq->status = status;
		rq->bytes_out = strcmp(rq->method, "HEAD") == 0 ? 0 : body_len;
	}
	return ret;
}

enum MHD_Result http_reply_owned(struct MHD_Connection *c, struct request *rq,
				 unsigned status, const char *content_type,
				 char *buf, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);

	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	return http_reply(c, rq, status, r, len);
}

struct json_writer *http_json_begin(struct json_reply *jr)
{
	jr->buf = NULL;
	jr->len = 0;
	jr->f = open_memstream(&jr->buf, &jr->len);
	if (!jr->f)
		return NULL;
	json_init(&jr->w, jr->f, false);
	return &jr->w;
}

enum MHD_Result http_reply_json(struct MHD_Connection *c, struct request *rq,
				unsigned status, struct json_reply *jr,
				const char *const *headers)
{
	struct MHD_Response *r;

	json_end_document(&jr->w);
	if (fclose(jr->f) != 0) {
		free(jr->buf);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(jr->len, jr->buf,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(jr->buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	for (; headers && headers[0]; headers += 2)
		MHD_add_response_header(r, headers[0], headers[1]);
	return http_reply(c, rq, status, r, jr->len);
}

enum MHD_Result http_reply_error_hdr(struct MHD_Connection *c,
				     struct request *rq, unsigned status,
				     const char *const *headers,
				     const char *message)
{
	struct json_reply jr;
	struct json_writer *w = http_json_begin(&jr);

	if (!w)
		return MHD_NO;
	json_object_begin(w);
	json_kv_string(w, "error", message);
	json_kv_uint(w, "status", status);
	json_object_end(w);
	return http_reply_json(c, rq, status, &jr, headers);
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, struct request *rq,
				 unsigned status, bool close,
				 const char *fmt, ...)
{
	static const char *const close_hdr[] = {
		MHD_HTTP_HEADER_CONNECTION, "close", NULL,
	};
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return http_reply_error_hdr(c, rq, status, close ? close_hdr : NULL, msg);
}
