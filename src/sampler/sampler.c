// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libleakd-sampler.so: a heap sampler that never traps, preloaded or loaded into a
 * running process by leakd (leakctl trace --inject: INJECT.md).  It stands in
 * front of the allocator (the malloc family, C++ operator new and delete, the
 * entry points of jemalloc and tcmalloc that programs call directly) and forwards
 * every call to the allocator found after it.  Per allocation it counts down a
 * thread-local number of bytes, drawn from an exponential distribution of mean
 * LEAKD_SAMPLER_INTERVAL (512 KiB): when the countdown runs out, the allocation is
 * sampled and stands for size / (1 - exp(-size / interval)) bytes, an unbiased
 * estimate.  Sampled allocations and the frees of sampled blocks reach the
 * otel_memory USDT probes, and only while a tracer listens (the probes'
 * semaphores); the rest never leave the countdown and one load in free().
 * leakd's event budget widens the interval through the exported control block
 * (include/leakd/sampler.h), read only when a countdown is drawn (countdown.h).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "leakd/sampler.h"
#include "sampler/countdown.h"
#include "sampler/freeset.h"
#include "sampler/otel_usdt.h"

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define TLS __thread __attribute__((tls_model("initial-exec")))

#define DEFAULT_INTERVAL (512 * 1024)
#define FREESET_SLOT_BITS 16		/* room for 32 Ki sampled blocks live at once */
#define FREESET_MAX_BITS 26

OTEL_USDT_DEFINE_SEMAPHORE(alloc);
OTEL_USDT_DEFINE_SEMAPHORE(free);

static void *boot_malloc(size_t n);
static void *boot_calloc(size_t n, size_t m);
static void *boot_realloc(void *p, size_t n);
static void boot_free(void *p);

/*
 * The allocator behind us.  The hot four start at stubs that look them all up, so
 * that their fast paths test nothing but the countdown.
 */
static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} real = { .malloc = boot_malloc, .calloc = boot_calloc, .realloc = boot_realloc,
	   .free = boot_free };
static int resolved;

/*
 * The interval asked for, and the factor leakd's event budget multiplies it by
 * (written from outside, through /proc/PID/mem: read with relaxed loads).
 * Initialized, so in .data: a file offset the daemon finds it at.
 */
EXPORT struct leakd_sampler_control leakd_sampler_control = {
	.version = LEAKD_SAMPLER_CONTROL_VERSION, .factor = 1, .interval = DEFAULT_INTERVAL,
};
static struct freeset set;

/*
 * What the sampler did, for LEAKD_SAMPLER_STATS=1 at exit and leakd_sampler_stats()
 * (which fills the whole struct: callers declare all of it).
 */
struct leakd_sampler_stats {
	uint64_t sampled;		/* allocations that reached a probe */
	uint64_t sampled_frees;		/* frees of sampled blocks that reached a probe */
	uint64_t dropped;		/* sampled, but the set of live samples was full */
	/* Injected (leakctl trace --inject): objects dlopen'd since. */
	uint64_t late_objects;		/* patched after their dlopen returned */
	uint64_t late_entries;		/* their GOT entries patched */
	uint64_t late_dropped;		/* entries left unpatched: no room in the list */
	uint64_t dlopen_unfollowed;	/* dlopen calls forwarded untouched (see INJECT.md) */
};

static struct leakd_sampler_stats stats;

/* Bytes this thread allocates before its next sample; 0: not drawn yet. */
static TLS uint64_t tl_left;
static TLS double tl_mean;	/* the mean tl_left was drawn with (countdown.h) */
static TLS uint64_t tl_rng;

/*
 * Allocations made while the allocator is being looked up (dlsym allocates) come
 * from here and are never freed.
 */
static char boot_heap[64 * 1024] __attribute__((aligned(64)));
static size_t boot_used;
static int resolving;

static bool from_boot(const void *p)
{
	return (const char *)p >= boot_heap && (const char *)p < boot_heap + sizeof(boot_heap);
}

static void *boot_alloc(size_t n, size_t align)
{
	size_t at = (boot_used + align - 1) & ~(align - 1);

	if (at + n > sizeof(boot_heap) || at + n < at)
		return NULL;
	boot_used = at + n;
	return boot_heap + at;
}

/* Where this library is mapped: a function found here is our own. */
static void *self_base;

static bool ours(void *f);

/*
 * The function name the program's own calls reach, behind us.  Preloaded, we come
 * first in the global scope and the next definition is the allocator's.  Loaded
 * by dlopen (leakctl trace --inject), we are not in the global scope at all and
 * RTLD_NEXT would search only our own dependencies (libc), the wrong allocator for
 * a program linked with jemalloc: the global definition is the one its calls went
 * to until now.
 */
static void *next(const char *name)
{
	void *f = dlsym(RTLD_DEFAULT, name);

	if (f && self_base && !ours(f))
		return f;
	return dlsym(RTLD_NEXT, name);
}

static uint64_t env_interval(void)
{
	const char *s = getenv("LEAKD_SAMPLER_INTERVAL");
	char *end;
	double v;

	if (!s || !*s)
		return DEFAULT_INTERVAL;
	v = strtod(s, &end);
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	if (*end || !(v >= 1) || v > 1e15)
		return DEFAULT_INTERVAL;
	return (uint64_t)v;
}

/* Slots for LEAKD_SAMPLER_MAX_LIVE sampled blocks live at once, at half load. */
static unsigned int env_slot_bits(void)
{
	const char *s = getenv("LEAKD_SAMPLER_MAX_LIVE");
	unsigned long long n;
	unsigned int bits = 10;
	char *end;

	if (!s || !*s)
		return FREESET_SLOT_BITS;
	n = strtoull(s, &end, 10);
	if (*end || !n)
		return FREESET_SLOT_BITS;
	while (bits < FREESET_MAX_BITS && (1ULL << bits) < 2 * n)
		bits++;
	return bits;
}

/* Room for the GOT entries of objects dlopen'd while injected (LEAKD_SAMPLER_LATE_ENTRIES). */
static size_t late_slots = 4096;

