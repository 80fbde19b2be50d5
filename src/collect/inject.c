// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Injection of the sampler into a running process: see inject.h.  The way of a
 * debugger's inferior call: the thread's registers are saved, a return address of
 * 0 is pushed below its red zone, and the thread is continued at the function;
 * its return faults at address 0, a SIGSEGV the tracer sees (and the thread never
 * gets), and the result is in rax.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/inject.h"
#include "base/clock.h"
#include "base/files.h"
#include "base/procfs.h"
#include "base/procmaps.h"
#include "stacks/elfobj.h"

#define MAX_TASKS 4096		/* threads stopped at once; a process with more is refused */
#define ATTACH_ROUNDS 16	/* scans of /proc/PID/task until no new thread shows */
#define STOP_MS 2000		/* for a thread to stop once interrupted */
#define CALL_MS 10000		/* for dlopen (a constructor runs in it) or a patch */
#define BUSY_TRIES 40		/* stops until a thread is outside the allocator and loader */
#define PATCH_TRIES 4		/* prepare + patch, while objects come and go between */
#define XSTATE_MAX (64 * 1024)	/* the FPU and vector registers (AVX-512, AMX: ~11 KiB) */
#define RTLD_NOW_LOCAL 2	/* RTLD_NOW | RTLD_LOCAL, as glibc numbers them */
#define SAMPLER_NAME "libleakd-sampler.so"
#define LATE_MAX 256		/* threads left to be let go later (inject__tick) */

int inject__ptrace_scope(void)
{
	char *buf = NULL;
	size_t len;
	int scope = 0;

	if (!read_file("/proc/sys/kernel/yama/ptrace_scope", &buf, &len))
		scope = atoi(buf);
	free(buf);
	return scope;
}

#ifdef __x86_64__

struct task {
	pid_t tid;
	bool stopped;		/* in a ptrace stop, its registers in regs */
	struct user_regs_struct regs;
};

/* An object mapped in the process: its file and where it lies. */
struct object {
	dev_t dev;
	uint64_t inode;
	bool found;
};

struct inject {
	pid_t pid;
	char *why;
	size_t why_size;
	struct task *tasks;
	size_t n;
	struct proc_maps maps;
	bool maps_read;
	int mem;			/* /proc/PID/mem */
	struct object libc, ldso, sampler;
	uint64_t dlopen_at, dlerror_at;
	uint64_t prepare_at, patch_at, unpatch_at;
	struct task *caller;		/* the thread that makes the calls */
	struct user_regs_struct saved;	/* its registers when it was stopped */
	struct iovec xstate;		/* and its FPU and vector registers */
	bool xstate_saved, changed;	/* changed: its registers are not its own now */
};

static int __attribute__((format(printf, 3, 4))) say(struct inject *in, int err,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->why, in->why_size, fmt, ap);
	va_end(ap);
	return err;
}

static bool same_file(const struct map_entry *e, const struct object *o)
{
	return o->found && e->dev == o->dev && e->inode == o->inode;
}

static void note_object(struct object *o, const struct map_entry *e)
{
	o->dev = e->dev;
	o->inode = e->inode;
	o->found = true;
}

/* Whether the code at pc belongs to the object. */
static bool pc_in(const struct inject *in, uint64_t pc, const struct object *o)
{
	const struct map_entry *e = procmaps__find(&in->maps, pc);

	return e && same_file(e, o);
}

