/* One line per request on stderr (see access_log.h). */
#include "uploadd/http/access_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "uploadd/http/routes.h"

#define PATH_LOG_MAX 512 /* bytes of escaped path kept */

/* Bytes logged as they are; the rest become %XX so a line stays one
 * line and splits on spaces. */
static bool log_safe(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '%' && c != '\\';
}

/* Copies s escaped into out (cap bytes), ending with "..." when cut. */
static void escape_path(const char *s, char *out, size_t cap)
{
	if (!percent_encode_with(s, log_safe, out, cap - 3))
		strcat(out, "...");
}

size_t access_log_format(char *buf, size_t cap, const struct access_entry *e)
{
	char path[PATH_LOG_MAX];
	int n;

	escape_path(e->path ? e->path : "", path, sizeof(path));
	n = snprintf(buf, cap,
		     "uploadd: access peer=%s method=%s path=%s status=%u "
		     "in=%llu out=%llu ms=%.3f%s%s\n",
		     e->peer, e->method, path, e->status,
		     (unsigned long long)e->bytes_in,
		     (unsigned long long)e->bytes_out, e->ms,
		     e->end ? " end=" : "", e->end ? e->end : "");
	if (n < 0)
		n = 0;
	if ((size_t)n >= cap) {
		/* Keep the line a line even when cut. */
		n = (int)cap - 1;
		buf[n - 1] = '\n';
	}
	return (size_t)n;
}

void access_log_write(const struct access_entry *e)
{
	char line[PATH_LOG_MAX + 256];
	size_t len = access_log_format(line, sizeof(line), e);

	/* One write(2): lines from concurrent threads never interleave. */
	if (write(STDERR_FILENO, line, len) < 0) {
		/* Nowhere left to report it. */
	}
}
