/* /proc/kallsyms loader and lookup (see kallsyms.h): text symbols sorted by
 * address, binary search. */
#include "taskscope/attach/kallsyms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ts_ksym {
	uint64_t addr;
	char *name;
};

struct ts_kallsyms {
	struct ts_ksym *syms;
	size_t n;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ts_ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ts_kallsyms *ts_kallsyms_load(void)
{
	struct ts_kallsyms *k = calloc(1, sizeof(*k));
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	bool any_addr = false;
	FILE *f;

	if (!k)
		return NULL;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		goto free_k;
	while (fgets(line, sizeof(line), f)) {
		struct ts_ksym *ns;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		any_addr |= addr != 0;
		if (k->n == cap) {
			cap = cap ? cap * 2 : 65536;
			ns = realloc(k->syms, cap * sizeof(*ns));
			if (!ns)
				goto close_f;
			k->syms = ns;
		}
		k->syms[k->n].addr = addr;
		k->syms[k->n].name = strdup(name);
		if (!k->syms[k->n].name)
			goto close_f;
		k->n++;
	}
	fclose(f);
	if (!any_addr) {
		ts_kallsyms_free(k);
		errno = EPERM;
		return NULL;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	return k;

close_f:
	fclose(f);
	ts_kallsyms_free(k);
	errno = ENOMEM;
	return NULL;
free_k:
	free(k);
	return NULL;
}

void ts_kallsyms_free(struct ts_kallsyms *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		free(k->syms[i].name);
	free(k->syms);
	free(k);
}

const char *ts_kallsyms_lookup(const struct ts_kallsyms *k, uint64_t addr,
			       uint64_t *offset)
{
	size_t lo = 0, hi = k->n;

	/* Find the last symbol with syms[i].addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*offset = addr - k->syms[lo - 1].addr;
	return k->syms[lo - 1].name;
}
