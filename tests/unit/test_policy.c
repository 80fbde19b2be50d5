// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The watch policy: rules bounded, deduplicated, counted and expiring; exit ranks. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "serve/policy.h"
#include "collect/holds.h"
#include "leakd/events.h"
#include "base/procfs.h"
#include "model/history.h"
#include "leakd/sampling.h"
#include "testutil.h"

/* A dumpable process whose uids and gids are all u. */
#define OF(u) (&(struct procfs_cred){ .uid = { (u), (u), (u) }, .gid = { (u), (u), (u) },	\
				      .dumpable = true, .known = true })

/* The mode of a rule given none: sampled at the daemon's default interval. */
#define DEF LEAKD_SAMPLE_DEFAULT

static struct policy *make(uint64_t max_rules)
{
	struct policy_opts o = { .max_rules = max_rules, .drilldown = true,
				 .drilldown_bytes = 1000, .drilldown_window_ns = 10,
				 .drilldown_max = 2, .exited_min_bytes = 1 << 20 };
	struct policy *p = policy__new(&o);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(flood_of_unique_rules_is_bounded)
{
	struct policy *p = make(1024);
	struct policy_stats st;
	char comm[16];
	int i, added = 0, refused = 0;

	for (i = 0; i < 100000; i++) {
		int r;

		snprintf(comm, sizeof(comm), "c%d", i);
		r = policy__add_rule(p, comm, "", 1000, 1000, 0, DEF);
		added += r == 0;
		refused += r == -ENOSPC;
	}
	policy__stats(p, &st);
	ck_assert_int_eq(added, 1024);
	ck_assert_int_eq(refused, 100000 - 1024);
	ck_assert_uint_eq(st.rules, 1024);
	ck_assert_uint_eq(st.added, 1024);
	ck_assert_uint_eq(st.refused, 100000 - 1024);
	/* Those kept still match; those refused do not. */
	ck_assert(policy__match(p, "c5", "", OF(1000), NULL, NULL));
	ck_assert(!policy__match(p, "c99999", "", OF(1000), NULL, NULL));
	policy__free(p);
}
END_TEST

START_TEST(flood_of_identical_rules_is_one)
{
	struct policy *p = make(4);
	struct policy_stats st;
	uint64_t until = 0;
	int i;

	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 50, DEF), 0);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 10 + i % 100, DEF), 1);
	policy__stats(p, &st);
	ck_assert_uint_eq(st.rules, 1);
	ck_assert_uint_eq(st.extended, 100000);
	/* Extended to the latest end asked for, never shortened. */
	ck_assert(policy__match(p, "nginx", "", OF(1000), &until, NULL));
	ck_assert_uint_eq(until, 109);
	/* An endless request makes it endless. */
	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 0, DEF), 1);
	ck_assert(policy__match(p, "nginx", "", OF(1000), &until, NULL));
	ck_assert_uint_eq(until, 0);
	/* Another owner, or the unit instead of the name, is another rule. */
	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1001, 1001, 0, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "", "nginx.service", 1000, 1000, 0, DEF), 0);
	policy__stats(p, &st);
	ck_assert_uint_eq(st.rules, 3);
	policy__free(p);
}
END_TEST

