/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Checks of control-protocol requests (include/leakd/protocol.h), for the server. */
#ifndef LEAKD_PROTO_H
#define LEAKD_PROTO_H

#include <stddef.h>

#include "leakd/protocol.h"

/*
 * Checks a request header: the payload size it announces, then magic and version.
 * Returns LEAKD_OK or the status to answer with, and a reason in *why.
 */
int proto__check_header(const struct leakd_req_hdr *h, const char **why);
/*
 * Checks the command and its payload (h->length bytes at payload): the size for
 * that command, then the arguments.  Same returns.
 */
int proto__check_payload(const struct leakd_req_hdr *h, const void *payload, const char **why);

#endif
