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
#include "testutil.h"

/* A dumpable process whose uids and gids are all u. */
#define OF(u) (&(struct procfs_cred){ .uid = { (u), (u), (u) }, .gid = { (u), (u), (u) },	\
				      .dumpable = true, .known = true })

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
		r = policy__add_rule(p, comm, "", 1000, 1000, 0);
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
	ck_assert(policy__match(p, "c5", "", OF(1000), NULL));
	ck_assert(!policy__match(p, "c99999", "", OF(1000), NULL));
	policy__free(p);
}
END_TEST

START_TEST(flood_of_identical_rules_is_one)
{
	struct policy *p = make(4);
	struct policy_stats st;
	uint64_t until = 0;
	int i;

	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 50), 0);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 10 + i % 100), 1);
	policy__stats(p, &st);
	ck_assert_uint_eq(st.rules, 1);
	ck_assert_uint_eq(st.extended, 100000);
	/* Extended to the latest end asked for, never shortened. */
	ck_assert(policy__match(p, "nginx", "", OF(1000), &until));
	ck_assert_uint_eq(until, 109);
	/* An endless request makes it endless. */
	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1000, 1000, 0), 1);
	ck_assert(policy__match(p, "nginx", "", OF(1000), &until));
	ck_assert_uint_eq(until, 0);
	/* Another owner, or the unit instead of the name, is another rule. */
	ck_assert_int_eq(policy__add_rule(p, "nginx", "", 1001, 1001, 0), 0);
	ck_assert_int_eq(policy__add_rule(p, "", "nginx.service", 1000, 1000, 0), 0);
	policy__stats(p, &st);
	ck_assert_uint_eq(st.rules, 3);
	policy__free(p);
}
END_TEST

START_TEST(expiry_and_removal)
{
	struct policy *p = make(100);
	struct policy_stats st;

	ck_assert_int_eq(policy__add_rule(p, "a", "", 0, 0, 100), 0);
	ck_assert_int_eq(policy__add_rule(p, "b", "", 0, 0, 200), 0);
	ck_assert_int_eq(policy__add_rule(p, "c", "", 0, 0, 0), 0);
	ck_assert_int_eq(policy__add_rule(p, "d", "", 7, 7, 0), 0);
	policy__expire(p, 150);
	ck_assert(!policy__match(p, "a", "", OF(0), NULL));
	ck_assert(policy__match(p, "b", "", OF(0), NULL));
	policy__expire(p, 1000);
	ck_assert(!policy__match(p, "b", "", OF(0), NULL));
	ck_assert(policy__match(p, "c", "", OF(5), NULL));	/* root's rule: any process */
	/* A user's rule covers that user's processes only. */
	ck_assert(policy__match(p, "d", "", OF(7), NULL));
	ck_assert(!policy__match(p, "d", "", OF(8), NULL));
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
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 1000, 1000, 0), 0);
	ck_assert(policy__match(p, "prog", "", OF(1000), NULL));
	ck_assert(!policy__match(p, "prog", "", &suid, NULL));
	ck_assert(!policy__match(p, "prog", "", &nodump, NULL));
	ck_assert(!policy__match(p, "prog", "", &unknown, NULL));
	ck_assert(!policy__match(p, "prog", "", &other_group, NULL));
	/* The same user of another group: another rule, for that group's processes. */
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 1000, 5, 0), 0);
	ck_assert(!policy__match(p, "prog", "", &other_group, NULL));
	other_group.gid[0] = other_group.gid[2] = 5;
	ck_assert(policy__match(p, "prog", "", &other_group, NULL));
	/* Root's rule: all of them. */
	ck_assert_int_eq(policy__add_rule(p, "prog", "", 0, 0, 0), 0);
	ck_assert(policy__match(p, "prog", "", &suid, NULL));
	ck_assert(policy__match(p, "prog", "", &nodump, NULL));
	ck_assert(policy__match(p, "prog", "", &unknown, NULL));
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
		ck_assert_int_eq(policy__add_rule(p, comm, "", 0, 0, 10), 0);
	}
	ck_assert_int_eq(policy__add_rule(p, "keep", "", 0, 0, 0), 0);
	policy__expire(p, 10);
	ck_assert(policy__match(p, "keep", "", OF(0), NULL));
	ck_assert(!policy__match(p, "x2999", "", OF(0), NULL));
	ck_assert_int_eq(policy__add_rule(p, "x1", "", 0, 0, 0), 0);
	policy__free(p);
}
END_TEST

/*
 * The comms the kernel holds processes for: each once, unit rules aside, whose
 * rule it is (several owners or root's: any), bounded by the room given.
 */
START_TEST(rule_comms_for_holds)
{
	struct policy *p = make(16);
	struct hold_comm v[4];
	size_t n, i;
	char comm[16];

	ck_assert_uint_eq(policy__comms(p, v, 4), 0);
	ck_assert_int_eq(policy__add_rule(p, "alone", "", 1000, 1000, 0), 0);
	ck_assert_int_eq(policy__add_rule(p, "shared", "", 1000, 1000, 0), 0);
	ck_assert_int_eq(policy__add_rule(p, "shared", "", 1001, 1001, 0), 0);
	ck_assert_int_eq(policy__add_rule(p, "", "web.service", 1000, 1000, 0), 0);
	n = policy__comms(p, v, 4);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].comm, "alone"))
			ck_assert_uint_eq(v[i].owner, 1000);
		else if (!strcmp(v[i].comm, "shared"))
			ck_assert_uint_eq(v[i].owner, LEAKD_RULE_ANY_OWNER);
		else
			ck_abort_msg("unexpected comm %s", v[i].comm);
	}
	for (i = 0; i < 8; i++) {
		snprintf(comm, sizeof(comm), "more%zu", i);
		ck_assert_int_eq(policy__add_rule(p, comm, "", 0, 0, 0), 0);
	}
	ck_assert_uint_eq(policy__comms(p, v, 4), 4);
	ck_assert_int_eq(policy__remove_rules(p, "alone", "", 0), 1);
	ck_assert_int_eq(policy__remove_rules(p, "shared", "", 0), 2);
	for (i = 0; i < 8; i++) {
		snprintf(comm, sizeof(comm), "more%zu", i);
		ck_assert_int_eq(policy__remove_rules(p, comm, "", 0), 1);
	}
	ck_assert_uint_eq(policy__comms(p, v, 4), 0);
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

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, flood_of_unique_rules_is_bounded);
	tcase_add_test(tc, rule_comms_for_holds);
	tcase_add_test(tc, flood_of_identical_rules_is_one);
	tcase_add_test(tc, expiry_and_removal);
	tcase_add_test(tc, rules_follow_the_maps_rule);
	tcase_add_test(tc, many_removals_at_once);
	tcase_add_test(tc, growers_and_ranks);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
