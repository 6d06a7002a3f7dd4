/* The state every handler shares: configuration, the storage directory, the
 * upload token and the shutdown flag. One instance, owned by main.c, alive
 * for the whole run; handlers only read it (draining is atomic). */
#ifndef UPLOADD_SERVER_H
#define UPLOADD_SERVER_H

#include <stdatomic.h>

#include "uploadd/auth.h"
#include "uploadd/config.h"
#include "uploadd/storage.h"

struct uploadd_server {
	const struct uploadd_config *cfg;
	struct storage store;
	struct auth auth;
	atomic_bool draining; /* SIGTERM seen: refuse new uploads */
};

#endif
