// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/fnv.h"
#include "serve/policy.h"
#include "base/hashtab.h"
#include "base/cgroup.h"
#include "collect/holds.h"
#include "leakd/events.h"
#include "base/procfs.h"
#include "model/history.h"
#include "leakd/sampling.h"

#define PROBE 4			/* keys a rule may sit at, from its hash on */

struct rule {
	uint64_t key;		/* hashtab key: hash of comm, unit and owner (never 0) */
	char comm[16];
	char unit[256];
	uint32_t owner;
	uint32_t owner_gid;	/* the owner's group: processes it may inspect */
	uint64_t until;
	uint64_t sample;	/* mean bytes between samples; 0: exact */
};

#define MAX_EXCLUDED 64		/* names in drilldown-exclude */

struct policy {
	struct policy_opts o;
	/* Keyed by a hash of what identifies a rule: adding one is O(1) however many. */
	struct hashtab rules;
	struct policy_stats stats;
	char excluded[MAX_EXCLUDED][16];	/* drilldown-exclude, split */
	size_t nr_excluded;
};

static uint64_t rule_key(const char *comm, const char *unit, uint32_t owner, uint32_t gid)
{
	uint64_t h = fnv_str(FNV_OFFSET ^ owner ^ (uint64_t)gid << 32, comm);

	h = fnv_word(h, 0xff);				/* "ab"+"c" is not "a"+"bc" */
	h = fnv_str(h, unit);
	return h ? h : 1;
}

static bool same(const struct rule *r, const char *comm, const char *unit, uint32_t owner,
		 uint32_t gid)
{
	return r->owner == owner && r->owner_gid == gid && !strcmp(r->comm, comm) &&
	       !strcmp(r->unit, unit);
}

/* drilldown-exclude, split: the caller's string may not outlive a reload. */
static void set_excluded(struct policy *p, const char *list)
{
	const char *s = list ? list : "";

	p->nr_excluded = 0;
	while (*s && p->nr_excluded < MAX_EXCLUDED) {
		size_t n = strcspn(s, ", ");

		if (n && n < sizeof(p->excluded[0]))
			snprintf(p->excluded[p->nr_excluded++], sizeof(p->excluded[0]), "%.*s",
				 (int)n, s);
		s += n;
		s += strspn(s, ", ");
	}
	p->o.drilldown_exclude = NULL;
}

bool policy__excluded(const struct policy *p, const char *comm)
{
	for (size_t i = 0; i < p->nr_excluded; i++)
		if (!strcmp(p->excluded[i], comm))
			return true;
	return false;
}

struct policy *policy__new(const struct policy_opts *o)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->o = *o;
	set_excluded(p, o->drilldown_exclude);
	if (hashtab__init(&p->rules, sizeof(struct rule), 16)) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void policy__free(struct policy *p)
{
	if (!p)
		return;
	hashtab__destroy(&p->rules);
	free(p);
}

void policy__set_opts(struct policy *p, const struct policy_opts *o)
{
	p->o = *o;
	set_excluded(p, o->drilldown_exclude);
}

void policy__stats(const struct policy *p, struct policy_stats *ret)
{
	*ret = p->stats;
	ret->rules = p->rules.count;
}

int policy__add_rule(struct policy *p, const char *comm, const char *unit, uint32_t owner,
		     uint32_t owner_gid, uint64_t until, uint64_t sample)
{
	uint64_t key = rule_key(comm, unit, owner, owner_gid), free_key = 0, k;
	struct rule *r;
	bool is_new;
	int i;

	/* The same rule is at one of PROBE keys from its hash (64-bit hashes rarely meet). */
	for (i = 0, k = key; i < PROBE; i++, k = k + 1 ? k + 1 : 1) {
		r = hashtab__get(&p->rules, k);
		if (!r) {
			if (!free_key)
				free_key = k;
			continue;
		}
		if (same(r, comm, unit, owner, owner_gid)) {
			/* A longer (or endless) request extends the rule; a shorter one not. */
			if (r->until && (!until || until > r->until))
				r->until = until;
			/* The mode asked last: one rule per name and owner, not one per mode. */
			r->sample = sample;
			p->stats.extended++;
			return 1;
		}
	}
	if (p->rules.count >= p->o.max_rules || !free_key) {
		p->stats.refused++;
		return -ENOSPC;
	}
	r = hashtab__upsert(&p->rules, free_key, &is_new);
	if (!r)
		return -ENOMEM;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->owner = owner;
	r->owner_gid = owner_gid;
	r->until = until;
	r->sample = sample;
	p->stats.added++;
	return 0;
}

void policy__for_each_rule(const struct policy *p,
			   void (*fn)(void *ctx, const char *comm, const char *unit, uint32_t owner,
				      uint32_t owner_gid, uint64_t until, uint64_t sample),
			   void *ctx)
{
	const struct rule *r;
	size_t i;

	hashtab__for_each(&p->rules, i, r)
		fn(ctx, r->comm, r->unit, r->owner, r->owner_gid, r->until, r->sample);
}

/* Removes every rule for which drop says so; returns how many. */
static int remove_where(struct policy *p, bool (*drop)(const struct rule *, const void *),
			const void *arg)
{
	uint64_t keys[64];
	struct rule *r;
	size_t i, n;
	int removed = 0;

	/* Removal reorders the table: collect some keys, remove them, scan again. */
	do {
		n = 0;
		hashtab__for_each(&p->rules, i, r)
			if (n < 64 && drop(r, arg))
				keys[n++] = r->key;
		for (i = 0; i < n; i++)
			removed += !hashtab__remove(&p->rules, keys[i], NULL);
	} while (n == 64);
	return removed;
}

struct which {
	const char *comm, *unit;
	uint32_t owner;
};

