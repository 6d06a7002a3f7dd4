/* Command-line parsing and secret files for uploadd (see config.h). */
#include "uploadd/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "version.h"

void config_usage(FILE *f)
{
	/* One write, whatever the text's length: a reader that stops at the
	 * first line it wants (grep -q) must not cut a second write short
	 * (SIGPIPE). Only for stdout, before its first output, as setvbuf
	 * requires (other streams, e.g. a test's memstream, keep theirs). */
	static char buf[16384];

	if (f == stdout)
		setvbuf(f, buf, _IOFBF, sizeof(buf));
	fputs(
"uploadd: streaming upload server (HTTP, Redis metadata, SHA-256, fsync)\n"
"\n"
"Usage: uploadd [OPTIONS]\n"
"\n"
"Listeners:\n"
"  -l, --listen ADDR:PORT        public API (default 0.0.0.0:8080);\n"
"                                IPv6 as [::1]:8080\n"
"      --debug-listen ADDR:PORT  /metrics and /healthz for operators\n"
"                                (default 127.0.0.1:9090; \"off\" disables)\n"
"      --max-connections N       open connections per listener (default 512)\n"
"      --connection-timeout SEC  close a client idle this long (default 30)\n"
"      --header-timeout SEC      close a connection that has not sent a\n"
"                                whole request head this long after it\n"
"                                opened or got its last answer (default 10)\n"
"      --min-body-rate BYTES     an upload body must average this many\n"
"                                bytes/s once --connection-timeout has\n"
"                                passed, or is cut off (default 1024; 0: no\n"
"                                minimum)\n"
"Storage and uploads:\n"
"  -s, --storage DIR|rados:POOL  where files are kept: a directory (default\n"
"                                /var/lib/uploadd; created if missing) or a\n"
"                                Ceph RADOS pool\n"
"      --ceph-conf FILE          with rados: the cluster's ceph.conf\n"
"                                (default /etc/ceph/ceph.conf)\n"
"      --ceph-id NAME            with rados: the client id (default admin)\n"
"      --ceph-timeout SEC        with rados: give up an operation after\n"
"                                this long (default 30)\n"
"      --sweep-interval SEC      look for what crashed uploads left this\n"
"                                often (and at start-up; default 60)\n"
"      --orphan-grace MS         an upload silent this long, its lock gone,\n"
"                                is over (default: twice --lock-ttl)\n"
"      --max-upload-size SIZE    largest file; K, M, G, T suffixes\n"
"                                (default 8G)\n"
"      --small-file-max SIZE     with a directory: files up to this size go\n"
"                                to shared segment files, many made durable\n"
"                                by one fdatasync (default 64K; 0: every\n"
"                                file its own; at most 4M)\n"
"      --max-uploads N           concurrent uploads; more get 503 (default 128)\n"
"      --lock-ttl MS             upload lock lifetime in Redis, renewed while\n"
"                                streaming (default 60000)\n"
"      --token-file FILE         require \"Authorization: Bearer TOKEN\" on\n"
"                                uploads; TOKEN is the file's first line\n"
"Redis:\n"
"      --redis-host HOST         (default 127.0.0.1)\n"
"      --redis-port PORT         (default 6379)\n"
"      --redis-password-file FILE  AUTH with the file's first line\n"
"      --redis-connect-timeout MS  (default 1000)\n"
"      --redis-timeout MS        per command (default 2000)\n"
"      --redis-sentinel HOST:PORT[,HOST:PORT...]  find the master through\n"
"                                these Sentinels and follow its failovers\n"
"                                (instead of --redis-host/--redis-port)\n"
"      --redis-master NAME       the master's name in Sentinel\n"
"      --redis-min-replicas N    a 201 waits until N replicas have the\n"
"                                metadata (WAIT; default 1 with Sentinel,\n"
"                                else 0)\n"
"      --redis-wait-timeout MS   how long one WAIT may take (default 1000)\n"
"      --redis-failover-wait MS  with Sentinel: how long a request waits\n"
"                                for a new master (default 10000)\n"
"Process:\n"
"      --user NAME               drop root privileges to NAME after binding\n"
"      --shutdown-grace SEC      on SIGTERM, let uploads finish this long,\n"
"                                then abort them cleanly (default 10)\n"
"      --no-access-log           no per-request line on stderr\n"
"  -v, --verbose                 more diagnostics\n"
"  -h, --help                    this text\n"
"  -V, --version                 print the version\n"
"\n"
"API: POST /upload (multipart: file, filename, version, optional sha256),\n"
"GET /files/NAME, /files/NAME/VERSION (Range, ETag), /files/NAME/VERSION/meta,\n"
"/healthz, /metrics.\n"
"\n"
"Exit codes: 0 clean shutdown (SIGTERM/SIGINT) or --help/--version,\n"
"1 cannot start (bind, storage, secrets, privileges), 2 usage error.\n"
"\n"
"Examples:\n"
"  uploadd --storage /srv/uploads --redis-port 6380\n"
"  uploadd --listen 127.0.0.1:8080 --token-file /etc/uploadd/token --user uploadd\n"
"  uploadd --storage rados:uploads --ceph-conf /etc/ceph/ceph.conf \\\n"
"          --redis-sentinel 10.0.0.1:26379,10.0.0.2:26379 --redis-master files\n"
"  curl -F filename=report.pdf -F version=1 -F file=@report.pdf \\\n"
"       http://127.0.0.1:8080/upload\n"
"  curl -O http://127.0.0.1:8080/files/report.pdf/1\n", f);
}

