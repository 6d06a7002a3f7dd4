/* Listing, metadata and file downloads (see download.h). */
#include "uploadd/http/download.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/http/range.h"
#include "uploadd/store/redis_store.h"

/* Bytes MHD asks the reader for at once (RADOS: one read each). */
#define DOWNLOAD_BLOCK (1024u * 1024)

/* The answer for a failed Redis call. */
static enum MHD_Result redis_unavailable(struct MHD_Connection *c,
					 struct request *rq)
{
	return http_reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, false,
				"metadata store unavailable: %s; try again "
				"later", rstore_strerror());
}

static enum MHD_Result not_found(struct MHD_Connection *c, struct request *rq)
{
	if (rq->route.kind == ROUTE_LIST)
		return http_reply_error(c, rq, MHD_HTTP_NOT_FOUND, false,
					"no file named \"%s\"", rq->route.filename);
	return http_reply_error(c, rq, MHD_HTTP_NOT_FOUND, false,
				"no version \"%s\" of \"%s\"", rq->route.version,
				rq->route.filename);
}

static enum MHD_Result list_versions(struct MHD_Connection *c,
				     struct request *rq)
{
	struct file_meta *v = NULL;
	struct json_reply jr;
	struct json_writer *w;
	size_t n = 0;
	int err = rstore_list(rq->route.filename, &v, &n);

	if (err < 0)
		return redis_unavailable(c, rq);
	if (n == 0)
		return not_found(c, rq);
	w = http_json_begin(&jr);
	if (!w) {
		free(v);
		return MHD_NO;
	}
	json_object_begin(w);
	json_kv_string(w, "filename", rq->route.filename);
	json_key(w, "versions");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++)
		meta_write_json(w, &v[i]);
	json_array_end(w);
	json_object_end(w);
	free(v);
	return http_reply_json(c, rq, MHD_HTTP_OK, &jr, NULL);
}