/* The runtime address of the function name of the object o, or 0. */
static uint64_t function_at(struct inject *in, const struct object *o, const char *name)
{
	const struct map_entry *first = NULL;
	struct elf_sym sym;
	struct elf_obj *elf;
	char path[128];
	uint64_t off, at = 0;
	size_t i;

	for (i = 0; i < in->maps.n && !first; i++)
		if (same_file(&in->maps.v[i], o))
			first = &in->maps.v[i];
	if (!first || map_entry__open_path(first, in->pid, path, sizeof(path)))
		return 0;
	elf = elf_obj__open(path, NULL);
	if (!elf)
		return 0;
	if (!elf_obj__find_sym(elf, name, &sym) && !elf_obj__vaddr_to_offset(elf, sym.addr, &off)) {
		for (i = 0; i < in->maps.n && !at; i++) {
			const struct map_entry *e = &in->maps.v[i];

			if (same_file(e, o) && off >= e->offset &&
			    off - e->offset < e->end - e->start)
				at = e->start + off - e->offset;
		}
	}
	elf_obj__free(elf);
	return at;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* AT_BASE of the process's auxiliary vector: where its dynamic loader is; 0: none. */
static uint64_t loader_base(pid_t pid)
{
	char path[64], *buf = NULL;
	uint64_t base = 0;
	size_t len, i;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	if (read_file(path, &buf, &len))
		return 0;
	for (i = 0; i + 16 <= len; i += 16) {
		uint64_t kv[2];

		memcpy(kv, buf + i, sizeof(kv));
		if (kv[0] == AT_BASE)
			base = kv[1];
	}
	free(buf);
	return base;
}

/* Whether the program is a 64-bit x86 one, as leakd's own code is. */
static bool is_x86_64(pid_t pid)
{
	unsigned char h[EI_NIDENT + 4];
	char path[64];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) && !memcmp(h, ELFMAG, SELFMAG) &&
	     h[EI_CLASS] == ELFCLASS64 && h[EI_DATA] == ELFDATA2LSB &&
	     (h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8) == EM_X86_64;
	close(fd);
	return ok;
}

/* What must hold before a thread is touched; finds libc, the loader and the sampler. */
static int preflight(struct inject *in, const char *library, bool load)
{
	struct procfs_status st;
	struct stat mine, theirs;
	char root[PATH_MAX + 32];
	uint64_t ldbase;
	size_t i;
	int err;

	if (procfs_status(in->pid, &st))
		return say(in, -ESRCH, "pid %d is gone", (int)in->pid);
	if (inject__ptrace_scope() >= 3)
		return say(in, -EPERM, "ptrace is switched off on this host "
			   "(kernel.yama.ptrace_scope = 3)");
	if (st.tracer_pid)
		return say(in, -EBUSY, "pid %d is traced by pid %u already (a debugger?)",
			   (int)in->pid, st.tracer_pid);
	if (st.state == 'T' || st.state == 't')
		return say(in, -EBUSY, "pid %d is stopped: continue it first", (int)in->pid);
	if (load && st.seccomp)
		return say(in, -EACCES, "pid %d runs under seccomp (mode %u): the system calls of "
			   "dlopen could kill it", (int)in->pid, st.seccomp);
	if (!is_x86_64(in->pid))
		return say(in, -ENOEXEC, "pid %d is not a 64-bit x86 program", (int)in->pid);
	ldbase = loader_base(in->pid);
	err = procmaps__read(in->pid, &in->maps);
	if (err)
		return say(in, -ESRCH, "pid %d is gone", (int)in->pid);
	in->maps_read = true;
	if (ldbase && procmaps__find(&in->maps, ldbase))
		note_object(&in->ldso, procmaps__find(&in->maps, ldbase));
	if (stat(library, &mine))
		return say(in, -ENOENT, "no sampler at %s (the sampler setting): %s", library,
			   strerror(errno));
	/* Every process it goes into runs it: root's to change alone. */
	if (!S_ISREG(mine.st_mode) || mine.st_uid != 0 || (mine.st_mode & (S_IWGRP | S_IWOTH)))
		return say(in, -EPERM, "the sampler %s is not a file only root may write",
			   library);
	for (i = 0; i < in->maps.n; i++) {
		const struct map_entry *e = &in->maps.v[i];

		if (!map_entry__is_file(e))
			continue;
		if (!strncmp(base_name(e->path), "libc.so", 7) && !in->libc.found)
			note_object(&in->libc, e);
		if ((e->dev == mine.st_dev && e->inode == mine.st_ino) ||
		    !strcmp(base_name(e->path), SAMPLER_NAME))
			note_object(&in->sampler, e);
	}
	if (!in->ldso.found || !in->libc.found)
		return say(in, -ENOEXEC, "pid %d is statically linked (no dynamic loader or no "
			   "libc): it cannot load the sampler", (int)in->pid);
	if (!load)
		return in->sampler.found ? 0 : say(in, -ENOENT, "pid %d has no sampler",
						   (int)in->pid);
	if (!in->sampler.found) {
		in->dlopen_at = function_at(in, &in->libc, "dlopen");
		in->dlerror_at = function_at(in, &in->libc, "dlerror");
		if (!in->dlopen_at || !in->dlerror_at)
			return say(in, -ENOEXEC, "pid %d has no dlopen in its libc (glibc before "
				   "2.34?): it cannot load the sampler", (int)in->pid);
		/* The process opens the path in its own file system: the same file. */
		snprintf(root, sizeof(root), "/proc/%d/root%s", (int)in->pid, library);
		if (library[0] != '/' || stat(root, &theirs) || theirs.st_dev != mine.st_dev ||
		    theirs.st_ino != mine.st_ino)
			return say(in, -ENOENT, "%s is not the same file in pid %d's file system "
				   "(another mount namespace?)", library, (int)in->pid);
	}
	return 0;
}

