/* The public listener's access handler: parses the route once per request
 * (routes.c), answers 404/405/400 for what does not fit, and hands the rest
 * to upload.c, download.c or ops.c. */
#ifndef UPLOADD_API_H
#define UPLOADD_API_H

#include <microhttpd.h>

/* MHD_AccessHandlerCallback for the public API; cls is the struct
 * uploadd_server. Connection threads. */
enum MHD_Result api_handler(void *cls, struct MHD_Connection *c,
			    const char *url, const char *method,
			    const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls);

#endif
