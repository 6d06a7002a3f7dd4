/* Multipart field state for uploads (pure, see multipart.h). */
#include "uploadd/http/multipart.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const mp_names[MP_FIELD_COUNT] = {
	[MP_FIELD_FILE] = "file",
	[MP_FIELD_FILENAME] = "filename",
	[MP_FIELD_VERSION] = "version",
	[MP_FIELD_SHA256] = "sha256",
};

bool mp_is_form_data(const char *ct)
{
	static const char want[] = "multipart/form-data";

	return ct && strncasecmp(ct, want, sizeof(want) - 1) == 0 &&
	       (ct[sizeof(want) - 1] == ';' || ct[sizeof(want) - 1] == ' ' ||
		ct[sizeof(want) - 1] == '\0');
}

void mp_init(struct mp_state *st)
{
	memset(st, 0, sizeof(*st));
	st->cur = -1;
}

__attribute__((format(printf, 3, 4)))
static int mp_fail(struct mp_state *st, enum mp_error err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
	va_end(ap);
	return -(int)err;
}

static int mp_field_of(const char *key)
{
	for (int i = 0; i < MP_FIELD_COUNT; i++)
		if (key && strcmp(key, mp_names[i]) == 0)
			return i;
	return -1;
}

/* Validates the small field whose part just ended. */
static int mp_complete(struct mp_state *st, int field)
{
	const char *why;

	switch (field) {
	case MP_FIELD_FILENAME:
		st->filename[st->filename_len] = '\0';
		why = filename_problem(st->filename, st->filename_len);
		if (why)
			return mp_fail(st, MP_ERR_BAD_FILENAME,
				       "invalid filename: it %s", why);
		break;
	case MP_FIELD_VERSION:
		st->version[st->version_len] = '\0';
		why = version_problem(st->version, st->version_len);
		if (why)
			return mp_fail(st, MP_ERR_BAD_VERSION,
				       "invalid version: it %s", why);
		break;
	case MP_FIELD_SHA256:
		st->sha256[st->sha256_len] = '\0';
		if (!valid_sha256_hex(st->sha256, st->sha256_len))
			return mp_fail(st, MP_ERR_BAD_SHA256,
				       "invalid sha256: expected 64 hex digits");
		sha256_hex_lower(st->sha256, st->sha256_len);
		break;
	default:
		break;
	}
	st->complete |= 1u << field;
	return 0;
}

/* Appends to a small field's buffer, refusing to grow past max bytes. */
static int mp_append(struct mp_state *st, char *buf, size_t *len, size_t max,
		     const char *data, size_t size)
{
	if (size > max - *len)
		return mp_fail(st, MP_ERR_FIELD_TOO_LONG,
			       "field \"%s\" is longer than %zu bytes",
			       mp_names[st->cur], max);
	memcpy(buf + *len, data, size);
	*len += size;
	return 0;
}

int mp_feed(struct mp_state *st, const char *key, uint64_t off,
	    const char *data, size_t size)
{
	int field = mp_field_of(key);
	unsigned ev = 0;
	int err;

	if (field < 0)
		return mp_fail(st, MP_ERR_UNKNOWN_FIELD,
			       "unexpected field \"%.64s\" (expected file, "
			       "filename, version and optionally sha256)",
			       key ? key : "");
	if (off == 0 && (field != st->cur || st->cur_len > 0)) {
		/* A new part: the previous one is over. */
		if (st->cur >= 0 && (err = mp_complete(st, st->cur)) < 0)
			return err;
		if (st->seen & (1u << field))
			return mp_fail(st, MP_ERR_DUPLICATE_FIELD,
				       "field \"%s\" appears more than once",
				       mp_names[field]);
		st->seen |= 1u << field;
		st->cur = field;
		st->cur_len = 0;
		if (field == MP_FIELD_FILE)
			ev |= MP_EV_FILE_BEGIN;
	} else if (field != st->cur) {
		/* Bytes for a part that is not the current one: MHD never does
		 * this for a well-formed body. */
		return mp_fail(st, MP_ERR_DUPLICATE_FIELD,
			       "field \"%s\" appears more than once",
			       mp_names[field]);
	}
	st->cur_len += size;
	switch (field) {
	case MP_FIELD_FILE:
		st->file_size += size;
		if (size > 0)
			ev |= MP_EV_FILE_DATA;
		return (int)ev;
	case MP_FIELD_FILENAME:
		err = mp_append(st, st->filename, &st->filename_len,
				FILENAME_MAX_LEN, data, size);
		break;
	case MP_FIELD_VERSION:
		err = mp_append(st, st->version, &st->version_len,
				VERSION_MAX_LEN, data, size);
		break;
	default:
		err = mp_append(st, st->sha256, &st->sha256_len,
				SHA256_HEX_LEN, data, size);
		break;
	}
	return err < 0 ? err : (int)ev;
}

int mp_finish(struct mp_state *st)
{
	int err;

	if (st->cur >= 0 && !(st->complete & (1u << st->cur)) &&
	    (err = mp_complete(st, st->cur)) < 0)
		return err;
	st->cur = -1;
	for (int f = MP_FIELD_FILE; f <= MP_FIELD_VERSION; f++)
		if (!(st->seen & (1u << f)))
			return mp_fail(st, MP_ERR_MISSING_FIELD,
				       "missing field \"%s\" (an upload needs "
				       "file, filename and version)",
				       mp_names[f]);
	if (st->file_size == 0)
		return mp_fail(st, MP_ERR_EMPTY_FILE,
			       "the file is empty");
	return 0;
}

bool mp_names_ready(const struct mp_state *st)
{
	unsigned need = (1u << MP_FIELD_FILENAME) | (1u << MP_FIELD_VERSION);

	return (st->complete & need) == need;
}

bool mp_has_sha256(const struct mp_state *st)
{
	return st->complete & (1u << MP_FIELD_SHA256);
}
