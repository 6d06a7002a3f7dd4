/* uploadd: parses flags, wires the modules together, runs until SIGTERM or
 * SIGINT, then shuts down cleanly. Exit codes: 0 clean shutdown, 1 cannot
 * start, 2 usage (see config.c).
 *
 * Order matters: secrets are read and sockets bound while still root, then
 * privileges are dropped, and only then do threads start. SIGTERM/SIGINT
 * are blocked in every thread and taken by sigwait() here, so no handler
 * runs in the middle of an upload; SIGPIPE is ignored (a Redis socket that
 * closes must give an error, not kill the process).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "uploadd/api.h"
#include "uploadd/config.h"
#include "uploadd/debug.h"
#include "uploadd/http.h"
#include "uploadd/metrics.h"
#include "uploadd/pipeline.h"
#include "uploadd/privs.h"
#include "uploadd/redis_store.h"
#include "uploadd/server.h"

/* Per-connection memory in MHD: the read buffer and the headers. Large
 * enough for big reads of the body; not larger, because MHD zeroes the
 * whole pool between keep-alive requests (measured: 256 KiB cost ~45 us of
 * memset per request). */
#define API_MEMORY_LIMIT   (128u * 1024)
#define DEBUG_MEMORY_LIMIT (64u * 1024)
#define DEBUG_CONNECTIONS  16u
/* Connection threads need little stack (state lives on the heap); a small
 * stack lets glibc's stack cache (40 MiB) reuse them instead of mapping and
 * faulting in a fresh 8 MiB stack per connection. Sanitizers need more. */
#define CONN_THREAD_STACK  (1024u * 1024)

struct listeners {
	int api_fd, debug_fd;
	unsigned api_port, debug_port;
	struct MHD_Daemon *api, *debug;
	struct http_options api_opts, debug_opts;
};

/* Reads --redis-password-file and --token-file. */
static int load_secrets(const struct uploadd_config *cfg,
			struct uploadd_server *srv, char **redis_password)
{
	char err[512];
	size_t len;
	char *token;

	*redis_password = NULL;
	if (cfg->redis_password_file) {
		*redis_password = config_read_secret(cfg->redis_password_file,
						     &len, err, sizeof(err));
		if (!*redis_password) {
			log_err("cannot read the Redis password: %s", err);
			return -1;
		}
	}
	if (cfg->token_file) {
		token = config_read_secret(cfg->token_file, &len, err, sizeof(err));
		if (!token) {
			log_err("cannot read the upload token: %s", err);
			return -1;
		}
		auth_set_token(&srv->auth, token, len);
		explicit_bzero(token, len);
		free(token);
	}
	return 0;
}

static int open_listeners(const struct uploadd_config *cfg,
			  struct listeners *l)
{
	l->api_fd = http_listen(&cfg->listen, &l->api_port);
	if (l->api_fd < 0) {
		log_err("cannot listen on %s: %s (choose another --listen)",
			cfg->listen.text, strerror(-l->api_fd));
		return -1;
	}
	l->debug_fd = -1;
	if (!cfg->debug_listen.enabled)
		return 0;
	l->debug_fd = http_listen(&cfg->debug_listen, &l->debug_port);
	if (l->debug_fd < 0) {
		log_err("cannot listen on %s: %s (choose another --debug-listen "
			"or 'off')", cfg->debug_listen.text,
			strerror(-l->debug_fd));
		close(l->api_fd);
		return -1;
	}
	return 0;
}

static int start_daemons(const struct uploadd_config *cfg,
			 struct uploadd_server *srv, struct listeners *l)
{
	l->api_opts = (struct http_options){
		.max_connections = cfg->max_connections,
		.timeout_s = cfg->connection_timeout_s,
		.memory_limit = API_MEMORY_LIMIT,
		.thread_stack = CONN_THREAD_STACK,
		.access_log = cfg->access_log,
	};
	l->debug_opts = l->api_opts;
	l->debug_opts.max_connections = DEBUG_CONNECTIONS;
	l->debug_opts.memory_limit = DEBUG_MEMORY_LIMIT;
	l->api = http_start(l->api_fd, &l->api_opts, api_handler, srv);
	if (!l->api) {
		log_err("cannot start the HTTP server on %s (libmicrohttpd "
			"refused; see its message above)", cfg->listen.text);
		return -1;
	}
	if (l->debug_fd < 0)
		return 0;
	l->debug = http_start(l->debug_fd, &l->debug_opts, debug_handler, srv);
	if (!l->debug) {
		log_err("cannot start the debug HTTP server on %s",
			cfg->debug_listen.text);
		MHD_stop_daemon(l->api);
		return -1;
	}
	return 0;
}

/* Waits for SIGTERM/SIGINT, then lets uploads finish for the grace period
 * (a second signal cuts it short) before the daemons stop; stopping aborts
 * what is left, and each aborted upload's cleanup removes its temp file and
 * releases its lock. */