/* Waits for a state change of tid, at most ms. */
static int wait_tid(pid_t tid, int ms, int *ret_status)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000;
	struct timespec ts = { 0, 200000 };
	pid_t r;

	for (;;) {
		r = waitpid(tid, ret_status, __WALL | WNOHANG);
		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		/* Stops are reported within microseconds: polling costs little. */
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 5000000)
			ts.tv_nsec *= 2;
	}
}

/* Interrupts a running thread and waits for its stop; signals meanwhile go through. */
static int stop_task(struct task *t)
{
	int status, err, rounds;

	if (t->stopped)
		return 0;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) && errno != ESRCH)
		return -errno;
	for (rounds = 0; rounds < 64; rounds++) {
		err = wait_tid(t->tid, STOP_MS, &status);
		if (err)
			return err == -ECHILD ? -ESRCH : err;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 16 == PTRACE_EVENT_STOP) {
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs))
				return -errno;
			t->stopped = true;
			return 0;
		}
		/* A signal came first: it is the thread's, delivered; the stop follows. */
		if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)WSTOPSIG(status)))
			return -errno;
	}
	return -EBUSY;
}

static struct task *task_of(struct inject *in, pid_t tid)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->tasks[i].tid == tid)
			return &in->tasks[i];
	return NULL;
}

/* Seizes and stops every thread of the process, until no new one shows up. */
static int stop_all(struct inject *in)
{
	char path[64];
	struct dirent *de;
	int round, err;
	bool more = true;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)in->pid);
	for (round = 0; round < ATTACH_ROUNDS && more; round++) {
		DIR *dir = opendir(path);

		if (!dir)
			return say(in, -ESRCH, "pid %d is gone", (int)in->pid);
		more = false;
		while ((de = readdir(dir))) {
			pid_t tid = atoi(de->d_name);
			struct task *t;

			if (tid <= 0 || task_of(in, tid))
				continue;
			if (in->n >= MAX_TASKS) {
				closedir(dir);
				return say(in, -EBUSY, "pid %d has more than %d threads",
					   (int)in->pid, MAX_TASKS);
			}
			if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
				err = errno;
				if (err == ESRCH)
					continue;	/* a thread that just ended */
				closedir(dir);
				return say(in, err == EPERM ? -EPERM : -err,
					   "ptrace refused for pid %d: %s", (int)in->pid,
					   strerror(err));
			}
			t = &in->tasks[in->n++];
			*t = (struct task){ .tid = tid };
			more = true;
		}
		closedir(dir);
		for (size_t i = 0; i < in->n; i++) {
			err = stop_task(&in->tasks[i]);
			if (err == -ESRCH && in->tasks[i].tid != in->pid &&
			    &in->tasks[i] != in->caller) {
				/* Ended meanwhile: forget it. */
				if (in->caller == &in->tasks[in->n - 1])
					in->caller = &in->tasks[i];
				in->tasks[i--] = in->tasks[--in->n];
				continue;
			}
			if (err)
				return say(in, err, "pid %d: thread %d does not stop: %s",
					   (int)in->pid, (int)in->tasks[i].tid, strerror(-err));
		}
	}
	return more ? say(in, -EBUSY, "pid %d makes threads faster than they stop",
			  (int)in->pid) : 0;
}

/* Lets every thread but the caller run. */
static void run_others(struct inject *in)
{
	for (size_t i = 0; i < in->n; i++) {
		struct task *t = &in->tasks[i];

		if (t == in->caller || !t->stopped)
			continue;
		if (!ptrace(PTRACE_CONT, t->tid, 0, 0) || errno == ESRCH)
			t->stopped = false;
	}
}

