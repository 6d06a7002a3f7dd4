/* loadgen: the upload benchmark's HTTP load generator. Parses flags, builds
 * the shared request body, runs lg_run() and prints the result as text or
 * one JSON document.
 *
 * Why a C generator rather than wrk + Lua: wrk's Lua request() returns a new
 * string per request, and wrk copies it again into its own buffer, so a
 * 16 MiB upload costs two 16 MiB user-space copies plus garbage collection
 * in the client before the kernel copies it once more; on this 2-core
 * machine that CPU is taken from the server under test. Here the payload is
 * built once and shared by all requests (only the ~400-byte head with the
 * unique filename/version is formatted per request), latencies are kept
 * exactly, and non-2xx answers, connection errors and unfinished requests
 * are counted separately. Raw sockets only: no libcurl, no HTTP library.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bench/lg_run.h"
#include "common/json.h"
#include "common/log.h"
#include "uploadd/config.h"

static void usage(FILE *f)
{
	fputs(
"loadgen: HTTP upload load generator for the uploadd benchmark\n"
"\n"
"Usage: loadgen [OPTIONS] URL\n"
"\n"
"Sends multipart/form-data uploads (fields filename, version, file) over\n"
"keep-alive connections, one request after another on each, and reports\n"
"uploads/s, MiB/s of file bytes, latency percentiles of the 2xx answers and\n"
"how many answers were not 2xx. Every request names a new file version:\n"
"filename PREFIX-cCONN, version 1, 2, 3... per connection.\n"
"\n"
"  URL                    http://HOST:PORT/PATH; HOST is an IPv4 address\n"
"                         or localhost\n"
"  -s, --size SIZE        file bytes per upload, K/M/G suffixes are powers\n"
"                         of 1024 (default 4K, at most 1G)\n"
"  -c, --connections N    concurrent connections (default 1)\n"
"  -d, --duration SEC     start requests for this long, then let the ones\n"
"                         in flight finish (default 10)\n"
"  -n, --requests N       send N requests in total instead (no deadline)\n"
"  -p, --prefix NAME      filename prefix, letters, digits, . _ - (default\n"
"                         lg-PID-TIME, unique per run)\n"
"      --timeout SEC      a request with no progress this long fails\n"
"                         (default 60)\n"
"      --seed N           seed of the pseudo-random file bytes (default 1)\n"
"      --json             print one JSON document instead of text\n"
"  -h, --help             this text\n"
"\n"
"Exit codes: 0 the run took place and at least one upload got a 2xx answer\n"
"(non-2xx answers and errors are reported, not fatal); 1 no 2xx answer at\n"
"all (server down, every upload refused) or the run could not be set up;\n"
"2 usage error.\n"
"\n"
"Examples:\n"
"  loadgen -s 16M -c 16 -d 30 http://127.0.0.1:8080/upload\n"
"  loadgen -s 4K -n 1000 --json http://127.0.0.1:8080/upload\n", f);
}

struct options {
	struct lg_config cfg;
	uint64_t size;
	uint64_t seed;
	const char *url;
	bool json;
};

/* SIZE as uploadd takes it (K/M/G suffixes), up to LG_SIZE_MAX. */
static int parse_size(const char *s, uint64_t *out)
{
	if (config_parse_size(s, out) < 0 || *out > LG_SIZE_MAX)
		return -EINVAL;
	return 0;
}

