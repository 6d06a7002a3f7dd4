/* Per-upload hash and writer threads fed by a fan-out chunk queue (see
 * pipeline.h). */
#include "uploadd/pipeline/pipeline.h"

#include <errno.h>
#include <string.h>

#include "uploadd/pipeline/stackpool.h"

#define READER_HASH  0u
#define READER_WRITE 1u

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
	stackpool_release();
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

/* Hands every chunk to the backend, then tells it the stream ended (the
 * local backend fdatasyncs there, RADOS waits for its writes). */
static void *write_main(void *arg)
{
	struct pipeline *p = arg;
	const char *data;
	size_t len;
	int ret, err = 0;

	pthread_setname_np(pthread_self(), "up-write");
	while ((ret = chunkq_next(&p->q, READER_WRITE, &data, &len)) == 1) {
		err = store_upload_write(p->up, data, len);
		chunkq_release(&p->q, READER_WRITE);
		if (err)
			break;
		p->written += len;
	}
	if (!err && ret == 0)
		err = store_upload_finish(p->up);
	if (err) {
		/* Stop the producer and the hash thread: the upload failed. */
		p->write_err = err;
		chunkq_abort(&p->q, err);
	}
	return NULL;
}

/* Starts fn on a recycled stack (stackpool.h: both threads only loop over
 * a queue and need little), kept in *stack until joined. */
static int start_thread(pthread_t *t, void **stack, void *(*fn)(void *),
			void *arg)
{
	pthread_attr_t attr;
	int err;

	*stack = stackpool_get();
	if (!*stack)
		return -EAGAIN;
	pthread_attr_init(&attr);
	err = pthread_attr_setstack(&attr, *stack, STACKPOOL_STACK);
	if (!err)
		err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (err) {
		stackpool_put(*stack);
		*stack = NULL;
	}
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
	err = start_thread(&p->hash_thread, &p->hash_stack, hash_main, p);
	if (!err) {
		p->hash_started = true;
		err = start_thread(&p->write_thread, &p->write_stack,
				   write_main, p);
	}
	if (err) {
		chunkq_abort(&p->q, -EAGAIN);
		return -EAGAIN;
	}
	p->write_started = true;
	return 0;
}

int pipeline_start(struct pipeline *p, struct store_backend *store,
		   const char *token)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->store = store;
	err = chunkq_init(&p->q, PIPELINE_SLOTS, PIPELINE_CHUNK, 2);
	if (err)
		return err;
	p->md = EVP_MD_CTX_new();
	if (!p->md || !EVP_DigestInit_ex(p->md, sha256_md, NULL)) {
		err = -ENOMEM;
		goto destroy;
	}
	err = store_upload_open(store, token, &p->up);
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
	/* Joined: no thread runs on them any more. */
	stackpool_put(p->hash_stack);
	stackpool_put(p->write_stack);
	p->hash_stack = p->write_stack = NULL;
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

void pipeline_names(struct pipeline *p, const struct store_key *key)
{
	if (p->up)
		store_upload_names(p->up, key);
}

bool pipeline_needs_intent(struct pipeline *p)
{
	return !p->up || store_upload_needs_intent(p->up);
}

int pipeline_commit(struct pipeline *p, const struct store_key *key,
		    char locator[STORE_LOCATOR_MAX], struct gcommit_job *then)
{
	if (then)
		return store_upload_publish_then(p->up, key, locator, then);
	return store_upload_publish(p->up, key, locator);
}

void pipeline_keep(struct pipeline *p, bool unsure)
{
	if (p->up) {
		if (unsure)
			store_upload_unsure(p->up);
		store_upload_close(p->up);
	}
	p->up = NULL;
}

int pipeline_destroy(struct pipeline *p)
{
	int err = 0;

	if (!p->store)
		return 0; /* never started, or already destroyed */
	if (p->hash_started || p->write_started) {
		chunkq_abort(&p->q, -ECANCELED);
		pipeline_join(p);
	}
	if (p->up)
		err = store_upload_abort(p->up);
	p->up = NULL;
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
	chunkq_destroy(&p->q);
	p->store = NULL;
	return err;
}