static bool drop_matching(const struct rule *r, const void *arg)
{
	const struct which *w = arg;

	return !strcmp(r->comm, w->comm) && !strcmp(r->unit, w->unit) &&
	       (!w->owner || r->owner == w->owner);
}

int policy__remove_rules(struct policy *p, const char *comm, const char *unit, uint32_t owner)
{
	struct which w = { comm, unit, owner };
	int n = remove_where(p, drop_matching, &w);

	p->stats.removed += n;
	return n;
}

static bool drop_expired(const struct rule *r, const void *arg)
{
	uint64_t now = *(const uint64_t *)arg;

	return r->until && now >= r->until;
}

void policy__expire(struct policy *p, uint64_t now_ns)
{
	p->stats.expired += remove_where(p, drop_expired, &now_ns);
}

bool policy__match(const struct policy *p, const char *comm, const char *cgroup,
		   const struct procfs_cred *cred, uint64_t *ret_until, uint64_t *ret_sample)
{
	const struct rule *r;
	bool found = false;
	uint64_t until = 0, sample = 0;
	size_t i;

	hashtab__for_each(&p->rules, i, r) {
		/* The kernel's rule for /proc/PID/maps: not a setuid program the owner ran. */
		if (!procfs_cred_allows(cred, r->owner, r->owner_gid))
			continue;
		if (r->comm[0] ? strcmp(r->comm, comm) :
				 !(r->unit[0] && cgroup_has_unit(cgroup, r->unit)))
			continue;
		/* The longest of the rules that match: no end wins. */
		if (!found || (until && (!r->until || r->until > until)))
			until = r->until;
		/* The most detailed: exact, else the smallest interval. */
		if (!found || (sample && (!r->sample || r->sample < sample)))
			sample = r->sample;
		found = true;
	}
	if (found && ret_until)
		*ret_until = until;
	if (found && ret_sample)
		*ret_sample = sample;
	return found;
}

size_t policy__rules(const struct policy *p, uint32_t owner, struct rule_info *ret, size_t max)
{
	const struct rule *r;
	size_t i, n = 0;

	hashtab__for_each(&p->rules, i, r) {
		if (owner && r->owner != owner)
			continue;
		if (n < max) {
			memcpy(ret[n].comm, r->comm, sizeof(ret[n].comm));
			memcpy(ret[n].unit, r->unit, sizeof(ret[n].unit));
			ret[n].owner = r->owner;
			ret[n].until = r->until;
			ret[n].sample = r->sample;
		}
		n++;
	}
	return n;
}

size_t policy__hold_rules(const struct policy *p, struct hold_rule *ret, size_t max)
{
	const struct rule *r;
	size_t i, k, n = 0;

	hashtab__for_each(&p->rules, i, r) {
		for (k = 0; k < n && (strcmp(ret[k].comm, r->comm) || strcmp(ret[k].unit, r->unit));
		     k++)
			;
		if (k < n) {
			if (ret[k].owner != r->owner)
				ret[k].owner = LEAKD_RULE_ANY_OWNER;
			continue;
		}
		if (n == max)
			break;
		snprintf(ret[n].comm, sizeof(ret[n].comm), "%s", r->comm);
		snprintf(ret[n].unit, sizeof(ret[n].unit), "%s", r->unit);
		ret[n++].owner = r->owner;
	}
	return n;
}

bool policy__is_grower(const struct policy *p, const struct trend *t)
{
	return t->cls == TREND_GROWING && t->span_ns >= p->o.drilldown_window_ns / 2 &&
	       t->delta >= (int64_t)p->o.drilldown_bytes;
}

uint64_t policy__drilldown_room(const struct policy *p, uint64_t running)
{
	if (!p->o.drilldown || running >= p->o.drilldown_max)
		return 0;
	return p->o.drilldown_max - running;
}

enum exit_rank policy__exit_rank(const struct policy *p, bool traced, uint64_t held_bytes,
				 int64_t grown_bytes)
{
	if (traced)
		return EXIT_RANK_TRACED;
	if (grown_bytes > 0 && (uint64_t)grown_bytes >= p->o.exited_min_bytes)
		return EXIT_RANK_GREW;
	if (held_bytes >= p->o.exited_min_bytes)
		return EXIT_RANK_HELD;
	return EXIT_RANK_TRIVIAL;
}

unsigned int policy__budget_step(const struct policy *p, struct budget *b, uint64_t sampled_rate,
				 uint64_t exempt_rate)
{
	uint64_t budget = p->o.event_budget, total = sampled_rate + exempt_rate;

	b->sampled_rate = sampled_rate;
	b->exempt_rate = exempt_rate;
	if (!budget) {
		b->shift = 0;
		b->calm = 0;
		return 0;
	}
	if (total > budget) {
		/* Only sampled traces give way; exact ones alone over it: nothing to widen. */
		if (sampled_rate && b->shift < BUDGET_MAX_SHIFT)
			b->shift++;
		b->calm = 0;
		return b->shift;
	}
	/* Halved, the sampled traces would send about twice as much. */
	if (b->shift && exempt_rate + 2 * sampled_rate <= budget / 2) {
		if (++b->calm >= BUDGET_CALM_STEPS) {
			b->shift--;
			b->calm = 0;
		}
	} else {
		b->calm = 0;
	}
	return b->shift;
}

uint64_t policy__widened(uint64_t asked, unsigned int shift)
{
	if (shift > BUDGET_MAX_SHIFT)
		shift = BUDGET_MAX_SHIFT;
	if (asked >= LEAKD_SAMPLE_MAX >> shift)
		return asked > LEAKD_SAMPLE_MAX ? asked : LEAKD_SAMPLE_MAX;
	return asked << shift;
}