static int parse_double(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min) || v > 86400.0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* http://HOST[:PORT]/PATH with an IPv4 HOST or "localhost". */
static int parse_url(const char *url, struct lg_config *cfg)
{
	const char *host = url + 7, *slash, *colon;
	char name[64];
	uint64_t port = 80;
	size_t hlen;

	if (strncmp(url, "http://", 7) != 0)
		return -EINVAL;
	slash = strchr(host, '/');
	if (!slash)
		slash = host + strlen(host);
	colon = memchr(host, ':', (size_t)(slash - host));
	hlen = (size_t)((colon ? colon : slash) - host);
	if (hlen == 0 || hlen >= sizeof(name))
		return -EINVAL;
	memcpy(name, host, hlen);
	name[hlen] = '\0';
	if (colon) {
		char pbuf[8];
		size_t plen = (size_t)(slash - colon - 1);

		if (plen == 0 || plen >= sizeof(pbuf))
			return -EINVAL;
		memcpy(pbuf, colon + 1, plen);
		pbuf[plen] = '\0';
		if (parse_u64(pbuf, 1, 65535, &port) < 0)
			return -EINVAL;
	}
	if (strcmp(name, "localhost") == 0)
		snprintf(name, sizeof(name), "127.0.0.1");
	cfg->addr.sin_family = AF_INET;
	cfg->addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, name, &cfg->addr.sin_addr) != 1)
		return -EINVAL;
	snprintf(cfg->host, sizeof(cfg->host), "%s:%u", name, (unsigned)port);
	if (strlen(*slash ? slash : "/") >= sizeof(cfg->path))
		return -EINVAL;
	snprintf(cfg->path, sizeof(cfg->path), "%s", *slash ? slash : "/");
	return 0;
}

static bool valid_prefix(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 48 || p[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		      p[i] == '_' || p[i] == '-'))
			return false;
	return true;
}

/* Prints the usage error for option opt; returns 2, the usage exit code. */
static int bad_value(const char *opt, const char *want)
{
	log_err("invalid %s \"%s\": expected %s (see loadgen --help)", opt,
		optarg, want);
	return 2;
}