/*
 * System calls made with the allocator's locks held: from inside the allocator, and
 * fork's (glibc takes every arena's lock around it).
 */
static bool allocator_syscall(long nr)
{
	return nr == SYS_mmap || nr == SYS_munmap || nr == SYS_mremap || nr == SYS_mprotect ||
	       nr == SYS_brk || nr == SYS_madvise || nr == SYS_clone || nr == SYS_clone3 ||
	       nr == SYS_fork || nr == SYS_vfork;
}

/*
 * Whether a stopped thread may call dlopen: not in the loader (its lock), not in
 * the sampler (its lock, held while it patches what a dlopen brought), not in
 * libc's code unless waiting in a system call the allocator does not make.
 */
static bool may_call(const struct inject *in, const struct task *t)
{
	uint64_t pc = t->regs.rip;

	if (pc_in(in, pc, &in->ldso) || pc_in(in, pc, &in->sampler))
		return false;
	if ((long)t->regs.orig_rax >= 0)
		return !allocator_syscall((long)t->regs.orig_rax);
	return !pc_in(in, pc, &in->libc);
}

/* Stops everything until a thread that may call is found; the main thread preferred. */
static int pick_caller(struct inject *in)
{
	struct timespec ts = { 0, 1000000 };
	int tries, err;

	for (tries = 0; tries < BUSY_TRIES; tries++) {
		err = stop_all(in);
		if (err)
			return err;
		for (size_t i = 0; i < in->n && !in->caller; i++)
			if (in->tasks[i].tid == in->pid && may_call(in, &in->tasks[i]))
				in->caller = &in->tasks[i];
		for (size_t i = 0; i < in->n && !in->caller; i++)
			if (may_call(in, &in->tasks[i]))
				in->caller = &in->tasks[i];
		if (in->caller)
			return 0;
		/* Every thread in the allocator or the loader: let them run a little. */
		run_others(in);
		nanosleep(&ts, NULL);
	}
	return say(in, -EBUSY, "pid %d was inside its allocator or dynamic loader each of %d "
		   "times it was stopped: try again", (int)in->pid, BUSY_TRIES);
}

/* Stops every other thread again, until none is inside the loader (whose lists change). */
static int stop_outside_loader(struct inject *in)
{
	struct timespec ts = { 0, 1000000 };
	int tries, err;
	bool busy;

	for (tries = 0; tries < BUSY_TRIES; tries++) {
		err = stop_all(in);
		if (err)
			return err;
		busy = false;
		for (size_t i = 0; i < in->n; i++)
			busy |= &in->tasks[i] != in->caller &&
				pc_in(in, in->tasks[i].regs.rip, &in->ldso);
		if (!busy)
			return 0;
		run_others(in);
		nanosleep(&ts, NULL);
	}
	return say(in, -EBUSY, "pid %d: a thread stayed inside the dynamic loader", (int)in->pid);
}

static int save_caller(struct inject *in)
{
	in->saved = in->caller->regs;
	in->xstate.iov_base = calloc(1, XSTATE_MAX);
	in->xstate.iov_len = XSTATE_MAX;
	if (!in->xstate.iov_base)
		return say(in, -ENOMEM, "out of memory");
	if (ptrace(PTRACE_GETREGSET, in->caller->tid, (void *)NT_X86_XSTATE, &in->xstate))
		return say(in, -errno, "pid %d: cannot read the vector registers: %s",
			   (int)in->pid, strerror(errno));
	in->xstate_saved = true;
	return 0;
}

/* Puts the caller's registers back as they were when it was stopped. */
static int restore_caller(struct inject *in)
{
	if (!in->changed)
		return 0;
	if (ptrace(PTRACE_SETREGS, in->caller->tid, 0, &in->saved) ||
	    (in->xstate_saved &&
	     ptrace(PTRACE_SETREGSET, in->caller->tid, (void *)NT_X86_XSTATE, &in->xstate)))
		return -errno;
	in->changed = false;
	return 0;
}

/*
 * Has the caller call fn(a0, a1), or fn(data, a1) when data is given (copied below
 * its stack's red zone); its result into *ret.
 */
