/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The slow path of the sampler's per-thread byte countdown: what happens when an
 * allocation reaches the point where the countdown runs out.  Header-only: the
 * sampler inlines it, the unit test includes it.
 *
 * Each countdown is an exponential draw of some mean m, and m is kept with it.
 * The mean of new draws may change at any time (the event budget multiplies it,
 * leakd writing the factor into the sampler's control block), and a countdown
 * drawn before the change runs on as drawn: no thread redraws.  That is right
 * only because each sample is weighed with the mean of the countdown that
 * produced it.  Given that a countdown of mean m has not run out when a block of
 * n bytes starts, what is left of it is again exponential of mean m, however much
 * was allocated since its draw (memorylessness; the program's sizes do not depend
 * on our draws), so the block is sampled with p = 1 - e^(-n/m) and n / p is its
 * unbiased weight; which mean is in force is known before the block, so the
 * estimate stays unbiased under any schedule of changes.  Weighing with the mean
 * in force now instead would be off by the ratio of the two means for every
 * sample an old countdown produces.  Redrawing at a change would be unbiased too,
 * but every thread would have to notice it, a load on the fast path.  Points after
 * the first one inside the block, and the countdown left after it, are drawn with
 * the mean in force now, which is stored with that countdown.
 */
#ifndef LEAKD_COUNTDOWN_H
#define LEAKD_COUNTDOWN_H

#include <math.h>
#include <stdint.h>

/*
 * An allocation of n bytes that reaches or passes the countdown: *left bytes to
 * go (0: never drawn), drawn with mean *mean.  mean_now: the mean of draws from
 * now on; draw(m): an exponential draw of mean m, at least 1.  Returns the bytes
 * the block stands for when a sample point falls inside it, else 0; *left and
 * *mean become the countdown after the block.
 */
static inline double countdown__cross(uint64_t *left, double *mean, uint64_t n, double mean_now,
				      uint64_t (*draw)(double mean))
{
	uint64_t pos = *left;
	double m = *mean, weight;

	if (!pos) {
		/* The thread's first allocation: the stream starts here. */
		m = mean_now;
		pos = draw(m);
	}
	if (n < pos) {
		*left = pos - n;
		*mean = m;
		return 0;
	}
	/* Memoryless: the points inside a block this large need not be walked. */
	if (n - pos > 64 * mean_now)
		pos = n + draw(mean_now);
	while (pos <= n)
		pos += draw(mean_now);
	*left = pos - n;
	*mean = mean_now;
	if (!(m > 0))
		return 0;
	weight = (double)n / -expm1(-(double)n / m);
	return weight < (double)n ? (double)n : weight;
}

#endif
