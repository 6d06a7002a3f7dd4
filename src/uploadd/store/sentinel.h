/* Where the Redis master is: fixed (--redis-host/--redis-port), or found
 * through Redis Sentinel (--redis-sentinel HOST:PORT,... --redis-master
 * NAME) and followed across failovers.
 *
 * With Sentinel, the master's address is asked of the Sentinels in turn
 * (SENTINEL get-master-addr-by-name) when it is not known, and forgotten
 * whenever a connection shows it is wrong: the connection fails, a write
 * gets READONLY, or ROLE on a new connection does not say "master"
 * (redis_conn.c checks). A watcher thread ("up-sentinel") subscribes to
 * +switch-master on one Sentinel and moves to the new master as soon as
 * Sentinel announces it, before any request fails. Each change bumps a
 * generation number; a connection opened under an older one is closed
 * before its next use, so no thread keeps writing to a demoted master.
 *
 * Sentinels are asked without AUTH and with the Redis connect timeout.
 */
#ifndef UPLOADD_STORE_SENTINEL_H
#define UPLOADD_STORE_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SENTINEL_MAX 8
#define SENTINEL_HOST_MAX 256

struct sentinel_config {
	const char *host;         /* fixed master, when no Sentinel */
	unsigned port;
	const char *sentinels;    /* "HOST:PORT[,HOST:PORT...]" or NULL */
	const char *master_name;  /* with sentinels */
	unsigned connect_timeout_ms;
};

/* Parses cfg->sentinels and keeps cfg (which must outlive this module).
 * Returns 0 or -EINVAL with a reason in err. Start-up. */
int sentinel_init(const struct sentinel_config *cfg, char *err, size_t errlen);

/* True when the master is found through Sentinel. */
bool sentinel_enabled(void);

/* Copies the master's address to host/port and its generation to *gen,
 * asking the Sentinels first when it is not known. Returns 0, or
 * -ECONNREFUSED with a reason in err when no Sentinel names a master. Any
 * thread. */
int sentinel_master(char host[SENTINEL_HOST_MAX], unsigned *port,
		    unsigned *gen, char *err, size_t errlen);

/* The master of generation gen proved wrong (down, READONLY, not master):
 * the next sentinel_master() asks the Sentinels again. Any thread. */
void sentinel_invalidate(unsigned gen);

/* The current generation (cheap: connections compare theirs to it). */
unsigned sentinel_generation(void);

/* Starts the +switch-master watcher thread. Returns 0 or -errno. After
 * privileges are dropped; a no-op without Sentinel. */
int sentinel_watch_start(void);

/* Stops and joins the watcher. */
void sentinel_watch_stop(void);

/* One line for /healthz: the master and where it came from. */
void sentinel_describe(char *out, size_t len);

/* Prometheus series: master changes seen, Sentinel link state. */
void sentinel_metrics(FILE *f);

#endif