static size_t env_late_slots(void)
{
	const char *s = getenv("LEAKD_SAMPLER_LATE_ENTRIES");
	unsigned long long n;
	char *end;

	if (!s || !*s)
		return late_slots;
	n = strtoull(s, &end, 10);
	return *end || n > (1u << 20) ? late_slots : (size_t)n;
}

/*
 * Looks up the allocator behind us and reads the settings: at the first
 * allocation, which comes before our constructor when another library's
 * constructor allocates (libstdc++'s does).
 */
static void resolve(void)
{
	unsigned int bits;
	void *f;

	Dl_info info;

	if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE))
		return;
	resolving = 1;
	if (dladdr((void *)resolve, &info))
		self_base = info.dli_fbase;
	if ((f = next("calloc")))
		real.calloc = f;
	if ((f = next("malloc")))
		real.malloc = f;
	if ((f = next("realloc")))
		real.realloc = f;
	real.reallocarray = next("reallocarray");
	real.posix_memalign = next("posix_memalign");
	real.aligned_alloc = next("aligned_alloc");
	real.memalign = next("memalign");
	real.valloc = next("valloc");
	real.pvalloc = next("pvalloc");
	if ((f = next("free")))
		real.free = f;
	__atomic_store_n(&leakd_sampler_control.interval, env_interval(), __ATOMIC_RELAXED);
	late_slots = env_late_slots();
	bits = env_slot_bits();
	/* Pages are touched only where addresses hash: the table costs what it holds. */
	f = mmap(NULL, sizeof(uint64_t) << bits, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f != MAP_FAILED) {
		set.bits = bits;
		__atomic_store_n(&set.slots, f, __ATOMIC_RELEASE);
	}
	resolving = 0;
	__atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

static void *boot_malloc(size_t n)
{
	if (resolving)
		return boot_alloc(n, 16);
	resolve();
	return real.malloc == boot_malloc ? NULL : real.malloc(n);
}

static void *boot_calloc(size_t n, size_t m)
{
	size_t bytes;

	if (resolving) {
		/* The boot heap is zeroed and never reused. */
		return __builtin_mul_overflow(n, m, &bytes) ? NULL : boot_alloc(bytes, 16);
	}
	resolve();
	return real.calloc == boot_calloc ? NULL : real.calloc(n, m);
}

static void *boot_realloc(void *p, size_t n)
{
	if (resolving)
		return NULL;
	resolve();
	return real.realloc == boot_realloc ? NULL : real.realloc(p, n);
}

static void boot_free(void *p)
{
	if (resolving)
		return;
	resolve();
	if (real.free != boot_free)
		real.free(p);
}

static void print_stats(void)
{
	fprintf(stderr, "leakd-sampler: pid %d: %llu sampled, %llu sampled frees, %llu dropped "
		"(set full), %llu live\n", (int)getpid(), (unsigned long long)stats.sampled,
		(unsigned long long)stats.sampled_frees, (unsigned long long)stats.dropped,
		(unsigned long long)set.live);
	if (stats.late_objects || stats.late_dropped || stats.dlopen_unfollowed)
		fprintf(stderr, "leakd-sampler: pid %d: dlopen'd while injected: %llu objects "
			"patched (%llu entries), %llu entries dropped (list full), %llu dlopen "
			"calls not followed\n", (int)getpid(),
			(unsigned long long)stats.late_objects,
			(unsigned long long)stats.late_entries,
			(unsigned long long)stats.late_dropped,
			(unsigned long long)stats.dlopen_unfollowed);
}

static void resolve_all(void);

__attribute__((constructor)) static void sampler_init(void)
{
	const char *s = getenv("LEAKD_SAMPLER_STATS");

	resolve();
	resolve_all();
	if (s && *s == '1')
		atexit(print_stats);
}

EXPORT void leakd_sampler_stats(struct leakd_sampler_stats *ret)
{
	*ret = stats;
}

/* A uniform draw in (0, 1], from a per-thread xorshift generator. */
static double uniform(void)
{
	uint64_t x = tl_rng;

	if (!x) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((uint64_t)ts.tv_nsec << 20) ^ (uintptr_t)&tl_rng ^ (uint64_t)gettid() ^
		    0x2545f4914f6cdd1dULL;
		if (!x)
			x = 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	tl_rng = x;
	return ((x >> 11) + 1) * (1.0 / 9007199254740992.0);
}

/* Bytes to the next sample: exponential, of mean m, at least 1. */
static uint64_t draw(double m)
{
	double d = -log(uniform()) * m;

	return d < 1 ? 1 : d > 1e18 ? (uint64_t)1e18 : (uint64_t)d;
}

/* The mean of new countdowns: the interval times the event budget's factor. */
static double mean_now(void)
{
	uint32_t f = __atomic_load_n(&leakd_sampler_control.factor, __ATOMIC_RELAXED);

	/* Written from outside, maybe torn: any value is safe, each weight says its mean. */
	if (!f)
		f = 1;
	else if (f > LEAKD_SAMPLER_MAX_FACTOR)
		f = LEAKD_SAMPLER_MAX_FACTOR;
	return (double)__atomic_load_n(&leakd_sampler_control.interval, __ATOMIC_RELAXED) * f;
}

/*
 * The countdown ran out within these n bytes (or was never drawn): the block is
 * sampled when a sample point falls inside it.  Points past the first one in the
 * same block are used up with it; the process's byte stream stays a Poisson one.
 */