static int call(struct inject *in, uint64_t fn, uint64_t a0, uint64_t a1, const char *data,
		uint64_t *ret)
{
	struct task *t = in->caller;
	struct user_regs_struct r = in->saved;
	uint64_t sp = in->saved.rsp - 128, zero = 0, deadline = now_ns() + CALL_MS * 1000000ULL;
	size_t len = data ? strlen(data) + 1 : 0;
	int status, err;

	if (data) {
		sp = (sp - len) & ~15ULL;
		if (pwrite(in->mem, data, len, (off_t)sp) != (ssize_t)len)
			return -EIO;
		a0 = sp;
	}
	sp = (sp & ~15ULL) - 8;		/* as after a call: the return address pushed */
	if (pwrite(in->mem, &zero, sizeof(zero), (off_t)sp) != (ssize_t)sizeof(zero))
		return -EIO;
	r.rsp = sp;
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rax = 0;
	r.orig_rax = -1;		/* no system call to restart on the way out */
	r.eflags &= ~0x400ULL;		/* the direction flag clear, as the ABI wants */
	in->changed = true;
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) || ptrace(PTRACE_CONT, t->tid, 0, 0))
		return -errno;
	t->stopped = false;
	for (;;) {
		int64_t left = (int64_t)(deadline - now_ns());

		err = wait_tid(t->tid, left > 0 ? (int)(left / 1000000) + 1 : 0, &status);
		if (err)
			return err == -ECHILD ? -ESRCH : err;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 16 == PTRACE_EVENT_STOP) {
			/* An interrupt left from before: go on. */
			if (ptrace(PTRACE_CONT, t->tid, 0, 0))
				return -errno;
			continue;
		}
		if (WSTOPSIG(status) == SIGSEGV) {
			t->stopped = true;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &r))
				return -errno;
			if (r.rip != 0)
				return -EFAULT;	/* a fault of its own, inside the call */
			*ret = r.rax;
			return 0;
		}
		/* Another signal for this thread: its handler runs on top of the call. */
		if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)WSTOPSIG(status)))
			return -errno;
	}
}

static void read_string(struct inject *in, uint64_t at, char *buf, size_t size)
{
	ssize_t n = at ? pread(in->mem, buf, size - 1, (off_t)at) : -1;

	buf[n > 0 ? n : 0] = 0;
}

/* Where the sampler is now mapped, and its functions. */
static int find_sampler(struct inject *in, const char *library)
{
	struct stat st;
	size_t i;

	if (!in->sampler.found) {
		procmaps__destroy(&in->maps);
		in->maps_read = false;
		if (procmaps__read(in->pid, &in->maps))
			return say(in, -ESRCH, "pid %d is gone", (int)in->pid);
		in->maps_read = true;
		for (i = 0; i < in->maps.n; i++)
			if (!stat(library, &st) && in->maps.v[i].dev == st.st_dev &&
			    in->maps.v[i].inode == st.st_ino)
				note_object(&in->sampler, &in->maps.v[i]);
	}
	in->prepare_at = function_at(in, &in->sampler, "leakd_sampler_prepare");
	in->patch_at = function_at(in, &in->sampler, "leakd_sampler_patch");
	in->unpatch_at = function_at(in, &in->sampler, "leakd_sampler_unpatch");
	if (!in->prepare_at || !in->patch_at || !in->unpatch_at)
		return say(in, -EEXIST, "pid %d has a sampler that cannot be injected into "
			   "(preloaded, or of another version)", (int)in->pid);
	return 0;
}

/*
 * Lets every thread run, the caller too (stopped in a system call inside the
 * sampler's patching of what a dlopen brought, it may hold the lock the call
 * needs), and picks a caller again.
 */
static int repick(struct inject *in)
{
	struct timespec ts = { 0, 1000000 };
	int err = restore_caller(in);

	if (err)
		return say(in, err, "pid %d: its registers could not be restored", (int)in->pid);
	in->caller = NULL;
	free(in->xstate.iov_base);
	in->xstate = (struct iovec){ 0 };
	in->xstate_saved = false;
	run_others(in);
	nanosleep(&ts, NULL);
	err = pick_caller(in);
	return err ? err : save_caller(in);
}

