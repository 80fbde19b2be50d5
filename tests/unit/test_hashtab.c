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

int main(void)
{
	Suite *s = suite_create("hashtab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, insert_get_remove);
	tcase_add_test(tc, churn_keeps_lookups_right);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