START_TEST(expiry_and_removal)
{
	struct policy *p = make(100);
	struct policy_stats st;

	ck_assert_int_eq(policy__add_rule(p, "a", "", 0, 0, 100, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "b", "", 0, 0, 200, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "c", "", 0, 0, 0, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "d", "", 7, 7, 0, DEF), 0);
	policy__expire(p, 150);
	ck_assert(!policy__match(p, "a", "", OF(0), NULL, NULL));
	ck_assert(policy__match(p, "b", "", OF(0), NULL, NULL));
	policy__expire(p, 1000);
	ck_assert(!policy__match(p, "b", "", OF(0), NULL, NULL));
	ck_assert(policy__match(p, "c", "", OF(5), NULL, NULL));	/* root's rule: any process */
	/* A user's rule covers that user's processes only. */
	ck_assert(policy__match(p, "d", "", OF(7), NULL, NULL));
	ck_assert(!policy__match(p, "d", "", OF(8), NULL, NULL));
	/* A user removes only its own rules; root removes anyone's. */
	ck_assert_int_eq(policy__remove_rules(p, "c", "", 7), 0);
	ck_assert_int_eq(policy__remove_rules(p, "d", "", 0), 1);
	ck_assert_int_eq(policy__remove_rules(p, "c", "", 0), 1);
	policy__stats(p, &st);
	ck_assert_uint_eq(st.rules, 0);
	ck_assert_uint_eq(st.expired, 2);
	ck_assert_uint_eq(st.removed, 2);
	policy__free(p);
}
END_TEST

/* A user's rule covers only what the user could inspect: not a setuid program it ran. */
START_TEST(rules_follow_the_maps_rule)
{
	struct policy *p = make(100);
	struct procfs_cred suid = *OF(1000), nodump = *OF(1000), unknown = *OF(1000);
	struct procfs_cred other_group = *OF(1000);

	suid.uid[1] = suid.uid[2] = 0;		/* a setuid-root program 1000 started */
	nodump.dumpable = false;		/* prctl(PR_SET_DUMPABLE, 0) */
	unknown.known = false;			/* exiting: its owner no longer shows */
	other_group.gid[1] = 5;			/* setgid */
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 1000, 1000, 0, DEF), 0);
	ck_assert(policy__match(p, "prog", "", OF(1000), NULL, NULL));
	ck_assert(!policy__match(p, "prog", "", &suid, NULL, NULL));
	ck_assert(!policy__match(p, "prog", "", &nodump, NULL, NULL));
	ck_assert(!policy__match(p, "prog", "", &unknown, NULL, NULL));
	ck_assert(!policy__match(p, "prog", "", &other_group, NULL, NULL));
	/* The same user of another group: another rule, for that group's processes. */
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 1000, 5, 0, DEF), 0);
	ck_assert(!policy__match(p, "prog", "", &other_group, NULL, NULL));
	other_group.gid[0] = other_group.gid[2] = 5;
	ck_assert(policy__match(p, "prog", "", &other_group, NULL, NULL));
	/* Root's rule: all of them. */
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 0, 0, 0, DEF), 0);
	ck_assert(policy__match(p, "prog", "", &suid, NULL, NULL));
	ck_assert(policy__match(p, "prog", "", &nodump, NULL, NULL));
	ck_assert(policy__match(p, "prog", "", &unknown, NULL, NULL));
	/* A user removes its rules of any group. */
	ck_assert_int_eq(policy__remove_rules(p, "prog", "", 1000), 2);
	policy__free(p);
}
END_TEST

START_TEST(many_removals_at_once)
{
	struct policy *p = make(5000);
	char comm[16];
	int i;

	/* More than one pass of the removal's batch, all expiring together. */
	for (i = 0; i < 3000; i++) {
		snprintf(comm, sizeof(comm), "x%d", i);
		ck_assert_int_eq(policy__add_rule(p, comm, "", 0, 0, 10, DEF), 0);
	}
	ck_assert_int_eq(policy__add_rule(p, "keep", "", 0, 0, 0, DEF), 0);
	policy__expire(p, 10);
	ck_assert(policy__match(p, "keep", "", OF(0), NULL, NULL));
	ck_assert(!policy__match(p, "x2999", "", OF(0), NULL, NULL));
	ck_assert_int_eq(policy__add_rule(p, "x1", "", 0, 0, 0, DEF), 0);
	policy__free(p);
}
END_TEST

/*
 * The comms and units the kernel holds processes for: each once, whose
 * rule it is (several owners or root's: any), bounded by the room given.
 */
