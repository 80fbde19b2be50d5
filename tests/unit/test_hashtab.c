// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "base/hashtab.h"
#include "testutil.h"

struct entry {
	uint64_t key;
	uint64_t val;
};

START_TEST(insert_get_remove)
{
	struct hashtab h;
	struct entry *e, copy;
	bool is_new;
	uint64_t k;

	ck_assert_int_eq(hashtab__init(&h, sizeof(struct entry), 4), 0);
	for (k = 1; k <= 10000; k++) {
		e = hashtab__upsert(&h, k * 16, &is_new);
		ck_assert_ptr_nonnull(e);
		ck_assert(is_new);
		e->val = k;
	}
	ck_assert_uint_eq(h.count, 10000);
	e = hashtab__upsert(&h, 160, &is_new);
	ck_assert(!is_new);
	ck_assert_uint_eq(e->val, 10);
	for (k = 1; k <= 10000; k += 2)
		ck_assert_int_eq(hashtab__remove(&h, k * 16, &copy), 0);
	ck_assert_uint_eq(copy.val, 9999);
	ck_assert_uint_eq(h.count, 5000);
	/* Backward-shift deletion must keep every survivor reachable. */
	for (k = 1; k <= 10000; k++) {
		e = hashtab__get(&h, k * 16);
		if (k % 2)
			ck_assert_ptr_null(e);
		else
			ck_assert_uint_eq(e->val, k);
	}
	ck_assert_int_eq(hashtab__remove(&h, 16, NULL), -ENOENT);
	ck_assert_ptr_null(hashtab__upsert(&h, 0, NULL));
	hashtab__destroy(&h);
}
END_TEST

START_TEST(churn_keeps_lookups_right)
{
	struct hashtab h;
	uint64_t live[512] = { 0 }, k;
	size_t i, n = 0;
	struct entry *e;

	/* Heavy insert/remove churn at a steady size: the allocation table's life. */
	ck_assert_int_eq(hashtab__init(&h, sizeof(struct entry), 16), 0);
	srand(7);
	for (i = 0; i < 200000; i++) {
		size_t slot = rand() % 512;

		if (live[slot]) {
			ck_assert_int_eq(hashtab__remove(&h, live[slot], NULL), 0);
			live[slot] = 0;
			n--;
		} else {
			k = ((uint64_t)rand() << 20 | (uint64_t)rand()) * 16 + 16;
			if (hashtab__get(&h, k))
				continue;
			e = hashtab__upsert(&h, k, NULL);
			e->val = slot;
			live[slot] = k;
			n++;
		}
	}
	ck_assert_uint_eq(h.count, n);
	for (i = 0; i < 512; i++) {
		if (!live[i])
			continue;
		e = hashtab__get(&h, live[i]);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->val, i);
	}
	ck_assert_uint_le(hashtab__capacity(&h), 4096);
	hashtab__destroy(&h);
}
END_TEST

START_TEST(load_stays_between_half_and_three_quarters)
{
	size_t over = 0, under = 0, lost = 0, wrong = 0;
	struct hashtab h;
	struct entry *e;
	uint64_t k;

	/*
	 * Each entry costs at most twice its size, whatever the count (capacities
	 * grow by half).  Counted, then asserted once: an assertion per step is slow.
	 */
	ck_assert_int_eq(hashtab__init(&h, sizeof(struct entry), 16), 0);
	for (k = 1; k <= 200000; k++) {
		e = hashtab__upsert(&h, k * 16, NULL);
		ck_assert_ptr_nonnull(e);
		e->val = k;
		if (k >= 12 && hashtab__memory(&h) > 2 * sizeof(struct entry) * h.count)
			under++;
		if (4 * h.count > 3 * hashtab__capacity(&h))
			over++;
	}
	ck_assert_uint_eq(under, 0);
	ck_assert_uint_eq(over, 0);
	/* Every key still found, none lost across the growths; removals shift back around the end. */
	for (k = 1; k <= 200000; k++) {
		e = hashtab__get(&h, k * 16);
		if (!e || e->val != k)
			lost++;
		if (k % 3 == 0 && hashtab__remove(&h, k * 16, NULL))
			lost++;
	}
	ck_assert_uint_eq(lost, 0);
	for (k = 1; k <= 200000; k++)
		wrong += (hashtab__get(&h, k * 16) != NULL) != (k % 3 != 0);
	ck_assert_uint_eq(wrong, 0);
	ck_assert_uint_eq(h.count, 200000 - 200000 / 3);
	hashtab__destroy(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hashtab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, insert_get_remove);
	tcase_add_test(tc, churn_keeps_lookups_right);
	tcase_add_test(tc, load_stays_between_half_and_three_quarters);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
