/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control layer: a checked leakctl request (serve/proto.c, serve/server.c)
 * turned into a question to the daemon, its answer (a snapshot) rendered in the
 * format asked for.  The protocol's numberings (levels, formats) meet the
 * model's here and nowhere else.
 */
#ifndef LEAKD_CONTROL_H
#define LEAKD_CONTROL_H

#include <stdio.h>

#include "leakd/protocol.h"
#include "serve/server.h"

/* A server_handler: ctx is the struct daemon. */
int control__handle(void *ctx, const struct peer *who, const struct leakd_req_hdr *h,
		    const void *payload, FILE *out);

#endif