START_TEST(rule_names_for_holds)
{
	struct policy *p = make(16);
	struct hold_rule v[4];
	size_t n, i;
	char comm[16];

	ck_assert_uint_eq(policy__hold_rules(p, v, 4), 0);
	ck_assert_int_eq(policy__add_rule(p, "alone", "", 1000, 1000, 0, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "shared", "", 1000, 1000, 0, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "shared", "", 1001, 1001, 0, DEF), 0);
	ck_assert_int_eq(policy__add_rule(p, "", "web.service", 1000, 1000, 0, DEF), 0);
	n = policy__hold_rules(p, v, 4);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		if (!v[i].comm[0]) {
			ck_assert_str_eq(v[i].unit, "web.service");
			ck_assert_uint_eq(v[i].owner, 1000);
		} else if (!strcmp(v[i].comm, "alone"))
			ck_assert_uint_eq(v[i].owner, 1000);
		else if (!strcmp(v[i].comm, "shared"))
			ck_assert_uint_eq(v[i].owner, LEAKD_RULE_ANY_OWNER);
		else
			ck_abort_msg("unexpected comm %s", v[i].comm);
	}
	for (i = 0; i < 8; i++) {
		snprintf(comm, sizeof(comm), "more%zu", i);
		ck_assert_int_eq(policy__add_rule(p, comm, "", 0, 0, 0, DEF), 0);
	}
	ck_assert_uint_eq(policy__hold_rules(p, v, 4), 4);
	ck_assert_int_eq(policy__remove_rules(p, "alone", "", 0), 1);
	ck_assert_int_eq(policy__remove_rules(p, "shared", "", 0), 2);
	ck_assert_int_eq(policy__remove_rules(p, "", "web.service", 0), 1);
	for (i = 0; i < 8; i++) {
		snprintf(comm, sizeof(comm), "more%zu", i);
		ck_assert_int_eq(policy__remove_rules(p, comm, "", 0), 1);
	}
	ck_assert_uint_eq(policy__hold_rules(p, v, 4), 0);
	policy__free(p);
}
END_TEST

START_TEST(growers_and_ranks)
{
	struct policy *p = make(1);
	struct trend g = { .cls = TREND_GROWING, .delta = 2000, .points = 5, .span_ns = 10 };

	ck_assert(policy__is_grower(p, &g));
	/* A step that stayed flat, however large, is not a leak. */
	g.cls = TREND_PLATEAUED;
	ck_assert(!policy__is_grower(p, &g));
	g.cls = TREND_UNKNOWN;
	ck_assert(!policy__is_grower(p, &g));
	g.cls = TREND_GROWING;
	g.delta = 10;
	ck_assert(!policy__is_grower(p, &g));
	ck_assert_uint_eq(policy__drilldown_room(p, 0), 2);
	ck_assert_uint_eq(policy__drilldown_room(p, 2), 0);
	ck_assert_int_eq(policy__exit_rank(p, true, 0, 0), EXIT_RANK_TRACED);
	ck_assert_int_eq(policy__exit_rank(p, false, 0, 2 << 20), EXIT_RANK_GREW);
	ck_assert_int_eq(policy__exit_rank(p, false, 2 << 20, 0), EXIT_RANK_HELD);
	ck_assert_int_eq(policy__exit_rank(p, false, 4096, 4096), EXIT_RANK_TRIVIAL);
	ck_assert_int_eq(policy__exit_rank(p, false, 4096, -(2 << 20)), EXIT_RANK_TRIVIAL);
	policy__free(p);
}
END_TEST

