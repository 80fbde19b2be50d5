// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The watch tier's worst case: anonymous mmap+munmap pairs, nothing touched (a
 * page fault would hide the cost).  Prints ns per pair.  Usage: mmapbench N SIZE
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, size = argc > 2 ? atol(argv[2]) : 65536;
	struct timespec a, b;

	if (n <= 0 || size <= 0) {
		fprintf(stderr, "usage: mmapbench N SIZE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED || munmap(p, size)) {
			perror("mmapbench");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