enum {
	OPT_DEBUG_LISTEN = 256, OPT_MAX_CONNECTIONS, OPT_CONN_TIMEOUT,
	OPT_MAX_UPLOAD_SIZE, OPT_SMALL_FILE_MAX, OPT_MAX_UPLOADS, OPT_LOCK_TTL, OPT_TOKEN_FILE,
	OPT_REDIS_HOST, OPT_REDIS_PORT, OPT_REDIS_PASSWORD_FILE,
	OPT_REDIS_CONNECT_TIMEOUT, OPT_REDIS_TIMEOUT, OPT_USER,
	OPT_SHUTDOWN_GRACE, OPT_NO_ACCESS_LOG, OPT_HEADER_TIMEOUT,
	OPT_MIN_BODY_RATE, OPT_CEPH_CONF, OPT_CEPH_ID, OPT_CEPH_TIMEOUT,
	OPT_REDIS_SENTINEL, OPT_REDIS_MASTER, OPT_REDIS_MIN_REPLICAS,
	OPT_REDIS_WAIT_TIMEOUT, OPT_REDIS_FAILOVER_WAIT, OPT_SWEEP_INTERVAL,
	OPT_ORPHAN_GRACE,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "debug-listen", required_argument, NULL, OPT_DEBUG_LISTEN },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "connection-timeout", required_argument, NULL, OPT_CONN_TIMEOUT },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "min-body-rate", required_argument, NULL, OPT_MIN_BODY_RATE },
	{ "storage", required_argument, NULL, 's' },
	{ "max-upload-size", required_argument, NULL, OPT_MAX_UPLOAD_SIZE },
	{ "small-file-max", required_argument, NULL, OPT_SMALL_FILE_MAX },
	{ "max-uploads", required_argument, NULL, OPT_MAX_UPLOADS },
	{ "lock-ttl", required_argument, NULL, OPT_LOCK_TTL },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "redis-host", required_argument, NULL, OPT_REDIS_HOST },
	{ "redis-port", required_argument, NULL, OPT_REDIS_PORT },
	{ "redis-password-file", required_argument, NULL, OPT_REDIS_PASSWORD_FILE },
	{ "redis-connect-timeout", required_argument, NULL, OPT_REDIS_CONNECT_TIMEOUT },
	{ "redis-timeout", required_argument, NULL, OPT_REDIS_TIMEOUT },
	{ "ceph-conf", required_argument, NULL, OPT_CEPH_CONF },
	{ "ceph-id", required_argument, NULL, OPT_CEPH_ID },
	{ "ceph-timeout", required_argument, NULL, OPT_CEPH_TIMEOUT },
	{ "redis-sentinel", required_argument, NULL, OPT_REDIS_SENTINEL },
	{ "redis-master", required_argument, NULL, OPT_REDIS_MASTER },
	{ "redis-min-replicas", required_argument, NULL, OPT_REDIS_MIN_REPLICAS },
	{ "redis-wait-timeout", required_argument, NULL, OPT_REDIS_WAIT_TIMEOUT },
	{ "redis-failover-wait", required_argument, NULL, OPT_REDIS_FAILOVER_WAIT },
	{ "sweep-interval", required_argument, NULL, OPT_SWEEP_INTERVAL },
	{ "orphan-grace", required_argument, NULL, OPT_ORPHAN_GRACE },
	{ "user", required_argument, NULL, OPT_USER },
	{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
	{ "no-access-log", no_argument, NULL, OPT_NO_ACCESS_LOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift) /* accept "Gi" and "GiB" too */
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Parses an unsigned number in [min, max]. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int config_parse_listen(const char *s, bool allow_off, struct listen_addr *a)
{
	char host[64];
	const char *colon;
	unsigned port;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	snprintf(a->text, sizeof(a->text), "%s", s);
	if (allow_off && strcmp(s, "off") == 0)
		return 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hlen);
	}
	host[hlen] = '\0';
	if (parse_uint(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	if (hlen == 0)
		snprintf(host, sizeof(host), "0.0.0.0");
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->addr;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->addr;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		a->len = sizeof(*in);
	}
	a->enabled = true;
	return 0;
}