static int load_library(struct inject *in, const char *library)
{
	char msg[200];
	uint64_t handle, text;
	int err;

	err = call(in, in->dlopen_at, 0, RTLD_NOW_LOCAL, library, &handle);
	if (err)
		return say(in, err, "pid %d: dlopen failed: %s", (int)in->pid, strerror(-err));
	if (!handle) {
		err = call(in, in->dlerror_at, 0, 0, NULL, &text);
		read_string(in, err ? 0 : text, msg, sizeof(msg));
		return say(in, -ENOEXEC, "pid %d: dlopen failed: %s", (int)in->pid,
			   msg[0] ? msg : "no reason given");
	}
	return 0;
}

/* prepare while the other threads run, patch while they are stopped: again if objects moved. */
static int patch(struct inject *in, uint64_t every)
{
	uint64_t n;
	int tries, err;

	for (tries = 0; tries < PATCH_TRIES; tries++) {
		run_others(in);
		err = call(in, in->prepare_at, 0, 0, NULL, &n);
		if (err)
			return say(in, err, "pid %d: the sampler's prepare failed: %s",
				   (int)in->pid, strerror(-err));
		if ((int)n == -EEXIST)
			return say(in, -EEXIST, "pid %d has the sampler already (preloaded): trace "
				   "it without --inject", (int)in->pid);
		if ((int)n < 0 && (int)n != -EAGAIN)
			return say(in, (int)n, "pid %d: the sampler cannot find the allocator's "
				   "entries: %s", (int)in->pid, strerror(-(int)n));
		if ((int)n == -EAGAIN) {
			err = repick(in);
			if (err)
				return err;
			continue;
		}
		err = stop_outside_loader(in);
		if (err)
			return err;
		err = call(in, in->patch_at, every, 0, NULL, &n);
		if (err)
			return say(in, err, "pid %d: the sampler's patch failed: %s", (int)in->pid,
				   strerror(-err));
		if ((int)n != -EAGAIN)
			return (int)n < 0 ? say(in, (int)n, "pid %d: the GOT entries could not be "
						"patched (none is): %s", (int)in->pid,
						strerror(-(int)n)) : (int)n;
		err = repick(in);
		if (err)
			return err;
	}
	return say(in, -EBUSY, "pid %d was loading, unloading or patching libraries each time: "
		   "try again", (int)in->pid);
}

/*
 * Threads that could not be let go at once: one still inside a call that ran past
 * its deadline (its registers go back when it returns to address 0), or one that
 * did not stop to be detached.  They stay traced by the daemon until inject__tick
 * sees them stop; the kernel lets them go if the daemon ends first.
 */
struct late {
	pid_t tid;
	bool restore;			/* in a call: its registers and xstate back at the end */
	struct user_regs_struct regs;
	struct iovec xstate;		/* owned */
};

static struct late late[LATE_MAX];
static size_t nr_late;
static uint64_t late_dropped;

static void detach_later(pid_t tid, const struct user_regs_struct *regs, struct iovec *xstate)
{
	struct late *l;

	if (nr_late >= LATE_MAX) {
		/* Not followed: it stays traced by the daemon until the daemon ends. */
		late_dropped++;
		return;
	}
	l = &late[nr_late++];
	*l = (struct late){ .tid = tid, .restore = regs != NULL };
	if (regs) {
		l->regs = *regs;
		l->xstate = *xstate;	/* the buffer changes hands */
		*xstate = (struct iovec){ 0 };
	}
}

/* Whether the late thread is done with: let go, or gone. */
static bool settle(struct late *l)
{
	struct user_regs_struct r;
	int status, sig;
	pid_t got = waitpid(l->tid, &status, __WALL | WNOHANG);

	if (got == 0)
		return false;			/* running still */
	if (got < 0 || !WIFSTOPPED(status))
		return true;			/* gone */
	sig = status >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
	if (l->restore) {
		if (sig != SIGSEGV || ptrace(PTRACE_GETREGS, l->tid, 0, &r) || r.rip != 0) {
			/* Not the call's end yet: on with it, its signals delivered. */
			return ptrace(PTRACE_CONT, l->tid, 0, (void *)(long)sig) != 0;
		}
		ptrace(PTRACE_SETREGS, l->tid, 0, &l->regs);
		if (l->xstate.iov_base)
			ptrace(PTRACE_SETREGSET, l->tid, (void *)NT_X86_XSTATE, &l->xstate);
		sig = 0;			/* the fault at 0 was ours */
	}
	ptrace(PTRACE_DETACH, l->tid, 0, (void *)(long)sig);
	return true;
}