START_TEST(rules_carry_a_mode)
{
	struct policy *p = make(16);
	struct rule_info list[4];
	uint64_t sample = 1;

	ck_assert_int_eq(policy__add_rule(p, "svc", "", 1000, 1000, 0, 4096), 0);
	ck_assert(policy__match(p, "svc", "", OF(1000), NULL, &sample));
	ck_assert_uint_eq(sample, 4096);
	/* The same rule with another mode is the same rule, in the mode asked last. */
	ck_assert_int_eq(policy__add_rule(p, "svc", "", 1000, 1000, 0, 0), 1);
	ck_assert_uint_eq(policy__rules(p, 0, list, 4), 1);
	ck_assert_str_eq(list[0].comm, "svc");
	ck_assert_uint_eq(list[0].sample, 0);
	ck_assert(policy__match(p, "svc", "", OF(1000), NULL, &sample));
	ck_assert_uint_eq(sample, 0);
	ck_assert_int_eq(policy__add_rule(p, "svc", "", 1000, 1000, 0, DEF), 1);
	/* Rules of two owners over one process: the most detailed mode wins. */
	ck_assert_int_eq(policy__add_rule(p, "svc", "", 0, 0, 0, 65536), 0);
	ck_assert(policy__match(p, "svc", "", OF(1000), NULL, &sample));
	ck_assert_uint_eq(sample, 65536);
	ck_assert_int_eq(policy__add_rule(p, "", "svc.service", 0, 0, 0, 0), 0);
	ck_assert(policy__match(p, "svc", "/system.slice/svc.service", OF(1000), NULL, &sample));
	ck_assert_uint_eq(sample, 0);
	/* Listed by owner, counted past the room given. */
	ck_assert_uint_eq(policy__rules(p, 1000, list, 4), 1);
	ck_assert_uint_eq(list[0].sample, DEF);
	ck_assert_uint_eq(policy__rules(p, 0, list, 1), 3);
	policy__free(p);
}
END_TEST

static struct policy *with_budget(uint64_t budget)
{
	struct policy_opts o = { .max_rules = 1, .event_budget = budget };
	struct policy *p = policy__new(&o);

	ck_assert_ptr_nonnull(p);
	return p;
}

/*
 * A load of sampled events that halves with each doubling of the interval, as the
 * sampled allocations (and their frees) of a steady workload do.
 */
static uint64_t load_at(uint64_t base, unsigned int shift)
{
	return base >> shift;
}

START_TEST(budget_widens_until_within)
{
	struct policy *p = with_budget(1000);
	struct budget b = { 0 };
	unsigned int i;

	/* 9000 events/s: 1000 needs a factor of 16 (562/s); one doubling per step. */
	for (i = 1; i <= 4; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, load_at(9000, b.shift), 0), i);
	/* Within it now: steady, however many steps (562 * 2 > 500: not well under). */
	for (i = 0; i < 50; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, load_at(9000, b.shift), 0), 4);
	ck_assert_uint_eq(b.sampled_rate, 562);
	ck_assert_uint_eq(b.exempt_rate, 0);
	policy__free(p);
}
END_TEST

START_TEST(budget_narrows_with_hysteresis)
{
	struct policy *p = with_budget(1000);
	struct budget b = { .shift = 4 };
	unsigned int i;

	/* The load falls to 2000/s at factor 1: 125 at 16, and 250 x 2 <= 500 at 8 ... */
	for (i = 1; i < BUDGET_CALM_STEPS; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 4);
	ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 3);
	/* ... a calm step after a loud one starts counting again. */
	ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 3);
	ck_assert_uint_eq(policy__budget_step(p, &b, 900, 0), 3);
	for (i = 1; i < BUDGET_CALM_STEPS; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 3);
	ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 2);
	/* 2000 / 4 = 500: doubled, 1000 > 500, so factor 4 stays for good. */
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, load_at(2000, b.shift), 0), 2);
	/* Once the load is gone, back to the asked intervals, step by calm step. */
	for (i = 0; i < 2 * BUDGET_CALM_STEPS; i++)
		policy__budget_step(p, &b, 0, 0);
	ck_assert_uint_eq(b.shift, 0);
	ck_assert_uint_eq(policy__budget_step(p, &b, 0, 0), 0);
	policy__free(p);
}
END_TEST

