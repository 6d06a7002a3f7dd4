/* The Ceph RADOS backend (see rados.h). */
#include "uploadd/store/rados.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rados/librados.h>

#define OID_MAX (STORE_TOKEN_HEX + 16)

struct rados_backend {
	struct store_backend base;
	rados_t cluster;
	rados_ioctx_t io;
	char pool[128];
	atomic_ulong bytes_written, bytes_read, objects_removed, errors;
	atomic_int last_err;   /* of the last operation, 0 if it worked */
};

struct rados_upload {
	struct store_backend *b; /* first: backend.c finds the ops here */
	char token[STORE_TOKEN_HEX + 1];
	uint64_t off;            /* bytes handed over */
	unsigned parts;          /* parts written to: 0..parts-1 */
	rados_completion_t ring[RADOS_INFLIGHT];
	unsigned head, count;    /* oldest in-flight write, how many */
	int err;                 /* first failed write, 0 if none */
};

static struct rados_backend *rb_of(struct store_backend *b)
{
	return (struct rados_backend *)b;
}

static void part_oid(char out[OID_MAX], const char *token, unsigned part)
{
	snprintf(out, OID_MAX, "%.32s.%u", token, part);
}

/* Notes an operation's outcome for /healthz and /metrics. */
static int note(struct rados_backend *rb, int ret)
{
	if (ret < 0 && ret != -ENOENT) {
		atomic_fetch_add_explicit(&rb->errors, 1, memory_order_relaxed);
		atomic_store_explicit(&rb->last_err, ret, memory_order_relaxed);
	} else {
		atomic_store_explicit(&rb->last_err, 0, memory_order_relaxed);
	}
	return ret;
}

/* Waits for the oldest in-flight write and records its outcome. */
static void wait_oldest(struct rados_upload *u)
{
	rados_completion_t c = u->ring[u->head];
	int ret;

	rados_aio_wait_for_complete(c);
	ret = rados_aio_get_return_value(c);
	rados_aio_release(c);
	u->head = (u->head + 1) % RADOS_INFLIGHT;
	u->count--;
	if (ret < 0 && !u->err)
		u->err = note(rb_of(u->b), ret);
}

static void drain(struct rados_upload *u)
{
	while (u->count > 0)
		wait_oldest(u);
}

static int rados_upload_open(struct store_backend *b, const char *token,
			     struct store_upload **out)
{
	struct rados_upload *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->b = b;
	snprintf(u->token, sizeof(u->token), "%s", token);
	*out = (struct store_upload *)u;
	return 0;
}

/* Issues one aio write of len bytes at the upload's offset, all inside
 * one part. */
static int write_piece(struct rados_upload *u, const char *data, size_t len)
{
	struct rados_backend *rb = rb_of(u->b);
	unsigned part = (unsigned)(u->off / RADOS_PART);
	uint64_t at = u->off % RADOS_PART;
	char oid[OID_MAX];
	rados_completion_t c;
	int ret;

	if (part >= u->parts) {
		/* Parts that exist stay a prefix 0..k (rados.h). */
		drain(u);
		u->parts = part + 1;
	}
	if (u->count == RADOS_INFLIGHT)
		wait_oldest(u);
	if (u->err)
		return u->err;
	ret = rados_aio_create_completion2(NULL, NULL, &c);
	if (ret < 0)
		return ret;
	part_oid(oid, u->token, part);
	ret = rados_aio_write(rb->io, oid, c, data, len, at);
	if (ret < 0) {
		rados_aio_release(c);
		return note(rb, ret);
	}
	u->ring[(u->head + u->count) % RADOS_INFLIGHT] = c;
	u->count++;
	u->off += len;
	atomic_fetch_add_explicit(&rb->bytes_written, len, memory_order_relaxed);
	return 0;
}

static int rados_upload_write(struct store_upload *su, const void *data,
			      size_t len)
{
	struct rados_upload *u = (struct rados_upload *)su;
	const char *p = data;

	while (len > 0) {
		size_t room = RADOS_PART - (size_t)(u->off % RADOS_PART);
		size_t n = len < room ? len : room;
		int err = write_piece(u, p, n);

		if (err)
			return err;
		p += n;
		len -= n;
	}
	return 0;
}

static int rados_upload_finish(struct store_upload *su)
{
	struct rados_upload *u = (struct rados_upload *)su;
	char oid[OID_MAX];

	drain(u);
	if (u->err)
		return u->err;
	if (u->off == 0) {
		/* An empty file is one empty object, so reads find it. */
		int ret;

		part_oid(oid, u->token, 0);
		u->parts = 1;
		ret = rados_write_full(rb_of(u->b)->io, oid, "", 0);
		if (ret < 0)
			return note(rb_of(u->b), ret);
	}
	return 0;
}

