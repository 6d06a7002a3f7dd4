/* The pprof profile builder (see pprof.h).
 *
 * Everything a profile shares is interned through one string-keyed table
 * (struct intern): strings by their text, functions by name and file,
 * mappings by module path, locations by address and symbolization. The
 * protobuf-c messages are kept in growable arrays and only pointed to at
 * encoding time, when the arrays no longer move. */
#include "threadview/pprof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/atomic_file.h"
#include "pprof.pb-c.h"

/* protobuf-c's generated names, shortened. */
#define PbProfile   Perftools__Profiles__Profile
#define PbValueType Perftools__Profiles__ValueType
#define PbSample    Perftools__Profiles__Sample
#define PbLabel     Perftools__Profiles__Label
#define PbMapping   Perftools__Profiles__Mapping
#define PbLocation  Perftools__Profiles__Location
#define PbLine      Perftools__Profiles__Line
#define PbFunction  Perftools__Profiles__Function

/* Open addressing: key -> 1-based index; NULL key = empty. */
struct intern {
	char **keys;
	uint64_t *vals;
	size_t cap, used;
};

struct ts_pprof {
	int err;                      /* sticky: first failure */
	struct intern strtab, funcs, maps, locs;
	char **strings;               /* string_table */
	size_t nstrings, capstrings;
	PbValueType *types;
	size_t ntypes;
	PbSample *samples;
	size_t nsamples, capsamples;
	PbFunction *functions;
	size_t nfunctions, capfunctions;
	PbMapping *mappings;
	size_t nmappings, capmappings;
	PbLocation *locations;
	size_t nlocations, caplocations;
	PbLine *lines;                /* lines[i] belongs to locations[i] */
	size_t caplines;
	int64_t *comments;
	size_t ncomments, capcomments;
	int64_t time_ns, duration_ns;
};

