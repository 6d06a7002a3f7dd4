/* Public API dispatch (see api.h). */
#include "uploadd/http/api.h"

#include "uploadd/debug/ops.h"
#include "uploadd/http/download.h"
#include "uploadd/http/http.h"
#include "uploadd/pipeline/upload.h"

enum MHD_Result api_handler(void *cls, struct MHD_Connection *c,
			    const char *url, const char *method,
			    const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls)
{
	struct uploadd_server *srv = cls;
	struct request *rq = http_request(c, method, con_cls);

	(void)version;
	if (!rq)
		return MHD_NO;
	if (rq->calls == 1) {
		unsigned status;
		const char *why = http_bad_framing(c, &status);

		/* Answered at once, and the connection closed: what follows
		 * this head is not parsed as another request. */
		if (why)
			return http_reply_error(c, rq, status, true,
						"malformed request: %s", why);
	}
	if (!rq->routed) {
		route_parse(url, &rq->route);
		rq->routed = true;
	}
	if (rq->route.kind == ROUTE_UPLOAD && route_allows(ROUTE_UPLOAD, method))
		return upload_handle(srv, c, rq, upload_data, upload_data_size);
	if (!http_ready_to_answer(c, rq, upload_data_size))
		return MHD_YES;
	if (rq->route.kind == ROUTE_NOT_FOUND)
		return http_reply_error(c, rq, MHD_HTTP_NOT_FOUND, false,
					"no such resource (see uploadd --help "
					"for the API)");
	if (!route_allows(rq->route.kind, method)) {
		const char *const hdr[] = {
			MHD_HTTP_HEADER_ALLOW, route_allow_header(rq->route.kind),
			NULL,
		};

		return http_reply_error_hdr(c, rq, MHD_HTTP_METHOD_NOT_ALLOWED,
					    hdr, "method not allowed here");
	}
	switch (rq->route.kind) {
	case ROUTE_BAD_NAME:
		return http_reply_error(c, rq, MHD_HTTP_BAD_REQUEST, false, "%s",
					rq->route.detail);
	case ROUTE_HEALTHZ:
		return ops_healthz(srv, c, rq);
	case ROUTE_METRICS:
		return ops_metrics(srv, c, rq);
	default:
		return download_handle(srv, c, rq);
	}
}
