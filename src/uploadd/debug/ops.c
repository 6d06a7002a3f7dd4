/* /healthz and /metrics (see ops.h). */
#include "uploadd/debug/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uploadd/debug/metrics.h"
#include "uploadd/store/redis_store.h"
#include "uploadd/store/sentinel.h"

enum MHD_Result ops_healthz(struct uploadd_server *srv,
			    struct MHD_Connection *c, struct request *rq)
{
	char why[300], master[300], backend[300];
	int redis = rstore_ping();
	int storage = store_check(srv->store, why, sizeof(why));
	bool draining = atomic_load(&srv->draining);
	bool ok = redis == 0 && storage == 0 && !draining;
	struct json_reply jr;
	struct json_writer *w = http_json_begin(&jr);

	if (!w)
		return MHD_NO;
	json_object_begin(w);
	json_kv_string(w, "status", ok ? "ok" : draining ? "shutting down" :
		       "unavailable");
	json_kv_string(w, "redis", redis == 0 ? "ok" : rstore_strerror());
	json_kv_string(w, "storage", storage == 0 ? "ok" : why);
	store_describe(srv->store, backend, sizeof(backend));
	json_kv_string(w, "backend", backend);
	sentinel_describe(master, sizeof(master));
	json_kv_string(w, "redis_master", master);
	json_object_end(w);
	return http_reply_json(c, rq, ok ? MHD_HTTP_OK :
			       MHD_HTTP_SERVICE_UNAVAILABLE, &jr, NULL);
}

enum MHD_Result ops_metrics(struct uploadd_server *srv,
			    struct MHD_Connection *c, struct request *rq)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return MHD_NO;
	metrics_render(f);
	store_metrics(srv->store, f);
	sentinel_metrics(f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return http_reply_owned(c, rq, MHD_HTTP_OK,
				"text/plain; version=0.0.4; charset=utf-8",
				buf, len);
}