int inject__tick(uint64_t *ret_lost)
{
	*ret_lost = late_dropped;
	for (size_t i = 0; i < nr_late;) {
		if (!settle(&late[i])) {
			i++;
			continue;
		}
		free(late[i].xstate.iov_base);
		late[i] = late[--nr_late];
	}
	return (int)nr_late;
}

/* Puts the caller back and lets every thread go, running as before. */
static void finish(struct inject *in)
{
	if (in->caller && in->changed && !in->caller->stopped) {
		/* Inside a call past its deadline: its registers go back when it returns. */
		detach_later(in->caller->tid, &in->saved, &in->xstate);
		in->caller->tid = 0;
	} else if (in->caller && restore_caller(in)) {
		snprintf(in->why, in->why_size, "pid %d: its registers could not be restored",
			 (int)in->pid);
	}
	for (size_t i = 0; i < in->n; i++) {
		struct task *t = &in->tasks[i];

		if (!t->tid)
			continue;
		/* PTRACE_DETACH needs a stopped thread; a signal stop's SIGSEGV is dropped. */
		if (!t->stopped && stop_task(t)) {
			detach_later(t->tid, NULL, NULL);
			continue;
		}
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
	}
	free(in->tasks);
	free(in->xstate.iov_base);
	if (in->maps_read)
		procmaps__destroy(&in->maps);
	if (in->mem >= 0)
		close(in->mem);
}

static int begin(struct inject *in, pid_t pid, char *why, size_t size)
{
	char path[64];

	*in = (struct inject){ .pid = pid, .why = why, .why_size = size, .mem = -1 };
	why[0] = 0;
	in->tasks = calloc(MAX_TASKS, sizeof(*in->tasks));
	if (!in->tasks)
		return say(in, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	in->mem = open(path, O_RDWR | O_CLOEXEC);
	if (in->mem < 0)
		return say(in, errno == ENOENT ? -ESRCH : -errno,
			   "pid %d: cannot open its memory: %s", (int)pid, strerror(errno));
	return 0;
}

int inject__load(pid_t pid, const char *library, uint64_t every, char *why, size_t size)
{
	struct inject in;
	int err;

	err = begin(&in, pid, why, size);
	if (!err)
		err = preflight(&in, library, true);
	if (!err)
		err = pick_caller(&in);
	if (!err)
		err = save_caller(&in);
	if (!err && !in.sampler.found) {
		/* The others run meanwhile: whatever lock dlopen needs, its holder lets go. */
		run_others(&in);
		err = load_library(&in, library);
	}
	if (!err)
		err = find_sampler(&in, library);
	if (!err)
		err = patch(&in, every);
	finish(&in);
	return err;
}

int inject__unload(pid_t pid, const char *library, char *why, size_t size)
{
	struct inject in;
	uint64_t n = 0;
	int err, tries;

	err = begin(&in, pid, why, size);
	if (!err)
		err = preflight(&in, library, false);
	if (!err)
		err = find_sampler(&in, library);
	if (!err)
		err = pick_caller(&in);
	if (!err)
		err = save_caller(&in);
	for (tries = 0; !err && tries < BUSY_TRIES; tries++) {
		err = stop_outside_loader(&in);
		if (!err)
			err = call(&in, in.unpatch_at, 0, 0, NULL, &n);
		if (err)
			err = say(&in, err, "pid %d: the sampler's unpatch failed: %s", (int)pid,
				  strerror(-err));
		else if ((int)n != -EAGAIN)
			break;
		else
			err = repick(&in);
	}
	if (!err && (int)n < 0)
		err = say(&in, (int)n, "pid %d: the GOT entries could not be restored: %s",
			  (int)pid, strerror(-(int)n));
	finish(&in);
	return err ? err : (int)n;
}

#else /* !__x86_64__ */

int inject__load(pid_t pid, const char *library, uint64_t every, char *why, size_t size)
{
	(void)library;
	(void)every;
	snprintf(why, size, "pid %d: injection is implemented for x86-64 only", (int)pid);
	return -ENOEXEC;
}

int inject__unload(pid_t pid, const char *library, char *why, size_t size)
{
	return inject__load(pid, library, 0, why, size);
}

int inject__tick(uint64_t *ret_lost)
{
	*ret_lost = 0;
	return 0;
}

#endif
