/* The server: the state every handler shares (configuration, storage,
 * upload token, shutdown flag) and its life cycle: bind both listeners
 * (before privileges are dropped), start the libmicrohttpd daemons, and on
 * SIGTERM/SIGINT drain and stop.
 *
 * One instance, owned by main.c, alive for the whole run; handlers only
 * read it (draining is atomic).
 */
#ifndef UPLOADD_SERVER_H
#define UPLOADD_SERVER_H

#include <signal.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "uploadd/auth.h"
#include "uploadd/config.h"
#include "uploadd/deadline.h"
#include "uploadd/http.h"
#include "uploadd/storage.h"

struct uploadd_server {
	const struct uploadd_config *cfg;
	struct storage store;
	struct auth auth;
	atomic_bool draining; /* SIGTERM seen: refuse new uploads */
	/* Listeners: sockets until the daemons own them. */
	int api_fd, debug_fd;
	unsigned api_port, debug_port;
	struct MHD_Daemon *api, *debug;
	struct http_options api_opts, debug_opts;
	struct deadlines deadlines; /* request heads, both listeners */
};

/* Binds the API and (unless off) debug sockets. Returns 0, or -1 after
 * logging why. Main thread, before privileges are dropped. */
int server_listen(struct uploadd_server *srv);

/* Starts the daemons on the bound sockets and logs where it listens.
 * Returns 0, or -1 after logging why. Main thread. */
int server_start(struct uploadd_server *srv);

/* Waits for a signal in sigs, then drains: stops accepting, lets uploads
 * finish for --shutdown-grace (a second signal cuts it short), stops the
 * daemons (aborting what is left; each upload's cleanup removes its temp
 * file and releases its lock). Main thread. */
void server_run_until_signal(struct uploadd_server *srv, const sigset_t *sigs);

/* Stops the request-deadline thread and closes sockets no daemon took
 * over. After the daemons stopped (or never started). */
void server_close(struct uploadd_server *srv);

#endif
