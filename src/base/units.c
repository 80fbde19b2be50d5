// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "base/units.h"

static int parse_scaled(const char *s, const char *const units[], const double scale[],
			size_t nunits, const char *bare, uint64_t *ret)
{
	char *end;
	double v;
	size_t i;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE && end != s)
		return -ERANGE;
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!*end)
		end = (char *)bare;
	for (i = 0; i < nunits; i++) {
		if (strcmp(end, units[i]))
			continue;
		/* Rounded: 1.001 s is 1001000000 ns, not one short of it. */
		v = v * scale[i] + 0.5;
		if (v >= 18446744073709551615.0)
			return -ERANGE;
		*ret = (uint64_t)v;
		return 0;
	}
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ret_ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s", "m", "min", "h", "d" };
	static const double scale[] = { 1, 1e3, 1e6, 1e9, 60e9, 60e9, 3600e9, 86400e9 };

	return parse_scaled(s, units, scale, ARRAY_SIZE(units), "s", ret_ns);
}

int parse_size(const char *s, uint64_t *ret)
{
	static const char *const units[] = { "", "K", "KiB", "M", "MiB", "G", "GiB" };
	static const double scale[] = { 1, 1024.0, 1024.0, 1048576.0, 1048576.0,
					1073741824.0, 1073741824.0 };
	uint64_t v;
	int err;

	err = parse_scaled(s, units, scale, ARRAY_SIZE(units), "", &v);
	if (err)
		return err;
	*ret = v;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

const char *fmt_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	size_t u = 0;

	/* 1023.96 KiB shows as 1.0 MiB, not as "1024.0 KiB". */
	while (v >= 1023.95 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}
