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
#include "sampler/sampler.h"

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
	.version = LEAKD_SAMPLER_CONTROL_VERSION, .interval = DEFAULT_INTERVAL,
};
static struct freeset set;

struct leakd_sampler_stats stats;

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

size_t late_slots = 4096;

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
	/* Written from outside, maybe torn: any value is safe, each weight says its mean. */
	uint32_t f = leakd_sampler_factor(&leakd_sampler_control);

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

#define CORE(n, r) { #n, (void *)n, (void **)(void *)&real.r }
#define ENTRY(n) { #n, (void *)n, &real_##n }

#ifdef __x86_64__
/* In front of dlopen, but not under its name (got.c). */
#define DLOPEN_ENTRY { "dlopen", (void *)leakd_dlopen_entry, &real_dlopen },
#else
#define DLOPEN_ENTRY
#endif

/*
 * The entry points we stand in front of, for an injection's GOT patch (got.c):
 * the allocator's, and dlopen's.
 */
const struct entry entries[] = {
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

const size_t nr_entries = sizeof(entries) / sizeof(entries[0]);
#define NR_CORE 11		/* the entries of real, looked up by resolve() */

/*
 * The functions behind the entry points found in some allocators only, looked up
 * now rather than at their first call: prepare() needs them.
 */
static void resolve_all(void)
{
	for (size_t i = NR_CORE; i < nr_entries; i++)
		lazy(entries[i].real, entries[i].name);
}

bool ours(void *f)
{
	Dl_info info;

	return f && dladdr(f, &info) && info.dli_fbase == self_base;
}

void *target_of(const struct entry *e)
{
	void *f;

	memcpy(&f, e->real, sizeof(f));
	return f;
}
