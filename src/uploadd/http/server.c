/* Server life cycle: listeners, daemons, draining shutdown (see server.h). */
#include "uploadd/http/server.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "uploadd/store/redis_conn.h"
#include "uploadd/debug/debug.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/http/api.h"

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

int server_listen(struct uploadd_server *srv)
{
	const struct uploadd_config *cfg = srv->cfg;

	srv->api_fd = http_listen(&cfg->listen, &srv->api_port);
	if (srv->api_fd < 0) {
		log_err("cannot listen on %s: %s (choose another --listen)",
			cfg->listen.text, strerror(-srv->api_fd));
		return -1;
	}
	srv->debug_fd = -1;
	if (!cfg->debug_listen.enabled)
		return 0;
	srv->debug_fd = http_listen(&cfg->debug_listen, &srv->debug_port);
	if (srv->debug_fd < 0) {
		log_err("cannot listen on %s: %s (choose another --debug-listen "
			"or 'off')", cfg->debug_listen.text,
			strerror(-srv->debug_fd));
		close(srv->api_fd);
		return -1;
	}
	return 0;
}

int server_start(struct uploadd_server *srv)
{
	const struct uploadd_config *cfg = srv->cfg;
	char backend[STORE_ID_MAX + 16];

	srv->api_opts = (struct http_options){
		.max_connections = cfg->max_connections,
		.timeout_s = cfg->connection_timeout_s,
		.memory_limit = API_MEMORY_LIMIT,
		.thread_stack = CONN_THREAD_STACK,
		.access_log = cfg->access_log,
	};
	if (deadlines_start(&srv->deadlines, cfg->header_timeout_s) < 0) {
		log_err("cannot start the request-deadline thread (out of "
			"memory or threads?)");
		return -1;
	}
	srv->api_opts.deadlines = &srv->deadlines;
	store_describe(srv->store, backend, sizeof(backend));
	srv->debug_opts = srv->api_opts;
	srv->debug_opts.max_connections = DEBUG_CONNECTIONS;
	srv->debug_opts.memory_limit = DEBUG_MEMORY_LIMIT;
	srv->api = http_start(srv->api_fd, &srv->api_opts, api_handler, srv);
	if (srv->api)
		srv->api_fd = -1; /* MHD owns it */
	if (!srv->api) {
		log_err("cannot start the HTTP server on %s (libmicrohttpd "
			"refused; see its message above)", cfg->listen.text);
		return -1;
	}
	if (srv->debug_fd >= 0) {
		srv->debug = http_start(srv->debug_fd, &srv->debug_opts,
					debug_handler, srv);
		if (!srv->debug) {
			log_err("cannot start the debug HTTP server on %s",
				cfg->debug_listen.text);
			MHD_stop_daemon(srv->api);
			srv->api = NULL;
			return -1;
		}
		srv->debug_fd = -1;
		log_err("listening on %s (api port %u), debug on %s (port %u), "
			"storage %s, redis %s", cfg->listen.text,
			srv->api_port, cfg->debug_listen.text, srv->debug_port,
			backend, rconn_server());
	} else {
		log_err("listening on %s (api port %u), debug off, storage %s, "
			"redis %s", cfg->listen.text, srv->api_port,
			backend, rconn_server());
	}
	return 0;
}

void server_run_until_signal(struct uploadd_server *srv, const sigset_t *sigs)
{
	const struct uploadd_config *cfg = srv->cfg;
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct timespec start;
	MHD_socket fd;
	int sig = 0;

	while (sigwait(sigs, &sig) != 0)
		;
	log_err("%s: shutting down (no new connections; %ld upload(s) in "
		"flight, up to %u s to finish)", strsignal(sig),
		metrics_uploads_in_flight(), cfg->shutdown_grace_s);
	atomic_store(&srv->draining, true);
	/* Close the listening socket: new clients are refused at once. */
	fd = MHD_quiesce_daemon(srv->api);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (metrics_uploads_in_flight() > 0 &&
	       http_elapsed(&start) < cfg->shutdown_grace_s) {
		if (sigtimedwait(sigs, NULL, &tick) > 0) {
			log_err("second signal: aborting uploads in flight");
			break;
		}
	}
	if (metrics_uploads_in_flight() > 0)
		log_err("aborting %ld upload(s) still in flight (their temp "
			"files are removed and locks released)",
			metrics_uploads_in_flight());
	MHD_stop_daemon(srv->api);
	if (srv->debug)
		MHD_stop_daemon(srv->debug);
}

void server_close(struct uploadd_server *srv)
{
	deadlines_stop(&srv->deadlines); /* no daemon runs any more */
	if (srv->api_fd >= 0)
		close(srv->api_fd);
	if (srv->debug_fd >= 0)
		close(srv->debug_fd);
	srv->api_fd = srv->debug_fd = -1;
}
