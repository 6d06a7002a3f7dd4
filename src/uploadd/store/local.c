/* The local-directory backend (see local.h). */
#include "uploadd/store/local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "uploadd/store/segstore.h"

#define ID_FILE ".uploadd-id"
/* The writer hands each KICK_STEP bytes to writeback as soon as they are
 * written (SYNC_FILE_RANGE_WRITE: no waiting), so the disk works while
 * the rest of the body arrives and the commit's fsync waits for the tail
 * only; pages are waited for and dropped from the page cache one
 * DROP_STEP window behind. */
#define KICK_STEP (1024u * 1024)
#define DROP_STEP (8u * 1024 * 1024)
/* A file smaller than this keeps its pages cached after its fsync:
 * dropping them costs more than they weigh (measured on this VM, 16
 * threads writing 4 KiB files: POSIX_FADV_DONTNEED took 7.5-8.2 us of CPU
 * per file, and the next files' write() cost the same without it, 13.5-14.2
 * against 14.1-14.8 us). Larger files still hand their pages back. */
#define DROP_MIN (64u * 1024)

struct local_backend {
	struct store_backend base;
	struct storage dir;
	struct segstore *seg;    /* small files (segstore.h); NULL before start */
	uint64_t small_max;      /* bytes; files up to this go to segments */
};

/* One upload: a file of its own, created when its first bytes show it is
 * not small, or a record in a segment. */
struct local_upload {
	struct store_backend *b; /* first: backend.c finds the ops here */
	struct storage_tmp tmp;  /* fd -1 until a file is needed */
	char token[STORE_TOKEN_HEX + 1];
	char locator[STORE_LOCATOR_MAX];
	bool published;
	bool in_segment;         /* its bytes went to the record rec */
	char names[SEG_NAMES_MAX]; /* "filename\0version\0" when given */
	size_t names_len;
	struct seg_ref rec;
	uint64_t written, kicked, dropped; /* bytes: written, handed to
					   * writeback, dropped from the cache */
};

static struct storage *dir_of(struct store_backend *b)
{
	return &((struct local_backend *)b)->dir;
}

static struct local_backend *local_of(struct store_backend *b)
{
	return (struct local_backend *)b;
}

struct storage *store_local_storage(struct store_backend *b)
{
	return dir_of(b);
}

/* Nothing is created yet: the first bytes tell whether the upload is
 * small (a segment record) or needs a file of its own. */
static int local_upload_open(struct store_backend *b, const char *token,
			     struct store_upload **out)
{
	struct local_upload *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->b = b;
	u->tmp.fd = -1;
	snprintf(u->token, sizeof(u->token), "%s", token);
	*out = (struct store_upload *)u;
	return 0;
}

/* A record that carries its names needs no intent: the sweep resolves
 * what a crash leaves of it against the metadata (segstore.h). */
static void local_upload_names(struct store_upload *su,
			       const struct store_key *k)
{
	struct local_upload *u = (struct local_upload *)su;
	size_t f = strlen(k->filename), v = strlen(k->version);

	if (f + v + 2 > sizeof(u->names))
		return;
	memcpy(u->names, k->filename, f + 1);
	memcpy(u->names + f + 1, k->version, v + 1);
	u->names_len = f + v + 2;
}

static bool local_upload_needs_intent(struct store_upload *su)
{
	struct local_upload *u = (struct local_upload *)su;

	return !(u->in_segment && u->rec.names_len);
}

/* The upload needs a file of its own. Returns 0 or -errno. */
static int open_file(struct local_upload *u)
{
	return storage_tmp_create(dir_of(u->b), u->token, &u->tmp);
}

/* More bytes came after a first piece small enough for a record: the
 * record's bytes move to a file of their own and the record dies. Only
 * possible when --small-file-max is at least the pipeline's chunk size
 * (a smaller first piece is the whole file). Returns 0 or -errno. */
static int spill(struct local_upload *u)
{
	struct segstore *ss = local_of(u->b)->seg;
	char *buf = malloc(u->rec.len);
	int err = buf ? open_file(u) : -ENOMEM;

	if (!err)
		err = segstore_read(ss, &u->rec, buf);
	if (!err)
		err = io_write_all(u->tmp.fd, buf, u->rec.len);
	free(buf);
	if (!err) {
		err = segstore_kill(ss, &u->rec);
		u->in_segment = false;
	}
	return err;
}

/* Once [from, to) has reached the disk, its pages leave the page cache.
 * Why: this VM's balloon takes free guest memory back, so every fresh
 * page-cache page faults in the host when first written; an upload that
 * leaves its pages cached makes the next uploads write into fresh pages
 * (measured: 16 MiB files written in 256 KiB writes cost 29 ms of CPU each
 * with a growing page cache, 9 ms when written pages are dropped, whose
 * memory the next writes reuse). Only a hint: errors surface at
 * fdatasync. */