static void config_defaults(struct uploadd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	config_parse_listen("0.0.0.0:8080", false, &cfg->listen);
	config_parse_listen("127.0.0.1:9090", true, &cfg->debug_listen);
	cfg->storage_dir = "/var/lib/uploadd";
	cfg->redis_host = "127.0.0.1";
	cfg->redis_port = 6379;
	cfg->redis_connect_timeout_ms = 1000;
	cfg->redis_timeout_ms = 2000;
	cfg->redis_min_replicas = UINT_MAX; /* unset: depends on Sentinel */
	cfg->redis_wait_timeout_ms = 1000;
	cfg->redis_failover_wait_ms = 10000;
	cfg->ceph_conf = "/etc/ceph/ceph.conf";
	cfg->ceph_id = "admin";
	cfg->ceph_timeout_s = 30;
	cfg->sweep_interval_s = 60;
	cfg->max_upload_size = 8ull << 30;
	cfg->small_file_max = 64u << 10;
	cfg->max_uploads = 128;
	cfg->max_connections = 512;
	cfg->connection_timeout_s = 30;
	cfg->header_timeout_s = 10;
	cfg->min_body_rate = 1024;
	cfg->lock_ttl_ms = 60000;
	cfg->shutdown_grace_s = 10;
	cfg->access_log = true;
}

