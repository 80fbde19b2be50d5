/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's answers over HTTP (metrics-listen): /metrics in the Prometheus text
 * format, and /debug/pprof/heap?pid=PID (or comm=, unit=, cgroup=; level=) as a
 * gzip'd pprof profile, the endpoint profilers scrape.  Like control.c for the
 * socket: a request becomes a question to the daemon, its snapshot is rendered.
 */
#ifndef LEAKD_SERVE_METRICS_H
#define LEAKD_SERVE_METRICS_H

#include <stdio.h>

#include "serve/http.h"

/* An http_handler; ctx is the daemon. */
int metrics__handle(void *ctx, const struct http_request *req, FILE *out, const char **ret_type);

#endif
