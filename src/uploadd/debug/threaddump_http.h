/* GET /debug/threads on the debug listener: the in-process thread dump
 * (threaddump.h) as text, or with ?format=json as taskscope's snapshot
 * schema. ?timeout_ms=N (1..10000, default 250) bounds how long the dump
 * waits for threads to answer, per round of 128 threads. */
#ifndef UPLOADD_THREADDUMP_HTTP_H
#define UPLOADD_THREADDUMP_HTTP_H

#include <microhttpd.h>

#include "uploadd/http/http.h"
#include "uploadd/http/server_state.h"

/* Answers /debug/threads (400 for a bad format or timeout, 500 when the
 * dump fails). Connection thread of the debug listener. */
enum MHD_Result threaddump_serve(struct uploadd_server *srv,
				 struct MHD_Connection *c, struct request *rq);

#endif
