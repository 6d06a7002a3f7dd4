/* Debug listener routes (see debug.h). */
#include "uploadd/debug/debug.h"

#include <string.h>

#include "uploadd/debug/ops.h"
#include "uploadd/debug/threaddump_http.h"
#include "uploadd/http/http.h"
#include "uploadd/http/server_state.h"

struct debug_route {
	const char *path;
	enum MHD_Result (*handle)(struct uploadd_server *srv,
				  struct MHD_Connection *c, struct request *rq);
};

static enum MHD_Result debug_metrics(struct uploadd_server *srv,
				     struct MHD_Connection *c,
				     struct request *rq)
{
	return ops_metrics(srv, c, rq);
}

/* Add debug endpoints here; all are GET/HEAD. */
static const struct debug_route debug_routes[] = {
	{ "/healthz", ops_healthz },
	{ "/metrics", debug_metrics },
	{ "/debug/threads", threaddump_serve },
};

enum MHD_Result debug_handler(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct request *rq = http_request(c, method, con_cls);

	(void)version;
	(void)upload_data;
	if (!rq)
		return MHD_NO;
	if (!http_ready_to_answer(c, rq, upload_data_size))
		return MHD_YES;
	for (size_t i = 0; i < sizeof(debug_routes) / sizeof(debug_routes[0]); i++) {
		if (strcmp(url, debug_routes[i].path) != 0)
			continue;
		if (!route_allows(ROUTE_HEALTHZ, method)) {
			const char *const hdr[] = {
				MHD_HTTP_HEADER_ALLOW, "GET, HEAD", NULL,
			};

			return http_reply_error_hdr(c, rq,
						    MHD_HTTP_METHOD_NOT_ALLOWED,
						    hdr, "method not allowed here");
		}
		return debug_routes[i].handle(cls, c, rq);
	}
	return http_reply_error(c, rq, MHD_HTTP_NOT_FOUND, false,
				"no such debug endpoint");
}
