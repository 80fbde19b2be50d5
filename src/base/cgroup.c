// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/cgroup.h"

bool cgroup_has_unit(const char *cgroup, const char *unit)
{
	size_t n = strlen(unit);
	const char *p = cgroup;

	if (!n)
		return false;
	while ((p = strstr(p, unit))) {
		if ((p == cgroup || p[-1] == '/') && (p[n] == 0 || p[n] == '/'))
			return true;
		p++;
	}
	return false;
}

static bool ends_with(const char *p, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && !strncmp(p + len - n, suffix, n);
}

const char *cgroup_unit(const char *cgroup, char *buf, size_t size)
{
	const char *unit = NULL, *last = NULL, *p = cgroup;
	size_t unit_len = 0, last_len = 0;

	while (*p) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (!len)
			break;
		if (ends_with(p, len, ".service") || ends_with(p, len, ".scope")) {
			unit = p;
			unit_len = len;
		}
		last = p;
		last_len = len;
		p += len;
	}
	if (!unit) {
		unit = last;
		unit_len = last_len;
	}
	snprintf(buf, size, "%.*s", (int)unit_len, unit ? unit : "");
	return buf;
}

bool cgroup_is_under(const char *cgroup, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;	/* "/system.slice/" is "/system.slice" */
	if (n == 1 && path[0] == '/')
		return cgroup[0] == '/';
	return n && !strncmp(cgroup, path, n) && (cgroup[n] == 0 || cgroup[n] == '/');
}

/* 64 hexadecimal digits at p, not part of a longer run. */
static bool is_id(const char *p, size_t len)
{
	size_t i;

	if (len != CGROUP_ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
			return false;
	return true;
}

/*
 * Container engines name a container's cgroup after its id: "docker-ID.scope",
 * "cri-containerd-ID.scope", "crio-ID.scope", "libpod-ID.scope" under systemd, or
 * a bare "ID" component (cgroupfs driver, kubepods).  The innermost one wins.
 */
const char *cgroup_container_id(const char *cgroup, char *buf, size_t size)
{
	const char *p = cgroup, *found = NULL;

	while (*p) {
		const char *dash, *end;
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (!len)
			break;
		end = p + len;
		if (ends_with(p, len, ".scope"))
			end -= strlen(".scope");
		dash = memrchr(p, '-', end - p);
		if (is_id(dash ? dash + 1 : p, end - (dash ? dash + 1 : p)))
			found = dash ? dash + 1 : p;
		p += len;
	}
	if (!found) {
		if (size)
			buf[0] = 0;
		return NULL;
	}
	snprintf(buf, size, "%.*s", CGROUP_ID_LEN, found);
	return buf;
}
