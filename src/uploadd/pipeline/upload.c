/* The POST /upload handler (see upload.h). */
#include "uploadd/pipeline/upload.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/http/formdata.h"
#include "uploadd/http/multipart.h"
#include "uploadd/http/routes.h"
#include "uploadd/pipeline/pipeline.h"
#include "uploadd/store/meta.h"
#include "uploadd/store/redis_store.h"

/* Body bytes allowed beyond --max-upload-size: multipart framing and the
 * small fields, which multipart.c bounds to a few hundred bytes. */
#define BODY_SLACK (64u * 1024)
/* After an error, how much more of a body of unknown length is read and
 * dropped before the connection is closed instead. */
#define DISCARD_MAX (16u * 1024 * 1024)
/* A commit whose reply was lost is asked again this long, this often. */
#define COMMIT_RESOLVE_MS 5000
#define COMMIT_RETRY_MS   200

struct upload {
	struct uploadd_server *srv;
	struct fp_parser fp;       /* the body's parts (formdata.h) */
	struct mp_state mp;
	struct pipeline pipe;
	char token[UPLOAD_TOKEN_HEX + 1];
	struct timespec lock_time; /* when the lock was taken or renewed */
	uint64_t body_limit;       /* body bytes accepted at most */
	uint64_t discard_until;    /* after an error: bytes read before closing */
	bool known_length;         /* the client sent Content-Length */
	uint64_t content_length;   /* its value when known_length */
	bool locked;               /* we hold lock:<filename>:<version> */
	bool registered;           /* our intent is in Redis (redis_store.h) */
	bool committed;
	unsigned status;           /* the outcome, 0 while undecided */
	char detail[512];          /* the error sentence for the body */
	struct file_meta meta;     /* what was stored */
	uint64_t *bytes_in;        /* the request's counter */
};

/* Releases the lock now, so a retry need not wait for the TTL, and the
 * intent when forget (the backend removed everything the upload wrote;
 * otherwise the sweep will, and needs the intent to find it). */
static void upload_release(struct upload *up, bool forget)
{
	if (!up->locked && !up->registered)
		return;
	if (rstore_release(up->locked ? up->mp.filename : NULL, up->mp.version,
			   up->token, forget) < 0)
		log_warn("lock on \"%s\" version \"%s\" not released (it "
			 "expires after --lock-ttl): %s", up->mp.filename,
			 up->mp.version, rstore_strerror());
	up->locked = false;
	up->registered = false;
}

/* Removes what the backend wrote, then lets go of the lock and intent. */
static void upload_undo(struct upload *up)
{
	int err = pipeline_destroy(&up->pipe);

	if (err)
		log_warn("could not remove all an aborted upload of \"%s\" "
			 "version \"%s\" wrote to %s: %s (the orphan sweep "
			 "will)", up->mp.filename, up->mp.version,
			 up->srv->store->where, strerror(-err));
	upload_release(up, err == 0);
}

/* Decides a failed outcome (the first one wins), and undoes what the
 * upload did so far: threads stopped, temp file removed, lock released. */
__attribute__((format(printf, 3, 4)))
static void upload_fail(struct upload *up, unsigned status, const char *fmt, ...)
{
	va_list ap;

	if (up->status)
		return;
	up->status = status;
	va_start(ap, fmt);
	vsnprintf(up->detail, sizeof(up->detail), fmt, ap);
	va_end(ap);
	up->discard_until = up->known_length ? UINT64_MAX :
			    *up->bytes_in + DISCARD_MAX;
	upload_undo(up);
}

/* Maps a storage error to 507 (full), 503 (no thread) or 500. */
static void upload_fail_storage(struct upload *up, const char *what, int err)
{
	if (err == -EAGAIN) {
		upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot start the "
			    "upload's threads; try again later");
		log_err("cannot start an upload's hash and writer threads: %s "
			"(raise the thread limit or lower --max-uploads)",
			strerror(-err));
		return;
	}
	if (err == -ENOSPC || err == -EDQUOT)
		upload_fail(up, MHD_HTTP_INSUFFICIENT_STORAGE,
			    "cannot %s: the storage is full", what);
	else
		upload_fail(up, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot %s: %s", what, strerror(-err));
	if (err != -ENOSPC && err != -EDQUOT)
		log_err("cannot %s in %s: %s (check the storage)",
			what, up->srv->store->where, strerror(-err));
}

