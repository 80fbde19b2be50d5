// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The sampler's countdown across changes of its mean (src/sampler/countdown.h):
 * each sample is weighed with the mean it was drawn with, so estimates stay
 * unbiased however the event budget changes the mean; weights of the mean in
 * force at the sample would not be.  A fixed generator: deterministic, never flaky.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "sampler/countdown.h"
#include "testutil.h"

static uint64_t rng;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 1) * (1.0 / 9007199254740992.0);
}

static uint64_t draw(double m)
{
	double d = -log(uniform()) * m;

	return d < 1 ? 1 : (uint64_t)d;
}

/* The weight of n bytes sampled from a countdown of mean m. */
static double weight_of(uint64_t n, double m)
{
	return (double)n / -expm1(-(double)n / m);
}

START_TEST(weight_of_the_draw)
{
	uint64_t left = 0;
	double mean = 0, w;

	rng = 0x9e3779b97f4a7c15ULL;
	/* The first allocation draws with the mean in force. */
	w = countdown__cross(&left, &mean, 0, 1000, draw);
	ck_assert(w == 0 && left > 0);
	ck_assert(mean == 1000);
	/* The mean goes up 8 times: the countdown drawn before keeps its own. */
	left = 100;
	w = countdown__cross(&left, &mean, 300, 8000, draw);
	ck_assert_msg(fabs(w - weight_of(300, 1000)) < 1e-9, "weight %g", w);
	ck_assert(mean == 8000 && left > 0);
	/* The next one is of the new mean. */
	left = 50;
	w = countdown__cross(&left, &mean, 64, 1000, draw);
	ck_assert_msg(fabs(w - weight_of(64, 8000)) < 1e-9, "weight %g", w);
	ck_assert(mean == 1000);
	/* Not reached: nothing sampled, nothing drawn. */
	left = 500;
	ck_assert(countdown__cross(&left, &mean, 100, 8000, draw) == 0);
	ck_assert_uint_eq(left, 400);
	ck_assert(mean == 1000);
	/* A block far larger than the mean stands for itself. */
	left = 1;
	w = countdown__cross(&left, &mean, 1 << 20, 1000, draw);
	ck_assert(w == 1 << 20);
}
END_TEST

/*
 * Two sites of one thread, and a mean that changes with them, as a budget widens
 * at a burst: 8 T bytes of 64-byte blocks under mean T, then 4 T bytes of 4 KiB
 * blocks under 16 T, and again.  The first sample of each burst comes from a
 * countdown drawn before it, of the other mean: weighed by the mean in force, the
 * bursts' site would be over-estimated many times, the other one under.  Returns
 * per site the estimates weighed both ways and the variance of the right one,
 * summed sample by sample (w^2 - w n: the Horvitz-Thompson estimate of it).
 */
#define SITES 2

static void bursts(unsigned int cycles, double T, double truth[SITES], double right[SITES],
		   double wrong[SITES], double var[SITES])
{
	static const uint64_t size[SITES] = { 64, 4096 };
	const double mean_of[SITES] = { T, 16 * T }, bytes_of[SITES] = { 8 * T, 4 * T };
	uint64_t left = 0, i, n;
	double mean = 0, drawn, w;
	unsigned int c, k;

	for (c = 0; c < cycles; c++) {
		for (k = 0; k < SITES; k++) {
			n = size[k];
			for (i = 0; i < (uint64_t)(bytes_of[k] / n); i++) {
				truth[k] += n;
				if (n < left) {
					left -= n;	/* the sampler's fast path */
					continue;
				}
				drawn = left ? mean : mean_of[k];
				w = countdown__cross(&left, &mean, n, mean_of[k], draw);
				if (!w)
					continue;
				ck_assert(fabs(w - weight_of(n, drawn)) < 1e-6 * w);
				right[k] += w;
				wrong[k] += weight_of(n, mean_of[k]);
				var[k] += w * w - w * (double)n;
			}
		}
	}
}

START_TEST(unbiased_across_changes)
{
	double truth[SITES] = { 0 }, right[SITES] = { 0 }, wrong[SITES] = { 0 };
	double var[SITES] = { 0 }, z;
	unsigned int k;

	rng = 0x2545f4914f6cdd1dULL;
	bursts(4000, 65536, truth, right, wrong, var);
	for (k = 0; k < SITES; k++) {
		z = (right[k] - truth[k]) / sqrt(var[k]);
		printf("countdown: site %u: z %.2f weighed by the draw's mean, %.2f by the mean "
		       "in force\n", k, z, (wrong[k] - truth[k]) / sqrt(var[k]));
		ck_assert_msg(fabs(z) < 4, "site %u: estimate %.0f, truth %.0f, z %.2f", k, right[k],
			      truth[k], z);
		/* Weighed by the mean in force instead: far off, which this test would see. */
		z = (wrong[k] - truth[k]) / sqrt(var[k]);
		ck_assert_msg(fabs(z) > 10, "site %u, the wrong weights: z %.2f", k, z);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("countdown");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, weight_of_the_draw);
	tcase_add_test(tc, unbiased_across_changes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
