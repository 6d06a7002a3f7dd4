/* Folded stacks for flame graphs (see output.h): one line per distinct
 * stack, root first, frames separated by ';', then the number of threads
 * with that stack: "proc;thread;main;worker;pthread_mutex_lock;[mutex] 3".
 * The thread name is the root so per-thread-kind flames stay apart; the
 * leaf is what the thread waits on. */
#include "threadview/output.h"
#include "threadview/goroutine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Appends one frame name (';' and ' ' would break the format). */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' || *s == ' ' ? '_' : *s, f);
}

static char *fold_thread(const struct ts_thread *t)
{
	char *line = NULL;
	size_t len = 0;
	char pc[32];
	FILE *m = open_memstream(&line, &len);
	int i;

	if (!m)
		return NULL;
	put_name(m, t->name);
	for (i = t->nframes - 1; i >= 0; i--) {
		fputc(';', m);
		if (t->frames[i].function) {
			put_name(m, t->frames[i].function);
		} else {
			snprintf(pc, sizeof(pc), "0x%" PRIx64, t->frames[i].pc);
			put_name(m, pc);
		}
	}
	fprintf(m, ";[%s]", t->blocked.kind == TS_BLOCK_NONE ?
		ts_state_name(t->state) : ts_block_kind_name(t->blocked.kind));
	fclose(m);
	return line;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ts_output_folded(FILE *f, const struct ts_snapshot *s,
		     const struct ts_output_opts *o)
{
	char **lines = calloc(s->nthreads ? s->nthreads : 1, sizeof(*lines));
	size_t i, j, n = 0;
	int err = 0;

	(void)o;
	if (!lines)
		return -ENOMEM;
	for (i = 0; i < s->nthreads; i++) {
		lines[n] = fold_thread(&s->threads[i]);
		if (!lines[n]) {
			err = -ENOMEM;
			goto free_lines;
		}
		n++;
	}
	/* Identical stacks merge into one line with their count. */
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(lines[i], lines[j]); j++)
			;
		fprintf(f, "%s %zu\n", lines[i], j - i);
	}
	if (s->go && !err)
		err = ts_go_output_folded(f, s->comm, s->go);
	if (ferror(f))
		err = -EIO;
free_lines:
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return err;
}
