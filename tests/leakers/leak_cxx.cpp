// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A C++ leak behind the standard library: an unordered_map that is never freed.
 * Its blocks come from operator new inside libstdc++'s hashtable code; the stack
 * must still lead to fill_map, the user function.
 */
#include <unordered_map>

#include "truth.h"

using Map = std::unordered_map<int, long>;
using Node = std::__detail::_Hash_node<std::pair<const int, long>, false>;

NOINLINE Map *fill_map(int n)
{
	Map *m = new Map();

	for (int i = 0; i < n; i++)
		(*m)[i] = i;
	keep(m);
	return m;
}

int main()
{
	const int n = 1000;
	Map *m = fill_map(n);
	unsigned long long buckets = m->bucket_count() > 1 ? m->bucket_count() * sizeof(void *) : 0;

	/* The map object, its nodes and its (last) bucket array are still allocated. */
	truth_leak("fill_map(int)", sizeof(Map) + n * sizeof(Node) + buckets, 1 + n + !!buckets);
	truth_write();
	return 0;
}
