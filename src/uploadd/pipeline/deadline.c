/* Request-head deadlines against slow clients (see deadline.h). */
#include "uploadd/pipeline/deadline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"

#define TICK_MS 500 /* how often the watchdog looks */

struct deadline_conn {
	struct deadline_conn *prev, *next;
	struct deadlines *d;
	int fd;                  /* our duplicate of the connection's socket */
	struct timespec since;   /* when the current head became due */
	bool in_request;         /* head complete, request not answered yet */
	bool cut;                /* shut down by the watchdog */
};

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Shuts down every connection whose head is overdue. Under d->lock. */
static void cut_overdue(struct deadlines *d)
{
	for (struct deadline_conn *e = d->conns; e; e = e->next) {
		if (e->in_request || e->cut ||
		    seconds_since(&e->since) < d->head_timeout_s)
			continue;
		e->cut = true;
		shutdown(e->fd, SHUT_RDWR);
		metrics_slow_client();
		log_debug(1, "closed a connection that sent no complete request "
			  "head within %u s (--header-timeout)", d->head_timeout_s);
	}
}

static void *watchdog(void *arg)
{
	struct deadlines *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		cut_overdue(d);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int deadlines_start(struct deadlines *d, unsigned head_timeout_s)
{
	pthread_condattr_t ca;
	int err;

	d->head_timeout_s = head_timeout_s;
	d->conns = NULL;
	d->stop = false;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&d->thread, NULL, watchdog, d);
	if (err)
		return -err;
	pthread_setname_np(d->thread, "up-deadline");
	d->running = true;
	return 0;
}

void deadlines_stop(struct deadlines *d)
{
	if (!d->running)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	d->running = false;
}

/* The entry of c, or NULL when c was not registered (no deadlines, or
 * out of memory at accept). */
static struct deadline_conn *entry_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void conn_started(struct deadlines *d, struct MHD_Connection *c,
			 void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct deadline_conn *e;

	if (!ci)
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return; /* then this connection has only the idle timeout */
	e->fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0);
	if (e->fd < 0) {
		free(e);
		return;
	}
	e->d = d;
	clock_gettime(CLOCK_MONOTONIC, &e->since);
	pthread_mutex_lock(&d->lock);
	e->next = d->conns;
	if (d->conns)
		d->conns->prev = e;
	d->conns = e;
	pthread_mutex_unlock(&d->lock);
	*socket_context = e;
}

static void conn_closed(struct deadline_conn *e)
{
	struct deadlines *d = e->d;

	pthread_mutex_lock(&d->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		d->conns = e->next;
	if (e->next)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&d->lock);
	close(e->fd);
	free(e);
}

void deadlines_notify(void *cls, struct MHD_Connection *c,
		      void **socket_context,
		      enum MHD_ConnectionNotificationCode code)
{
	if (!cls)
		return;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(cls, c, socket_context);
	else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		conn_closed(*socket_context);
		*socket_context = NULL;
	}
}

/* Marks e in or out of a request. */
static void set_in_request(struct deadline_conn *e, bool in)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->d->lock);
	e->in_request = in;
	clock_gettime(CLOCK_MONOTONIC, &e->since);
	pthread_mutex_unlock(&e->d->lock);
}

void deadlines_head_done(struct MHD_Connection *c)
{
	set_in_request(entry_of(c), true);
}

void deadlines_request_done(struct MHD_Connection *c)
{
	set_in_request(entry_of(c), false);
}
