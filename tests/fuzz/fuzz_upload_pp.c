/* libFuzzer target: an upload body through libmicrohttpd's real multipart
 * post processor into uploadd's field state (multipart.c), the way
 * upload.c wires them: same post-processor buffer, same Content-Type test,
 * same callback contract (stop at the first error, count file bytes).
 * Redis and the hash/writer threads are left out: they never see bytes the
 * field state has not accepted.
 *
 * MHD needs a real connection to parse a request, so the target runs a
 * daemon without its own listener in external-select mode and hands it one
 * end of a connected socket pair per input (MHD_add_connection, with a
 * loopback peer address); the other end sends the request and reads the
 * answer. (A socket pair, not loopback TCP: a thousand connections a
 * second would use up the ephemeral ports within a minute.)
 *
 * Input: the Content-Type value up to the first newline, then the body.
 * Checked: the post processor gives file bytes only for the "file" field
 * and never more than the body had; a 201 (all fields fine) comes with
 * names that pass validate.c and a non-empty file; every request ends
 * with exactly one answer and one completion callback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fuzz_util.h"
#include "uploadd/http/multipart.h"
#include "uploadd/http/validate.h"

#define PP_BUFFER (64u * 1024)   /* as upload.c */
#define CT_MAX 256
#define MAX_SPINS 200000

struct fuzz_req {
	struct MHD_PostProcessor *pp;
	struct mp_state mp;
	unsigned status;
	uint64_t body_bytes;     /* request body bytes MHD handed over */
	uint64_t file_bytes;     /* file bytes the post processor gave */
};

static struct MHD_Daemon *daemon_;
static int completed;        /* completion callbacks, this input */
static int answered;         /* responses queued, this input */

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *filename,
				const char *content_type,
				const char *transfer_encoding,
				const char *data, uint64_t off, size_t size)
{
	struct fuzz_req *rq = cls;
	int ev;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	FZ_ASSERT(rq->status == 0); /* MHD stops calling after MHD_NO */
	ev = mp_feed(&rq->mp, key, off, data, size);
	if (ev < 0) {
		FZ_ASSERT(rq->mp.detail[0] != '\0');
		rq->status = MHD_HTTP_BAD_REQUEST;
		return MHD_NO;
	}
	if (ev & MP_EV_FILE_DATA) {
		FZ_ASSERT(key && strcmp(key, "file") == 0);
		rq->file_bytes += size;
		FZ_ASSERT(rq->file_bytes <= rq->body_bytes);
	}
	return MHD_YES;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status)
{
	static char body[] = "{}";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	FZ_ASSERT(r != NULL);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		answered++;
	return ret;
}

/* The last call: what upload_finish decides before any I/O. */
static void finish(struct fuzz_req *rq)
{
	enum MHD_Result whole = MHD_destroy_post_processor(rq->pp);

	rq->pp = NULL;
	if (whole != MHD_YES || mp_finish(&rq->mp) < 0) {
		rq->status = MHD_HTTP_BAD_REQUEST;
		return;
	}
	FZ_ASSERT(rq->mp.file_size == rq->file_bytes && rq->file_bytes > 0);
	FZ_ASSERT(filename_problem(rq->mp.filename, rq->mp.filename_len) == NULL);
	FZ_ASSERT(version_problem(rq->mp.version, rq->mp.version_len) == NULL);
	rq->status = MHD_HTTP_CREATED;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct fuzz_req *rq = *con_cls;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		FZ_ASSERT(rq != NULL);
		*con_cls = rq;
		mp_init(&rq->mp);
		if (!mp_is_form_data(MHD_lookup_connection_value(
			    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
			rq->status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		else if (!(rq->pp = MHD_create_post_processor(c, PP_BUFFER,
							      on_field, rq)))
			rq->status = MHD_HTTP_BAD_REQUEST;
		return MHD_YES;
	}
	if (*size > 0) {
		rq->body_bytes += *size;
		if (!rq->status && MHD_post_process(rq->pp, data, *size) != MHD_YES &&
		    !rq->status)
			rq->status = MHD_HTTP_BAD_REQUEST;
		*size = 0;
		return MHD_YES;
	}
	if (!rq->status)
		finish(rq);
	FZ_SAY("upload_pp: %u %s\n", rq->status, rq->mp.detail);
	return answer(c, rq->status);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct fuzz_req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	completed++;
	if (!rq)
		return;
	if (rq->pp)
		MHD_destroy_post_processor(rq->pp);
	free(rq);
	*con_cls = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	daemon_ = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
				   handler, NULL,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				   (size_t)(128u * 1024),
				   MHD_OPTION_END);
	if (!daemon_) {
		fprintf(stderr, "fuzz_upload_pp: MHD_start_daemon failed\n");
		exit(1);
	}
	return 0;
}

static unsigned open_connections(void)
{
	const union MHD_DaemonInfo *i =
		MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

/* The request: fixed head, the input's Content-Type, its body. */
static char *make_request(const uint8_t *data, size_t size, size_t *len)
{
	const uint8_t *nl = memchr(data, '\n', size < CT_MAX ? size : CT_MAX);
	size_t ctlen = nl ? (size_t)(nl - data) : (size < CT_MAX ? size : CT_MAX);
	size_t body = size - ctlen - (nl ? 1 : 0);
	char ct[CT_MAX + 1], *req;
	int head;

	memcpy(ct, data, ctlen);
	ct[ctlen] = '\0';
	for (size_t i = 0; i < ctlen; i++)
		if (ct[i] == '\r' || ct[i] == '\0')
			ct[i] = ' ';
	req = malloc(512 + ctlen + body);
	FZ_ASSERT(req != NULL);
	head = snprintf(req, 512 + ctlen, "POST /upload HTTP/1.1\r\nHost: f\r\n"
			"Content-Type: %s\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n\r\n", ct, body);
	memcpy(req + head, data + size - body, body);
	*len = (size_t)head + body;
	return req;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_port = htons(40000) };
	size_t len, sent = 0;
	char *req = make_request(data, size, &len);
	char buf[4096];
	bool closed = false;
	int sv[2], cli;

	completed = answered = 0;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	cli = sv[0];
	fcntl(cli, F_SETFL, O_NONBLOCK);
	FZ_ASSERT(MHD_add_connection(daemon_, sv[1], (struct sockaddr *)&peer,
				     sizeof(peer)) == MHD_YES);
	for (int spin = 0; spin < MAX_SPINS && !closed; spin++) {
		ssize_t n;

		if (sent < len) {
			n = send(cli, req + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = len; /* the server closed early */
		}
		MHD_run(daemon_);
		while ((n = recv(cli, buf, sizeof(buf), 0)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			closed = true;
	}
	close(cli);
	/* Let MHD notice the close and free the connection. */
	for (int spin = 0; spin < MAX_SPINS && open_connections() > 0; spin++)
		MHD_run(daemon_);
	FZ_ASSERT(open_connections() == 0);
	/* A request the handler saw ends in exactly one completion. */
	FZ_ASSERT(completed <= 1 && answered <= completed);
	free(req);
	return 0;
}
