/* The line that explains a BPF load failure (see bpf_cause.h). */
#include "taskscope/attach/bpf_cause.h"

#include <stdio.h>
#include <string.h>

/* libbpf's generic follow-up lines: they say that it failed, not why. */
static bool generic_line(const char *line)
{
	static const char *const generic[] = {
		"failed to load object", "failed to load BPF skeleton",
		"failed to load: ", "BPF program load failed:",
		"failed to prepare load attributes", "failed to open",
		"-- END PROG LOAD LOG --",
	};
	size_t i;

	for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (strstr(line, generic[i]))
			return true;
	return false;
}

void ts_bpf_cause_reset(struct ts_bpf_cause *c)
{
	c->line[0] = '\0';
	c->verifier = false;
}

/* A line of the verifier's trace (an instruction, a source line, register
 * states, state pruning), not a message of its own. */
static bool trace_line(const char *p, size_t n)
{
	size_t d = strspn(p, "0123456789");

	return (d && d < n && p[d] == ':') || p[0] == ';' ||
	       !strncmp(p, "from ", 5) || !strncmp(p, "last_idx", 8) ||
	       !strncmp(p, "regs=", 5) || !strncmp(p, "parent ", 7) ||
	       !strncmp(p, "func#", 5);
}

bool ts_bpf_verifier_reason(const char *log, char *out, size_t len)
{
	const char *p, *eol, *best = NULL, *prev = NULL;
	size_t best_len = 0, prev_len = 0;

	for (p = log; *p; p = *eol ? eol + 1 : eol) {
		size_t n;

		eol = strchrnul(p, '\n');
		n = eol - p;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (!n || !strncmp(p, "processed ", 10) ||
		    !strncmp(p, "verification time", 17) ||
		    !strncmp(p, "stack depth", 11) ||
		    !strncmp(p, "-- END PROG LOAD LOG", 20) ||
		    !strncmp(p, "-- BEGIN PROG LOAD LOG", 22))
			continue;
		prev = best;
		prev_len = best_len;
		best = p;
		best_len = n;
	}
	if (!best)
		return false;
	/* The refusal is often two messages, the specific one first
	 * ("func 'sched_process_exit' doesn't have 2-th argument", then
	 * "invalid bpf_context access off=8 size=8"): keep both. */
	if (prev && !trace_line(prev, prev_len) && !trace_line(best, best_len))
		snprintf(out, len, "%.*s; %.*s", (int)prev_len, prev,
			 (int)best_len, best);
	else
		snprintf(out, len, "%.*s", (int)best_len, best);
	return true;
}

void ts_bpf_cause_verifier_log(struct ts_bpf_cause *c, const char *prog,
			       const char *log)
{
	char reason[384];

	if (!log || !ts_bpf_verifier_reason(log, reason, sizeof(reason)))
		return;
	snprintf(c->line, sizeof(c->line),
		 "the verifier rejected program %s: %s", prog, reason);
	c->verifier = true;
}

void ts_bpf_cause_warning(struct ts_bpf_cause *c, const char *msg)
{
	const char *begin = strstr(msg, "-- BEGIN PROG LOAD LOG --");
	char prog[64] = "?";
	const char *q;

	if (begin) {
		/* "prog 'NAME': -- BEGIN PROG LOAD LOG --\n<log>": the
		 * verifier's reason beats any earlier line. */
		q = strstr(msg, "prog '");
		if (q && q < begin)
			sscanf(q + 6, "%63[^']", prog);
		if (!c->verifier)
			ts_bpf_cause_verifier_log(c, prog, begin);
		return;
	}
	if (c->line[0] || generic_line(msg))
		return;
	snprintf(c->line, sizeof(c->line), "%s", msg);
	c->line[strcspn(c->line, "\n")] = '\0';
}