static __attribute__((noinline, cold)) void sample(void *p, size_t n)
{
	double weight = countdown__cross(&tl_left, &tl_mean, n, mean_now(), draw);

	if (!weight || !p || !OTEL_USDT_ENABLED(alloc) || !set.slots)
		return;
	if (freeset__insert(&set, (uintptr_t)p)) {
		/* Its free could not be told: better unreported than reported leaked. */
		__atomic_add_fetch(&stats.dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&stats.sampled, 1, __ATOMIC_RELAXED);
	OTEL_MEMORY_ALLOC(p, n, (uint64_t)weight);
}

/* The per-call cost of the sampler: a countdown and a branch taken once in ~interval bytes. */
static inline __attribute__((always_inline)) void *count(void *p, size_t n)
{
	if (unlikely(n >= tl_left))
		sample(p, n);
	else
		tl_left -= n;
	return p;
}

static __attribute__((noinline, cold)) void forget(void *p)
{
	if (freeset__take(&set, (uintptr_t)p) && OTEL_USDT_ENABLED(free)) {
		__atomic_add_fetch(&stats.sampled_frees, 1, __ATOMIC_RELAXED);
		OTEL_MEMORY_FREE(p);
	}
}

/* Before the block goes back: once it has, another thread may get its address. */
static inline __attribute__((always_inline)) void uncount(void *p)
{
	if (unlikely(freeset__maybe(&set, (uintptr_t)p)))
		forget(p);
}

/*
 * Inside an allocator entry that we forward to code which may call malloc through
 * its PLT (libstdc++'s operator new does), the inner call must not count again:
 * the countdown is parked at its maximum meanwhile.
 */
static inline void restore_left(const uint64_t *saved)
{
	tl_left = *saved;
}

/* The countdown comes back however the call ends, a C++ exception included. */
#define NESTED(call)                                                                        \
	({                                                                                  \
		uint64_t saved_ __attribute__((cleanup(restore_left), unused)) = tl_left;   \
		tl_left = UINT64_MAX;                                                       \
		(call);                                                                     \
	})
#define NESTED_VOID(call)                                                                   \
	do {                                                                                \
		uint64_t saved_ __attribute__((cleanup(restore_left), unused)) = tl_left;   \
		tl_left = UINT64_MAX;                                                       \
		call;                                                                       \
	} while (0)

/* ---- the malloc family ---- */

/* The countdown ran out: allocate, then see whether a sample point fell in the block. */
static __attribute__((noinline, cold)) void *malloc_sampled(size_t n)
{
	void *p = real.malloc(n);

	sample(p, n);
	return p;
}

EXPORT void *malloc(size_t n)
{
	uint64_t left = tl_left;

	if (likely(n < left)) {
		tl_left = left - n;
		return real.malloc(n);	/* a tail jump */
	}
	return malloc_sampled(n);
}

static __attribute__((noinline, cold)) void *calloc_sampled(size_t n, size_t m, size_t bytes)
{
	void *p = real.calloc(n, m);

	sample(p, bytes);
	return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
	uint64_t left = tl_left;
	size_t bytes;

	if (__builtin_mul_overflow(n, m, &bytes))
		bytes = SIZE_MAX;
	if (likely(bytes < left)) {
		tl_left = left - bytes;
		return real.calloc(n, m);
	}
	return calloc_sampled(n, m, bytes);
}

EXPORT void free(void *p)
{
	if (unlikely((uintptr_t)p - (uintptr_t)boot_heap < sizeof(boot_heap)))
		return;		/* from the boot heap: never the real allocator's */
	uncount(p);
	real.free(p);
}

EXPORT void cfree(void *p)
{
	free(p);
}

EXPORT void *realloc(void *p, size_t n)
{
	size_t room;
	void *q;

	if (unlikely(from_boot(p))) {
		/* A block from the boot heap moves to the real allocator. */
		q = malloc(n);
		room = boot_heap + sizeof(boot_heap) - (char *)p;
		if (q)
			memcpy(q, p, n < room ? n : room);
		return q;
	}
	if (p)
		uncount(p);
	q = real.realloc(p, n);
	return n ? count(q, n) : q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, m, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

EXPORT int posix_memalign(void **ret, size_t align, size_t n)
{
	int err;

	if (unlikely(!real.posix_memalign))
		resolve();
	if (unlikely(!real.posix_memalign))
		return ENOMEM;
	err = real.posix_memalign(ret, align, n);
	if (!err)
		count(*ret, n);
	return err;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	if (unlikely(!real.aligned_alloc))
		resolve();
	if (unlikely(!real.aligned_alloc)) {
		errno = ENOMEM;
		return NULL;
	}
	return count(real.aligned_alloc(align, n), n);
}

EXPORT void *memalign(size_t align, size_t n)
{
	if (unlikely(!real.memalign))
		resolve();
	if (unlikely(!real.memalign)) {
		errno = ENOMEM;
		return NULL;
	}
	return count(real.memalign(align, n), n);
}

EXPORT void *valloc(size_t n)
{
	if (unlikely(!real.valloc))
		resolve();
	if (unlikely(!real.valloc)) {
		errno = ENOMEM;
		return NULL;
	}
	return count(real.valloc(n), n);
}

EXPORT void *pvalloc(size_t n)
{
	if (unlikely(!real.pvalloc))
		resolve();
	if (unlikely(!real.pvalloc)) {
		errno = ENOMEM;
		return NULL;
	}
	return count(real.pvalloc(n), n);
}

/* ---- entry points found only in some allocators: looked up on first use ---- */

/* The real function named name into *slot, looked up once; NULL when no object after us has it. */
static void *lazy(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (unlikely(!f)) {
		f = next(name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

/* The real function behind the entry point name, in real_##name. */
#define LAZY(type, name) ((type)lazy(&real_##name, #name))

/* An allocating entry point: forward, then count. */
#define WRAP_ALLOC(name, size_expr, params, args)                                           \
	static void *real_##name;                                                           \
	EXPORT void *name params                                                            \
	{                                                                                   \
		void *(*f) params = LAZY(void *(*) params, name);                           \
		if (unlikely(!f)) {                                                         \
			errno = ENOMEM;                                                     \
			return NULL;                                                        \
		}                                                                           \
		return count(NESTED(f args), (size_expr));                                  \
	}

/* A freeing entry point: the block leaves the set first, then goes back. */
#define WRAP_FREE(name, params, args, ptr)                                                  \
	static void *real_##name;                                                           \
	EXPORT void name params                                                             \
	{                                                                                   \
		void (*f) params = LAZY(void (*) params, name);                             \
		if (!(ptr) || unlikely(!f))                                                 \
			return;                                                             \
		uncount(ptr);                                                               \
		NESTED_VOID(f args);                                                        \
	}

/* A resizing entry point: a free of the old block, an allocation of the new. */
#define WRAP_REALLOC(name, size_expr, params, args, ptr)                                    \
	static void *real_##name;                                                           \
	EXPORT void *name params                                                            \
	{                                                                                   \
		void *(*f) params = LAZY(void *(*) params, name);                           \
		if (unlikely(!f)) {                                                         \
			errno = ENOMEM;                                                     \
			return NULL;                                                        \
		}                                                                           \
		if (ptr)                                                                    \
			uncount(ptr);                                                       \
		return count(NESTED(f args), (size_expr));                                  \
	}

/* jemalloc's non-standard API (redis and others call it directly). */
WRAP_ALLOC(mallocx, n, (size_t n, int flags), (n, flags))
WRAP_REALLOC(rallocx, n, (void *p, size_t n, int flags), (p, n, flags), p)
WRAP_FREE(dallocx, (void *p, int flags), (p, flags), p)
WRAP_FREE(sdallocx, (void *p, size_t n, int flags), (p, n, flags), p)

/* tcmalloc's own names (gperftools). */
WRAP_ALLOC(tc_malloc, n, (size_t n), (n))
WRAP_ALLOC(tc_malloc_skip_new_handler, n, (size_t n), (n))
WRAP_ALLOC(tc_calloc, n * m, (size_t n, size_t m), (n, m))
WRAP_REALLOC(tc_realloc, n, (void *p, size_t n), (p, n), p)
WRAP_ALLOC(tc_memalign, n, (size_t a, size_t n), (a, n))
WRAP_ALLOC(tc_valloc, n, (size_t n), (n))
WRAP_ALLOC(tc_pvalloc, n, (size_t n), (n))
WRAP_FREE(tc_free, (void *p), (p), p)
WRAP_FREE(tc_cfree, (void *p), (p), p)
WRAP_FREE(tc_free_sized, (void *p, size_t n), (p, n), p)
WRAP_ALLOC(tc_new, n, (size_t n), (n))
WRAP_ALLOC(tc_newarray, n, (size_t n), (n))
WRAP_ALLOC(tc_new_nothrow, n, (size_t n, const void *nt), (n, nt))
WRAP_ALLOC(tc_newarray_nothrow, n, (size_t n, const void *nt), (n, nt))
WRAP_FREE(tc_delete, (void *p), (p), p)
WRAP_FREE(tc_deletearray, (void *p), (p), p)
WRAP_FREE(tc_delete_sized, (void *p, size_t n), (p, n), p)
WRAP_FREE(tc_deletearray_sized, (void *p, size_t n), (p, n), p)
WRAP_FREE(tc_delete_nothrow, (void *p, const void *nt), (p, nt), p)
WRAP_FREE(tc_deletearray_nothrow, (void *p, const void *nt), (p, nt), p)

static void *real_tc_posix_memalign;

EXPORT int tc_posix_memalign(void **ret, size_t align, size_t n)
{
	int (*f)(void **, size_t, size_t) = LAZY(int (*)(void **, size_t, size_t),
						 tc_posix_memalign);
	int err;

	if (unlikely(!f))
		return ENOMEM;
	err = NESTED(f(ret, align, n));
	if (!err)
		count(*ret, n);
	return err;
}

/*
 * C++ operator new and delete, by their mangled names: plain, nothrow, sized,
 * aligned, array.  Whoever defines them after us (libstdc++, or the allocator
 * itself) gets the call; a plain new that throws passes through us unharmed.
 */
WRAP_ALLOC(_Znwm, n, (size_t n), (n))
WRAP_ALLOC(_Znam, n, (size_t n), (n))
WRAP_ALLOC(_ZnwmRKSt9nothrow_t, n, (size_t n, const void *nt), (n, nt))
WRAP_ALLOC(_ZnamRKSt9nothrow_t, n, (size_t n, const void *nt), (n, nt))
WRAP_ALLOC(_ZnwmSt11align_val_t, n, (size_t n, size_t a), (n, a))
WRAP_ALLOC(_ZnamSt11align_val_t, n, (size_t n, size_t a), (n, a))
WRAP_ALLOC(_ZnwmSt11align_val_tRKSt9nothrow_t, n, (size_t n, size_t a, const void *nt),
	   (n, a, nt))
WRAP_ALLOC(_ZnamSt11align_val_tRKSt9nothrow_t, n, (size_t n, size_t a, const void *nt),
	   (n, a, nt))
WRAP_FREE(_ZdlPv, (void *p), (p), p)
WRAP_FREE(_ZdaPv, (void *p), (p), p)
WRAP_FREE(_ZdlPvm, (void *p, size_t n), (p, n), p)
WRAP_FREE(_ZdaPvm, (void *p, size_t n), (p, n), p)
WRAP_FREE(_ZdlPvRKSt9nothrow_t, (void *p, const void *nt), (p, nt), p)
WRAP_FREE(_ZdaPvRKSt9nothrow_t, (void *p, const void *nt), (p, nt), p)
WRAP_FREE(_ZdlPvSt11align_val_t, (void *p, size_t a), (p, a), p)
WRAP_FREE(_ZdaPvSt11align_val_t, (void *p, size_t a), (p, a), p)
WRAP_FREE(_ZdlPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a), p)
WRAP_FREE(_ZdaPvmSt11align_val_t, (void *p, size_t n, size_t a), (p, n, a), p)
WRAP_FREE(_ZdlPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t a, const void *nt),
	  (p, a, nt), p)
WRAP_FREE(_ZdaPvSt11align_val_tRKSt9nothrow_t, (void *p, size_t a, const void *nt),
	  (p, a, nt), p)

/*
 * ---- Loaded into a running process (leakctl trace --inject) ----
 *
 * Nobody's calls reach us until the GOT entries that lead to the allocator lead
 * here.  leakd, which stops the process's threads, calls leakd_sampler_prepare()
 * while they run (it walks the loaded objects under the loader's lock), then
 * leakd_sampler_patch() with every thread stopped: it waits for no lock (got_lock
 * is only tried) and allocates nothing, so that no stopped thread can hold what it
 * needs.  The entries patched and their old values stay here for
 * leakd_sampler_unpatch(), which puts them back.
 *
 * dlopen's entries are taken too: while injected, the objects a dlopen brings in
 * are patched when it returns, by the thread that called it, the others running
 * (follow_loaded()).  INJECT.md says why that is safe.
 */

struct entry {
	const char *name;
	void *self;		/* our entry point (-Bsymbolic-functions: ours, not the global) */
	void **real;		/* where the function behind us is kept */
};

#define CORE(n, r) { #n, (void *)n, (void **)(void *)&real.r }
#define ENTRY(n) { #n, (void *)n, &real_##n }

#ifdef __x86_64__
/*
 * In front of dlopen, but not under its name: a preloaded sampler must not change
 * whom dlopen sees as its caller (see dlopen_follows()).  Reached only through the
 * GOT entries we patch.
 */
void *real_dlopen;
void leakd_dlopen_entry(void);
#define DLOPEN_ENTRY { "dlopen", (void *)leakd_dlopen_entry, &real_dlopen },
#else
#define DLOPEN_ENTRY
#endif

static const struct entry entries[] = {
	CORE(malloc, malloc), CORE(calloc, calloc), CORE(realloc, realloc),
	CORE(reallocarray, reallocarray), CORE(free, free), CORE(cfree, free),
	CORE(posix_memalign, posix_memalign), CORE(aligned_alloc, aligned_alloc),
	CORE(memalign, memalign), CORE(valloc, valloc), CORE(pvalloc, pvalloc),
	ENTRY(mallocx), ENTRY(rallocx), ENTRY(dallocx), ENTRY(sdallocx),
	ENTRY(tc_malloc), ENTRY(tc_malloc_skip_new_handler), ENTRY(tc_calloc), ENTRY(tc_realloc),
	ENTRY(tc_memalign), ENTRY(tc_valloc), ENTRY(tc_pvalloc), ENTRY(tc_free), ENTRY(tc_cfree),
	ENTRY(tc_free_sized), ENTRY(tc_new), ENTRY(tc_newarray), ENTRY(tc_new_nothrow),
	ENTRY(tc_newarray_nothrow), ENTRY(tc_delete), ENTRY(tc_deletearray),
	ENTRY(tc_delete_sized), ENTRY(tc_deletearray_sized), ENTRY(tc_delete_nothrow),
	ENTRY(tc_deletearray_nothrow), ENTRY(tc_posix_memalign),
	ENTRY(_Znwm), ENTRY(_Znam), ENTRY(_ZnwmRKSt9nothrow_t), ENTRY(_ZnamRKSt9nothrow_t),
	ENTRY(_ZnwmSt11align_val_t), ENTRY(_ZnamSt11align_val_t),
	ENTRY(_ZnwmSt11align_val_tRKSt9nothrow_t), ENTRY(_ZnamSt11align_val_tRKSt9nothrow_t),
	ENTRY(_ZdlPv), ENTRY(_ZdaPv), ENTRY(_ZdlPvm), ENTRY(_ZdaPvm), ENTRY(_ZdlPvRKSt9nothrow_t),
	ENTRY(_ZdaPvRKSt9nothrow_t), ENTRY(_ZdlPvSt11align_val_t), ENTRY(_ZdaPvSt11align_val_t),
	ENTRY(_ZdlPvmSt11align_val_t), ENTRY(_ZdaPvmSt11align_val_t),
	ENTRY(_ZdlPvSt11align_val_tRKSt9nothrow_t), ENTRY(_ZdaPvSt11align_val_tRKSt9nothrow_t),
	DLOPEN_ENTRY
};

#define NR_ENTRIES (sizeof(entries) / sizeof(entries[0]))
#define NR_CORE 11		/* the entries of real, looked up by resolve() */

/*
 * The functions behind the entry points found in some allocators only, looked up
 * now rather than at their first call: prepare() needs them.
 */
static void resolve_all(void)
{
	for (size_t i = NR_CORE; i < NR_ENTRIES; i++)
		lazy(entries[i].real, entries[i].name);
}

/* Whether f is one of ours. */
static bool ours(void *f)
{
	Dl_info info;

	return f && dladdr(f, &info) && info.dli_fbase == self_base;
}

static void *target_of(const struct entry *e)
{
	void *f;

	memcpy(&f, e->real, sizeof(f));
	return f;
}

/* A loaded object whose GOT we change: known again by its base and dynamic section. */
struct got_obj {
	uintptr_t base, dyn;	/* dyn 0: unloaded and loaded again, a new object now */
	uint32_t first, n;	/* its slots, one after the other */
};

struct got_slot {
	uintptr_t addr;		/* the GOT entry */
	uintptr_t old;		/* what it held: the allocator, or its lazy PLT stub */
	uint32_t entry;		/* in entries */
	uint32_t obj;		/* in got.objs */
	bool relro;		/* in a page the loader made read-only */
	bool written;
};

/* Room for the objects dlopen'd while injected, beyond those prepare() found. */
#define LATE_OBJS 256

static struct {
	struct got_slot *slots;
	struct got_obj *objs;
	size_t nr_slots, nr_objs, cap_slots, cap_objs;
	size_t mapped;		/* bytes of the mapping both arrays live in */
	uint64_t foreign;	/* entries bound elsewhere (another allocator): left alone */
	uintptr_t self, ldso;	/* our load base and the loader's: never patched */
	int patched;		/* atomic: dlopen_follows() reads it without the lock */
	bool forks;		/* fork_prepare() and fork_done() registered */
} got;

/*
 * Held while the list above changes: by follow_loaded() (which may block on the
 * loader's lock meanwhile), tried by prepare, patch and unpatch, which leakd calls
 * on a thread it stopped somewhere: they answer -EAGAIN rather than wait for a
 * thread that may be stopped too.  Never an allocator's lock.
 */
static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork waits for a patching under way: the child's list is never half-written. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&got_lock);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&got_lock);
}

struct scan {
	bool fill;		/* else count */
	bool late;		/* follow_loaded(): new objects only, patched at once */
	size_t slots, objs;
};

static int entry_of(const char *name)
{
	for (size_t i = 0; i < NR_ENTRIES; i++)
		if (!strcmp(entries[i].name, name))
			return (int)i;
	return -1;
}

/* A dynamic entry's address: relocated in place by the loader, except where it cannot be. */
static uintptr_t dyn_ptr(uintptr_t base, uintptr_t p)
{
	return p && p < base ? p + base : p;
}

/* A loaded object, as its program headers and dynamic section describe it. */
struct loaded_obj {
	uintptr_t base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz;
	uintptr_t text_lo, text_hi;	/* its code: where unbound PLT stubs point */
	uintptr_t relro_lo, relro_hi;	/* what the loader made read-only */
};

static void scan_relocs(struct scan *sc, const struct loaded_obj *o, const ElfW(Rela) *r,
			size_t bytes)
{
	for (size_t i = 0; r && i < bytes / sizeof(*r); i++) {
		unsigned long type = ELF64_R_TYPE(r[i].r_info);
		const ElfW(Sym) *sym = &o->symtab[ELF64_R_SYM(r[i].r_info)];
		uintptr_t addr = o->base + r[i].r_offset, v;
		void *target;
		int k;

		if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
		    !ELF64_R_SYM(r[i].r_info) || sym->st_name >= o->strsz)
			continue;
		k = entry_of(o->strtab + sym->st_name);
		if (k < 0 || !(target = target_of(&entries[k])))
			continue;
		v = __atomic_load_n((uintptr_t *)addr, __ATOMIC_RELAXED);
		if (v == (uintptr_t)entries[k].self)
			continue;
		/* Bound to the allocator, or not bound yet (lazy binding: its PLT stub). */
		if (v != (uintptr_t)target &&
		    !(type == R_X86_64_JUMP_SLOT && v >= o->text_lo && v < o->text_hi)) {
			if (sc->fill)
				got.foreign++;
			continue;
		}
		if (sc->fill && got.nr_slots < got.cap_slots)
			got.slots[got.nr_slots++] = (struct got_slot){
				.addr = addr, .old = v, .entry = (uint32_t)k,
				.obj = (uint32_t)got.nr_objs,
				.relro = addr >= o->relro_lo && addr < o->relro_hi };
		sc->slots++;
	}
}

/*
 * Whether the object is in the loader's first namespace (the program's).  One
 * that dlmopen put in another has a libc of its own, and an allocator we do not
 * forward to.  Under the loader's lock (dl_iterate_phdr) or with all stopped.
 */
static bool in_base_namespace(uintptr_t base, uintptr_t dyn)
{
	size_t n = 0;

	for (struct link_map *l = _r_debug.r_map; l && n < 65536; l = l->l_next, n++)
		if (l->l_addr == base && (uintptr_t)l->l_ld == dyn)
			return true;
	return false;
}

/*
 * Writes v into the entry.  An error after the store (the page not made read-only
 * again) still marks the entry written when v is ours: unpatch must find it.
 */
static int write_slot(struct got_slot *s, uintptr_t v)
{
	uintptr_t page = s->addr & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	size_t len = (size_t)sysconf(_SC_PAGESIZE);

	if (s->relro && mprotect((void *)page, len, PROT_READ | PROT_WRITE))
		return -errno;
	/* One aligned 8-byte store: a thread calling through it sees old or new. */
	__atomic_store_n((uintptr_t *)s->addr, v, __ATOMIC_RELEASE);
	s->written = v != s->old;
	if (s->relro && mprotect((void *)page, len, PROT_READ))
		return -errno;
	return 0;
}

#ifdef __x86_64__
/* glibc 2.35 and later: whether an object is relocated and protected (lock-free). */
#pragma weak _dl_find_object

/*
 * Whether the loader is done with the object: relocated, its RELRO protected.
 * dlopen registers it for _dl_find_object only after that; one still being loaded
 * by another thread is not touched (its dlopen, if ours, patches it).
 */
static bool settled(uintptr_t base, uintptr_t dyn)
{
	struct dl_find_object f;

	return _dl_find_object && !_dl_find_object((void *)dyn, &f) && f.dlfo_link_map &&
	       f.dlfo_link_map->l_addr == base && (uintptr_t)f.dlfo_link_map->l_ld == dyn;
}

/* Whether addr lies in one of the object's loaded segments (readable, then). */
static bool in_object(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= lo &&
		    addr + sizeof(void *) <= lo + ph->p_memsz)
			return true;
	}
	return false;
}