static void run_until_signal(const struct uploadd_config *cfg,
			     struct uploadd_server *srv, struct listeners *l,
			     const sigset_t *sigs)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	unsigned waited_ms = 0;
	int sig = 0;

	while (sigwait(sigs, &sig) != 0)
		;
	log_err("%s: shutting down (no new connections; %ld upload(s) in "
		"flight, up to %u s to finish)", strsignal(sig),
		metrics_uploads_in_flight(), cfg->shutdown_grace_s);
	atomic_store(&srv->draining, true);
	{
		MHD_socket fd = MHD_quiesce_daemon(l->api);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	while (metrics_uploads_in_flight() > 0 &&
	       waited_ms < cfg->shutdown_grace_s * 1000) {
		if (sigtimedwait(sigs, NULL, &tick) > 0) {
			log_err("second signal: aborting uploads in flight");
			break;
		}
		waited_ms += 50;
	}
	if (metrics_uploads_in_flight() > 0)
		log_err("aborting %ld upload(s) still in flight (their temp "
			"files are removed and locks released)",
			metrics_uploads_in_flight());
	MHD_stop_daemon(l->api);
	if (l->debug)
		MHD_stop_daemon(l->debug);
}

int main(int argc, char **argv)
{
	static struct uploadd_server srv;
	struct uploadd_config cfg;
	struct redis_config rcfg;
	struct listeners l = { .api_fd = -1, .debug_fd = -1 };
	char err[512], *redis_password = NULL;
	unsigned removed = 0;
	sigset_t sigs;
	int ret, status = EXIT_FAILURE;

	log_set_prog("uploadd");
	ret = config_parse(&cfg, argc, argv, stdout, err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	if (ret == CONFIG_EXIT)
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	log_set_verbose(cfg.verbose);
	srv.cfg = &cfg;

	/* Before any thread: every thread inherits this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (load_secrets(&cfg, &srv, &redis_password) < 0)
		goto out;
	ret = storage_open(&srv.store, cfg.storage_dir);
	if (ret < 0) {
		log_err("cannot open the storage directory %s: %s (create it or "
			"choose another --storage)", cfg.storage_dir,
			strerror(-ret));
		goto out;
	}
	if (open_listeners(&cfg, &l) < 0)
		goto close_storage;
	if (cfg.user) {
		if (privs_drop(cfg.user, err, sizeof(err)) < 0) {
			log_err("%s", err);
			goto close_listeners;
		}
	} else if (geteuid() == 0) {
		log_warn("running as root: use --user NAME to drop privileges "
			 "after binding");
	}
	ret = storage_check_writable(&srv.store);
	if (ret < 0) {
		log_err("cannot write to the storage directory %s: %s (chown it "
			"to the user uploadd runs as)", srv.store.path,
			strerror(-ret));
		goto close_listeners;
	}
	ret = storage_remove_temps(&srv.store, &removed);
	if (ret < 0)
		log_warn("cannot clean temp files in %s: %s", srv.store.path,
			 strerror(-ret));
	else if (removed)
		log_err("removed %u temp file(s) left by an earlier run from %s",
			removed, srv.store.path);

	rcfg = (struct redis_config){
		.host = cfg.redis_host,
		.port = cfg.redis_port,
		.password = redis_password,
		.connect_timeout_ms = cfg.redis_connect_timeout_ms,
		.timeout_ms = cfg.redis_timeout_ms,
	};
	if (pipeline_global_init() < 0 || rstore_init(&rcfg) < 0) {
		log_err("cannot initialise OpenSSL SHA-256 or the Redis client "
			"(out of memory?)");
		goto close_listeners;
	}
	if (rstore_ping() < 0)
		log_warn("%s; uploads get 503 until Redis is reachable",
			 rstore_strerror());
	if (start_daemons(&cfg, &srv, &l) < 0)
		goto cleanup;
	l.api_fd = l.debug_fd = -1; /* owned by MHD now */
	if (l.debug)
		log_err("listening on %s (api port %u), debug on %s (port %u), "
			"storage %s, redis %s:%u", cfg.listen.text, l.api_port,
			cfg.debug_listen.text, l.debug_port, srv.store.path,
			cfg.redis_host, cfg.redis_port);
	else
		log_err("listening on %s (api port %u), debug off, storage %s, "
			"redis %s:%u", cfg.listen.text, l.api_port,
			srv.store.path, cfg.redis_host, cfg.redis_port);

	run_until_signal(&cfg, &srv, &l, &sigs);
	log_err("stopped");
	status = EXIT_SUCCESS;
cleanup:
	rstore_cleanup();
	pipeline_global_cleanup();
close_listeners:
	if (l.api_fd >= 0)
		close(l.api_fd);
	if (l.debug_fd >= 0)
		close(l.debug_fd);
close_storage:
	storage_close(&srv.store);
out:
	if (redis_password) {
		explicit_bzero(redis_password, strlen(redis_password));
		free(redis_password);
	}
	return status;
}