static void upload_fail_redis(struct upload *up)
{
	upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "metadata store unavailable: %s; nothing was stored, try "
		    "again later", rstore_strerror());
}

/* Maps a lock or commit answer that is not RSTORE_OK to the outcome. */
static void upload_fail_conflict(struct upload *up, int r)
{
	if (r == RSTORE_LOST)
		upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "the upload's lock was lost (the metadata store "
			    "failed over or the lock expired); nothing was "
			    "stored, try again");
	else if (r == RSTORE_EXISTS)
		upload_fail(up, MHD_HTTP_CONFLICT,
			    "version \"%s\" of \"%s\" already exists (versions "
			    "are immutable)", up->mp.version, up->mp.filename);
	else if (r == RSTORE_LOCKED)
		upload_fail(up, MHD_HTTP_CONFLICT,
			    "another upload of \"%s\" version \"%s\" is in "
			    "progress", up->mp.filename, up->mp.version);
	else
		upload_fail_redis(up);
}

/* Takes the lock once filename and version are known. */
static int upload_lock(struct upload *up)
{
	int r = rstore_lock(up->mp.filename, up->mp.version, up->token,
			    up->srv->cfg->lock_ttl_ms);

	if (r != RSTORE_OK) {
		upload_fail_conflict(up, r);
		return -1;
	}
	up->locked = true;
	up->registered = true;
	clock_gettime(CLOCK_MONOTONIC, &up->lock_time);
	return 0;
}

/* Renews the lock when a third of its TTL has passed: a long upload keeps
 * it, a crashed server loses it after one TTL; the intent's heartbeat
 * moves with it (the sweep leaves uploads with a recent one alone). */
static int upload_refresh_lock(struct upload *up)
{
	unsigned ttl = up->srv->cfg->lock_ttl_ms;
	int r;

	if (!up->registered || http_elapsed(&up->lock_time) * 1000 < ttl / 3)
		return 0;
	r = rstore_refresh(up->locked ? up->mp.filename : NULL,
			   up->mp.version, up->token, ttl);
	if (r == RSTORE_NOT_FOUND) {
		up->locked = false;
		upload_fail(up, MHD_HTTP_CONFLICT,
			    "lost the upload lock on \"%s\" version \"%s\" (it "
			    "expired; is --lock-ttl too short?)",
			    up->mp.filename, up->mp.version);
		return -1;
	}
	if (r < 0) {
		upload_fail_redis(up);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &up->lock_time);
	return 0;
}

/* True when the whole body has already been received: then the lock can
 * refuse nothing early (there is no more body to spare the client), and the
 * commit script, which refuses an existing version or another upload's
 * lock atomically, decides alone; one Redis round trip fewer per small
 * upload. */
static bool body_in_hand(const struct upload *up)
{
	return up->known_length && *up->bytes_in >= up->content_length;
}

/* The form-data splitter's callback: one piece of one field. Returns
 * nonzero to stop the body's parsing (the outcome is then decided). */
static int on_field(void *cls, const char *key, uint64_t off,
		    const char *data, size_t size)
{
	struct upload *up = cls;
	int ev, err;

	if (up->status)
		return 1;
	ev = mp_feed(&up->mp, key, off, data, size);
	if (ev < 0) {
		upload_fail(up, MHD_HTTP_BAD_REQUEST, "%s", up->mp.detail);
		return 1;
	}
	if (ev & MP_EV_FILE_BEGIN) {
		const struct store_ops *ops = up->srv->store->ops;
		bool names = mp_names_ready(&up->mp);
		/* A backend that keeps the names with the bytes needs no
		 * intent before its writes: the sweep resolves what a crash
		 * leaves of them against the metadata (backend.h). */
		bool early = ops->writes_before_publish &&
			     !(names && ops->upload_names);

		/* Names first: 409 now rather than after the whole file. A
		 * backend whose writes are durable at once needs the intent
		 * in Redis before the first one, names or not. */
		if (names && (early || !body_in_hand(up))) {
			if (upload_lock(up) < 0)
				return 1;
		} else if (early) {
			if (rstore_register(up->token) < 0) {
				upload_fail_redis(up);
				return 1;
			}
			up->registered = true;
			clock_gettime(CLOCK_MONOTONIC, &up->lock_time);
		}
		err = pipeline_start(&up->pipe, up->srv->store, up->token);
		if (err) {
			upload_fail_storage(up, "create a temp file", err);
			return 1;
		}
		if (names) {
			const struct store_key k = { up->mp.filename,
						     up->mp.version, up->token };

			pipeline_names(&up->pipe, &k);
		}
	}
	if (ev & MP_EV_FILE_DATA) {
		if (up->mp.file_size > up->srv->cfg->max_upload_size) {
			upload_fail(up, MHD_HTTP_CONTENT_TOO_LARGE,
				    "the file is larger than the limit of %"
				    PRIu64 " bytes", up->srv->cfg->max_upload_size);
			return 1;
		}
		err = pipeline_write(&up->pipe, data, size);
		if (err) {
			upload_fail_storage(up, "write the file", err);
			return 1;
		}
		if (upload_refresh_lock(up) < 0)
			return 1;
	}
	return 0;
}

