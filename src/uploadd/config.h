/* uploadd's command line: flags, defaults, --help text, and reading the
 * secrets that must never be on the command line (Redis password, upload
 * token) from files.
 *
 * config_parse() is pure apart from printing --help/--version, so unit tests
 * call it with made-up argv arrays.
 */
#ifndef UPLOADD_CONFIG_H
#define UPLOADD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* Exit codes, also listed in --help. */
#define EXIT_USAGE 2

struct listen_addr {
	bool enabled;
	struct sockaddr_storage addr;
	socklen_t len;
	char text[80]; /* as given, for messages */
};

struct uploadd_config {
	struct listen_addr listen;
	struct listen_addr debug_listen;
	const char *storage_dir;       /* a directory, or NULL with rados_pool */
	const char *rados_pool;        /* --storage rados:POOL */
	const char *ceph_conf;
	const char *ceph_id;           /* client id, without "client." */
	unsigned ceph_timeout_s;       /* RADOS operation timeout */
	const char *redis_host;
	unsigned redis_port;
	const char *redis_password_file;
	unsigned redis_connect_timeout_ms;
	unsigned redis_timeout_ms;
	const char *redis_sentinels;   /* "HOST:PORT,..." or NULL */
	const char *redis_master;      /* with redis_sentinels */
	unsigned redis_min_replicas;   /* WAIT for this many before a 201 */
	unsigned redis_wait_timeout_ms;
	unsigned redis_failover_wait_ms;
	unsigned sweep_interval_s;     /* orphan sweep period */
	unsigned orphan_grace_ms;      /* heartbeat age before a sweep may
					* claim an upload */
	uint64_t max_upload_size;      /* bytes of file content */
	uint64_t small_file_max;       /* bytes: segment records up to this */
	unsigned max_uploads;          /* concurrent */
	unsigned max_connections;
	unsigned connection_timeout_s; /* idle client */
	unsigned header_timeout_s;     /* request head, from connect or the
					* previous answer */
	unsigned min_body_rate;        /* bytes/s an upload body must average
					* after connection_timeout_s; 0: none */
	unsigned lock_ttl_ms;
	unsigned shutdown_grace_s;
	const char *token_file;
	const char *user;
	bool access_log;
	int verbose;
};

enum config_action {
	CONFIG_RUN,  /* start the server */
	CONFIG_EXIT, /* --help or --version was printed: exit 0 */
};

/* Fills cfg from argv (strings point into argv). Returns CONFIG_RUN or
 * CONFIG_EXIT, or -EINVAL with a one-line reason in err (exit code 2).
 * --help and --version print to out. Not thread-safe (getopt). */
int config_parse(struct uploadd_config *cfg, int argc, char **argv, FILE *out,
		 char *err, size_t errlen);

/* Prints the --help text. */
void config_usage(FILE *f);

/* Reads a secret from path: the first line, without its line ending.
 * Returns a malloc'd NUL-terminated string (caller frees, ideally after
 * wiping it) with its length in *len, or NULL with errno set and a reason in
 * err. Warns (to the log) when the file is readable by group or others. */
char *config_read_secret(const char *path, size_t *len, char *err,
			 size_t errlen);

/* Parses "HOST:PORT", "[V6]:PORT" or "off" (when allow_off) into a. Returns
 * 0 or -EINVAL. Pure. */
int config_parse_listen(const char *s, bool allow_off, struct listen_addr *a);

/* Parses a byte count with an optional K, M, G or T suffix (powers of
 * 1024). Returns 0 or -EINVAL. Pure. */
int config_parse_size(const char *s, uint64_t *out);

#endif