static void drop_written(int fd, uint64_t from, uint64_t to)
{
	sync_file_range(fd, (off_t)from, (off_t)(to - from),
			SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
			SYNC_FILE_RANGE_WAIT_AFTER);
	posix_fadvise(fd, (off_t)from, (off_t)(to - from), POSIX_FADV_DONTNEED);
}

static int local_upload_write(struct store_upload *su, const void *data,
			      size_t len)
{
	struct local_upload *u = (struct local_upload *)su;
	struct local_backend *lb = local_of(u->b);
	int fd, err;

	if (u->tmp.fd < 0) {
		/* A first piece small enough: straight into a segment record,
		 * no copy (the pipeline hands over 256 KiB chunks, so a
		 * smaller first piece is the whole file; if more comes after
		 * all, spill() moves it). No segment ready: a file. */
		if (u->written == 0 && lb->seg && len <= lb->small_max) {
			err = segstore_append(lb->seg, u->token, u->names,
					      u->names_len, data, len, &u->rec);
			if (u->rec.seg)
				u->in_segment = true; /* abort kills it */
			if (err != -EAGAIN) {
				if (!err)
					u->written = len;
				return err;
			}
		}
		err = u->in_segment ? spill(u) : open_file(u);
		if (err)
			return err;
	}
	fd = u->tmp.fd;
	err = io_write_all(fd, data, len);
	if (err)
		return err;
	u->written += len;
	if (u->written - u->kicked >= KICK_STEP) {
		sync_file_range(fd, (off_t)u->kicked,
				(off_t)(u->written - u->kicked),
				SYNC_FILE_RANGE_WRITE);
		u->kicked = u->written;
	}
	/* A window is dropped once the next one is on its way too. */
	if (u->kicked - u->dropped >= 2 * DROP_STEP) {
		drop_written(fd, u->dropped, u->dropped + DROP_STEP);
		u->dropped += DROP_STEP;
	}
	return 0;
}

/* Every byte is written. An unnamed file is made durable by the fsync
 * that follows its link (storage_tmp_commit: data, inode and the new
 * directory entry, then one cache flush), so here the tail only goes to
 * writeback: one flush per upload fewer than an fdatasync here would
 * cost. A named temp file is renamed, which writes nothing of the file:
 * it needs its fdatasync now. */
static int local_upload_finish(struct store_upload *su)
{
	struct local_upload *u = (struct local_upload *)su;

	if (u->in_segment || u->tmp.fd < 0)
		return 0; /* a record (published by the group flush), or
			   * nothing written: the empty file is refused */
	if (u->tmp.named)
		return fdatasync(u->tmp.fd) < 0 ? -errno : 0;
	if (u->written > u->kicked)
		sync_file_range(u->tmp.fd, (off_t)u->kicked,
				(off_t)(u->written - u->kicked),
				SYNC_FILE_RANGE_WRITE);
	u->kicked = u->written;
	return 0;
}

static int local_upload_publish_then(struct store_upload *su,
				     const struct store_key *k,
				     char locator[STORE_LOCATOR_MAX],
				     struct gcommit_job *then)
{
	struct local_upload *u = (struct local_upload *)su;
	int err;

	if (u->in_segment) {
		/* The locator first: the job may record it. Then the group
		 * flush that covers the record, and the group's jobs. */
		segstore_locator(&u->rec, u->locator);
		memcpy(locator, u->locator, STORE_LOCATOR_MAX);
		err = segstore_commit(local_of(u->b)->seg, &u->rec, then);
		if (err)
			return err;
		u->published = true;
		return 0;
	}
	if (u->tmp.fd < 0 && (err = open_file(u)) < 0)
		return err; /* nothing written: an empty file */
	err = store_locator(k, u->locator);
	if (!err)
		err = storage_tmp_commit(dir_of(u->b), &u->tmp, u->locator);
	if (err)
		return err;
	if (u->written >= DROP_MIN) /* clean now: hand its pages back */
		posix_fadvise(u->tmp.fd, 0, 0, POSIX_FADV_DONTNEED);
	u->published = true;
	memcpy(locator, u->locator, STORE_LOCATOR_MAX);
	return 0;
}

static int local_upload_publish(struct store_upload *su,
				const struct store_key *k,
				char locator[STORE_LOCATOR_MAX])
{
	return local_upload_publish_then(su, k, locator, NULL);
}