/* Applies one option; returns 0 or -EINVAL with err filled. */
static int config_apply(struct uploadd_config *cfg, int opt, const char *arg,
			const char *name, char *err, size_t errlen)
{
	int bad = 0;
	const char *want = NULL;

	switch (opt) {
	case 'l':
		bad = config_parse_listen(arg, false, &cfg->listen);
		want = "ADDR:PORT with a numeric address, e.g. 0.0.0.0:8080 or [::1]:8080";
		break;
	case OPT_DEBUG_LISTEN:
		bad = config_parse_listen(arg, true, &cfg->debug_listen);
		want = "ADDR:PORT, e.g. 127.0.0.1:9090, or off";
		break;
	case OPT_MAX_CONNECTIONS:
		bad = parse_uint(arg, 1, 100000, &cfg->max_connections);
		want = "a number from 1 to 100000";
		break;
	case OPT_CONN_TIMEOUT:
		bad = parse_uint(arg, 1, 86400, &cfg->connection_timeout_s);
		want = "seconds, 1 to 86400";
		break;
	case OPT_HEADER_TIMEOUT:
		bad = parse_uint(arg, 1, 86400, &cfg->header_timeout_s);
		want = "seconds, 1 to 86400";
		break;
	case OPT_MIN_BODY_RATE:
		bad = parse_uint(arg, 0, 1u << 30, &cfg->min_body_rate);
		want = "bytes per second, 0 to 1073741824";
		break;
	case 's':
		cfg->storage_dir = arg;
		cfg->rados_pool = NULL;
		bad = *arg ? 0 : -EINVAL;
		if (strncmp(arg, "rados:", 6) == 0) {
			cfg->storage_dir = NULL;
			cfg->rados_pool = arg + 6;
			bad = arg[6] ? 0 : -EINVAL;
		}
		want = "a directory or rados:POOL";
		break;
	case OPT_CEPH_CONF:
		cfg->ceph_conf = arg;
		bad = *arg ? 0 : -EINVAL;
		want = "a file";
		break;
	case OPT_CEPH_ID:
		cfg->ceph_id = arg;
		bad = *arg && !strchr(arg, ' ') ? 0 : -EINVAL;
		want = "a client id such as admin or uploadd";
		break;
	case OPT_CEPH_TIMEOUT:
		bad = parse_uint(arg, 1, 3600, &cfg->ceph_timeout_s);
		want = "seconds, 1 to 3600";
		break;
	case OPT_REDIS_SENTINEL:
		cfg->redis_sentinels = arg;
		bad = *arg && strchr(arg, ':') ? 0 : -EINVAL;
		want = "HOST:PORT[,HOST:PORT...]";
		break;
	case OPT_REDIS_MASTER:
		cfg->redis_master = arg;
		bad = *arg ? 0 : -EINVAL;
		want = "the master's name in Sentinel";
		break;
	case OPT_REDIS_MIN_REPLICAS:
		bad = parse_uint(arg, 0, 100, &cfg->redis_min_replicas);
		want = "a number from 0 to 100";
		break;
	case OPT_REDIS_WAIT_TIMEOUT:
		bad = parse_uint(arg, 1, 600000, &cfg->redis_wait_timeout_ms);
		want = "milliseconds, 1 to 600000";
		break;
	case OPT_REDIS_FAILOVER_WAIT:
		bad = parse_uint(arg, 0, 600000, &cfg->redis_failover_wait_ms);
		want = "milliseconds, 0 to 600000";
		break;
	case OPT_SWEEP_INTERVAL:
		bad = parse_uint(arg, 1, 86400, &cfg->sweep_interval_s);
		want = "seconds, 1 to 86400";
		break;
	case OPT_ORPHAN_GRACE:
		bad = parse_uint(arg, 1000, 864000000, &cfg->orphan_grace_ms);
		want = "milliseconds, 1000 to 864000000";
		break;
	case OPT_MAX_UPLOAD_SIZE:
		bad = config_parse_size(arg, &cfg->max_upload_size);
		want = "a size such as 1048576, 512M or 8G";
		break;
	case OPT_SMALL_FILE_MAX:
		cfg->small_file_max = 0;
		bad = strcmp(arg, "0") == 0 ? 0 :
		      config_parse_size(arg, &cfg->small_file_max);
		if (!bad && cfg->small_file_max > (4u << 20))
			bad = -EINVAL;
		want = "a size from 0 to 4M, such as 64K";
		break;
	case OPT_MAX_UPLOADS:
		bad = parse_uint(arg, 1, 100000, &cfg->max_uploads);
		want = "a number from 1 to 100000";
		break;
	case OPT_LOCK_TTL:
		bad = parse_uint(arg, 1000, 86400000, &cfg->lock_ttl_ms);
		want = "milliseconds, 1000 to 86400000";
		break;
	case OPT_TOKEN_FILE:
		cfg->token_file = arg;
		break;
	case OPT_REDIS_HOST:
		cfg->redis_host = arg;
		bad = *arg ? 0 : -EINVAL;
		want = "a host name or address";
		break;
	case OPT_REDIS_PORT:
		bad = parse_uint(arg, 1, 65535, &cfg->redis_port);
		want = "a port, 1 to 65535";
		break;
	case OPT_REDIS_PASSWORD_FILE:
		cfg->redis_password_file = arg;
		break;
	case OPT_REDIS_CONNECT_TIMEOUT:
		bad = parse_uint(arg, 1, 600000, &cfg->redis_connect_timeout_ms);
		want = "milliseconds, 1 to 600000";
		break;
	case OPT_REDIS_TIMEOUT:
		bad = parse_uint(arg, 1, 600000, &cfg->redis_timeout_ms);
		want = "milliseconds, 1 to 600000";
		break;
	case OPT_USER:
		cfg->user = arg;
		break;
	case OPT_SHUTDOWN_GRACE:
		bad = parse_uint(arg, 0, 3600, &cfg->shutdown_grace_s);
		want = "seconds, 0 to 3600";
		break;
	case OPT_NO_ACCESS_LOG:
		cfg->access_log = false;
		break;
	case 'v':
		cfg->verbose++;
		break;
	default:
		snprintf(err, errlen, "unknown option (see uploadd --help)");
		return -EINVAL;
	}
	if (bad) {
		snprintf(err, errlen, "invalid %s '%s': expected %s", name, arg,
			 want);
		return -EINVAL;
	}
	return 0;
}