/* Records the metadata. When Redis went away after the commit was sent,
 * it may have been stored: asking again is safe (for the same token and
 * path the script answers "stored" if the first one was) and is done
 * until Redis gives an answer or COMMIT_RESOLVE_MS pass. *unknown is set
 * when it still did not: then the metadata may name the object. first is
 * the answer to a commit already sent with a group's (commit_jobs), or
 * -EAGAIN when none was. */
static int upload_commit_meta(struct upload *up, int64_t t, int first,
			      bool *unknown)
{
	const struct timespec pause = { 0, COMMIT_RETRY_MS * 1000000L };
	struct timespec start;
	int r = first;

	/* A group's commit that did not run, or whose outcome Redis did
	 * not give: this upload's own (the script is idempotent). */
	if (r < 0 || r == RSTORE_UNREPLICATED)
		r = rstore_commit(&up->meta, up->token, t, up->registered);
	*unknown = r == -ETIMEDOUT || r == -ECONNRESET || r == -EIO ||
		   r == -ECONNREFUSED;
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Unreplicated: asking again rewrites the same hash and WAITs again
	 * (a replica resyncing after a failover catches up meanwhile). */
	while ((*unknown || r == RSTORE_UNREPLICATED) &&
	       http_elapsed(&start) * 1000 < COMMIT_RESOLVE_MS) {
		nanosleep(&pause, NULL);
		r = rstore_commit(&up->meta, up->token, t, up->registered);
		*unknown = r < 0;
	}
	return r;
}

/* The metadata commit as a group-commit job (groupcommit.h): the leader
 * of a segment flush sends the commits of every upload that flush covered
 * in one Redis round trip, so each upload sleeps once (for the flush and
 * its commit) instead of twice. */
struct commit_job {
	struct gcommit_job job; /* first: the leader sees only this */
	struct upload *up;
	int64_t t;
	int result;             /* rstore_commit_batch's answer */
};

