/* The state every handler shares: configuration, storage, upload token,
 * shutdown flag, listeners. Only the definition: handlers include this, not
 * server.h, so the server (which dispatches to the handlers) and the
 * handlers (which read this state) do not include each other.
 *
 * One instance, owned by main.c, alive for the whole run; handlers only
 * read it (draining is atomic). */
#ifndef UPLOADD_SERVER_STATE_H
#define UPLOADD_SERVER_STATE_H

#include <stdatomic.h>

#include <microhttpd.h>

#include "uploadd/config.h"
#include "uploadd/http/auth.h"
#include "uploadd/http/http.h"
#include "uploadd/pipeline/deadline.h"
#include "uploadd/store/backend.h"

struct uploadd_server {
	const struct uploadd_config *cfg;
	struct store_backend *store; /* where bytes go (store/backend.h) */
	struct auth auth;
	atomic_bool draining; /* SIGTERM seen: refuse new uploads */
	/* Listeners: sockets until the daemons own them. */
	int api_fd, debug_fd;
	unsigned api_port, debug_port;
	struct MHD_Daemon *api, *debug;
	struct http_options api_opts, debug_opts;
	struct deadlines deadlines; /* request heads, both listeners */
};

#endif
