/* Pooled, thread-local hiredis connections for the connection threads.
 *
 * The server is a fixed host:port or the master a Sentinel group names
 * (sentinel.h); with Sentinel, every command that fails for want of a
 * master (connection lost, refused, READONLY) is sent again to the new
 * master for up to failover_wait_ms, which is safe because every command
 * uploadd sends is idempotent.
 *
 * A thread keeps one connection for as long as it lives (thread local),
 * taken from and returned to a small idle pool, so a new MHD connection
 * thread usually reuses a connection. Connect and command timeouts are set
 * on every connection, and AUTH is sent when a password is configured.
 * After any I/O error the connection is dropped and the next call
 * reconnects, so a restarted Redis is picked up without restarting uploadd;
 * an idle connection Redis has closed (it restarted) is noticed before use
 * and replaced, and the pool emptied. Losing Redis and getting it back are
 * each logged once. Every failure counts in metrics and leaves a one-line
 * description for rconn_strerror().
 *
 * Errors are negative errno values. Before the command was sent (it did
 * not run): -ECONNREFUSED (cannot connect), -EACCES (password refused),
 * -ENOMEM. After it was sent, with no reply (it may or may not have run):
 * -ETIMEDOUT, -ECONNRESET (connection lost), -EIO. A reply that is an
 * error or unexpected: -EPROTO.
 */
#ifndef UPLOADD_REDIS_CONN_H
#define UPLOADD_REDIS_CONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct redis_config {
	const char *host;
	unsigned port;
	const char *password;        /* NULL: no AUTH; not copied */
	unsigned connect_timeout_ms;
	unsigned timeout_ms;         /* per command */
	const char *sentinels;       /* "HOST:PORT,..." or NULL: host/port */
	const char *master_name;     /* with sentinels */
	unsigned failover_wait_ms;   /* with sentinels: retry this long */
};

/* A Lua script and the SHA-1 Redis knows it by. */
struct redis_script {
	const char *name; /* for error messages */
	const char *text;
	char sha[41];     /* set by rconn_script_prepare() */
};

/* Keeps cfg (which must outlive every connection). Returns 0 or -errno.
 * Start-up, before any other call. */
int rconn_init(const struct redis_config *cfg);

/* Closes the idle pool and the calling thread's connection. Call once no
 * connection thread is left. */
void rconn_cleanup(void);

/* Computes s->sha. Returns 0 or -ENOMEM. Start-up. */
int rconn_script_prepare(struct redis_script *s);

/* Runs one command on the thread's connection, sent once. Returns the
 * reply (caller frees with freeReplyObject; error replies included) or
 * NULL with *err set (see above for which errors leave the outcome
 * unknown). */
redisReply *rconn_command(int argc, const char **argv, const size_t *len,
			  int *err);

/* Runs one command on the connection the thread's last command used,
 * without reconnecting or retrying (WAIT must follow its write on the same
 * connection). Returns the reply or NULL with *err set. */
redisReply *rconn_command_here(int argc, const char **argv,
			       const size_t *len, int *err);

/* Runs a script (EVALSHA, then EVAL after NOSCRIPT). Returns its reply
 * (caller frees; never an error reply: those become -EPROTO) or NULL with
 * *err set. */
redisReply *rconn_script_reply(struct redis_script *s, int nkeys,
			       const char **keys, int nargs, const char **args,
			       int *err);

/* Sends n commands at once on the thread's connection (one write, then n
 * replies read), each sent once: no reconnect, no retry, no Sentinel
 * wait. Fills replies[0..n) (caller frees each; error replies included)
 * and returns 0, or returns -errno with every reply NULL when the
 * connection failed (see above for which errors leave the outcome
 * unknown). */
int rconn_pipeline(size_t n, const int *argc, const char **const *argv,
		   const size_t *const *len, redisReply **replies);

/* Sets the thread's description of a failure that is not an error of the
 * connection (rconn_strerror() then returns it). */
void rconn_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a script (EVALSHA, then EVAL after NOSCRIPT) that returns an
 * integer. Returns it (>= 0), or -errno. */
int rconn_script(struct redis_script *s, int nkeys, const char **keys,
		 int nargs, const char **args);

/* The thread's connection after a successful rconn_command(), for
 * pipelining more commands on it; NULL if there is none. */
redisContext *rconn_current(void);

/* After an I/O error on rconn_current(): records it, drops the connection
 * and returns the -errno. */
int rconn_io_failed(redisContext *c, const char *what);

/* Records a protocol-level failure (unexpected or damaged reply) described
 * by fmt, drops the connection, and returns -EPROTO. */
int rconn_protocol_failed(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The calling thread's description of its last failure: one line. */
const char *rconn_strerror(void);

/* The server for messages: "host:port" of the thread's last connection,
 * or the configured server. */
const char *rconn_server(void);

#endif
