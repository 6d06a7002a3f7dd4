/* The server's life cycle: bind both listeners (before privileges are
 * dropped), start the libmicrohttpd daemons that dispatch to the handlers,
 * and on SIGTERM/SIGINT drain and stop. Its state (server_state.h) is
 * owned by main.c. Main thread only. */
#ifndef UPLOADD_SERVER_H
#define UPLOADD_SERVER_H

#include <signal.h>

#include "uploadd/http/server_state.h"

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
