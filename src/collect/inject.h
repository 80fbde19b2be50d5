/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loading libleakd-sampler.so into a process that runs already, without a restart
 * (leakctl trace --inject), and taking it out of the way again (untrace).
 *
 * Under ptrace every thread of the process is stopped; one thread, caught where it
 * holds no lock of the allocator or the loader, is made to call dlopen(library)
 * and then the sampler's own leakd_sampler_prepare() while the others run, and
 * leakd_sampler_patch() (or _unpatch()) while every thread is stopped: that call
 * points the GOT entries of the allocator's functions in every loaded object at
 * the sampler, all or none.  Registers and the FPU state of that thread are put
 * back and every thread is let go.  The sampler then reports through its
 * otel_memory probes like a preloaded one.  x86-64 and glibc only.
 */
#ifndef LEAKD_INJECT_H
#define LEAKD_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INJECT_WHY 256		/* bytes of the reason a call gives */

/*
 * Loads the sampler at library (an absolute path, which the process must see as
 * the same file) into pid unless it has it from an earlier injection, and points
 * the allocator's entries at it, sampling every bytes on average.  Returns the
 * entries patched, or a negative errno with one line of why into why:
 *   -ESRCH    the process is gone
 *   -EPERM    ptrace is not permitted (kernel.yama.ptrace_scope 3, or refused), or
 *             the library is a file others than root may write
 *   -EBUSY    traced by another (a debugger), stopped, or found inside its
 *             loader or allocator every time it was stopped
 *   -EACCES   it runs under seccomp
 *   -ENOEXEC  statically linked, no dlopen in its libc, or not x86-64
 *   -EEXIST   it has the sampler already, preloaded
 *   -ENOENT   no library there, or not the same file in the process's root
 *   other     the calls failed (dlopen's own message in why)
 * Whatever fails, the process runs on with its entries as they were.
 */
int inject__load(pid_t pid, const char *library, uint64_t every, char *why, size_t size);

/*
 * Points the entries patched by inject__load back at what they were; the library
 * stays loaded, inert.  Returns the entries restored, or a negative errno with why.
 */
int inject__unload(pid_t pid, const char *library, char *why, size_t size);

/*
 * Lets go the threads an injection could not let go at once (one still inside a
 * call past its deadline, one that did not stop in time to be detached), as they
 * stop: call it now and then.  Returns how many are left; *ret_lost: how many
 * could not be followed (too many at once: traced by the daemon until it ends).
 */
int inject__tick(uint64_t *ret_lost);

/* kernel.yama.ptrace_scope: 0 when Yama is not there. */
int inject__ptrace_scope(void);

#endif