/*
 * Whether an object dlopen'd earlier is known, its entries patched.  One unloaded
 * and loaded again at the same place looks the same but holds the loader's values:
 * its old record is retired (nothing of it is written back).
 */
static bool known(const struct dl_phdr_info *info, uintptr_t dyn)
{
	uintptr_t base = info->dlpi_addr;

	for (size_t i = 0; i < got.nr_objs; i++) {
		struct got_obj *o = &got.objs[i];
		bool written = false;

		if (o->base != base || o->dyn != dyn)
			continue;
		for (uint32_t j = o->first; j < o->first + o->n; j++) {
			struct got_slot *s = &got.slots[j];

			if (!s->written || !in_object(info, s->addr))
				continue;
			written = true;
			if (__atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED) ==
			    (uintptr_t)entries[s->entry].self)
				return true;
		}
		if (!written)
			return true;	/* nothing of it was ours: leave it be */
		for (uint32_t j = o->first; j < o->first + o->n; j++)
			got.slots[j].written = false;
		o->dyn = 0;
	}
	return false;
}

/*
 * Points the entries of the object just listed (slots first..) at us, the other
 * threads running; all of them or, when one cannot be written, none.
 */
static void patch_late(size_t first)
{
	size_t i;

	for (i = first; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];
		uintptr_t self = (uintptr_t)entries[s->entry].self;

		if (write_slot(s, self))
			break;
		/*
		 * The lazy binder of a thread calling through a PLT entry for the first
		 * time may store the allocator over us, once: take it again.
		 */
		if (__atomic_load_n((uintptr_t *)s->addr, __ATOMIC_ACQUIRE) ==
		    (uintptr_t)target_of(&entries[s->entry]))
			write_slot(s, self);
	}
	if (i == got.nr_slots) {
		stats.late_objects++;
		stats.late_entries += got.nr_slots - first;
		return;
	}
	for (size_t j = first; j <= i; j++)
		if (got.slots[j].written)
			write_slot(&got.slots[j], got.slots[j].old);
	for (size_t j = first; j <= i; j++)
		if (got.slots[j].written)
			return;		/* cannot be taken back: kept for unpatch */
	stats.late_dropped += got.nr_slots - first;
	got.nr_slots = first;
	got.nr_objs--;
}
#endif

