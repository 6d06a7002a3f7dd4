/* Finding and following the Redis master (see sentinel.h). */
#include "uploadd/store/sentinel.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "common/log.h"

struct addr {
	char host[SENTINEL_HOST_MAX];
	unsigned port;
};

static const struct sentinel_config *cfg;
static struct addr sentinels[SENTINEL_MAX];
static unsigned nsentinels;

static pthread_mutex_t master_lock = PTHREAD_MUTEX_INITIALIZER;
static struct addr master;        /* under master_lock */
static bool master_known;         /* under master_lock */
static atomic_uint generation;
static atomic_ulong switches;     /* master changes seen */
static atomic_int watch_link = -1; /* index of the Sentinel watched, -1 */

static pthread_t watch_thread;
static bool watch_started;
static atomic_bool watch_stop;

/* Parses "HOST:PORT". */
static int parse_addr(const char *s, size_t len, struct addr *a)
{
	const char *colon = memrchr(s, ':', len);
	char port[8];
	char *end;
	unsigned long p;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(a->host) ||
	    (size_t)(s + len - colon - 1) >= sizeof(port) || colon + 1 == s + len)
		return -EINVAL;
	memcpy(a->host, s, (size_t)(colon - s));
	a->host[colon - s] = '\0';
	memcpy(port, colon + 1, (size_t)(s + len - colon - 1));
	port[s + len - colon - 1] = '\0';
	p = strtoul(port, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -EINVAL;
	a->port = (unsigned)p;
	return 0;
}

int sentinel_init(const struct sentinel_config *c, char *err, size_t errlen)
{
	const char *s;

	cfg = c;
	nsentinels = 0;
	if (!c->sentinels) {
		snprintf(master.host, sizeof(master.host), "%s", c->host);
		master.port = c->port;
		master_known = true;
		return 0;
	}
	for (s = c->sentinels; *s;) {
		size_t len = strcspn(s, ",");

		if (nsentinels == SENTINEL_MAX ||
		    parse_addr(s, len, &sentinels[nsentinels]) < 0) {
			snprintf(err, errlen, "invalid --redis-sentinel '%s': "
				 "expected up to %d HOST:PORT separated by commas",
				 c->sentinels, SENTINEL_MAX);
			return -EINVAL;
		}
		nsentinels++;
		s += len;
		if (*s == ',')
			s++;
	}
	if (nsentinels == 0) {
		snprintf(err, errlen, "--redis-sentinel names no Sentinel");
		return -EINVAL;
	}
	return 0;
}

bool sentinel_enabled(void)
{
	return nsentinels > 0;
}

unsigned sentinel_generation(void)
{
	return atomic_load(&generation);
}

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

static redisContext *sentinel_connect(const struct addr *a)
{
	redisContext *c = redisConnectWithTimeout(a->host, (int)a->port,
						  ms_tv(cfg->connect_timeout_ms));

	if (c && c->err) {
		redisFree(c);
		return NULL;
	}
	if (c)
		redisSetTimeout(c, ms_tv(cfg->connect_timeout_ms));
	return c;
}

/* Asks one Sentinel for the master. Returns 0 with *out set, or -1. */
static int ask(redisContext *c, struct addr *out)
{
	redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
				     cfg->master_name);
	int ret = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len < sizeof(out->host)) {
		char *end;
		unsigned long p = strtoul(r->element[1]->str, &end, 10);

		if (!*end && p > 0 && p <= 65535) {
			memcpy(out->host, r->element[0]->str, r->element[0]->len);
			out->host[r->element[0]->len] = '\0';
			out->port = (unsigned)p;
			ret = 0;
		}
	}
	if (r)
		freeReplyObject(r);
	return ret;
}

/* Records a master; bumps the generation when it moved. Under master_lock. */
static void set_master_locked(const struct addr *a, const char *why)
{
	bool moved = strcmp(a->host, master.host) != 0 || a->port != master.port;

	if (moved && master.port) {
		atomic_fetch_add(&switches, 1);
		log_err("Redis master \"%s\" is now %s:%u (was %s:%u; %s)",
			cfg->master_name, a->host, a->port, master.host,
			master.port, why);
	}
	if (moved)
		atomic_fetch_add(&generation, 1);
	master = *a;
	master_known = true;
}

int sentinel_master(char host[SENTINEL_HOST_MAX], unsigned *port,
		    unsigned *gen, char *err, size_t errlen)
{
	int ret = 0;

	pthread_mutex_lock(&master_lock);
	if (!master_known) {
		struct addr found;

		ret = -ECONNREFUSED;
		for (unsigned i = 0; i < nsentinels && ret; i++) {
			redisContext *c = sentinel_connect(&sentinels[i]);

			if (!c)
				continue;
			if (ask(c, &found) == 0) {
				set_master_locked(&found, "asked Sentinel");
				ret = 0;
			}
			redisFree(c);
		}
		if (ret)
			snprintf(err, errlen, "no Sentinel of %s names a master "
				 "\"%s\" (are they running? see --redis-sentinel, "
				 "--redis-master)", cfg->sentinels,
				 cfg->master_name);
	}
	if (!ret) {
		memcpy(host, master.host, SENTINEL_HOST_MAX);
		*port = master.port;
		*gen = atomic_load(&generation);
	}
	pthread_mutex_unlock(&master_lock);
	return ret;
}

