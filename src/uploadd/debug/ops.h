/* The operational endpoints, served on both listeners: GET /healthz
 * (Redis PING and the storage backend, with which master and backend;
 * 503 when either is unusable or the server is shutting down) and GET
 * /metrics (Prometheus text, with the backend's and Sentinel's series). */
#ifndef UPLOADD_OPS_H
#define UPLOADD_OPS_H

#include <microhttpd.h>

#include "uploadd/http/http.h"
#include "uploadd/http/server_state.h"

/* Answers /healthz. Connection thread. */
enum MHD_Result ops_healthz(struct uploadd_server *srv,
			    struct MHD_Connection *c, struct request *rq);

/* Answers /metrics. Connection thread. */
enum MHD_Result ops_metrics(struct uploadd_server *srv,
			    struct MHD_Connection *c, struct request *rq);

#endif
