// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the watch tier costs a process, per iteration (ns printed):
 *   mmapbench N SIZE [map]    anonymous mmap+munmap pairs, nothing touched: the
 *                             worst case (a page fault would hide the cost)
 *   mmapbench N SIZE touch    ... one byte written per page before the munmap
 *   mmapbench N SIZE sys      getppid: a system call the watch tier does not
 *                             probe (what every other call of every process pays)
 * A fourth argument KEEP: that many one-page mappings made first and kept (the
 * daemon's table of the process that large; new mappings go below them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, size = argc > 2 ? atol(argv[2]) : 65536;
	long keep = argc > 4 ? atol(argv[4]) : 0;
	const char *what = argc > 3 ? argv[3] : "map";
	long page = sysconf(_SC_PAGESIZE);
	int touch = !strcmp(what, "touch"), sys = !strcmp(what, "sys");
	struct timespec a, b;

	if (n <= 0 || size <= 0 || keep < 0 || (!touch && !sys && strcmp(what, "map"))) {
		fprintf(stderr, "usage: mmapbench N SIZE [map|touch|sys [KEEP]]\n");
		return 2;
	}
	for (long i = 0; i < keep; i++) {
		/* Protections alternate: the kernel does not merge them either. */
		if (mmap(NULL, page, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
			perror("mmapbench");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		volatile char *p;

		if (sys) {
			if (getppid() < 0)
				return 1;
			continue;
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmapbench");
			return 1;
		}
		for (long off = 0; touch && off < size; off += page)
			p[off] = 1;
		if (munmap((void *)p, size)) {
			perror("mmapbench");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
