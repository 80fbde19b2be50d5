/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's watch policy: the trace rules leakctl adds (bounded, deduplicated,
 * counted, expiring), which steady growers drill-down picks, and how exit
 * summaries rank for keeping.  Pure decisions on figures handed in: no tables,
 * no tracer, no I/O.
 */
#ifndef LEAKD_POLICY_H
#define LEAKD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct policy;
struct procfs_cred;
struct trend;
struct hold_rule;

struct policy_opts {
	uint64_t max_rules;		/* trace rules at once */
	/* Drill-down: growth of at least bytes within window_ns, steadily. */
	bool drilldown;
	uint64_t drilldown_bytes, drilldown_window_ns, drilldown_max;
	const char *drilldown_exclude;	/* comm names, comma-separated, never drilled into */
	/* Exit summaries: memory held or grown that makes a summary worth keeping. */
	uint64_t exited_min_bytes;
	uint64_t event_budget;		/* events/s of all traced processes; 0: no budget */
};

struct policy_stats {
	uint64_t rules;			/* now */
	uint64_t added, extended, refused, expired, removed;
};

/* NULL with errno set. */
struct policy *policy__new(const struct policy_opts *o);
void policy__free(struct policy *p);
/* New limits and thresholds (a reload); rules past a lower max_rules stay until they end. */
void policy__set_opts(struct policy *p, const struct policy_opts *o);
void policy__stats(const struct policy *p, struct policy_stats *ret);

/*
 * A rule: processes of this comm (or in this unit) that owner, of group owner_gid,
 * may inspect (procfs_cred_allows; owner 0: root's, any process) are traced until
 * until (CLOCK_MONOTONIC ns; 0: until removed), sampled every sample bytes on
 * average (0: exactly, every call).  The same comm, unit, owner and group again
 * extends the rule and takes the mode asked now.  Returns 0 added, 1 extended
 * (or its mode changed), -ENOSPC when max_rules are there already, -ENOMEM.
 */
int policy__add_rule(struct policy *p, const char *comm, const char *unit, uint32_t owner,
		     uint32_t owner_gid, uint64_t until, uint64_t sample);
/* Removes the rules of comm and unit (of owner; 0: anyone's); returns how many. */
int policy__remove_rules(struct policy *p, const char *comm, const char *unit, uint32_t owner);
/*
 * Whether a rule covers a process of comm, cgroup and cred (as last read: a rule's
 * owner must be allowed to inspect it); *ret_until gets the latest end of the rules
 * that do (0: no end), *ret_sample the most detailed of their modes: exact (0)
 * before any interval, else the smallest.  Either may be NULL.
 */
bool policy__match(const struct policy *p, const char *comm, const char *cgroup,
		   const struct procfs_cred *cred, uint64_t *ret_until, uint64_t *ret_sample);

/* A rule as listed. */
struct rule_info {
	char comm[16];
	char unit[256];
	uint32_t owner;
	uint64_t until;			/* 0: until removed */
	uint64_t sample;		/* 0: exact */
};

/* The rules of owner (0: everyone's), up to max; returns how many there are. */
size_t policy__rules(const struct policy *p, uint32_t owner, struct rule_info *ret, size_t max);
/* Calls fn for each rule, as policy__add_rule took it (a restart saves them). */
void policy__for_each_rule(const struct policy *p,
			   void (*fn)(void *ctx, const char *comm, const char *unit, uint32_t owner,
				      uint32_t owner_gid, uint64_t until, uint64_t sample),
			   void *ctx);
/*
 * The comms and units the rules name, each once, with whose rule it is (several
 * owners or root's: LEAKD_RULE_ANY_OWNER), up to max: processes of these names, and
 * in these units, are held at fork and exec until their probes are in.  Returns how
 * many.
 */
size_t policy__hold_rules(const struct policy *p, struct hold_rule *ret, size_t max);
/* Drops the rules whose time is up. */
void policy__expire(struct policy *p, uint64_t now_ns);

/* Whether drill-down must leave a process of this name alone (drilldown-exclude). */
bool policy__excluded(const struct policy *p, const char *comm);

/*
 * Whether a process's growth over the drill-down window is a leak worth tracing:
 * still growing (not a step that stayed flat), by at least the drill-down bytes.
 */
bool policy__is_grower(const struct policy *p, const struct trend *t);
/* How many more processes drill-down may trace, with running traced by it now. */
uint64_t policy__drilldown_room(const struct policy *p, uint64_t running);

/*
 * The event budget: what traced processes send (allocations, frees, stacks) costs
 * them and the daemon per event, so their rate together is capped.  Sampled traces
 * are widened to keep within it: each one's interval in force is its asked one
 * times the factor 2^shift (at most BUDGET_MAX_SHIFT), doubled at each step over
 * the budget while sampled traces send events, and halved again only after
 * BUDGET_CALM_STEPS steps in a row where the rate would stay under half the budget
 * with it halved (the sampled rate doubled): no oscillation between two factors.
 * Processes that report through leakd's own in-process sampler are widened alike
 * (the daemon writes the factor into the sampler's control block).  Exact traces
 * and other emitters of the otel_memory probes are asked for as they are: never
 * widened, but counted, and the budget shows when they alone exceed it.
 */
#define BUDGET_MAX_SHIFT 10
#define BUDGET_CALM_STEPS 3

struct budget {
	unsigned int shift;		/* factor 2^shift on the asked intervals */
	unsigned int calm;		/* steps in a row well under the budget */
	uint64_t sampled_rate;		/* events/s at the last step: widenable traces */
	uint64_t exempt_rate;		/* ... exact traces and other samplers than leakd's */
};

/*
 * One step, from the rates measured since the last (events/s): returns the new
 * shift, kept in b with the rates.  With no budget the factor is 1 at once.
 */
unsigned int policy__budget_step(const struct policy *p, struct budget *b, uint64_t sampled_rate,
				 uint64_t exempt_rate);
/* The interval in force for a trace asked at asked bytes, under factor 2^shift. */
uint64_t policy__widened(uint64_t asked, unsigned int shift);

/*
 * How much an exit summary matters: traced processes first, then those that grew
 * or held at least exited_min_bytes, then the rest (trivial exits).
 */
enum exit_rank {
	EXIT_RANK_TRIVIAL,
	EXIT_RANK_HELD,
	EXIT_RANK_GREW,
	EXIT_RANK_TRACED,
};
enum exit_rank policy__exit_rank(const struct policy *p, bool traced, uint64_t held_bytes,
				 int64_t grown_bytes);

#endif
