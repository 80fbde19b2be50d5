// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The sampling arithmetic the BPF programs run (include/leakd/sampling.h), run
 * here in userspace: the draws are exponential of the right mean, the weights are
 * size / p, and the countdown they drive gives unbiased estimates.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/macros.h"
#include "leakd/sampling.h"
#include "testutil.h"

/* A fixed generator: the test is deterministic, never flaky. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_u32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng >> 32;
}

START_TEST(draw_matches_ln)
{
	double sum = 0, worst = 0;
	uint64_t r, n = 0;

	/* Every 251st input, across the whole 32-bit range: a stratified mean. */
	for (r = 0; r <= UINT32_MAX; r += 251) {
		double want = -log(((double)r + 1) / 4294967296.0);
		double got = leakd_neg_ln_q24(r) / (double)(1 << 24);

		if (fabs(got - want) > worst)
			worst = fabs(got - want);
		sum += got;
		n++;
	}
	ck_assert_msg(worst < 1e-5, "worst error %g", worst);
	/* The mean of an exponential draw is 1. */
	ck_assert_msg(fabs(sum / n - 1.0) < 1e-4, "mean %.7f", sum / n);
	ck_assert_uint_eq(leakd_neg_ln_q24(UINT32_MAX), 0);
	ck_assert(fabs(leakd_neg_ln_q24(0) / (double)(1 << 24) - 32 * log(2)) < 1e-5);
}
END_TEST

START_TEST(draw_is_exponential)
{
	const uint64_t T = 512 << 10;
	uint64_t i, n = 2000000, above[4] = { 0 };
	double sum = 0, q[4] = { 0.1, 1, 2, 5 };
	int k;

	for (i = 0; i < n; i++) {
		uint64_t d = leakd_sample_draw(T, next_u32());

		sum += d;
		for (k = 0; k < 4; k++)
			above[k] += d > q[k] * T;
	}
	/* Mean T: the standard error of the mean of n draws is T / sqrt(n). */
	ck_assert_msg(fabs(sum / n - T) < 4 * T / sqrt(n), "mean %.1f", sum / n);
	for (k = 0; k < 4; k++) {
		double p = exp(-q[k]), se = sqrt(p * (1 - p) / n);

		ck_assert_msg(fabs((double)above[k] / n - p) < 4 * se, "P(> %gT) = %g, want %g",
			      q[k], (double)above[k] / n, p);
	}
}
END_TEST

START_TEST(weight_is_size_over_p)
{
	static const uint64_t T[] = { 16, 4096, 512 << 10, 1 << 30 };
	static const uint64_t sizes[] = { 1, 8, 64, 1000, 4096, 100000, 1 << 20, 5 << 20,
					  64 << 20, 1ULL << 33 };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(T); i++) {
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			double s = sizes[j], p = -expm1(-s / T[i]);
			double want = s / p, got = leakd_sample_weight(sizes[j], T[i]);

			ck_assert_msg(fabs(got - want) <= 1e-5 * want + 1, "T %lu size %lu: %g, want %g",
				      T[i], sizes[j], got, want);
			ck_assert(got >= s);
		}
	}
	ck_assert_uint_eq(leakd_sample_weight(100, 0), 100);
}
END_TEST

/* The countdown as alloc_sample runs it, per thread. */
struct countdown {
	uint64_t left, interval;
};

static uint64_t countdown_take(struct countdown *c, uint64_t size)
{
	if (!c->left)
		c->left = leakd_sample_draw(c->interval, next_u32()) + 1;
	if (size < c->left) {
		c->left -= size;
		return 0;
	}
	c->left = leakd_sample_draw(c->interval, next_u32()) + 1;
	return leakd_sample_weight(size, c->interval);
}

/*
 * A stream of sites with different sizes and counts, sampled: the estimate of
 * each site is within 3 standard errors (from the variance the tables keep) in
 * about 99.7 % of runs, and the mean over runs is unbiased.
 */
START_TEST(estimates_are_unbiased)
{
	static const struct {
		uint64_t size, count;
	} sites[] = { { 16, 200000 }, { 256, 20000 }, { 4096, 3000 }, { 100000, 200 },
		      { 3 << 20, 10 } };
	enum { RUNS = 200, NS = 5 };
	double est_sum[NS] = { 0 }, est_sq[NS] = { 0 }, cnt_sum[NS] = { 0 };
	unsigned int outside[NS] = { 0 };
	struct countdown c = { .interval = 64 << 10 };
	int run, k;

	for (run = 0; run < RUNS; run++) {
		double est[NS] = { 0 }, var[NS] = { 0 }, cnt[NS] = { 0 };
		uint64_t done[NS] = { 0 }, left = 0;

		for (k = 0; k < NS; k++)
			left += sites[k].count;
		/* Interleaved, as a program would allocate. */
		while (left) {
			for (k = 0; k < NS; k++) {
				uint64_t w;

				if (done[k] == sites[k].count)
					continue;
				done[k]++;
				left--;
				w = countdown_take(&c, sites[k].size);
				if (!w)
					continue;
				est[k] += w;
				var[k] += (double)w * ((double)w - sites[k].size);
				cnt[k] += (double)w / sites[k].size;
			}
		}
		for (k = 0; k < NS; k++) {
			double truth = (double)sites[k].size * sites[k].count;

			if (fabs(est[k] - truth) > 3 * sqrt(var[k]) && var[k] > 0)
				outside[k]++;
			est_sum[k] += est[k];
			est_sq[k] += est[k] * est[k];
			cnt_sum[k] += cnt[k];
		}
	}
	for (k = 0; k < NS; k++) {
		double truth = (double)sites[k].size * sites[k].count;
		double mean = est_sum[k] / RUNS;
		double sd = sqrt(est_sq[k] / RUNS - mean * mean);

		/* The mean of RUNS estimates is within 4 of its standard errors of the truth. */
		ck_assert_msg(fabs(mean - truth) <= 4 * sd / sqrt(RUNS) + 1e-9 * truth,
			      "site %d: mean %.0f truth %.0f sd %.0f", k, mean, truth, sd);
		ck_assert_msg(fabs(cnt_sum[k] / RUNS - sites[k].count) <=
				      4 * sd / sites[k].size / sqrt(RUNS) + 1e-9 * sites[k].count,
			      "site %d: count %.1f", k, cnt_sum[k] / RUNS);
		/* 3 standard errors hold in about 99.7 % of runs: allow a few. */
		ck_assert_msg(outside[k] <= RUNS / 20, "site %d: %u of %d runs outside 3 SE", k,
			      outside[k], RUNS);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sampling");
	TCase *tc = tcase_create("math");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, draw_matches_ln);
	tcase_add_test(tc, draw_is_exponential);
	tcase_add_test(tc, weight_is_size_over_p);
	tcase_add_test(tc, estimates_are_unbiased);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
