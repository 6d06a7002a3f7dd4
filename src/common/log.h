/* One-line, greppable diagnostics: "prog: what failed: why (what to do)".
 *
 * Both programs print every error through here so the format stays the same
 * everywhere. The program name is set once at start-up by main().
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stdarg.h>

/* Sets the prefix printed before every message (not copied: pass a string
 * that lives for the whole run, such as a literal). */
void log_set_prog(const char *prog);

/* Prints "prog: <message>\n" to stderr. Thread-safe (one fprintf per line). */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like log_err, prefixed with "warning: ". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints only when log_verbose_level() >= level. */
void log_debug(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_set_verbose(int level);
int log_verbose_level(void);

#endif
