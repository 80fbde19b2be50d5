// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>

#include "present/folded.h"

static void put_name(FILE *f, const char *name)
{
	const unsigned char *c;

	for (c = (const unsigned char *)name; *c; c++) {
		if (*c == ';')
			fputc(':', f);
		else if (*c < 0x20 || *c == 0x7f)
			fputc(' ', f);
		else
			fputc(*c, f);
	}
}

int folded__write(FILE *f, const struct profile *p, enum profile_value value)
{
	char buf[64];
	uint32_t i, j, k;

	if ((unsigned)value >= PROFILE__NR_VALUES)
		return -EINVAL;
	for (i = 0; i < p->nr_samples; i++) {
		const struct profile_sample *s = &p->samples[i];
		bool first = true;

		if (s->value[value] <= 0 || !s->nr_locs)
			continue;
		/* Locations leaf first, lines innermost first: both walked backwards. */
		for (j = s->nr_locs; j-- > 0;) {
			const struct profile_location *l = &p->locations[s->locs[j] - 1];
			uint32_t n = l->nr_lines ? l->nr_lines : 1;

			for (k = n; k-- > 0;) {
				if (!first)
					fputc(';', f);
				first = false;
				put_name(f, profile__frame_name(p, l, k, buf, sizeof(buf)));
				if (k < l->nr_lines && l->lines[k].inlined)
					fputs("_[i]", f);
			}
		}
		fprintf(f, " %" PRId64 "\n", s->value[value]);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}