/* The long name of an option, for messages. */
static const char *opt_name(int opt)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* True when the long option getopt_long just returned was typed in full.
 * getopt_long also takes any unambiguous prefix ("--token" for
 * --token-file), which would let a secret be given on the command line,
 * and then show up in the error about a file of that name. *word is the
 * option's own argv element (its value may follow an '='). */
static bool spelled_out(char **argv, const struct option *o,
			const char **word)
{
	/* A separate value is the last element consumed. */
	int at = optarg && optind >= 2 && optarg == argv[optind - 1] ?
		 optind - 2 : optind - 1;
	size_t n = strlen(o->name);

	*word = argv[at];
	return strncmp(*word, "--", 2) == 0 &&
	       strncmp(*word + 2, o->name, n) == 0 &&
	       ((*word)[2 + n] == '\0' || (*word)[2 + n] == '=');
}

int config_parse(struct uploadd_config *cfg, int argc, char **argv, FILE *out,
		 char *err, size_t errlen)
{
	int opt, idx;

	config_defaults(cfg);
	optind = 0; /* full reset: tests parse several argv arrays */
	opterr = 0;
	idx = -1;
	while ((opt = getopt_long(argc, argv, ":l:s:vhV", long_opts, &idx)) != -1) {
		const char *word;
		char name[48];

		if (idx >= 0 && !spelled_out(argv, &long_opts[idx], &word)) {
			/* Up to '=' only: never echo a value. */
			snprintf(err, errlen, "unknown option '%.*s' (spell "
				 "options out in full; see uploadd --help)",
				 (int)strcspn(word, "="), word);
			return -EINVAL;
		}
		idx = -1;
		if (opt == 'h') {
			config_usage(out);
			return CONFIG_EXIT;
		}
		if (opt == 'V') {
			fprintf(out, "uploadd %s\n", TS_VERSION);
			return CONFIG_EXIT;
		}
		if (opt == '?' || opt == ':') {
			const char *what = optind > 0 && optind <= argc ?
					   argv[optind - 1] : "?";

			snprintf(err, errlen, "%s '%.*s' (see uploadd --help)",
				 opt == '?' ? "unknown option" :
				 "missing value for option",
				 (int)strcspn(what, "="), what);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "--%s", opt_name(opt));
		if (config_apply(cfg, opt, optarg, name, err, errlen) < 0)
			return -EINVAL;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (uploadd takes "
			 "only options; see uploadd --help)", argv[optind]);
		return -EINVAL;
	}
	if (cfg->redis_sentinels && !cfg->redis_master) {
		snprintf(err, errlen, "--redis-sentinel needs --redis-master "
			 "NAME (the name the Sentinels monitor)");
		return -EINVAL;
	}
	if (cfg->redis_min_replicas == UINT_MAX)
		cfg->redis_min_replicas = cfg->redis_sentinels ? 1 : 0;
	if (!cfg->orphan_grace_ms)
		cfg->orphan_grace_ms = cfg->lock_ttl_ms * 2;
	return CONFIG_RUN;
}

char *config_read_secret(const char *path, size_t *len, char *err,
			 size_t errlen)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	char *nl, *s;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		log_warn("%s is readable by other users (chmod 600 %s)", path,
			 path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = '\0';
	*len = strlen(buf);
	if (*len == 0) {
		snprintf(err, errlen, "%s is empty: put the secret on its first "
			 "line", path);
		explicit_bzero(buf, sizeof(buf));
		errno = EINVAL;
		return NULL;
	}
	s = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (!s)
		snprintf(err, errlen, "out of memory reading %s", path);
	return s;
}
