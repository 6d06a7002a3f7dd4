/* Deadlines for slow clients (slowloris): a connection must deliver a
 * complete request head (request line and headers) within --header-timeout
 * seconds of opening, or of the answer to its previous request.
 *
 * libmicrohttpd's idle timeout (--connection-timeout) starts over with
 * every byte, so a client sending one header byte every few seconds would
 * hold a connection (and its thread) for ever; a few hundred of them fill
 * --max-connections. Here each connection is registered when MHD accepts it
 * (MHD_OPTION_NOTIFY_CONNECTION), marked when its request head is complete
 * (the handler's first call) and again when the request ends, and a
 * watchdog thread shuts down (shutdown(2), on a duplicate of the socket
 * this module owns, so the fd can never be another connection's) any
 * connection still waiting for its head past the deadline. MHD's own
 * connection thread then sees the connection close and cleans up as for a
 * client that left.
 *
 * Bodies have their own rule in upload.c (a minimum average rate).
 */
#ifndef UPLOADD_DEADLINE_H
#define UPLOADD_DEADLINE_H

#include <pthread.h>
#include <stdbool.h>

#include <microhttpd.h>

struct deadline_conn;

struct deadlines {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;         /* under lock */
	unsigned head_timeout_s;
	struct deadline_conn *conns; /* open connections, under lock */
};

/* Starts the watchdog thread for head_timeout_s (> 0). Returns 0 or
 * -errno. Main thread, before the daemons start. */
int deadlines_start(struct deadlines *d, unsigned head_timeout_s);

/* Stops the watchdog. Main thread, after the daemons stopped (every
 * connection is closed by then). A never-started d is fine. */
void deadlines_stop(struct deadlines *d);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the struct deadlines (NULL:
 * no deadlines). Registers a new connection, forgets a closed one. Called
 * by MHD's threads. */
void deadlines_notify(void *cls, struct MHD_Connection *c,
		      void **socket_context,
		      enum MHD_ConnectionNotificationCode code);

/* The request head of c is complete: no deadline until the request ends.
 * Connection thread. */
void deadlines_head_done(struct MHD_Connection *c);

/* c's request was answered: the next head is due within the timeout.
 * Connection thread. */
void deadlines_request_done(struct MHD_Connection *c);

#endif
