/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What a cgroup (v2) path says of a process: its systemd unit and its container. */
#ifndef LEAKD_BASE_CGROUP_H
#define LEAKD_BASE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#define CGROUP_ID_LEN 64		/* a container id: 64 lowercase hex digits */

/* Whether a cgroup path has a component equal to unit. */
bool cgroup_has_unit(const char *cgroup, const char *unit);
/* The unit to show for a cgroup path: its last .service or .scope, else its last part. */
const char *cgroup_unit(const char *cgroup, char *buf, size_t size);
/* Whether cgroup is the path under or that path itself ("/a/b" is under "/a"; "/ab" is not). */
bool cgroup_is_under(const char *cgroup, const char *path);
/* The id of the container the path is in (buf, CGROUP_ID_LEN + 1 bytes), or NULL. */
const char *cgroup_container_id(const char *cgroup, char *buf, size_t size);

#endif
