// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * C++ names for test_debuginfo.c: a member function of a class template in a
 * namespace, inlined into a function template.  Nothing here runs.
 */
extern volatile int sink;
volatile int sink;

namespace shapes {

template <typename T> struct box {
	T v;

	__attribute__((always_inline)) inline T twice() const
	{
		sink = sink + 1;
		return v * 2 + sink;
	}
};

template <typename T> __attribute__((noinline)) T area(const box<T> &b)
{
	T r = b.twice();

	sink = r;
	return r + b.twice();
}

} // namespace shapes

int main(int argc, char **)
{
	shapes::box<int> b{ argc };

	return shapes::area(b);
}
