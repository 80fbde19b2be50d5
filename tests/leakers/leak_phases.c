// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leaker whose phases the test orders from stdin, so that a daemon restart can
 * fall between them, and with a thread that keeps allocating and freeing across
 * it.  Says "ready PID", then for each command does it and says "ok":
 *   alloc N SIZE   N blocks of SIZE bytes from phase_keep(), kept
 *   free N         frees the N blocks kept last
 *   churn start    a thread: ring_churn() allocates 48 bytes again and again, each
 *                  time freeing the block it made RING steps before
 *   churn stop     ends it; says how many it made ("N ok")
 *   truth          writes the ground truth so far ($LEAKER_TRUTH)
 *   exit           ends
 * Ground truth: phase_keep's blocks still kept, ring_churn's last RING blocks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

#define MAX_KEPT 65536
#define RING 64
#define CHURN_SIZE 48

static void *kept[MAX_KEPT];
static unsigned long long kept_bytes[MAX_KEPT];
static long nr_kept;
static void *ring[RING];
static volatile int churning;
static long churned;

NOINLINE void *phase_keep(long size)
{
	char *p = malloc(size);

	if (!p)
		exit(3);
	memset(p, 1, size);	/* work after the call: the frame stays on the stack */
	return p;
}

NOINLINE void *ring_churn(void)
{
	char *p = malloc(CHURN_SIZE);

	if (!p)
		exit(3);
	p[0] = 2;
	return p;
}

static void *churner(void *arg)
{
	/* The workload's pace, not a synchronization: about a thousand a second. */
	struct timespec ts = { 0, 1000000 };

	(void)arg;
	while (churning) {
		free(ring[churned % RING]);
		ring[churned % RING] = ring_churn();
		churned++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void)
{
	char line[128];
	pthread_t th;
	long a, b;

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "alloc %ld %ld", &a, &b) == 2) {
			for (long i = 0; i < a && nr_kept < MAX_KEPT; i++) {
				kept[nr_kept] = phase_keep(b);
				kept_bytes[nr_kept++] = b;
			}
			printf("ok\n");
		} else if (sscanf(line, "free %ld", &a) == 1) {
			for (long i = 0; i < a && nr_kept > 0; i++)
				free(kept[--nr_kept]);
			printf("ok\n");
		} else if (!strcmp(line, "churn start\n") && !churning) {
			churning = 1;
			if (pthread_create(&th, NULL, churner, NULL))
				exit(4);
			printf("ok\n");
		} else if (!strcmp(line, "churn stop\n") && churning) {
			churning = 0;
			pthread_join(th, NULL);
			printf("%ld ok\n", churned);
		} else if (!strcmp(line, "truth\n") && !churning) {
			unsigned long long bytes = 0;
			long live = churned < RING ? churned : RING;

			for (long i = 0; i < nr_kept; i++)
				bytes += kept_bytes[i];
			truth_nsites = truth_nnotes = 0;
			truth_leak("phase_keep", bytes, nr_kept);
			truth_leak("ring_churn", (unsigned long long)live * CHURN_SIZE, live);
			truth_note("churned", churned);
			truth_write();
			printf("ok\n");
		} else if (!strcmp(line, "exit\n")) {
			return 0;
		} else {
			printf("bad command\n");
		}
		fflush(stdout);
	}
	return 0;
}
