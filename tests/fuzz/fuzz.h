/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the libFuzzer harnesses share: a failed invariant is a crash the fuzzer
 * keeps, and input that a module reads from a file is handed to it as one.
 */
#ifndef LEAKD_FUZZ_H
#define LEAKD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_assert(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,	\
				__LINE__, #cond);				\
			abort();						\
		}								\
	} while (0)

/* A file holding exactly data (a memfd: nothing on disk), or abort. */
static inline int fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	fuzz_assert(fd >= 0);
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		fuzz_assert(n > 0);
		done += (size_t)n;
	}
	fuzz_assert(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* The path of an open descriptor, for APIs that open a path. */
static inline void fuzz_fd_path(int fd, char *buf, size_t size)
{
	int n = snprintf(buf, size, "/proc/self/fd/%d", fd);

	fuzz_assert(n > 0 && (size_t)n < size);
}

/*
 * A path for a file of this name in a directory of the run's own (under $TMPDIR,
 * which the runner gives each run), made once.
 */
static inline void fuzz_tmp_path(char *buf, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char dir[400];
	int n;

	n = snprintf(dir, sizeof(dir), "%s/leakd-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fuzz_assert(n > 0 && (size_t)n < sizeof(dir));
	fuzz_assert(mkdtemp(dir));
	n = snprintf(buf, size, "%s/%s", dir, name);
	fuzz_assert(n > 0 && (size_t)n < size);
}

#endif
