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
 * the final fdatasync waits for the tail only, not the whole file. */
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

static void *write_main(void *arg)
{
	struct pipeline *p = arg;
	uint64_t flushed = 0;
	const char *data;
	size_t len;
	int ret, err = 0;

	pthread_setname_np(pthread_self(), "up-write");
	while ((ret = chunkq_next(&p->q, READER_WRITE, &data, &len)) == 1) {
		err = io_write_all(p->fd, data, len);
		chunkq_release(&p->q, READER_WRITE);
		if (err)
			break;
		p->written += len;
		if (p->written - flushed >= WRITEBACK_STEP) {
			/* Only a hint: errors surface at fdatasync. */
			sync_file_range(p->fd, (off_t)flushed,
					(off_t)(p->written - flushed),
					SYNC_FILE_RANGE_WRITE);
			flushed = p->written;
		}
	}
	if (!err && ret == 0 && fdatasync(p->fd) < 0)
		err = -errno;
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

int pipeline_start(struct pipeline *p, struct storage *store,
		   const char *token)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->store = store;
	err = chunkq_init(&p->q, PIPELINE_SLOTS, PIPELINE_CHUNK, 2);
	if (err)
		return err;
	p->md = EVP_MD_CTX_new();
	if (!p->md || !EVP_DigestInit_ex(p->md, sha256_md, NULL)) {
		err = -ENOMEM;
		goto destroy;
	}
	p->fd = storage_create_temp(store, token, p->tmp_name);
	if (p->fd < 0) {
		err = p->fd;
		goto destroy;
	}
	p->tmp_exists = true;
	err = start_thread(&p->hash_thread, hash_main, p);
	if (err)
		goto destroy;
	p->hash_started = true;
	err = start_thread(&p->write_thread, write_main, p);
	if (err)
		goto destroy;
	p->write_started = true;
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
	pipeline_join(p);
	err = p->write_err ? p->write_err : chunkq_error(&p->q);
	if (err)
		return err;
	hex_encode(p->digest, sizeof(p->digest), sha256_hex);
	*size = p->written;
	return 0;
}

int pipeline_commit(struct pipeline *p, const char *final)
{
	int err = storage_commit(p->store, p->tmp_name, final);

	if (err == 0)
		p->tmp_exists = false;
	return err;
}

void pipeline_destroy(struct pipeline *p)
{
	if (!p->store)
		return; /* never started, or already destroyed */
	if (p->hash_started || p->write_started) {
		chunkq_abort(&p->q, -ECANCELED);
		pipeline_join(p);
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	if (p->tmp_exists) {
		storage_remove(p->store, p->tmp_name);
		p->tmp_exists = false;
	}
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
	chunkq_destroy(&p->q);
	p->store = NULL;
}
