/* Command-line values every taskscope command parses the same way:
 * durations ("250ms", "5s", "2m"). Pure: unit-tested. */
#ifndef TASKSCOPE_CLI_H
#define TASKSCOPE_CLI_H

#include <stdint.h>

/* Parses "1.5s", "250ms", "100us", "2m", "1h" or a bare number of seconds
 * into nanoseconds. Returns 0, or -EINVAL. */
int ts_parse_duration(const char *s, uint64_t *ns);

#endif