static int visit(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct scan *sc = ctx;
	uintptr_t base = info->dlpi_addr, dyn = 0, page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct loaded_obj o = { .base = base, .text_lo = UINTPTR_MAX };
	const ElfW(Rela) *rela = NULL, *jmprel = NULL;
	size_t relasz = 0, pltrelsz = 0, first = got.nr_slots;
	bool plt_rela = true;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC) {
			dyn = base + ph->p_vaddr;
		} else if (ph->p_type == PT_GNU_RELRO) {
			/* What the loader protected: whole pages, the last partial one not. */
			o.relro_lo = (base + ph->p_vaddr) & ~(page - 1);
			o.relro_hi = (base + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
		} else if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			if (base + ph->p_vaddr < o.text_lo)
				o.text_lo = base + ph->p_vaddr;
			if (base + ph->p_vaddr + ph->p_memsz > o.text_hi)
				o.text_hi = base + ph->p_vaddr + ph->p_memsz;
		}
	}
	if (!dyn || base == got.self || base == got.ldso || !in_base_namespace(base, dyn))
		return 0;
#ifdef __x86_64__
	if (sc->late && (known(info, dyn) || !settled(base, dyn)))
		return 0;
#endif
	for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			o.symtab = (const ElfW(Sym) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			o.strtab = (const char *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_STRSZ:
			o.strsz = d->d_un.d_val;
			break;
		case DT_RELA:
			rela = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_RELASZ:
			relasz = d->d_un.d_val;
			break;
		case DT_JMPREL:
			jmprel = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			pltrelsz = d->d_un.d_val;
			break;
		case DT_PLTREL:
			plt_rela = d->d_un.d_val == DT_RELA;
			break;
		}
	}
	if (!o.symtab || !o.strtab)
		return 0;
	if (sc->late) {
		/* Counted first: an object goes into the list whole, or is dropped whole. */
		struct scan count = { 0 };

		scan_relocs(&count, &o, rela, relasz);
		if (plt_rela)
			scan_relocs(&count, &o, jmprel, pltrelsz);
		if (got.nr_slots + count.slots > got.cap_slots || got.nr_objs >= got.cap_objs) {
			stats.late_dropped += count.slots;
			return 0;
		}
	}
	scan_relocs(sc, &o, rela, relasz);
	if (plt_rela)
		scan_relocs(sc, &o, jmprel, pltrelsz);
	/* Listed even with no entry of ours: a later dlopen need not read it again. */
	if (sc->fill && got.nr_objs < got.cap_objs)
		got.objs[got.nr_objs++] = (struct got_obj){
			.base = base, .dyn = dyn, .first = (uint32_t)first,
			.n = (uint32_t)(got.nr_slots - first) };
	sc->objs++;