static int rados_upload_publish(struct store_upload *su,
				const struct store_key *k,
				char locator[STORE_LOCATOR_MAX])
{
	(void)su;
	/* Durable since finish; reachable once the metadata names it. */
	return store_locator(k, locator);
}

/* Removes parts first..: a known count (abort) or until one is missing
 * (sweep). Returns 0 or the first error other than ENOENT. */
static int remove_parts(struct rados_backend *rb, const char *token,
			unsigned count, unsigned *removed)
{
	char oid[OID_MAX];
	int ret = 0;

	for (unsigned i = 0; count == 0 || i < count; i++) {
		int r;

		part_oid(oid, token, i);
		r = note(rb, rados_remove(rb->io, oid));
		if (r == 0) {
			(*removed)++;
			atomic_fetch_add_explicit(&rb->objects_removed, 1,
						  memory_order_relaxed);
		} else if (r == -ENOENT) {
			if (count == 0)
				break;
		} else {
			ret = ret ? ret : r;
			if (count == 0)
				break;
		}
	}
	return ret;
}

static int rados_upload_abort(struct store_upload *su)
{
	struct rados_upload *u = (struct rados_upload *)su;
	unsigned removed = 0;
	int err;

	drain(u);
	err = u->parts ? remove_parts(rb_of(u->b), u->token, u->parts,
				      &removed) : 0;
	free(u);
	return err;
}

static void rados_upload_close(struct store_upload *su)
{
	struct rados_upload *u = (struct rados_upload *)su;

	drain(u);
	free(u);
}

/* The token part of a locator ("<hash>.<token>"). */
static const char *locator_token(const char *locator)
{
	const char *dot = strrchr(locator, '.');

	return dot && strlen(dot + 1) == STORE_TOKEN_HEX ? dot + 1 : NULL;
}

static int rados_open(struct store_backend *b, const char *locator,
		      uint64_t size, struct store_reader *r)
{
	struct rados_backend *rb = rb_of(b);
	const char *token = locator_token(locator);
	char oid[OID_MAX];
	uint64_t psize;
	time_t mtime;
	int ret;

	if (!token)
		return -EINVAL;
	part_oid(oid, token, 0);
	ret = note(rb, rados_stat(rb->io, oid, &psize, &mtime));
	if (ret < 0)
		return ret;
	r->priv = strdup(token);
	if (!r->priv)
		return -ENOMEM;
	r->size = size;
	return 0;
}

static ssize_t rados_read_at(struct store_reader *r, uint64_t off, void *buf,
			     size_t len)
{
	struct rados_backend *rb = rb_of(r->b);
	unsigned part = (unsigned)(off / RADOS_PART);
	uint64_t at = off % RADOS_PART;
	char oid[OID_MAX];
	int ret;

	if (len > RADOS_PART - at)
		len = (size_t)(RADOS_PART - at);
	part_oid(oid, r->priv, part);
	ret = note(rb, rados_read(rb->io, oid, buf, len, at));
	if (ret > 0)
		atomic_fetch_add_explicit(&rb->bytes_read, (unsigned long)ret,
					  memory_order_relaxed);
	return ret;
}

static void rados_close_reader(struct store_reader *r)
{
	free(r->priv);
	r->priv = NULL;
}

static int rados_remove_locator(struct store_backend *b, const char *locator)
{
	const char *token = locator_token(locator);
	unsigned removed = 0;

	return token ? remove_parts(rb_of(b), token, 0, &removed) : -EINVAL;
}

static int rados_sweep_remove(struct store_backend *b, const struct store_key *k,
			      unsigned *removed)
{
	return remove_parts(rb_of(b), k->token, 0, removed);
}

/* The last operation's outcome: a probe here would block a /healthz for
 * the whole operation timeout while the cluster is down. */
static int rados_check(struct store_backend *b, char *why, size_t len)
{
	int err = atomic_load_explicit(&rb_of(b)->last_err,
				       memory_order_relaxed);

	if (err)
		snprintf(why, len, "the last RADOS operation on pool %s "
			 "failed: %s", rb_of(b)->pool, strerror(-err));
	return err;
}

static void rados_describe(struct store_backend *b, char *out, size_t len)
{
	snprintf(out, len, "rados pool %s", rb_of(b)->pool);
}