/* Fills o from argv. Returns 0, 1 after --help, or 2 on a usage error (the
 * message printed). */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_TIMEOUT = 256, OPT_SEED, OPT_JSON };
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "requests", required_argument, NULL, 'n' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->size = 4096;
	o->seed = 1;
	o->cfg.conns = 1;
	o->cfg.duration_s = 10;
	o->cfg.timeout_s = 60;
	snprintf(o->cfg.prefix, sizeof(o->cfg.prefix), "lg-%d-%lld", (int)getpid(),
		 (long long)time(NULL));
	while ((c = getopt_long(argc, argv, "s:c:d:n:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &o->size) < 0)
				return bad_value("--size", "1 to 1G bytes, K/M/G suffixes");
			break;
		case 'c':
			if (parse_u64(optarg, 1, 4096, &v) < 0)
				return bad_value("--connections", "1 to 4096");
			o->cfg.conns = (unsigned)v;
			break;
		case 'd':
			if (parse_double(optarg, 0.1, &o->cfg.duration_s) < 0)
				return bad_value("--duration", "0.1 to 86400 seconds");
			break;
		case 'n':
			if (parse_u64(optarg, 1, UINT64_MAX, &o->cfg.requests) < 0)
				return bad_value("--requests", "a count of at least 1");
			o->cfg.duration_s = 0;
			break;
		case 'p':
			if (!valid_prefix(optarg))
				return bad_value("--prefix", "1 to 48 of A-Z a-z 0-9 . _ -, not starting with .");
			snprintf(o->cfg.prefix, sizeof(o->cfg.prefix), "%s", optarg);
			break;
		case OPT_TIMEOUT:
			if (parse_double(optarg, 0.1, &o->cfg.timeout_s) < 0)
				return bad_value("--timeout", "0.1 to 86400 seconds");
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->seed) < 0)
				return bad_value("--seed", "a non-negative integer");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			log_err("see loadgen --help");
			return 2;
		}
	}
	if (optind != argc - 1) {
		log_err("expected one URL, got %d arguments (see loadgen --help)",
			argc - optind);
		return 2;
	}
	o->url = argv[optind];
	if (parse_url(o->url, &o->cfg) < 0) {
		log_err("invalid URL \"%s\": expected http://IPV4:PORT/PATH "
			"(see loadgen --help)", o->url);
		return 2;
	}
	return 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void print_json(const struct options *o, struct lg_result *r)
{
	static const char *const classes[LG_CLASSES] = {
		"other", "1xx", "2xx", "3xx", "4xx", "5xx",
	};
	struct json_writer w;
	double secs = r->elapsed_s > 0 ? r->elapsed_s : 1e-9;

	json_init(&w, stdout, false);
	json_object_begin(&w);
	json_kv_string(&w, "url", o->url);
	json_kv_uint(&w, "size", o->size);
	json_kv_uint(&w, "connections", o->cfg.conns);
	json_kv_double(&w, "duration_s", o->cfg.duration_s);
	json_kv_uint(&w, "requests_limit", o->cfg.requests);
	json_kv_double(&w, "elapsed_s", r->elapsed_s);
	json_kv_uint(&w, "ok", r->ok);
	json_kv_uint(&w, "non_2xx", r->non2xx);
	json_kv_uint(&w, "errors", r->errors);
	json_kv_uint(&w, "unfinished", r->unfinished);
	json_kv_uint(&w, "connects", r->connects);
	json_kv_double(&w, "uploads_per_s", (double)r->ok / secs);
	json_kv_double(&w, "mib_per_s", (double)r->ok * (double)o->size /
					 1048576.0 / secs);
	json_key(&w, "latency_ms");
	json_object_begin(&w);
	json_kv_double(&w, "p50", ms(lg_samples_percentile(&r->lat, 50)));
	json_kv_double(&w, "p90", ms(lg_samples_percentile(&r->lat, 90)));
	json_kv_double(&w, "p99", ms(lg_samples_percentile(&r->lat, 99)));
	json_kv_double(&w, "max", ms(lg_samples_percentile(&r->lat, 100)));
	json_object_end(&w);
	json_key(&w, "status_classes");
	json_object_begin(&w);
	for (int i = 0; i < LG_CLASSES; i++)
		json_kv_uint(&w, classes[i], r->by_class[i]);
	json_object_end(&w);
	json_key(&w, "first_non_2xx");
	if (r->first_bad_status) {
		json_object_begin(&w);
		json_kv_uint(&w, "status", r->first_bad_status);
		json_kv_string(&w, "body", r->first_bad_body);
		json_object_end(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "first_error");
	if (r->first_error[0])
		json_string(&w, r->first_error);
	else
		json_null(&w);
	json_object_end(&w);
	json_end_document(&w);
}

static void print_text(const struct options *o, struct lg_result *r)
{
	double secs = r->elapsed_s > 0 ? r->elapsed_s : 1e-9;

	printf("%" PRIu64 "-byte uploads to %s, %u connection(s), %.2f s\n",
	       o->size, o->url, o->cfg.conns, r->elapsed_s);
	printf("  answers     %" PRIu64 " 2xx, %" PRIu64 " non-2xx; %" PRIu64
	       " errors, %" PRIu64 " unfinished\n", r->ok, r->non2xx,
	       r->errors, r->unfinished);
	printf("  throughput  %.1f uploads/s, %.1f MiB/s of file bytes\n",
	       (double)r->ok / secs,
	       (double)r->ok * (double)o->size / 1048576.0 / secs);
	printf("  latency     p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       ms(lg_samples_percentile(&r->lat, 50)),
	       ms(lg_samples_percentile(&r->lat, 90)),
	       ms(lg_samples_percentile(&r->lat, 99)),
	       ms(lg_samples_percentile(&r->lat, 100)));
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct lg_result res;
	struct lg_body body;
	int err, rc;

	log_set_prog("loadgen");
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	signal(SIGPIPE, SIG_IGN);
	err = lg_body_init(&body, o.size, o.seed);
	if (err) {
		log_err("cannot build a %" PRIu64 "-byte request body: %s",
			o.size, strerror(-err));
		return 1;
	}
	err = lg_run(&o.cfg, &body, &res);
	lg_body_free(&body);
	if (err) {
		log_err("cannot set up the run: %s", strerror(-err));
		return 1;
	}
	if (o.json)
		print_json(&o, &res);
	else
		print_text(&o, &res);
	fflush(stdout); /* the result before the warnings that explain it */
	if (res.first_bad_status)
		log_warn("%" PRIu64 " answer(s) were not 2xx; the first: %u %s",
			 res.non2xx, res.first_bad_status, res.first_bad_body);
	if (res.first_error[0])
		log_warn("%" PRIu64 " error(s); the first: %s", res.errors,
			 res.first_error);
	rc = res.ok > 0 ? 0 : 1;
	if (rc)
		log_err("no upload got a 2xx answer from %s%s", o.url,
			res.first_error[0] || res.first_bad_status ? " (see above)" : "");
	lg_samples_free(&res.lat);
	return rc;
}