#ifdef __x86_64__
	if (sc->late && got.nr_slots > first)
		patch_late(first);
#endif
	return 0;
}

static uintptr_t self_l_addr(void)
{
	struct link_map *lm = NULL;
	Dl_info info;

	if (!dladdr1((void *)resolve, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	return lm->l_addr;
}

/*
 * Finds the GOT entries of every loaded object (but ours and the loader's) that
 * lead to the allocator's entry points we stand in front of.  Returns their
 * number, -EEXIST when we were preloaded (in front already), -EAGAIN while a
 * thread patches what its dlopen brought (leakd tries again), -ENOMEM.
 */
EXPORT int leakd_sampler_prepare(void)
{
	struct scan sc = { 0 };
	size_t bytes;
	int ret;
	void *m;

	if (ours(dlsym(RTLD_DEFAULT, "malloc")))
		return -EEXIST;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	ret = -EALREADY;
	if (got.patched)
		goto out;
	ret = -ENOMEM;
	if (!got.forks && pthread_atfork(fork_prepare, fork_done, fork_done))
		goto out;
	got.forks = true;
	got.self = self_l_addr();
	got.ldso = _r_debug.r_ldbase;
	dl_iterate_phdr(visit, &sc);
	/* Room for objects loaded meanwhile (patch() says when they came anyway), and later. */
	sc.slots += 64 + late_slots;
	sc.objs += 16 + LATE_OBJS;
	bytes = sc.slots * sizeof(struct got_slot) + sc.objs * sizeof(struct got_obj);
	ret = -ENOMEM;
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED)
		goto out;
	if (got.slots)
		munmap(got.slots, got.mapped);
	got.slots = m;
	got.objs = (struct got_obj *)(got.slots + sc.slots);
	got.cap_slots = sc.slots;
	got.cap_objs = sc.objs;
	got.nr_slots = got.nr_objs = 0;
	got.foreign = 0;
	got.mapped = bytes;
	sc = (struct scan){ .fill = true };
	dl_iterate_phdr(visit, &sc);
	if (sc.slots + late_slots > got.cap_slots || sc.objs + LATE_OBJS > got.cap_objs) {
		ret = -EAGAIN;
		goto out;
	}
	/* What is left is for the objects dlopen'd while injected, and no more. */
	got.cap_slots = got.nr_slots + late_slots;
	got.cap_objs = got.nr_objs + LATE_OBJS;
	ret = (int)got.nr_slots;
out:
	pthread_mutex_unlock(&got_lock);
	return ret;
}

/* Whether obj is still loaded: the loader's list, read without its lock (all stopped). */
static bool loaded(const struct got_obj *o)
{
	return o->dyn && in_base_namespace(o->base, o->dyn);
}

static void undo(size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (got.slots[i].written)
			write_slot(&got.slots[i], got.slots[i].old);
}

/*
 * With every other thread stopped: points the entries found by prepare() at us,
 * all or none.  every: the mean bytes between samples from now on (0: as it is).
 * Returns the entries patched, -EAGAIN when objects came or went since prepare()
 * (or the loader is busy, or a thread was stopped while it patched what its dlopen
 * brought), -errno when one could not be written (none is then).
 */
EXPORT int leakd_sampler_patch(uint64_t every)
{
	int n = 0, err = 0;

	if (!got.slots)
		return -ENOENT;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	if (got.patched)
		err = -EALREADY;
	else if (_r_debug.r_state != RT_CONSISTENT)
		err = -EAGAIN;
	for (size_t i = 0; !err && i < got.nr_objs; i++)
		if (!loaded(&got.objs[i]))
			err = -EAGAIN;
	if (err)
		goto out;
	if (every)
		__atomic_store_n(&leakd_sampler_control.interval, every, __ATOMIC_RELAXED);
	for (size_t i = 0; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];
		const struct entry *e = &entries[s->entry];
		uintptr_t v = __atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED);

		s->written = false;
		if (v != s->old) {
			/* Bound since prepare(), by the loader, to the same allocator: fine. */
			if (v != (uintptr_t)target_of(e))
				continue;
			s->old = v;
		}
		err = write_slot(s, (uintptr_t)e->self);
		if (err) {
			undo(i + 1);
			goto out;
		}
		n++;
	}
	__atomic_store_n(&got.patched, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&got_lock);
	return err ? err : n;
}

