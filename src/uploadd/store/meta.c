/* Metadata JSON rendering (see meta.h). */
#include "uploadd/store/meta.h"

#include <stdio.h>
#include <time.h>

void meta_write_json(struct json_writer *w, const struct file_meta *m)
{
	json_object_begin(w);
	json_kv_string(w, "filename", m->filename);
	json_kv_string(w, "version", m->version);
	json_kv_string(w, "sha256", m->sha256);
	json_kv_uint(w, "size", m->size);
	json_kv_string(w, "path", m->path);
	json_kv_string(w, "uploaded_at", m->uploaded_at);
	json_object_end(w);
}

void meta_format_time(int64_t ms, char out[META_TIME_LEN])
{
	time_t secs;
	struct tm tm;
	size_t n;

	if (ms < 0)
		ms = 0;
	secs = (time_t)(ms / 1000);
	gmtime_r(&secs, &tm);
	n = strftime(out, META_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, META_TIME_LEN - n, ".%03uZ", (unsigned)(ms % 1000));
}
