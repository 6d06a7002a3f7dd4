/* libFuzzer target: uploadd's multipart field state (multipart.c) driven
 * by arbitrary sequences of post-processor callbacks, as MHD could make
 * them: any field name (known, unknown, NULL), new parts or continuations,
 * any bytes, empty announcements.
 *
 * Input: a list of calls, each [key selector][flags][length][bytes]. The
 * offset is what MHD would pass: 0 for a new part (flags bit 0) or for a
 * different field, else the bytes already given for the part.
 *
 * Checked after every call: an error is one of enum mp_error with a
 * sentence in detail, events are only MP_EV_* and only file bytes are file
 * data, small fields never outgrow their buffers. After a successful
 * mp_finish: file, filename and version were all present, the names pass
 * validate.c's grammar on their own, the file is not empty and a sha256 is
 * 64 lower-case hex digits. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_util.h"
#include "uploadd/http/multipart.h"
#include "uploadd/http/validate.h"

static const char *const keys[] = {
	"file", "filename", "version", "sha256", "path", "", "FILE", NULL,
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void check_state(const struct mp_state *st)
{
	FZ_ASSERT(st->filename_len <= FILENAME_MAX_LEN);
	FZ_ASSERT(st->version_len <= VERSION_MAX_LEN);
	FZ_ASSERT(st->sha256_len <= SHA256_HEX_LEN);
	FZ_ASSERT(st->cur >= -1 && st->cur < MP_FIELD_COUNT);
	FZ_ASSERT((st->complete & ~st->seen) == 0);
}

static void check_finished(const struct mp_state *st)
{
	FZ_ASSERT(mp_names_ready(st));
	FZ_ASSERT(strlen(st->filename) == st->filename_len);
	FZ_ASSERT(filename_problem(st->filename, st->filename_len) == NULL);
	FZ_ASSERT(strlen(st->version) == st->version_len);
	FZ_ASSERT(version_problem(st->version, st->version_len) == NULL);
	FZ_ASSERT(st->file_size > 0);
	if (mp_has_sha256(st)) {
		FZ_ASSERT(valid_sha256_hex(st->sha256, st->sha256_len));
		for (size_t i = 0; i < st->sha256_len; i++)
			FZ_ASSERT(st->sha256[i] < 'A' || st->sha256[i] > 'F');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct mp_state st;
	const char *prev_key = (const char *)-1;
	uint64_t off = 0;
	int r = 0;

	mp_init(&st);
	while (in.n > 0) {
		unsigned sel = fz_u8(&in) % NKEYS;
		unsigned flags = fz_u8(&in);
		size_t want = fz_u8(&in), len;
		const uint8_t *bytes = fz_take(&in, want, &len);
		const char *key = keys[sel];
		uint64_t before = st.file_size;

		if ((flags & 1) || key != prev_key)
			off = 0;
		prev_key = key;
		r = mp_feed(&st, key, off, (const char *)bytes, len);
		off += len;
		check_state(&st);
		if (r < 0) {
			FZ_ASSERT(-r >= MP_ERR_UNKNOWN_FIELD && -r <= MP_ERR_EMPTY_FILE);
			FZ_ASSERT(st.detail[0] != '\0');
			return 0; /* the caller stops feeding after an error */
		}
		FZ_ASSERT((r & ~(int)(MP_EV_FILE_BEGIN | MP_EV_FILE_DATA)) == 0);
		if (r & MP_EV_FILE_DATA)
			FZ_ASSERT(sel == MP_FIELD_FILE && len > 0 &&
				  st.file_size == before + len);
		else
			FZ_ASSERT(st.file_size == before);
		if (r & MP_EV_FILE_BEGIN)
			FZ_ASSERT(sel == MP_FIELD_FILE);
	}
	r = mp_finish(&st);
	check_state(&st);
	if (r == 0)
		check_finished(&st);
	else
		FZ_ASSERT(st.detail[0] != '\0');
	return 0;
}
