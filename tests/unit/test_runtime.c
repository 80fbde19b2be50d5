// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <string.h>

#include "stacks/runtime.h"
#include "testutil.h"

#define F(fn, mod) { .function = (fn), .module = (mod) }

static enum runtime_kind classify(const struct frame_desc *f, size_t n)
{
	return runtime__classify(f, n);
}

START_TEST(runtimes)
{
	const struct frame_desc glibc_arena[] = {
		F("mmap64", "libc.so.6"), F("new_heap", "libc.so.6"),
		F("arena_get2.part.0", "libc.so.6"), F("malloc", "libc.so.6"),
		F("worker", "server"), F("start_thread", "libc.so.6") };
	const struct frame_desc brk_heap[] = {
		F("__brk", "libc.so.6"), F("__sbrk", "libc.so.6"), F("sysmalloc", "libc.so.6"),
		F("_int_malloc", "libc.so.6"), F("malloc", "libc.so.6"), F("main", "prog") };
	const struct frame_desc v8[] = {
		F("mprotect", "libc.so.6"),
		F("v8::base::OS::SetPermissions(void*, unsigned long, v8::base::OS::MemoryPermission)",
		  "libnode.so.108"),
		F("leakyRoute", NULL), F("main", "node") };
	const struct frame_desc v8_stripped[] = {
		F("mprotect", "libc.so.6"), F(NULL, "libnode.so.108"), F("main", "node") };
	const struct frame_desc jvm[] = {
		F("mmap64", "libc.so.6"), F("os::pd_commit_memory(char*, unsigned long, bool)",
					    "libjvm.so"), F("JavaMain", "libjli.so") };
	const struct frame_desc dotnet[] = {
		F("mprotect", "libc.so.6"), F(NULL, "libcoreclr.so"), F(NULL, "libcoreclr.so") };
	const struct frame_desc go[] = {
		F("runtime.sysMmap", "server"), F("runtime.sysReserve", "server"),
		F("runtime.(*mheap).grow", "server"), F("main.handler", "server") };
	const struct frame_desc python[] = {
		F("mmap64", "libc.so.6"), F("_PyObject_Malloc", "python3.11"),
		F("PyList_New", "python3.11") };
	const struct frame_desc thread[] = {
		F("mmap64", "libc.so.6"), F("allocate_stack", "libc.so.6"),
		F("pthread_create@@GLIBC_2.34", "libc.so.6"), F("main", "prog") };
	const struct frame_desc program[] = {
		F("mmap64", "libc.so.6"), F("grow_pool", "prog"), F("main", "prog"),
		F("__libc_start_call_main", "libc.so.6"), F("__libc_start_main_impl", "libc.so.6") };
	const struct frame_desc jemalloc[] = {
		F("mmap", "libc.so.6"), F("je_extent_alloc_mmap", "libjemalloc.so.2"),
		F("main", "prog") };

	ck_assert_int_eq(classify(glibc_arena, 6), RUNTIME_NATIVE_HEAP);
	ck_assert_int_eq(classify(brk_heap, 6), RUNTIME_NATIVE_HEAP);
	ck_assert_int_eq(classify(v8, 4), RUNTIME_V8);
	ck_assert_int_eq(classify(v8_stripped, 3), RUNTIME_V8);
	ck_assert_int_eq(classify(jvm, 3), RUNTIME_JVM);
	ck_assert_int_eq(classify(dotnet, 3), RUNTIME_DOTNET);
	ck_assert_int_eq(classify(go, 4), RUNTIME_GO);
	ck_assert_int_eq(classify(python, 3), RUNTIME_PYTHON);
	ck_assert_int_eq(classify(thread, 4), RUNTIME_THREAD_STACK);
	ck_assert_int_eq(classify(program, 5), RUNTIME_OTHER);
	ck_assert_int_eq(classify(jemalloc, 3), RUNTIME_NATIVE_HEAP);
	ck_assert_int_eq(classify(program, 0), RUNTIME_OTHER);
}
END_TEST

START_TEST(modules_match_by_base_name)
{
	/* "libnodejs" is not libnode; "libc.so.6" is libc, "libcrypto.so.3" is not. */
	const struct frame_desc a[] = { F("f", "libnodejs.so"), F("g", "libcrypto.so.3") };

	ck_assert_int_eq(classify(a, 2), RUNTIME_OTHER);
}
END_TEST

START_TEST(names_keys_advice)
{
	for (int k = 0; k < RUNTIME__COUNT; k++) {
		ck_assert(strlen(runtime__name(k)) > 0);
		ck_assert(strlen(runtime__key(k)) > 0);
		ck_assert(strlen(runtime__advice(k)) > 0);
		/* Keys are label values: lower case, digits and underscores. */
		ck_assert_uint_eq(strspn(runtime__key(k), "abcdefghijklmnopqrstuvwxyz0123456789_"),
				  strlen(runtime__key(k)));
	}
	ck_assert_str_eq(runtime__name(RUNTIME_V8), "V8 heap");
	ck_assert_str_eq(runtime__key(RUNTIME__COUNT), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("runtime");

	tcase_add_test(tc, runtimes);
	tcase_add_test(tc, modules_match_by_base_name);
	tcase_add_test(tc, names_keys_advice);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