static void rados_metrics(struct store_backend *b, FILE *f)
{
	struct rados_backend *rb = rb_of(b);

	fprintf(f, "# HELP uploadd_rados_written_bytes_total Bytes written "
		"to RADOS objects.\n"
		"# TYPE uploadd_rados_written_bytes_total counter\n"
		"uploadd_rados_written_bytes_total %lu\n"
		"# HELP uploadd_rados_read_bytes_total Bytes read from RADOS.\n"
		"# TYPE uploadd_rados_read_bytes_total counter\n"
		"uploadd_rados_read_bytes_total %lu\n"
		"# HELP uploadd_rados_objects_removed_total RADOS objects "
		"removed (aborted uploads, orphans).\n"
		"# TYPE uploadd_rados_objects_removed_total counter\n"
		"uploadd_rados_objects_removed_total %lu\n"
		"# HELP uploadd_rados_errors_total Failed RADOS operations.\n"
		"# TYPE uploadd_rados_errors_total counter\n"
		"uploadd_rados_errors_total %lu\n"
		"# HELP uploadd_rados_up 1 unless the last RADOS operation "
		"failed.\n# TYPE uploadd_rados_up gauge\nuploadd_rados_up %d\n",
		atomic_load(&rb->bytes_written), atomic_load(&rb->bytes_read),
		atomic_load(&rb->objects_removed), atomic_load(&rb->errors),
		atomic_load(&rb->last_err) == 0);
}

static void rados_destroy(struct store_backend *b)
{
	struct rados_backend *rb = rb_of(b);

	rados_ioctx_destroy(rb->io);
	rados_shutdown(rb->cluster);
	free(rb);
}

static const struct store_ops rados_ops = {
	.kind = "rados",
	.writes_before_publish = true,
	.upload_open = rados_upload_open,
	.upload_write = rados_upload_write,
	.upload_finish = rados_upload_finish,
	.upload_publish = rados_upload_publish,
	.upload_abort = rados_upload_abort,
	.upload_close = rados_upload_close,
	.open = rados_open,
	.read = rados_read_at,
	.close = rados_close_reader,
	.remove = rados_remove_locator,
	.sweep_remove = rados_sweep_remove,
	.check = rados_check,
	.describe = rados_describe,
	.metrics = rados_metrics,
	.destroy = rados_destroy,
};

int store_rados_open(const char *pool, const char *conf, const char *id,
		     unsigned timeout_s, struct store_backend **out,
		     char *err, size_t errlen)
{
	struct rados_backend *rb = calloc(1, sizeof(*rb));
	char secs[16], fsid[64];
	int ret;

	if (!rb) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(rb->pool, sizeof(rb->pool), "%s", pool);
	ret = rados_create(&rb->cluster, id);
	if (ret < 0) {
		snprintf(err, errlen, "cannot create a RADOS client for id %s: "
			 "%s", id, strerror(-ret));
		free(rb);
		return ret;
	}
	ret = rados_conf_read_file(rb->cluster, conf);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the Ceph configuration %s: "
			 "%s (see --ceph-conf)", conf, strerror(-ret));
		goto shutdown;
	}
	/* Bounded waits: a cluster that is down makes uploads fail with 503
	 * after timeout_s instead of hanging for ever (the default). */
	snprintf(secs, sizeof(secs), "%u", timeout_s);
	rados_conf_set(rb->cluster, "rados_osd_op_timeout", secs);
	rados_conf_set(rb->cluster, "rados_mon_op_timeout", secs);
	rados_conf_set(rb->cluster, "client_mount_timeout", secs);
	ret = rados_connect(rb->cluster);
	if (ret < 0) {
		snprintf(err, errlen, "cannot connect to the Ceph cluster of %s "
			 "as client.%s: %s (is it up? see --ceph-conf, "
			 "--ceph-id)", conf, id, strerror(-ret));
		goto shutdown;
	}
	ret = rados_ioctx_create(rb->cluster, pool, &rb->io);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open the RADOS pool %s: %s (create "
			 "it: ceph osd pool create %s)", pool, strerror(-ret),
			 pool);
		goto shutdown;
	}
	ret = rados_cluster_fsid(rb->cluster, fsid, sizeof(fsid));
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the Ceph cluster's fsid: %s",
			 strerror(-ret));
		rados_ioctx_destroy(rb->io);
		goto shutdown;
	}
	rb->base.ops = &rados_ops;
	snprintf(rb->base.id, sizeof(rb->base.id), "rados:%.*s:%s",
		 ret, fsid, pool);
	snprintf(rb->base.where, sizeof(rb->base.where), "RADOS pool %s", pool);
	*out = &rb->base;
	return 0;
shutdown:
	rados_shutdown(rb->cluster);
	free(rb);
	return ret;
}
