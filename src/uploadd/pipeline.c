/* Per-upload hash and writer threads fed by a fan-out chunk queue (see
 * pipeline.h). */
#include "uploadd/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"

#define READER_HASH  0u
#define READER_WRITE 1u
/* The writer asks the kernel to start writeback every this many bytes, so
 * the final fdatasync waits for the tail only, not the whole file; a window
 * is waited for and dropped from the page cache one step later. */
#define WRITEBACK_STEP (8u * 1024 * 1024)
/* Both threads only loop over a queue: a small stack keeps thread creation
 * cheap and lets glibc cache it. */
#define THREAD_STACK (256u * 1024)

static EVP_MD *sha256_md;

int pipeline_global_init(void)
{
	/* Fetched once: an implicit fetch per upload costs a lock and a
	 * lookup in OpenSSL 3. */
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return sha256_md ? 0 : -ENOSYS;
}

void pipeline_global_cleanup(void)
{
	EVP_MD_free(sha256_md);
	sha256_md = NULL;
	chunkq_release_spares();
}

static void *hash_main(void *arg)
{
	struct pipeline *p = arg;
	const char *data;
	size_t len;
	int ret;

	pthread_setname_np(pthread_self(), "up-hash");
	while ((ret = chunkq_next(&p->q, READER_HASH, &data, &len)) == 1) {
		EVP_DigestUpdate(p->md, data, len);
		chunkq_release(&p->q, READER_HASH);
	}
	if (ret == 0)
		EVP_DigestFinal_ex(p->md, p->digest, NULL);
	return NULL;
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

static void *write_main(void *arg)
{
	struct pipeline *p = arg;
	int fd = p->tmp.fd;
	uint64_t started = 0, dropped = 0; /* writeback started / dropped up to */
	const char *data;
	size_t len;
	int ret, err = 0;

	pthread_setname_np(pthread_self(), "up-write");
	while ((ret = chunkq_next(&p->q, READER_WRITE, &data, &len)) == 1) {
		err = io_write_all(fd, data, len);
		chunkq_release(&p->q, READER_WRITE);
		if (err)
			break;
		p->written += len;
		if (p->written - started >= WRITEBACK_STEP) {
			/* This window first, so the disk has work while the
			 * previous one is waited for. */
			sync_file_range(fd, (off_t)started,
					(off_t)(p->written - started),
					SYNC_FILE_RANGE_WRITE);
			if (started > dropped)
				drop_written(fd, dropped, started);
			dropped = started;
			started = p->written;
		}
	}
	if (!err && ret == 0) {
		if (fdatasync(fd) < 0)
			err = -errno;
		else /* all clean now: hand every page back */
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	}
	if (err) {
		/* Stop the producer and the hash thread: the upload failed. */
		p->write_err = err;
		chunkq_abort(&p->q, err);
	}
	return NULL;
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -err;
}

/* Starts both threads, once. Returns 0 or -EAGAIN (the queue is then
 * aborted, so a thread already started ends). */
static int pipeline_spawn(struct pipeline *p)
{
	int err;

	if (p->write_started)
		return 0;
	if (p->hash_started)
		return -EAGAIN; /* the writer failed to start before */
	err = start_thread(&p->hash_thread, hash_main, p);
	if (!err) {
		p->hash_started = true;
		err = start_thread(&p->write_thread, write_main, p);
	}
	if (err) {
		chunkq_abort(&p->q, -EAGAIN);
		return -EAGAIN;
	}
	p->write_started = true;
	return 0;
}

int pipeline_start(struct pipeline *p, struct storage *store,
		   const char *token)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->tmp.fd = -1;
	p->store = store;
	err = chunkq_init(&p->q, PIPELINE_SLOTS, PIPELINE_CHUNK, 2);
	if (err)
		return err;
	p->md = EVP_MD_CTX_new();
	if (!p->md || !EVP_DigestInit_ex(p->md, sha256_md, NULL)) {
		err = -ENOMEM;
		goto destroy;
	}
	err = storage_tmp_create(store, token, &p->tmp);
	if (err)
		goto destroy;
	return 0;
destroy:
	pipeline_destroy(p);
	return err;
}

int pipeline_write(struct pipeline *p, const char *data, size_t len)
{
	while (len > 0) {
		size_t n;

		if (!p->fill) {
			p->fill = chunkq_acquire(&p->q);
			if (!p->fill)
				return -errno;
			p->fill_len = 0;
		}
		n = PIPELINE_CHUNK - p->fill_len;
		if (n > len)
			n = len;
		memcpy(p->fill + p->fill_len, data, n);
		p->fill_len += n;
		data += n;
		len -= n;
		if (p->fill_len == PIPELINE_CHUNK) {
			chunkq_publish(&p->q, p->fill_len);
			p->fill = NULL;
			if (pipeline_spawn(p) < 0)
				return -EAGAIN;
		}
	}
	return 0;
}

static void pipeline_join(struct pipeline *p)
{
	if (p->hash_started)
		pthread_join(p->hash_thread, NULL);
	if (p->write_started)
		pthread_join(p->write_thread, NULL);
	p->hash_started = p->write_started = false;
	p->finished = true;
}

int pipeline_finish(struct pipeline *p, char sha256_hex[65], uint64_t *size)
{
	int err;

	if (p->fill && p->fill_len > 0)
		chunkq_publish(&p->q, p->fill_len);
	p->fill = NULL;
	chunkq_close(&p->q);
	err = pipeline_spawn(p);
	pipeline_join(p);
	if (err)
		return err;
	err = p->write_err ? p->write_err : chunkq_error(&p->q);
	if (err)
		return err;
	hex_encode(p->digest, sizeof(p->digest), sha256_hex);
	*size = p->written;
	return 0;
}

int pipeline_commit(struct pipeline *p, const char *final)
{
	return storage_tmp_commit(p->store, &p->tmp, final);
}

void pipeline_destroy(struct pipeline *p)
{
	if (!p->store)
		return; /* never started, or already destroyed */
	if (p->hash_started || p->write_started) {
		chunkq_abort(&p->q, -ECANCELED);
		pipeline_join(p);
	}
	storage_tmp_discard(p->store, &p->tmp);
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
	chunkq_destroy(&p->q);
	p->store = NULL;
}