/* True when an If-None-Match value names etag (or is "*"). */
static bool etag_matches(const char *header, const char *etag)
{
	size_t elen = strlen(etag);

	if (!header)
		return false;
	for (const char *p = header; *p;) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, elen) == 0 &&
		    (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static void add_file_headers(struct MHD_Response *r, const struct file_meta *m,
			     const char *etag)
{
	char disp[3 * FILENAME_MAX_LEN + 64], ext[3 * FILENAME_MAX_LEN + 1];

	percent_encode(m->filename, ext, sizeof(ext));
	snprintf(disp, sizeof(disp), "attachment; filename*=UTF-8''%s", ext);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* A range of an object streamed through MHD's reader callback. */
struct object_stream {
	struct store_reader r;
	uint64_t first, len; /* bytes of the object sent */
};

/* MHD's reader for a backend without a file descriptor (RADOS): reads
 * on demand, so memory stays one block whatever the size. pos counts
 * from the start of the range. */
static ssize_t read_object(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct object_stream *st = cls;
	ssize_t n;

	if (pos >= st->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > st->len - pos)
		max = (size_t)(st->len - pos);
	n = store_read(&st->r, st->first + pos, buf, max);
	if (n <= 0) {
		log_err("cannot read a stored object at byte %" PRIu64 ": %s "
			"(the download is cut short)", st->first + pos,
			n < 0 ? strerror((int)-n) : "it ends early");
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return n;
}

static void free_stream(void *cls)
{
	struct object_stream *st = cls;

	store_close(&st->r);
	free(st);
}

/* A response for [first, first + len) of the object: MHD sends a plain
 * file with sendfile (it owns the fd then), anything else through
 * read_object. Takes r in both cases. */
static struct MHD_Response *object_response(struct store_reader *r,
					    uint64_t first, uint64_t len)
{
	struct MHD_Response *resp;
	struct object_stream *st;

	if (r->fd >= 0) {
		resp = MHD_create_response_from_fd_at_offset64(len, r->fd,
							       r->off + first);
		if (resp)
			r->fd = -1; /* MHD's now */
		store_close(r);
		return resp;
	}
	st = malloc(sizeof(*st));
	if (!st) {
		store_close(r);
		return NULL;
	}
	st->r = *r;
	st->first = first;
	st->len = len;
	resp = MHD_create_response_from_callback(len, DOWNLOAD_BLOCK,
						 read_object, st, free_stream);
	if (!resp)
		free_stream(st);
	return resp;
}

static enum MHD_Result send_file(struct uploadd_server *srv,
				 struct MHD_Connection *c, struct request *rq,
				 const struct file_meta *m)
{
	char etag[SHA256_HEX_LEN + 3], crange[96];
	const char *inm, *ifrange;
	struct byte_range br = { 0, 0 };
	enum range_result rr = RANGE_NONE;
	struct MHD_Response *r;
	struct store_reader obj;
	uint64_t size;
	int err;

	snprintf(etag, sizeof(etag), "\"%s\"", m->sha256);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (etag_matches(inm, etag)) {
		r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		if (r)
			add_file_headers(r, m, etag);
		return http_reply(c, rq, MHD_HTTP_NOT_MODIFIED, r, 0);
	}
	err = store_open(srv->store, m->path, m->size, &obj);
	if (err == -EAGAIN || err == -ETIMEDOUT)
		return http_reply_error(c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
					false, "the storage is unavailable; try "
					"again later");
	if (err < 0) {
		log_err("cannot open the object %s for \"%s\" version \"%s\" "
			"in %s: %s (metadata without its file: restore it from "
			"backup or delete the Redis key)", m->path, m->filename,
			m->version, srv->store->where, strerror(-err));
		return http_reply_error(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
					false, "the stored file is missing");
	}
	size = obj.size;
	/* A Range applies only if If-Range (when sent) still names this
	 * representation; versions never change, but clients do not know. */
	ifrange = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					      MHD_HTTP_HEADER_IF_RANGE);
	if (!ifrange || strcmp(ifrange, etag) == 0)
		rr = range_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_RANGE),
				 size, &br);
	if (rr == RANGE_UNSATISFIABLE) {
		const char *const hdr[] = { MHD_HTTP_HEADER_CONTENT_RANGE,
					    crange, NULL };

		store_close(&obj);
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
		return http_reply_error_hdr(c, rq,
					    MHD_HTTP_RANGE_NOT_SATISFIABLE, hdr,
					    "the requested range lies outside "
					    "the file");
	}
	if (rr == RANGE_NONE) {
		br.first = 0;
		br.last = size - 1;
	}
	r = object_response(&obj, br.first, br.last - br.first + 1);
	if (!r)
		return MHD_NO;
	add_file_headers(r, m, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/octet-stream");
	if (rr == RANGE_OK) {
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64
			 "/%" PRIu64, br.first, br.last, size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
	}
	if (strcmp(rq->method, "HEAD") != 0)
		metrics_download_bytes(br.last - br.first + 1);
	return http_reply(c, rq, rr == RANGE_OK ? MHD_HTTP_PARTIAL_CONTENT :
			  MHD_HTTP_OK, r, br.last - br.first + 1);
}

enum MHD_Result download_handle(struct uploadd_server *srv,
				struct MHD_Connection *c, struct request *rq)
{
	struct file_meta m;
	struct json_reply jr;
	struct json_writer *w;
	int err;

	if (rq->route.kind == ROUTE_LIST)
		return list_versions(c, rq);
	err = rstore_get(rq->route.filename, rq->route.version, &m);
	if (err < 0)
		return redis_unavailable(c, rq);
	if (err == RSTORE_NOT_FOUND)
		return not_found(c, rq);
	if (rq->route.kind == ROUTE_DOWNLOAD)
		return send_file(srv, c, rq, &m);
	w = http_json_begin(&jr);
	if (!w)
		return MHD_NO;
	meta_write_json(w, &m);
	return http_reply_json(c, rq, MHD_HTTP_OK, &jr, NULL);
}