/* Stepping a load that halves per doubling never settles on alternating factors. */
START_TEST(budget_does_not_oscillate)
{
	uint64_t bases[] = { 1001, 1999, 2001, 3999, 4001, 50000, 1u << 20 };

	for (size_t k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		struct policy *p = with_budget(1000);
		struct budget b = { 0 };
		unsigned int i, changes = 0, last = 0;

		for (i = 0; i < 200; i++) {
			unsigned int s = policy__budget_step(p, &b, load_at(bases[k], b.shift), 0);

			if (i >= 20)
				changes += s != last;
			last = s;
		}
		ck_assert_msg(!changes, "base %llu: %u changes after settling",
			      (unsigned long long)bases[k], changes);
		ck_assert(load_at(bases[k], last) <= 1000 || last == BUDGET_MAX_SHIFT);
		policy__free(p);
	}
}
END_TEST

START_TEST(budget_bounds_and_exempt_traces)
{
	struct policy *p = with_budget(1000);
	struct budget b = { 0 };
	unsigned int i;

	/* Bounded: a load no factor brings down stops at the largest factor. */
	for (i = 0; i < 3 * BUDGET_MAX_SHIFT; i++)
		policy__budget_step(p, &b, 1u << 30, 0);
	ck_assert_uint_eq(b.shift, BUDGET_MAX_SHIFT);
	/* Exact traces alone over the budget: nothing sampled to widen, no factor. */
	b = (struct budget){ 0 };
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(policy__budget_step(p, &b, 0, 50000), 0);
	ck_assert_uint_eq(b.exempt_rate, 50000);
	/* With sampled ones too, those give way; the exact ones keep it from narrowing. */
	ck_assert_uint_eq(policy__budget_step(p, &b, 10, 50000), 1);
	for (i = 0; i < 10; i++)
		policy__budget_step(p, &b, 0, 600);
	ck_assert_uint_eq(b.shift, 1);
	policy__free(p);

	/* No budget: the factor is 1 at once, whatever the rate. */
	p = with_budget(0);
	b = (struct budget){ .shift = 5, .calm = 1 };
	ck_assert_uint_eq(policy__budget_step(p, &b, 1u << 30, 1u << 30), 0);
	ck_assert_uint_eq(b.calm, 0);
	policy__free(p);

	/* Intervals in force: asked times the factor, never past LEAKD_SAMPLE_MAX. */
	ck_assert_uint_eq(policy__widened(4096, 0), 4096);
	ck_assert_uint_eq(policy__widened(4096, 3), 32768);
	ck_assert_uint_eq(policy__widened(LEAKD_SAMPLE_DEFAULT, BUDGET_MAX_SHIFT),
			  LEAKD_SAMPLE_DEFAULT << BUDGET_MAX_SHIFT);
	ck_assert_uint_eq(policy__widened(LEAKD_SAMPLE_MAX / 2, 2), LEAKD_SAMPLE_MAX);
	ck_assert_uint_eq(policy__widened(LEAKD_SAMPLE_MAX, 1), LEAKD_SAMPLE_MAX);
	ck_assert_uint_eq(policy__widened(16, 99), 16 << BUDGET_MAX_SHIFT);
	ck_assert_uint_eq(policy__widened(0, 4), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, flood_of_unique_rules_is_bounded);
	tcase_add_test(tc, rule_names_for_holds);
	tcase_add_test(tc, flood_of_identical_rules_is_one);
	tcase_add_test(tc, expiry_and_removal);
	tcase_add_test(tc, rules_follow_the_maps_rule);
	tcase_add_test(tc, many_removals_at_once);
	tcase_add_test(tc, growers_and_ranks);
	tcase_add_test(tc, rules_carry_a_mode);
	tcase_add_test(tc, budget_widens_until_within);
	tcase_add_test(tc, budget_narrows_with_hysteresis);
	tcase_add_test(tc, budget_does_not_oscillate);
	tcase_add_test(tc, budget_bounds_and_exempt_traces);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