/*
 * With every other thread stopped: puts back the old value of each entry patched
 * (at injection or after a dlopen since) that still leads to us, of objects still
 * loaded.  Returns their number, or -EAGAIN while the loader is busy or a thread
 * was stopped while it patched what its dlopen brought.  We stay loaded, and
 * inert: code may be on a stack, and the set of sampled blocks is still asked by
 * frees through pointers taken meanwhile.
 */
EXPORT int leakd_sampler_unpatch(void)
{
	int n = 0;

	if (!got.patched)
		return 0;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	if (_r_debug.r_state != RT_CONSISTENT) {
		pthread_mutex_unlock(&got_lock);
		return -EAGAIN;
	}
	for (size_t i = 0; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];

		if (!s->written || !loaded(&got.objs[s->obj]) ||
		    __atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED) !=
			    (uintptr_t)entries[s->entry].self)
			continue;
		if (!write_slot(s, s->old))
			n++;
	}
	__atomic_store_n(&got.patched, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&got_lock);
	return n;
}

#ifdef __x86_64__
/*
 * Patches the objects loaded since the injection (or since the last dlopen we
 * followed), while injected.  The other threads run: see INJECT.md.
 */
static void follow_loaded(void)
{
	struct scan sc = { .fill = true, .late = true };

	pthread_mutex_lock(&got_lock);
	if (__atomic_load_n(&got.patched, __ATOMIC_ACQUIRE) && got.slots)
		dl_iterate_phdr(visit, &sc);
	pthread_mutex_unlock(&got_lock);
}