static void commit_jobs(struct gcommit_job **jobs, size_t n)
{
	struct rstore_commit_req req[GCOMMIT_JOBS_MAX];

	for (size_t i = 0; i < n; i++) {
		struct commit_job *cj = (struct commit_job *)jobs[i];

		req[i] = (struct rstore_commit_req){ &cj->up->meta,
						     cj->up->token, cj->t,
						     cj->up->registered, 0 };
	}
	rstore_commit_batch(req, n);
	for (size_t i = 0; i < n; i++)
		((struct commit_job *)jobs[i])->result = req[i].result;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The body is complete: check it, then commit. */
static void upload_finish(struct upload *up)
{
	struct file_meta *m = &up->meta;
	const struct store_key key = { up->mp.filename, up->mp.version,
				       up->token };
	char sha[SHA256_HEX_LEN + 1];
	int64_t t = now_ms();
	struct commit_job cj = { { commit_jobs, false }, up, t, -EAGAIN };
	bool unknown;
	int err, r;

	if (fp_finish(&up->fp) < 0) {
		upload_fail(up, MHD_HTTP_BAD_REQUEST, "malformed multipart body: "
			    "%s", up->fp.error);
		return;
	}
	if (mp_finish(&up->mp) < 0) {
		upload_fail(up, MHD_HTTP_BAD_REQUEST, "%s", up->mp.detail);
		return;
	}
	err = pipeline_finish(&up->pipe, sha, &m->size);
	if (err) {
		upload_fail_storage(up, "write the file", err);
		return;
	}
	if (mp_has_sha256(&up->mp) && strcmp(sha, up->mp.sha256) != 0) {
		upload_fail(up, MHD_HTTP_UNPROCESSABLE_CONTENT,
			    "sha256 mismatch: the form says %s, the file has %s; "
			    "nothing was stored", up->mp.sha256, sha);
		return;
	}
	snprintf(m->filename, sizeof(m->filename), "%s", up->mp.filename);
	snprintf(m->version, sizeof(m->version), "%s", up->mp.version);
	memcpy(m->sha256, sha, sizeof(m->sha256));
	meta_format_time(t, m->uploaded_at);
	/* The intent must be in Redis before anything can be reachable,
	 * unless the backend kept the names with the bytes. */
	if (!up->locked && pipeline_needs_intent(&up->pipe) &&
	    upload_lock(up) < 0)
		return;
	err = pipeline_commit(&up->pipe, &key, m->path, &cj.job);
	if (err) {
		upload_fail_storage(up, "commit the file", err);
		return;
	}
	r = upload_commit_meta(up, t, cj.job.ran ? cj.result : -EAGAIN,
			       &unknown);
	if (r == RSTORE_OK) {
		pipeline_keep(&up->pipe, false);
		up->committed = true;
		up->locked = up->registered = false; /* the commit took them */
		up->status = MHD_HTTP_CREATED;
		return;
	}
	if (unknown || r == RSTORE_UNREPLICATED) {
		/* Perhaps recorded, or recorded on a master whose replicas
		 * have not said so: keep the bytes it would name (an orphan
		 * at worst, which the sweep removes once Redis says the
		 * upload never committed; never metadata without its file). */
		pipeline_keep(&up->pipe, true);
		up->locked = false;
		up->registered = false; /* the sweep decides now */
		log_warn("the metadata of \"%s\" version \"%s\" may or may not "
			 "survive (%s); kept %s in %s", m->filename, m->version,
			 rstore_strerror(), m->path, up->srv->store->where);
		upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE, "metadata store "
			    "unavailable while recording the upload (%s): it may "
			    "or may not be stored; GET its /meta to know",
			    rstore_strerror());
		return;
	}
	/* Not recorded, so not stored: upload_fail takes the bytes back. */
	upload_fail_conflict(up, r);
}

/* Queues the answer for the decided outcome. */
static enum MHD_Result upload_reply(struct MHD_Connection *c,
				    struct request *rq, struct upload *up)
{
	const char *hdr[5] = { NULL };

	if (up->status == MHD_HTTP_CREATED) {
		char loc[3 * (FILENAME_MAX_LEN + VERSION_MAX_LEN) + 16];
		char name[3 * FILENAME_MAX_LEN + 1];
		struct json_reply jr;
		struct json_writer *w = http_json_begin(&jr);

		if (!w)
			return MHD_NO;
		meta_write_json(w, &up->meta);
		percent_encode(up->meta.filename, name, sizeof(name));
		snprintf(loc, sizeof(loc), "/files/%s/%s", name, up->meta.version);
		hdr[0] = MHD_HTTP_HEADER_LOCATION;
		hdr[1] = loc;
		return http_reply_json(c, rq, MHD_HTTP_CREATED, &jr, hdr);
	}
	if (up->status == MHD_HTTP_UNAUTHORIZED) {
		hdr[0] = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
		hdr[1] = "Bearer realm=\"uploadd\"";
	} else if (up->status == MHD_HTTP_SERVICE_UNAVAILABLE) {
		hdr[0] = MHD_HTTP_HEADER_RETRY_AFTER;
		hdr[1] = "1";
		if (atomic_load(&up->srv->draining)) {
			hdr[2] = MHD_HTTP_HEADER_CONNECTION;
			hdr[3] = "close";
		}
	}
	return http_reply_error_hdr(c, rq, up->status, hdr, up->detail);
}

/* MHD's completion callback, via http.c: undo whatever is left. */
static void upload_cleanup(struct request *rq, bool aborted)
{
	struct upload *up = rq->state;

	fp_free(&up->fp);
	upload_undo(up);
	metrics_upload_end(aborted && !rq->status ? 0 : rq->status,
			   up->committed ? up->meta.size : 0,
			   http_elapsed(&rq->start));
	free(up);
	rq->state = NULL;
}

