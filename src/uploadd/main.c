/* uploadd: parses flags, wires the modules together, runs until SIGTERM or
 * SIGINT, then shuts down cleanly. Exit codes: 0 clean shutdown, 1 cannot
 * start, 2 usage (see config.c).
 *
 * Order matters: secrets are read and sockets bound while still root, then
 * privileges are dropped, and only then do threads start. SIGTERM/SIGINT
 * are blocked in every thread and taken by sigwait() here, so no handler
 * runs in the middle of an upload; SIGPIPE is ignored (a Redis socket that
 * closes must give an error, not kill the process). SIGRTMIN+4 is
 * reserved for /debug/threads (threaddump_capture.h): every thread takes it,
 * with SA_RESTART.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "uploadd/config.h"
#include "uploadd/debug/threaddump.h"
#include "uploadd/http/server.h"
#include "uploadd/pipeline/pipeline.h"
#include "uploadd/privs.h"
#include "uploadd/store/local.h"
#include "uploadd/store/rados.h"
#include "uploadd/store/redis_store.h"
#include "uploadd/store/sentinel.h"
#include "uploadd/store/sweep.h"

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

int main(int argc, char **argv)
{
	static struct uploadd_server srv;
	struct uploadd_config cfg;
	struct redis_config rcfg;
	char err[512], *redis_password = NULL;
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
	/* /debug/threads' signal handler, also before any thread. */
	ret = threaddump_init();
	if (ret < 0) {
		log_err("cannot install the thread-dump signal handler: %s",
			strerror(-ret));
		goto out;
	}

	if (load_secrets(&cfg, &srv, &redis_password) < 0)
		goto out;
	if (cfg.storage_dir) {
		ret = store_local_open(cfg.storage_dir, &srv.store);
		if (ret < 0) {
			log_err("cannot open the storage directory %s: %s (create "
				"it or choose another --storage)",
				cfg.storage_dir, strerror(-ret));
			goto out;
		}
	}
	srv.api_fd = srv.debug_fd = -1;
	if (server_listen(&srv) < 0)
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
	/* RADOS starts its own threads: only now, after dropping root. */
	if (cfg.rados_pool)
		ret = store_rados_open(cfg.rados_pool, cfg.ceph_conf, cfg.ceph_id,
				       cfg.ceph_timeout_s, &srv.store, err,
				       sizeof(err));
	else
		ret = store_local_start(srv.store, cfg.small_file_max, err,
					sizeof(err));
	if (ret < 0) {
		log_err("%s", err);
		goto close_listeners;
	}

	rcfg = (struct redis_config){
		.host = cfg.redis_host,
		.port = cfg.redis_port,
		.password = redis_password,
		.connect_timeout_ms = cfg.redis_connect_timeout_ms,
		.timeout_ms = cfg.redis_timeout_ms,
		.sentinels = cfg.redis_sentinels,
		.master_name = cfg.redis_master,
		.failover_wait_ms = cfg.redis_failover_wait_ms,
	};
	if (pipeline_global_init() < 0 ||
	    rstore_init(&rcfg, srv.store->id, cfg.redis_min_replicas,
			cfg.redis_wait_timeout_ms) < 0) {
		log_err("cannot initialise OpenSSL SHA-256 or the Redis client "
			"(out of memory, or see the message above)");
		goto close_listeners;
	}
	/* Only to log now if Redis is unreachable: uploadd starts anyway and
	 * reconnects when it is back. */
	rstore_ping();
	if (sentinel_watch_start() < 0 ||
	    sweep_start(srv.store, cfg.sweep_interval_s, cfg.orphan_grace_ms) < 0) {
		log_err("cannot start the Sentinel watcher or the orphan sweep "
			"thread (out of memory or threads?)");
		goto cleanup;
	}
	if (server_start(&srv) < 0)
		goto cleanup;
	server_run_until_signal(&srv, &sigs);
	log_err("stopped");
	status = EXIT_SUCCESS;
cleanup:
	sweep_stop();
	sentinel_watch_stop();
	rstore_cleanup();
	pipeline_global_cleanup();
close_listeners:
	server_close(&srv);
close_storage:
	store_destroy(srv.store);
out:
	if (redis_password) {
		explicit_bzero(redis_password, strlen(redis_password));
		free(redis_password);
	}
	return status;
}