static const ElfW(Dyn) *dyn_entry(const ElfW(Dyn) *d, long tag)
{
	for (; d && d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d;
	return NULL;
}

/* Whether an object other than the program has a DT_RPATH (ctx: the program's dyn). */
static int other_rpath(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t dyn = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_DYNAMIC && dyn != (uintptr_t)ctx &&
		    dyn_entry((const ElfW(Dyn) *)dyn, DT_RPATH))
			return 1;
	}
	return 0;
}

/*
 * Whether a dlopen is followed (we call it and patch what it brought), or
 * forwarded untouched.  Called from us, dlopen takes us for its caller, which
 * matters for a file name with '$' (expanded by the caller's $ORIGIN) or without
 * '/' (searched along the caller's DT_RUNPATH, or the DT_RPATH of it and the
 * objects that loaded it): such calls are followed only where our own search
 * would be the same (we have neither, and were loaded by the program, whose
 * DT_RPATH is searched either way).  The namespace is the program's either way:
 * we patch no object of another.
 */
__attribute__((used)) int dlopen_follows(const char *file, int mode, const void *caller)
{
	const ElfW(Dyn) *dyn, *flags;
	struct dl_find_object f;
	struct link_map *prog = _r_debug.r_map;

	(void)mode;
	if (!__atomic_load_n(&got.patched, __ATOMIC_ACQUIRE) || !file || !real_dlopen)
		return 0;
	if (strchr(file, '/') && !strchr(file, '$'))
		return 1;
	if (strchr(file, '$') || !_dl_find_object || _dl_find_object((void *)caller, &f) ||
	    !f.dlfo_link_map || !prog)
		goto forwarded;
	dyn = f.dlfo_link_map->l_ld;
	flags = dyn_entry(dyn, DT_FLAGS_1);
	if (dyn_entry(dyn, DT_RUNPATH) || (flags && (flags->d_un.d_val & DF_1_NODEFLIB)) ||
	    dl_iterate_phdr(other_rpath, prog->l_ld))
		goto forwarded;
	return 1;
forwarded:
	__atomic_add_fetch(&stats.dlopen_unfollowed, 1, __ATOMIC_RELAXED);
	return 0;
}

__attribute__((used)) void *dlopen_followed(const char *file, int mode)
{
	void *h = ((void *(*)(const char *, int))real_dlopen)(file, mode);
	int saved = errno;

	if (h)
		follow_loaded();
	errno = saved;
	return h;
}

/*
 * The GOT entries of dlopen lead here: asks dlopen_follows() with the caller's
 * return address, then either calls dlopen_followed() or jumps to dlopen with the
 * stack as it came (the caller still the caller).
 */
__asm__(".text\n"
	".p2align 4\n"
	".type leakd_dlopen_entry, @function\n"
	"leakd_dlopen_entry:\n"
	".cfi_startproc\n"
	"endbr64\n"
	"push %rdi\n"
	".cfi_adjust_cfa_offset 8\n"
	"push %rsi\n"
	".cfi_adjust_cfa_offset 8\n"
	"sub $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"mov 24(%rsp), %rdx\n"
	"call dlopen_follows\n"
	"add $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rsi\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	"test %eax, %eax\n"
	"jnz dlopen_followed\n"
	"jmp *real_dlopen(%rip)\n"
	".cfi_endproc\n"
	".size leakd_dlopen_entry, .-leakd_dlopen_entry\n");
#endif