const struct ts_frame ts_pprof_no_stack = {
	.function = "[no user stack]",
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t intern_slot(const struct intern *t, const char *key)
{
	size_t i = hash_str(key) & (t->cap - 1);

	while (t->keys[i] && strcmp(t->keys[i], key))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int intern_grow(struct intern *t)
{
	struct intern n = { .cap = t->cap ? t->cap * 2 : 256 };
	size_t i, j;

	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (i = 0; i < t->cap; i++) {
		if (!t->keys[i])
			continue;
		j = intern_slot(&n, t->keys[i]);
		n.keys[j] = t->keys[i];
		n.vals[j] = t->vals[i];
	}
	n.used = t->used;
	free(t->keys);
	free(t->vals);
	*t = n;
	return 0;
}

/* The value stored for key, or 0 when absent. */
static uint64_t intern_get(const struct intern *t, const char *key)
{
	size_t i;

	if (!t->cap)
		return 0;
	i = intern_slot(t, key);
	return t->keys[i] ? t->vals[i] : 0;
}

/* Stores key -> val (key copied). Returns 0 or -ENOMEM. */
static int intern_put(struct intern *t, const char *key, uint64_t val)
{
	size_t i;

	if ((t->used + 1) * 2 > t->cap && intern_grow(t))
		return -ENOMEM;
	i = intern_slot(t, key);
	if (!t->keys[i]) {
		t->keys[i] = strdup(key);
		if (!t->keys[i])
			return -ENOMEM;
		t->used++;
	}
	t->vals[i] = val;
	return 0;
}

static void intern_free(struct intern *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->vals);
}

/* Makes room for one more element of size sz in *arr (count n, capacity
 * *cap). Returns 0 or -ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 64) * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* The string table index of s ("" is 0). Sets p->err on failure. */
static int64_t str_index(struct ts_pprof *p, const char *s)
{
	uint64_t v;
	char *copy;

	if (!s || !*s)
		return 0;
	v = intern_get(&p->strtab, s);
	if (v)
		return (int64_t)v - 1;
	copy = strdup(s);
	if (!copy || grow((void **)&p->strings, p->nstrings, &p->capstrings,
			  sizeof(*p->strings)) ||
	    intern_put(&p->strtab, s, p->nstrings + 1)) {
		free(copy);
		p->err = -ENOMEM;
		return 0;
	}
	p->strings[p->nstrings] = copy;
	return (int64_t)p->nstrings++;
}

struct ts_pprof *ts_pprof_new(const char *const *types, size_t ntypes)
{
	struct ts_pprof *p;
	size_t i;

	if (!types || ntypes == 0) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->types = calloc(ntypes, sizeof(*p->types));
	if (!p->types) {
		free(p);
		return NULL;
	}
	p->ntypes = ntypes;
	/* string_table[0] is "", never interned: str_index("") is 0. */
	if (grow((void **)&p->strings, 0, &p->capstrings, sizeof(*p->strings)) ||
	    !(p->strings[0] = strdup("")))
		p->err = -ENOMEM;
	else
		p->nstrings = 1;
	for (i = 0; i < ntypes; i++) {
		perftools__profiles__value_type__init(&p->types[i]);
		p->types[i].type = str_index(p, types[2 * i]);
		p->types[i].unit = str_index(p, types[2 * i + 1]);
	}
	if (p->err) {
		ts_pprof_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

/* The mapping of module path, made on first use (empty range). Returns
 * its id, or 0 after setting p->err. */
static uint64_t mapping_get(struct ts_pprof *p, const char *module)
{
	uint64_t id = intern_get(&p->maps, module);
	PbMapping *m;

	if (id)
		return id;
	if (grow((void **)&p->mappings, p->nmappings, &p->capmappings,
		 sizeof(*p->mappings))) {
		p->err = -ENOMEM;
		return 0;
	}
	m = &p->mappings[p->nmappings];
	perftools__profiles__mapping__init(m);
	m->id = id = p->nmappings + 1;
	m->filename = str_index(p, module);
	m->memory_start = UINT64_MAX;
	/* Symbolized already (libdw): a frame without a function is
	 * unknown, not pending. Without these pprof would symbolize again
	 * with the made-up range below and get it wrong. */
	m->has_functions = m->has_filenames = m->has_line_numbers = true;
	if (intern_put(&p->maps, module, id)) {
		p->err = -ENOMEM;
		return 0;
	}
	p->nmappings++;
	return id;
}

int ts_pprof_main_module(struct ts_pprof *p, const char *path)
{
	if (!p->err && p->nmappings == 0 && path)
		mapping_get(p, path);
	return p->err;
}

static uint64_t mapping_id(struct ts_pprof *p, const struct ts_frame *f)
{
	uint64_t id;
	PbMapping *m;

	if (!f->module)
		return 0;
	id = mapping_get(p, f->module);
	if (!id)
		return 0;
	/* No load addresses in a frame: the range is what the samples
	 * touched, enough for pprof to attribute every address. */
	m = &p->mappings[id - 1];
	if (f->pc < m->memory_start)
		m->memory_start = f->pc;
	if (f->pc >= m->memory_limit)
		m->memory_limit = f->pc + 1;
	return id;
}

static uint64_t function_id(struct ts_pprof *p, const struct ts_frame *f)
{
	char key[1024];
	PbFunction *fn;
	uint64_t id;

	snprintf(key, sizeof(key), "%s\x01%s", f->function, f->file ? f->file : "");
	id = intern_get(&p->funcs, key);
	if (id)
		return id;
	if (grow((void **)&p->functions, p->nfunctions, &p->capfunctions,
		 sizeof(*p->functions))) {
		p->err = -ENOMEM;
		return 0;
	}
	fn = &p->functions[p->nfunctions];
	perftools__profiles__function__init(fn);
	fn->id = id = p->nfunctions + 1;
	fn->name = fn->system_name = str_index(p, f->function);
	fn->filename = str_index(p, f->file);
	if (intern_put(&p->funcs, key, id)) {
		p->err = -ENOMEM;
		return 0;
	}
	p->nfunctions++;
	return id;
}

static uint64_t location_id(struct ts_pprof *p, const struct ts_frame *f)
{
	char key[1100];
	PbLocation *loc;
	uint64_t id;

	/* The same pc symbolizes differently as a leaf and as a return
	 * address (pc - 1 may be another line): both are in the key. */
	snprintf(key, sizeof(key), "%" PRIx64 ":%d:%s", f->pc, f->line,
		 f->function ? f->function : "");
	id = intern_get(&p->locs, key);
	if (id)
		return id;
	if (grow((void **)&p->locations, p->nlocations, &p->caplocations,
		 sizeof(*p->locations))) {
		p->err = -ENOMEM;
		return 0;
	}
	if (grow((void **)&p->lines, p->nlocations, &p->caplines,
		 sizeof(*p->lines))) {
		p->err = -ENOMEM;
		return 0;
	}
	loc = &p->locations[p->nlocations];
	perftools__profiles__location__init(loc);
	perftools__profiles__line__init(&p->lines[p->nlocations]);
	loc->id = id = p->nlocations + 1;
	loc->address = f->pc;
	loc->mapping_id = mapping_id(p, f);
	if (f->function) {
		p->lines[p->nlocations].function_id = function_id(p, f);
		p->lines[p->nlocations].line = f->line;
		loc->n_line = 1;     /* pointed at when encoding */
	}
	if (intern_put(&p->locs, key, id)) {
		p->err = -ENOMEM;
		return 0;
	}
	p->nlocations++;
	return id;
}

int ts_pprof_sample(struct ts_pprof *p, const struct ts_frame *frames,
		    int nframes, const int64_t *values,
		    const struct ts_pprof_label *labels, size_t nlabels)
{
	PbSample *s;
	size_t i;

	if (p->err)
		return p->err;
	if (grow((void **)&p->samples, p->nsamples, &p->capsamples,
		 sizeof(*p->samples)))
		return p->err = -ENOMEM;
	s = &p->samples[p->nsamples];
	perftools__profiles__sample__init(s);
	s->location_id = calloc(nframes > 0 ? (size_t)nframes : 1,
				sizeof(*s->location_id));
	s->value = calloc(p->ntypes, sizeof(*s->value));
	s->label = calloc(nlabels ? nlabels : 1, sizeof(*s->label));
	/* Counted now, so that ts_pprof_free() frees a partial sample. */
	p->nsamples++;
	if (!s->location_id || !s->value || !s->label)
		return p->err = -ENOMEM;
	for (i = 0; i < (size_t)(nframes > 0 ? nframes : 0); i++)
		s->location_id[s->n_location_id++] = location_id(p, &frames[i]);
	memcpy(s->value, values, p->ntypes * sizeof(*s->value));
	s->n_value = p->ntypes;
	for (i = 0; i < nlabels; i++) {
		PbLabel *l = calloc(1, sizeof(*l));

		if (!l)
			return p->err = -ENOMEM;
		perftools__profiles__label__init(l);
		s->label[s->n_label++] = l;
		l->key = str_index(p, labels[i].key);
		if (labels[i].str) {
			l->str = str_index(p, labels[i].str);
		} else {
			l->num = labels[i].num;
			l->num_unit = str_index(p, labels[i].unit);
		}
	}
	return p->err;
}

void ts_pprof_set_time(struct ts_pprof *p, int64_t time_ns, int64_t duration_ns)
{
	p->time_ns = time_ns;
	p->duration_ns = duration_ns;
}

int ts_pprof_comment(struct ts_pprof *p, const char *text)
{
	int64_t i = str_index(p, text);

	if (!p->err && grow((void **)&p->comments, p->ncomments,
			    &p->capcomments, sizeof(*p->comments)))
		p->err = -ENOMEM;
	if (p->err)
		return p->err;
	p->comments[p->ncomments++] = i;
	return 0;
}

size_t ts_pprof_nsamples(const struct ts_pprof *p)
{
	return p->nsamples;
}

/* gzip (RFC 1952) of in[0..len) into a malloc'd buffer. */
static int gzip_buf(const unsigned char *in, size_t len, unsigned char **out,
		    size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap;
	int rc;

	/* windowBits 15 + 16: a gzip header and trailer, not zlib's. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len);
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}

/* Pointer arrays over the builder's element arrays, as protobuf-c wants
 * them. */
struct pb_views {
	PbValueType **types;
	PbSample **samples;
	PbMapping **mappings;
	PbLocation **locations;
	PbLine **lines;
	PbFunction **functions;
};

static void views_free(struct pb_views *v)
{
	free(v->types);
	free(v->samples);
	free(v->mappings);
	free(v->locations);
	free(v->lines);
	free(v->functions);
}

#define POINT_AT(dst, src, n) do {					\
	size_t i_;							\
	(dst) = calloc((n) ? (n) : 1, sizeof(*(dst)));			\
	if (!(dst))							\
		goto nomem;						\
	for (i_ = 0; i_ < (n); i_++)					\
		(dst)[i_] = &(src)[i_];					\
} while (0)

int ts_pprof_encode(const struct ts_pprof *p, unsigned char **out, size_t *len)
{
	PbProfile pb = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct pb_views v = { 0 };
	unsigned char *raw;
	size_t i, rawlen;
	int err;

	if (p->err)
		return p->err;
	POINT_AT(v.types, p->types, p->ntypes);
	POINT_AT(v.samples, p->samples, p->nsamples);
	POINT_AT(v.mappings, p->mappings, p->nmappings);
	POINT_AT(v.locations, p->locations, p->nlocations);
	POINT_AT(v.lines, p->lines, p->nlocations);
	POINT_AT(v.functions, p->functions, p->nfunctions);
	for (i = 0; i < p->nlocations; i++)
		p->locations[i].line = p->locations[i].n_line ? &v.lines[i] : NULL;
	for (i = 0; i < p->nmappings; i++)
		if (p->mappings[i].memory_start > p->mappings[i].memory_limit)
			p->mappings[i].memory_start = 0;   /* never used */
	pb.n_sample_type = p->ntypes;
	pb.sample_type = v.types;
	pb.period_type = v.types[0];
	pb.period = 1;
	pb.default_sample_type = p->types[0].type;
	pb.n_sample = p->nsamples;
	pb.sample = v.samples;
	pb.n_mapping = p->nmappings;
	pb.mapping = v.mappings;
	pb.n_location = p->nlocations;
	pb.location = v.locations;
	pb.n_function = p->nfunctions;
	pb.function = v.functions;
	pb.n_string_table = p->nstrings;
	pb.string_table = p->strings;
	pb.n_comment = p->ncomments;
	pb.comment = p->comments;
	pb.time_nanos = p->time_ns;
	pb.duration_nanos = p->duration_ns;
	rawlen = perftools__profiles__profile__get_packed_size(&pb);
	raw = malloc(rawlen ? rawlen : 1);
	if (!raw)
		goto nomem;
	perftools__profiles__profile__pack(&pb, raw);
	err = gzip_buf(raw, rawlen, out, len);
	free(raw);
	views_free(&v);
	return err;
nomem:
	views_free(&v);
	return -ENOMEM;
}

int ts_pprof_write(const struct ts_pprof *p, const char *path)
{
	unsigned char *buf;
	size_t len;
	int err = ts_pprof_encode(p, &buf, &len);

	if (err)
		return err;
	err = atomic_file_write_buf(path, buf, len);
	free(buf);
	return err;
}

void ts_pprof_free(struct ts_pprof *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->nsamples; i++) {
		for (j = 0; j < p->samples[i].n_label; j++)
			free(p->samples[i].label[j]);
		free(p->samples[i].label);
		free(p->samples[i].location_id);
		free(p->samples[i].value);
	}
	for (i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	intern_free(&p->strtab);
	intern_free(&p->funcs);
	intern_free(&p->maps);
	intern_free(&p->locs);
	free(p->strings);
	free(p->types);
	free(p->samples);
	free(p->functions);
	free(p->mappings);
	free(p->locations);
	free(p->lines);
	free(p->comments);
	free(p);
}
