// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Threads that allocate and hand their blocks to other threads to free (balanced
 * churn), and one that leaks a known amount.
 */
#include <pthread.h>
#include <stdlib.h>

#include "truth.h"

#define PRODUCERS 3
#define BLOCKS 20000
#define RING 256

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void *slot[RING];
	unsigned head, tail;
	int done;
};

static struct ring rings[PRODUCERS];

NOINLINE void *produce_block(unsigned i)
{
	void *p = malloc(32 + i % 200);

	keep(p);
	return p;
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	unsigned i;

	for (i = 0; i < BLOCKS; i++) {
		void *p = produce_block(i);

		pthread_mutex_lock(&r->lock);
		while (r->head - r->tail == RING)
			pthread_cond_wait(&r->cond, &r->lock);
		r->slot[r->head++ % RING] = p;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->done = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void *consumer(void *arg)
{
	struct ring *r = arg;

	for (;;) {
		void *p;

		pthread_mutex_lock(&r->lock);
		while (r->head == r->tail && !r->done)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->head == r->tail) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		p = r->slot[r->tail++ % RING];
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		free(p);	/* freed by another thread than the one that allocated it */
	}
}

NOINLINE void thread_leak(void)
{
	for (int i = 0; i < 7; i++)
		keep(malloc(333));
}

static void *leaker(void *arg)
{
	(void)arg;
	thread_leak();
	return NULL;
}

int main(void)
{
	pthread_t prod[PRODUCERS], cons[PRODUCERS], lk;
	int i;

	for (i = 0; i < PRODUCERS; i++) {
		pthread_mutex_init(&rings[i].lock, NULL);
		pthread_cond_init(&rings[i].cond, NULL);
		pthread_create(&cons[i], NULL, consumer, &rings[i]);
		pthread_create(&prod[i], NULL, producer, &rings[i]);
	}
	pthread_create(&lk, NULL, leaker, NULL);
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(prod[i], NULL);
		pthread_join(cons[i], NULL);
	}
	pthread_join(lk, NULL);
	truth_balanced("produce_block");
	truth_leak("thread_leak", 7 * 333, 7);
	truth_note("cross_thread_frees", PRODUCERS * BLOCKS);
	truth_write();
	return 0;
}
