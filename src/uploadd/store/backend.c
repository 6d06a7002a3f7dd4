/* Dispatch to the configured backend, and the locator both backends use
 * (see backend.h). */
#include "uploadd/store/backend.h"

#include <errno.h>

#include "uploadd/store/segstore.h"
#include "uploadd/store/storage.h"

/* Every handle starts with its backend, so a call can find its ops. */
struct store_upload {
	struct store_backend *b;
};

int store_upload_open(struct store_backend *b, const char *token,
		      struct store_upload **out)
{
	return b->ops->upload_open(b, token, out);
}

void store_upload_names(struct store_upload *u, const struct store_key *k)
{
	if (u->b->ops->upload_names)
		u->b->ops->upload_names(u, k);
}

bool store_upload_needs_intent(struct store_upload *u)
{
	return !u->b->ops->upload_needs_intent ||
	       u->b->ops->upload_needs_intent(u);
}

int store_upload_write(struct store_upload *u, const void *data, size_t len)
{
	return u->b->ops->upload_write(u, data, len);
}

int store_upload_finish(struct store_upload *u)
{
	return u->b->ops->upload_finish(u);
}

int store_upload_publish(struct store_upload *u, const struct store_key *k,
			 char locator[STORE_LOCATOR_MAX])
{
	return u->b->ops->upload_publish(u, k, locator);
}

int store_upload_publish_then(struct store_upload *u, const struct store_key *k,
			      char locator[STORE_LOCATOR_MAX],
			      struct gcommit_job *then)
{
	if (u->b->ops->upload_publish_then)
		return u->b->ops->upload_publish_then(u, k, locator, then);
	return u->b->ops->upload_publish(u, k, locator);
}

int store_upload_abort(struct store_upload *u)
{
	return u->b->ops->upload_abort(u);
}

void store_upload_close(struct store_upload *u)
{
	u->b->ops->upload_close(u);
}

void store_upload_unsure(struct store_upload *u)
{
	if (u->b->ops->upload_unsure)
		u->b->ops->upload_unsure(u);
}

int store_open(struct store_backend *b, const char *locator, uint64_t size,
	       struct store_reader *r)
{
	if (!store_valid_locator(locator))
		return -EINVAL; /* Redis content is not trusted as a name */
	r->b = b;
	r->fd = -1;
	r->off = 0;
	r->priv = NULL;
	r->size = size;
	return b->ops->open(b, locator, size, r);
}

ssize_t store_read(struct store_reader *r, uint64_t off, void *buf,
		   size_t len)
{
	return r->b->ops->read(r, off, buf, len);
}

void store_close(struct store_reader *r)
{
	if (r->b)
		r->b->ops->close(r);
	r->b = NULL;
}

int store_remove(struct store_backend *b, const char *locator)
{
	if (!store_valid_locator(locator))
		return -EINVAL;
	return b->ops->remove(b, locator);
}

int store_sweep_remove(struct store_backend *b, const struct store_key *k,
		       unsigned *removed)
{
	*removed = 0;
	return b->ops->sweep_remove(b, k, removed);
}

void store_sweep_settled(struct store_backend *b, int64_t before_ms)
{
	if (b->ops->sweep_settled)
		b->ops->sweep_settled(b, before_ms);
}

size_t store_orphan_candidates(struct store_backend *b,
			       struct store_candidate *out, size_t max)
{
	return b->ops->orphan_candidates ? b->ops->orphan_candidates(b, out, max) :
	       0;
}

int store_orphan_resolved(struct store_backend *b,
			  const struct store_candidate *c, bool committed,
			  unsigned *removed)
{
	*removed = 0;
	return b->ops->orphan_resolved ?
	       b->ops->orphan_resolved(b, c, committed, removed) : 0;
}

int store_check(struct store_backend *b, char *why, size_t len)
{
	return b->ops->check(b, why, len);
}

void store_describe(struct store_backend *b, char *out, size_t len)
{
	b->ops->describe(b, out, len);
}

void store_metrics(struct store_backend *b, FILE *f)
{
	if (b->ops->metrics)
		b->ops->metrics(b, f);
}

void store_destroy(struct store_backend *b)
{
	if (b)
		b->ops->destroy(b);
}

int store_locator(const struct store_key *k, char out[STORE_LOCATOR_MAX])
{
	return storage_object_name(k->filename, k->version, k->token, out);
}

bool store_valid_locator(const char *s)
{
	uint32_t no;
	uint64_t off, len;

	return storage_valid_object_name(s) ||
	       segstore_parse_locator(s, &no, &off, &len);
}
