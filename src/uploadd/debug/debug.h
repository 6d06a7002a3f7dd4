/* The debug listener (loopback by default): operator endpoints kept off the
 * public port. A table of exact paths to handlers: /healthz, /metrics and
 * /debug/threads (threaddump_http.h). */
#ifndef UPLOADD_DEBUG_H
#define UPLOADD_DEBUG_H

#include <microhttpd.h>

/* MHD_AccessHandlerCallback for the debug listener; cls is the struct
 * uploadd_server. Connection threads. */
enum MHD_Result debug_handler(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls);

#endif