/* First call: set up, or decide an early answer (status set). */
static void upload_begin(struct upload *up, struct MHD_Connection *c)
{
	const struct uploadd_config *cfg = up->srv->cfg;
	const char *cl, *ct;
	int err;

	if (metrics_upload_begin() > (long)cfg->max_uploads) {
		upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "too many uploads in progress (limit %u); try again "
			    "later", cfg->max_uploads);
		return;
	}
	if (atomic_load(&up->srv->draining)) {
		upload_fail(up, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "the server is shutting down; try again later");
		return;
	}
	if (!auth_check(&up->srv->auth,
			MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION))) {
		upload_fail(up, MHD_HTTP_UNAUTHORIZED, "uploads need the header "
			    "\"Authorization: Bearer <token>\" with the right token");
		return;
	}
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!mp_is_form_data(ct)) {
		upload_fail(up, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			    "POST /upload takes multipart/form-data with fields "
			    "file, filename, version (and optionally sha256)");
		return;
	}
	up->body_limit = cfg->max_upload_size + BODY_SLACK;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	up->known_length = cl != NULL;
	up->content_length = cl ? strtoull(cl, NULL, 10) : 0;
	if (cl && up->content_length > up->body_limit) {
		upload_fail(up, MHD_HTTP_CONTENT_TOO_LARGE,
			    "the body (%s bytes) is larger than the limit of %"
			    PRIu64 " bytes per file", cl, cfg->max_upload_size);
		return;
	}
	err = storage_new_token(up->token);
	if (err) {
		upload_fail(up, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot draw a random token: %s", strerror(-err));
		return;
	}
	mp_init(&up->mp);
	if (fp_init(&up->fp, ct, on_field, up) < 0)
		upload_fail(up, MHD_HTTP_BAD_REQUEST, "malformed multipart "
			    "request: %s", up->fp.error);
}

/* True when the body has averaged under --min-body-rate since
 * --connection-timeout passed: every byte restarts MHD's idle timeout, so
 * a client trickling its body would otherwise hold a connection, an
 * upload slot and the lock for as long as it likes. */
static bool body_too_slow(const struct uploadd_config *cfg,
			  const struct request *rq)
{
	double late = http_elapsed(&rq->start) - cfg->connection_timeout_s;

	return cfg->min_body_rate && late > 0 &&
	       (double)rq->bytes_in < late * cfg->min_body_rate;
}

enum MHD_Result upload_handle(struct uploadd_server *srv,
			      struct MHD_Connection *c, struct request *rq,
			      const char *data, size_t *size)
{
	struct upload *up = rq->state;

	if (!up) {
		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		up->srv = srv;
		up->bytes_in = &rq->bytes_in;
		rq->state = up;
		rq->cleanup = upload_cleanup;
		upload_begin(up, c);
		/* An early answer: MHD sends it without reading the body. */
		return up->status ? upload_reply(c, rq, up) : MHD_YES;
	}
	if (*size > 0) {
		rq->bytes_in += *size;
		if (body_too_slow(srv->cfg, rq)) {
			log_debug(1, "cut off an upload body trickling in under "
				  "%u bytes/s (--min-body-rate)",
				  srv->cfg->min_body_rate);
			upload_fail(up, MHD_HTTP_REQUEST_TIMEOUT, "the body "
				    "arrives too slowly");
			return MHD_NO;
		}
		if (!up->status && rq->bytes_in > up->body_limit)
			upload_fail(up, MHD_HTTP_CONTENT_TOO_LARGE,
				    "the body is larger than the limit of %" PRIu64
				    " bytes per file", srv->cfg->max_upload_size);
		if (!up->status && fp_feed(&up->fp, data, *size) < 0)
			upload_fail(up, MHD_HTTP_BAD_REQUEST,
				    "malformed multipart body: %s", up->fp.error);
		/* Past an error the body is dropped, up to a bound. */
		if (up->status && rq->bytes_in > up->discard_until)
			return MHD_NO;
		*size = 0;
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES; /* already answered early */
	if (!up->status)
		upload_finish(up);
	return upload_reply(c, rq, up);
}
