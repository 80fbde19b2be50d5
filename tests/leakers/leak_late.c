// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leaker that loads libraries of its own while it runs, driven line by line from
 * stdin like leak_ctl: it says "ready PID", then for each command does it and says
 * "ok":
 *   load NAME           dlopen NAME.so next to this program, by its path
 *   loadbare NAME       dlopen NAME.so by its bare name (found along LD_LIBRARY_PATH)
 *   leak NAME N SIZE    NAME's late_leak(): N blocks of SIZE, every other one freed
 *   zeroed NAME N SIZE  NAME's late_zeroed(): N blocks of SIZE from calloc, kept
 *   release NAME        NAME's late_release(): frees what its constructor allocated
 *   unload NAME         dlclose NAME (unmapped: nothing of it is kept alive)
 *   loadpair NAME NAME  two threads dlopen one each at the same moment, by path
 *   loadloop NAME MS    in a thread, every MS ms: dlopen NAME by path, its
 *                       late_release(), dlclose; "ok" once the first round is done
 *   loops               says how many rounds the loop has done
 *   stop                ends the loop
 *   exit                ends
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIBS 8

static struct {
	char name[32];
	void *handle;
} libs[LIBS];

static void *lib(const char *name)
{
	for (int i = 0; i < LIBS; i++)
		if (libs[i].handle && !strcmp(libs[i].name, name))
			return libs[i].handle;
	return NULL;
}

static int load(const char *dir, const char *name, int bare)
{
	char path[PATH_MAX + 64];
	void *h;
	int i;

	for (i = 0; i < LIBS && libs[i].handle; i++)
		;
	if (i == LIBS || strlen(name) >= sizeof(libs[i].name))
		return -1;
	if (bare)
		snprintf(path, sizeof(path), "%s.so", name);
	else
		snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return -1;
	}
	snprintf(libs[i].name, sizeof(libs[i].name), "%s", name);
	libs[i].handle = h;
	return 0;
}

static int unload(const char *name)
{
	for (int i = 0; i < LIBS; i++) {
		if (libs[i].handle && !strcmp(libs[i].name, name)) {
			if (dlclose(libs[i].handle))
				return -1;
			libs[i].handle = NULL;
			return 0;
		}
	}
	return -1;
}

static pthread_barrier_t pair_start;

struct pair_load {
	char path[PATH_MAX + 64];
	void *handle;
};

static void *pair_loader(void *arg)
{
	struct pair_load *p = arg;

	pthread_barrier_wait(&pair_start);
	p->handle = dlopen(p->path, RTLD_NOW);
	return NULL;
}

/* Two dlopens at once, from two threads released together. */
static int load_pair(const char *dir, const char *a, const char *b)
{
	static struct pair_load p[2];
	const char *names[2] = { a, b };
	pthread_t th[2];
	int i, started = 0, err = 0;

	if (pthread_barrier_init(&pair_start, NULL, 2))
		return -1;
	for (i = 0; i < 2; i++) {
		snprintf(p[i].path, sizeof(p[i].path), "%s/%s.so", dir, names[i]);
		p[i].handle = NULL;
		if (pthread_create(&th[i], NULL, pair_loader, &p[i]))
			break;
		started++;
	}
	if (started < 2) {
		/* The barrier waits for two: let the one started through alone. */
		if (started)
			pthread_barrier_wait(&pair_start);
		err = -1;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&pair_start);
	for (i = 0; i < 2 && !err; i++) {
		int k;

		for (k = 0; k < LIBS && libs[k].handle; k++)
			;
		if (!p[i].handle || k == LIBS || strlen(names[i]) >= sizeof(libs[k].name))
			return -1;
		snprintf(libs[k].name, sizeof(libs[k].name), "%s", names[i]);
		libs[k].handle = p[i].handle;
	}
	return err;
}

static char loop_path[PATH_MAX + 64];
static long loop_ms;
static volatile int loop_stop;
static long loop_rounds;		/* atomic */
static sem_t loop_started;

