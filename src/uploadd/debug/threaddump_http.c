/* The /debug/threads handler (see threaddump_http.h). */
#include "uploadd/debug/threaddump_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "uploadd/debug/threaddump.h"

/* Parses ?timeout_ms. Returns 0, or -EINVAL when it is not a number in
 * 1..TD_TIMEOUT_MS_MAX. */
static int parse_timeout(const char *s, unsigned *ms)
{
	unsigned long v;
	char *end;

	*ms = TD_TIMEOUT_MS_DEFAULT;
	if (!s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > TD_TIMEOUT_MS_MAX)
		return -EINVAL;
	*ms = (unsigned)v;
	return 0;
}

enum MHD_Result threaddump_serve(struct uploadd_server *srv,
				 struct MHD_Connection *c, struct request *rq)
{
	const char *format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							 "format");
	const char *timeout = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
							  "timeout_ms");
	enum td_format fmt = TD_FORMAT_TEXT;
	char *buf = NULL;
	size_t len = 0;
	unsigned ms;
	FILE *f;
	int err;

	(void)srv;
	if (format && !strcmp(format, "json"))
		fmt = TD_FORMAT_JSON;
	else if (format && strcmp(format, "text"))
		return http_reply_error(c, rq, MHD_HTTP_BAD_REQUEST, false,
					"unknown format '%.32s' (use "
					"format=text or format=json)", format);
	if (parse_timeout(timeout, &ms) < 0)
		return http_reply_error(c, rq, MHD_HTTP_BAD_REQUEST, false,
					"timeout_ms must be a number of "
					"milliseconds from 1 to %u",
					TD_TIMEOUT_MS_MAX);
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	err = threaddump_write(f, fmt, ms);
	if (fclose(f) != 0 && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		log_err("/debug/threads: cannot take a thread dump: %s",
			strerror(-err));
		return http_reply_error(c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
					false, "cannot take a thread dump: %s "
					"(see uploadd's log)", strerror(-err));
	}
	return http_reply_owned(c, rq, MHD_HTTP_OK, fmt == TD_FORMAT_JSON ?
				"application/json" : "text/plain; charset=utf-8",
				buf, len);
}