static int local_upload_abort(struct store_upload *su)
{
	struct local_upload *u = (struct local_upload *)su;
	int err = 0;

	if (u->in_segment) {
		err = segstore_kill(local_of(u->b)->seg, &u->rec);
		free(u);
		return err;
	}
	if (u->published) {
		err = storage_remove(dir_of(u->b), u->locator);
		if (err == -ENOENT)
			err = 0;
	}
	storage_tmp_discard(dir_of(u->b), &u->tmp);
	free(u);
	return err;
}

static void local_upload_close(struct store_upload *su)
{
	struct local_upload *u = (struct local_upload *)su;

	if (u->in_segment)
		segstore_resolve(local_of(u->b)->seg, &u->rec, false);
	storage_tmp_discard(dir_of(u->b), &u->tmp);
	free(u);
}

static void local_upload_unsure(struct store_upload *su)
{
	struct local_upload *u = (struct local_upload *)su;

	if (u->in_segment)
		segstore_resolve(local_of(u->b)->seg, &u->rec, true);
}

static int local_open(struct store_backend *b, const char *locator,
		      uint64_t size, struct store_reader *r)
{
	uint64_t real, off;
	int fd;

	if (local_of(b)->seg && strncmp(locator, "seg-", 4) == 0) {
		fd = segstore_open_record(local_of(b)->seg, locator, size, &off);
		if (fd < 0)
			return fd;
		r->fd = fd;
		r->off = off;
		r->size = size;
		return 0;
	}
	fd = storage_open_object(dir_of(b), locator, &real);
	if (fd < 0)
		return fd;
	r->fd = fd;
	r->size = real;
	return 0;
}

