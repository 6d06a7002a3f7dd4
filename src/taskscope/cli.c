/* Command-line values shared by taskscope's commands (see cli.h). */
#include "taskscope/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ts_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }, { "", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v * units[i].scale > 1e18)
			return -EINVAL;
		*ns = (uint64_t)(v * units[i].scale + 0.5);
		return 0;
	}
	return -EINVAL;
}