void sentinel_invalidate(unsigned gen)
{
	if (!nsentinels)
		return;
	pthread_mutex_lock(&master_lock);
	if (gen == atomic_load(&generation))
		master_known = false;
	pthread_mutex_unlock(&master_lock);
}

/* Handles one pub/sub message: "+switch-master" "NAME OLDIP OLDPORT
 * NEWIP NEWPORT". */
static void on_message(const redisReply *r)
{
	char name[256], ip[SENTINEL_HOST_MAX];
	unsigned port;
	struct addr a;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	if (sscanf(r->element[2]->str, "%255s %*s %*u %255s %u", name, ip,
		   &port) != 3 || strcmp(name, cfg->master_name) != 0)
		return;
	snprintf(a.host, sizeof(a.host), "%s", ip);
	a.port = port;
	pthread_mutex_lock(&master_lock);
	set_master_locked(&a, "Sentinel announced +switch-master");
	pthread_mutex_unlock(&master_lock);
}

/* Follows one Sentinel until its connection fails or the thread stops. */
static void watch_one(unsigned i)
{
	redisContext *c = sentinel_connect(&sentinels[i]);
	struct addr now;
	redisReply *r;

	if (!c)
		return;
	/* A switch missed while no Sentinel was watched shows here. */
	if (ask(c, &now) == 0) {
		pthread_mutex_lock(&master_lock);
		if (master_known)
			set_master_locked(&now, "asked Sentinel");
		pthread_mutex_unlock(&master_lock);
	}
	r = redisCommand(c, "SUBSCRIBE +switch-master");
	if (!r) {
		redisFree(c);
		return;
	}
	freeReplyObject(r);
	atomic_store(&watch_link, (int)i);
	while (!atomic_load(&watch_stop)) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		void *reply = NULL;
		int n = poll(&p, 1, 200);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0)
			continue;
		if (redisBufferRead(c) != REDIS_OK)
			break;
		while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply) {
			on_message(reply);
			freeReplyObject(reply);
			reply = NULL;
		}
		if (c->err)
			break;
	}
	atomic_store(&watch_link, -1);
	redisFree(c);
}

static void *watch_main(void *arg)
{
	const struct timespec pause = { 0, 200 * 1000000L };
	unsigned i = 0;

	(void)arg;
	pthread_setname_np(pthread_self(), "up-sentinel");
	while (!atomic_load(&watch_stop)) {
		watch_one(i);
		i = (i + 1) % nsentinels;
		if (!atomic_load(&watch_stop))
			nanosleep(&pause, NULL);
	}
	return NULL;
}

int sentinel_watch_start(void)
{
	int err;

	if (!nsentinels)
		return 0;
	err = pthread_create(&watch_thread, NULL, watch_main, NULL);
	if (err)
		return -err;
	watch_started = true;
	return 0;
}

void sentinel_watch_stop(void)
{
	if (!watch_started)
		return;
	atomic_store(&watch_stop, true);
	pthread_join(watch_thread, NULL);
	watch_started = false;
}

void sentinel_describe(char *out, size_t len)
{
	int link = atomic_load(&watch_link);

	pthread_mutex_lock(&master_lock);
	if (!nsentinels)
		snprintf(out, len, "%s:%u (fixed)", master.host, master.port);
	else if (!master_known)
		snprintf(out, len, "unknown (asking Sentinel)");
	else if (link >= 0)
		snprintf(out, len, "%s:%u (from Sentinel, watching %s:%u)",
			 master.host, master.port, sentinels[link].host,
			 sentinels[link].port);
	else
		snprintf(out, len, "%s:%u (from Sentinel, no Sentinel watched)",
			 master.host, master.port);
	pthread_mutex_unlock(&master_lock);
}

void sentinel_metrics(FILE *f)
{
	fprintf(f, "# HELP uploadd_redis_master_changes_total Times the Redis "
		"master moved (Sentinel failover).\n"
		"# TYPE uploadd_redis_master_changes_total counter\n"
		"uploadd_redis_master_changes_total %lu\n"
		"# HELP uploadd_redis_sentinel_watching 1 while a Sentinel's "
		"+switch-master announcements are followed (0 without "
		"Sentinel).\n"
		"# TYPE uploadd_redis_sentinel_watching gauge\n"
		"uploadd_redis_sentinel_watching %d\n",
		atomic_load(&switches), atomic_load(&watch_link) >= 0 ? 1 : 0);
}