static ssize_t local_read(struct store_reader *r, uint64_t off, void *buf,
			  size_t len)
{
	ssize_t n;

	if (off >= r->size)
		return 0;
	if (len > r->size - off)
		len = (size_t)(r->size - off);
	do
		n = pread(r->fd, buf, len, (off_t)(r->off + off));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void local_close(struct store_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static int local_remove(struct store_backend *b, const char *locator)
{
	if (local_of(b)->seg && strncmp(locator, "seg-", 4) == 0)
		return segstore_remove(local_of(b)->seg, locator);
	return storage_remove(dir_of(b), locator);
}

/* A dead upload left at most its linked file (crashed between the link
 * and the commit) or, without O_TMPFILE, its named temp file; an unnamed
 * temp file is freed by the kernel with the last descriptor. */
static int local_sweep_remove(struct store_backend *b, const struct store_key *k,
			      unsigned *removed)
{
	char name[STORE_LOCATOR_MAX];
	int err;

	if (k->filename[0] && k->version[0]) {
		err = store_locator(k, name);
		if (err)
			return err;
		err = storage_remove(dir_of(b), name);
		if (err == 0)
			(*removed)++;
		else if (err != -ENOENT)
			return err;
	}
	snprintf(name, sizeof(name), "%s%s", STORAGE_TMP_PREFIX, k->token);
	err = storage_remove(dir_of(b), name);
	if (err == 0)
		(*removed)++;
	else if (err != -ENOENT)
		return err;
	return local_of(b)->seg ? segstore_sweep(local_of(b)->seg, k->token,
						removed) : 0;
}

static size_t local_orphan_candidates(struct store_backend *b,
				      struct store_candidate *out, size_t max)
{
	struct seg_candidate c[64];
	size_t n, i;

	if (!local_of(b)->seg)
		return 0;
	if (max > 64)
		max = 64;
	n = segstore_candidates(local_of(b)->seg, c, max);
	for (i = 0; i < n; i++) {
		memcpy(out[i].token, c[i].token, sizeof(out[i].token));
		memcpy(out[i].filename, c[i].filename, sizeof(out[i].filename));
		memcpy(out[i].version, c[i].version, sizeof(out[i].version));
	}
	return n;
}

static int local_orphan_resolved(struct store_backend *b,
				 const struct store_candidate *c, bool committed,
				 unsigned *removed)
{
	return local_of(b)->seg ? segstore_resolved(local_of(b)->seg, c->token,
						    committed, removed) : 0;
}

static void local_sweep_settled(struct store_backend *b, int64_t before_ms)
{
	if (local_of(b)->seg)
		segstore_settled(local_of(b)->seg, before_ms);
}

static void local_metrics(struct store_backend *b, FILE *f)
{
	if (local_of(b)->seg)
		segstore_metrics(local_of(b)->seg, f);
}

static int local_check(struct store_backend *b, char *why, size_t len)
{
	int err = storage_check_writable(dir_of(b));

	if (err)
		snprintf(why, len, "cannot write to %s: %s", dir_of(b)->path,
			 strerror(-err));
	return err;
}

static void local_describe(struct store_backend *b, char *out, size_t len)
{
	snprintf(out, len, "local %s", dir_of(b)->path);
}

static void local_destroy(struct store_backend *b)
{
	segstore_close(local_of(b)->seg);
	storage_close(dir_of(b));
	free(b);
}

static const struct store_ops local_ops = {
	.kind = "local",
	/* A small upload's record is written (by up-write) before
	 * publish, into a segment that outlives a crash: without its names
	 * (the file part came first) the upload needs its intent first. */
	.writes_before_publish = true,
	.upload_open = local_upload_open,
	.upload_write = local_upload_write,
	.upload_finish = local_upload_finish,
	.upload_publish = local_upload_publish,
	.upload_publish_then = local_upload_publish_then,
	.upload_abort = local_upload_abort,
	.upload_names = local_upload_names,
	.upload_needs_intent = local_upload_needs_intent,
	.upload_close = local_upload_close,
	.upload_unsure = local_upload_unsure,
	.open = local_open,
	.read = local_read,
	.close = local_close,
	.remove = local_remove,
	.sweep_remove = local_sweep_remove,
	.sweep_settled = local_sweep_settled,
	.orphan_candidates = local_orphan_candidates,
	.orphan_resolved = local_orphan_resolved,
	.check = local_check,
	.describe = local_describe,
	.metrics = local_metrics,
	.destroy = local_destroy,
};

int store_local_open(const char *path, struct store_backend **out)
{
	struct local_backend *lb = calloc(1, sizeof(*lb));
	int err;

	if (!lb)
		return -ENOMEM;
	lb->dir.dirfd = -1;
	err = storage_open(&lb->dir, path);
	if (err) {
		free(lb);
		return err;
	}
	lb->base.ops = &local_ops;
	snprintf(lb->base.where, sizeof(lb->base.where), "%s", path);
	*out = &lb->base;
	return 0;
}

/* Reads the directory's id, creating it (O_EXCL, durable) on first use. */
static int load_id(struct storage *s, char id[STORE_TOKEN_HEX + 1])
{
	char fresh[STORE_TOKEN_HEX + 1];
	ssize_t n;
	int fd, err;

	for (int tries = 0; tries < 2; tries++) {
		fd = openat(s->dirfd, ID_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			n = read(fd, id, STORE_TOKEN_HEX);
			close(fd);
			if (n == STORE_TOKEN_HEX) {
				id[STORE_TOKEN_HEX] = '\0';
				return 0;
			}
			return -EINVAL;
		}
		if (errno != ENOENT)
			return -errno;
		err = storage_new_token(fresh);
		if (err)
			return err;
		fd = openat(s->dirfd, ID_FILE,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0) {
			if (errno == EEXIST)
				continue; /* another instance won: read it */
			return -errno;
		}
		err = io_write_all(fd, fresh, STORE_TOKEN_HEX);
		if (!err && fsync(fd) < 0)
			err = -errno;
		close(fd);
		if (!err && fsync(s->dirfd) < 0)
			err = -errno;
		if (err) {
			unlinkat(s->dirfd, ID_FILE, 0);
			return err;
		}
		memcpy(id, fresh, sizeof(fresh));
		return 0;
	}
	return -EAGAIN;
}

int store_local_start(struct store_backend *b, uint64_t small_max, char *err,
		      size_t errlen)
{
	struct storage *s = dir_of(b);
	char id[STORE_TOKEN_HEX + 1];
	unsigned removed = 0;
	int ret = storage_check_writable(s);

	if (ret < 0) {
		snprintf(err, errlen, "cannot write to the storage directory "
			 "%s: %s (chown it to the user uploadd runs as)",
			 s->path, strerror(-ret));
		return ret;
	}
	ret = load_id(s, id);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read or create %s/%s: %s (it "
			 "names the directory in Redis; remove it if damaged)",
			 s->path, ID_FILE, strerror(-ret));
		return ret;
	}
	snprintf(b->id, sizeof(b->id), "local:%s", id);
	ret = storage_remove_temps(s, &removed);
	if (ret < 0)
		log_warn("cannot clean temp files in %s: %s", s->path,
			 strerror(-ret));
	else if (removed)
		log_err("removed %u temp file(s) left by an earlier run from %s",
			removed, s->path);
	/* Opened whatever small_max is: records stored earlier stay
	 * readable, and those an earlier run left stay sweepable. */
	ret = segstore_open(s->dirfd, s->path, &local_of(b)->seg);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open the segments directory "
			 "%s/%s: %s", s->path, SEG_DIR, strerror(-ret));
		return ret;
	}
	local_of(b)->small_max = small_max;
	return 0;
}
