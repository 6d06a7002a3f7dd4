/* Diagnostics to stderr, one line each, prefixed by the program name. */
#include "common/log.h"

#include <stdio.h>

static const char *log_prog = "taskscope";
static int log_verbose;

void log_set_prog(const char *prog) { log_prog = prog; }
void log_set_verbose(int level) { log_verbose = level; }
int log_verbose_level(void) { return log_verbose; }

static void log_line(const char *kind, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One call so concurrent threads never interleave within a line. */
	fprintf(stderr, "%s: %s%s\n", log_prog, kind, msg);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void log_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < level)
		return;
	va_start(ap, fmt);
	log_line("debug: ", fmt, ap);
	va_end(ap);
}