static void *loader_loop(void *arg)
{
	struct timespec ts = { loop_ms / 1000, (loop_ms % 1000) * 1000000 };

	(void)arg;
	while (!loop_stop) {
		void *h = dlopen(loop_path, RTLD_NOW);
		void (*release)(void) = h ? (void (*)(void))dlsym(h, "late_release") : NULL;

		if (!release) {
			fprintf(stderr, "leak_late: %s\n", dlerror());
			sem_post(&loop_started);	/* no first round: main says failed */
			break;
		}
		release();
		dlclose(h);
		if (__atomic_add_fetch(&loop_rounds, 1, __ATOMIC_RELAXED) == 1)
			sem_post(&loop_started);
		nanosleep(&ts, NULL);	/* the workload's pace, not a synchronization */
	}
	return NULL;
}

/* NAME's function fn, or NULL (said so). */
static void *fn(const char *name, const char *fn)
{
	void *h = lib(name), *f = h ? dlsym(h, fn) : NULL;

	if (!f)
		printf("no %s in %s\n", fn, name);
	return f;
}

int main(void)
{
	char exe[PATH_MAX], line[128], name[32], name2[32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *dir;
	pthread_t loop_th;
	int looping = 0;

	if (len <= 0)
		return 1;
	exe[len] = 0;
	dir = dirname(exe);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long a = 0, b = 0;
		void *f;

		/* The longer commands first: "load %s" would take "loadbare X" as "bare". */
		if (sscanf(line, "loadpair %31s %31s", name, name2) == 2) {
			if (load_pair(dir, name, name2))
				goto failed;
		} else if (sscanf(line, "loadloop %31s %ld", name, &a) == 2) {
			snprintf(loop_path, sizeof(loop_path), "%s/%s.so", dir, name);
			loop_ms = a;
			loop_stop = 0;
			if (looping || sem_init(&loop_started, 0, 0) ||
			    pthread_create(&loop_th, NULL, loader_loop, NULL))
				goto failed;
			looping = 1;
			while (sem_wait(&loop_started) && errno == EINTR)
				;
			if (!__atomic_load_n(&loop_rounds, __ATOMIC_RELAXED))
				goto failed;
		} else if (sscanf(line, "loadbare %31s", name) == 1) {
			if (load(dir, name, 1))
				goto failed;
		} else if (sscanf(line, "load %31s", name) == 1) {
			if (load(dir, name, 0))
				goto failed;
		} else if (sscanf(line, "leak %31s %ld %ld", name, &a, &b) == 3) {
			if (!(f = fn(name, "late_leak")))
				goto failed;
			((void (*)(long, long))f)(a, b);
		} else if (sscanf(line, "zeroed %31s %ld %ld", name, &a, &b) == 3) {
			if (!(f = fn(name, "late_zeroed")))
				goto failed;
			((void (*)(long, long))f)(a, b);
		} else if (sscanf(line, "release %31s", name) == 1) {
			if (!(f = fn(name, "late_release")))
				goto failed;
			((void (*)(void))f)();
		} else if (sscanf(line, "unload %31s", name) == 1) {
			if (unload(name))
				goto failed;
		} else if (!strncmp(line, "loops", 5)) {
			printf("%ld ", __atomic_load_n(&loop_rounds, __ATOMIC_RELAXED));
		} else if (!strncmp(line, "stop", 4)) {
			loop_stop = 1;
			if (looping)
				pthread_join(loop_th, NULL);
			looping = 0;
		} else if (!strncmp(line, "exit", 4)) {
			break;
		} else {
			printf("what? %s", line);
			fflush(stdout);
			continue;
		}
		printf("ok\n");
		fflush(stdout);
		continue;
failed:
		printf("failed\n");
		fflush(stdout);
	}
	if (looping) {
		loop_stop = 1;
		pthread_join(loop_th, NULL);
	}
	return 0;
}
