// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The demangler (C++, Rust legacy and v0), the name cache and the shortener. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/names.h"
#include "testutil.h"

static void demangles_to(const char *mangled, const char *want)
{
	char *got = name_demangle(mangled);

	ck_assert_msg(got, "not demangled: %s", mangled);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(demangles_cxx)
{
	demangles_to("_ZN6shapes3boxIiE5twiceEv", "shapes::box<int>::twice()");
	demangles_to("_ZNSt6vectorIiSaIiEE9push_backERKi",
		     "std::vector<int, std::allocator<int> >::push_back(int const&)");
	demangles_to("_ZZ4mainENKUliE_clEi", "main::{lambda(int)#1}::operator()(int) const");
	demangles_to("_ZN12_GLOBAL__N_13fooEi", "(anonymous namespace)::foo(int)");
	demangles_to("_Znwm", "operator new(unsigned long)");
	/* gcc's clones keep their mark. */
	demangles_to("_ZL5chainPi.constprop.0", "chain(int*) [clone .constprop.0]");
}
END_TEST

START_TEST(demangles_rust_legacy)
{
	/* The hash goes; the path stays. */
	demangles_to("_ZN9leak_rust8leaky_fn17h7c1a9d3e5b2f4a60E", "leak_rust::leaky_fn");
	demangles_to("_ZN4core3ptr13drop_in_place17h0b4e2c9f1a7d3e56E", "core::ptr::drop_in_place");
	demangles_to("_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$"
		     "4drop17h9e8d7c6b5a4f3e21E",
		     "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop");
}
END_TEST

START_TEST(demangles_rust_v0)
{
	demangles_to("_RNvCs1234_9leak_rust8leaky_fn", "leak_rust::leaky_fn");
	demangles_to("_RNvNvCs1234_9leak_rust4main8leaky_fn", "leak_rust::main::leaky_fn");
	/* A generic function: core::ptr::drop_in_place::<u8> */
	demangles_to("_RINvNtCs1234_4core3ptr13drop_in_placehEB4_",
		     "core::ptr::drop_in_place::<u8>");
}
END_TEST

START_TEST(garbage_is_left_alone)
{
	static const char *const bad[] = {
		"", "_", "_Z", "_R", "_Zgarbage", "_RNvC", "_ZN3foo", "malloc", "_start",
		"_ZN9leak_rust8leaky_fn17hE", "\xff\xfe_Z", "_Z\x01\x02",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!name_demangle(bad[i]), "demangled: %s", bad[i]);
	ck_assert(!name_is_mangled("malloc"));
	ck_assert(name_is_mangled("_ZN1a1bEv"));
	ck_assert(name_is_mangled("_RNvC1a1b"));
}
END_TEST

START_TEST(very_long_input)
{
	size_t n = 1000, i, len;
	char *raw, *d;

	/* void f<int, int, ..., int>(): long, valid, under the bound. */
	raw = malloc(n + 16);
	ck_assert_ptr_nonnull(raw);
	memcpy(raw, "_Z1fI", 5);
	memset(raw + 5, 'i', n);
	memcpy(raw + 5 + n, "Evv", 4);
	d = name_demangle(raw);
	ck_assert_ptr_nonnull(d);
	len = strlen(d);
	ck_assert_uint_eq(len, strlen("void f<>()") + 3 * n + 2 * (n - 1));
	ck_assert(!strncmp(d, "void f<int, int", 15));
	free(d);
	free(raw);

	/* Past the bound: left mangled, whatever it is. */
	n = NAME_MANGLED_MAX + 100;
	raw = malloc(n + 16);
	ck_assert_ptr_nonnull(raw);
	memcpy(raw, "_Z1fI", 5);
	memset(raw + 5, 'i', n);
	memcpy(raw + 5 + n, "Evv", 4);
	ck_assert_ptr_null(name_demangle(raw));
	free(raw);

	/* Nested deeper than the demangler recurses: refused, not a crash. */
	n = 5000;
	raw = malloc(3 * n + 16);
	ck_assert_ptr_nonnull(raw);
	memcpy(raw, "_Z1f", 4);
	for (i = 0; i < n; i++)
		memcpy(raw + 4 + 3 * i, "PFv", 3);
	memset(raw + 4 + 3 * n, 'E', 1);
	raw[5 + 3 * n] = 0;
	ck_assert_ptr_null(name_demangle(raw));
	free(raw);
}
END_TEST

static void shortens_to(const char *name, const char *want)
{
	char buf[1024];
	size_t n = name_shorten(name, buf, sizeof(buf));

	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_uint_le(n, strlen(name));
}

START_TEST(shortens_templates_and_parameters)
{
	shortens_to("std::vector<int, std::allocator<int> >::push_back(int const&)",
		    "std::vector::push_back");
	/* Nested template arguments, and a return type. */
	shortens_to("a::b<c<d<e> >, f>::g<h<i> >(j<k<l> >) const", "a::b::g");
	shortens_to("int shapes::area<int>(shapes::box<int> const&)", "shapes::area");
	shortens_to("std::map<int, std::vector<std::pair<int, long> > > const& ns::get()",
		    "ns::get");
	shortens_to("std::__cxx11::basic_string<char, std::char_traits<char>, "
		    "std::allocator<char> >::_M_create[abi:cxx11](unsigned long&, unsigned long)",
		    "std::__cxx11::basic_string::_M_create");
	/* Plain names, C names, Rust paths stay as they are. */
	shortens_to("malloc", "malloc");
	shortens_to("leak_rust::leaky_fn", "leak_rust::leaky_fn");
	shortens_to("f(int) [clone .constprop.0]", "f [clone .constprop.0]");
}
END_TEST

START_TEST(shortens_operators)
{
	shortens_to("bool operator< <int>(A<int> const&, A<int> const&)", "operator<");
	shortens_to("ns::X::operator<(ns::X const&) const", "ns::X::operator<");
	shortens_to("ns::operator<<(std::ostream&, X const&)", "ns::operator<<");
	shortens_to("bool ns::operator<=<int>(A<int> const&, A<int> const&)", "ns::operator<=");
	shortens_to("X::operator>>(int)", "X::operator>>");
	shortens_to("X::operator->() const", "X::operator->");
	shortens_to("X::operator()<int>(int)", "X::operator()");
	shortens_to("std::less<void>::operator()(int const&, int const&) const",
		    "std::less::operator()");
	shortens_to("X::operator[](unsigned long)", "X::operator[]");
	shortens_to("operator new(unsigned long)", "operator new");
	shortens_to("operator delete[](void*, unsigned long)", "operator delete[]");
	shortens_to("ns::X::operator bool() const", "ns::X::operator bool");
	shortens_to("ns::X::operator std::vector<int, std::allocator<int> >() const",
		    "ns::X::operator std::vector");
	shortens_to("Cmp<operator<>::run(int)", "Cmp::run");
}
END_TEST

START_TEST(shortens_lambdas_and_namespaces)
{
	shortens_to("main::{lambda(int)#1}::operator()(int) const",
		    "main::{lambda#1}::operator()");
	shortens_to("foo(int)::{lambda()#1}::operator()() const", "foo::{lambda#1}::operator()");
	shortens_to("std::_Function_handler<void (int), main::{lambda(int)#1}>::_M_invoke("
		    "std::_Any_data const&, int&&)",
		    "std::_Function_handler::_M_invoke");
	shortens_to("(anonymous namespace)::foo(int)", "(anonymous namespace)::foo");
	shortens_to("void (anonymous namespace)::Pool<int>::grow<(anonymous namespace)::T>(long)",
		    "(anonymous namespace)::Pool::grow");
	shortens_to("leak_rust::main::{{closure}}", "leak_rust::main::{{closure}}");
	shortens_to("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop",
		    "<alloc::vec::Vec as core::ops::drop::Drop>::drop");
	shortens_to("core::ptr::drop_in_place::<alloc::string::String>",
		    "core::ptr::drop_in_place");
}
END_TEST

START_TEST(shortens_function_pointers)
{
	shortens_to("call(void (*)(int), int)", "call");
	shortens_to("ns::reg(int (*)(void*, char const*), void (ns::X::*)(int) const)",
		    "ns::reg");
	shortens_to("void (*signal(int, void (*)(int)))(int)", "signal");
	shortens_to("int (*ns::table<int>())[4]", "ns::table");
	shortens_to("decltype ({parm#1}+{parm#2}) add<int, int>(int, int)", "add");
}
END_TEST

START_TEST(shorten_bounds)
{
	const char *name = "std::vector<int>::push_back(int const&)";
	char buf[8], big[4096];
	char *deep;
	size_t i, n;

	/* As snprintf: cut to the buffer, the whole length returned. */
	n = name_shorten(name, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen("std::vector::push_back"));
	ck_assert_str_eq(buf, "std::ve");
	ck_assert_uint_eq(name_shorten(name, NULL, 0), n);
	/* Unbalanced and garbage input: bounded output, no crash. */
	n = name_shorten("a<b<c::d(e", big, sizeof(big));
	ck_assert_str_eq(big, "a");
	n = name_shorten(")))>>>]]]}}}", big, sizeof(big));
	ck_assert_uint_le(n, 12);
	n = name_shorten("(((((", big, sizeof(big));
	ck_assert_str_eq(big, "(((((");	/* nothing left: the name itself */
	/* Nested far deeper than the shortener recurses. */
	deep = malloc(2 * 100000 + 8);
	ck_assert_ptr_nonnull(deep);
	for (i = 0; i < 100000; i++)
		deep[i] = '{';
	for (; i < 200000; i++)
		deep[i] = '}';
	deep[i] = 0;
	n = name_shorten(deep, big, sizeof(big));
	ck_assert_uint_eq(n, 200000);
	ck_assert_uint_eq(strlen(big), sizeof(big) - 1);
	free(deep);
}
END_TEST

/* Random names built of the characters that steer both: bounded, never a crash. */
START_TEST(random_names)
{
	static const char *const parts[] = {
		"<", ">", "(", ")", "[", "]", "{", "}", "::", " ", ",", "*", "&", "a", "_Z",
		"_R", "N", "E", "I", "3foo", "operator", "operator<", "operator()", "lambda",
		"(anonymous namespace)", " const", " [clone .cold]", "#1", "->", "\"\"", "17h",
	};
	char name[256], buf[256];
	size_t i, k, n, len;
	char *d;

	srand(7);
	for (i = 0; i < 20000; i++) {
		len = 0;
		name[0] = 0;
		for (k = rand() % 24; k > 0; k--) {
			const char *p = parts[rand() % (sizeof(parts) / sizeof(parts[0]))];

			if (len + strlen(p) + 1 > sizeof(name))
				break;
			memcpy(name + len, p, strlen(p) + 1);
			len += strlen(p);
		}
		n = name_shorten(name, buf, sizeof(buf));
		ck_assert_uint_le(n, len);
		ck_assert_uint_eq(strlen(buf), n);
		ck_assert(n || !len);
		d = name_demangle(name);
		if (d)
			ck_assert_uint_gt(strlen(d), 0);
		free(d);
	}
}
END_TEST

START_TEST(cache_display)
{
	const char *raw_cxx = "_ZN6shapes3boxIiE5twiceEv", *raw_rust = "_RNvCs1234_9leak_rust8leaky_fn";
	const char *versioned = "xdr_uint32_t@GLIBC_2.2.5", *plain = "malloc";
	struct name_cache c;
	const char *a, *b;

	ck_assert_int_eq(name_cache__init(&c, 1 << 20), 0);
	a = name_cache__display(&c, raw_cxx);
	ck_assert_str_eq(a, "shapes::box<int>::twice()");
	/* Kept by the raw name's address: asked again, the same string. */
	b = name_cache__display(&c, raw_cxx);
	ck_assert_ptr_eq(a, b);
	ck_assert_str_eq(name_cache__display(&c, raw_rust), "leak_rust::leaky_fn");
	ck_assert_str_eq(name_cache__display(&c, versioned), "xdr_uint32_t");
	ck_assert_ptr_eq(name_cache__display(&c, plain), plain);
	/* Not demangled, but the version goes. */
	ck_assert_str_eq(name_cache__display(&c, "_Zgarbage@V1"), "_Zgarbage");
	ck_assert_uint_eq(c.dropped, 0);
	ck_assert_uint_gt(name_cache__memory(&c), 0);
	name_cache__destroy(&c);
}
END_TEST

START_TEST(cache_bounded)
{
	static const char *const raws[] = {
		"_ZN1a1bEv", "_ZN1a1cEv", "_ZN1a1dEv", "_ZN1a1eEv",
	};
	struct name_cache c;
	char *long_name;
	const char *kept;
	size_t i;

	/* Room for about two names: the rest are shown raw and counted. */
	ck_assert_int_eq(name_cache__init(&c, 16), 0);
	for (i = 0; i < 4; i++)
		name_cache__display(&c, raws[i]);
	ck_assert_str_eq(name_cache__display(&c, raws[0]), "a::b()");
	ck_assert_ptr_eq(name_cache__display(&c, raws[3]), raws[3]);
	ck_assert_uint_ge(c.dropped, 1);
	name_cache__destroy(&c);

	/* A name past NAME_SHOWN_MAX is cut and marked. */
	ck_assert_int_eq(name_cache__init(&c, 1 << 20), 0);
	long_name = malloc(NAME_SHOWN_MAX * 2);
	ck_assert_ptr_nonnull(long_name);
	memset(long_name, 'x', NAME_SHOWN_MAX * 2 - 1);
	long_name[NAME_SHOWN_MAX * 2 - 1] = 0;
	kept = name_cache__keep(&c, &c, long_name);
	ck_assert_ptr_nonnull(kept);
	ck_assert_uint_eq(strlen(kept), NAME_SHOWN_MAX);
	ck_assert_str_eq(kept + NAME_SHOWN_MAX - 3, "...");
	ck_assert_ptr_eq(name_cache__get(&c, &c), kept);
	name_cache__destroy(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("names");
	TCase *dm = tcase_create("demangle");
	TCase *sh = tcase_create("shorten");
	TCase *ca = tcase_create("cache");

	tcase_add_test(dm, demangles_cxx);
	tcase_add_test(dm, demangles_rust_legacy);
	tcase_add_test(dm, demangles_rust_v0);
	tcase_add_test(dm, garbage_is_left_alone);
	tcase_add_test(dm, very_long_input);
	tcase_add_test(sh, shortens_templates_and_parameters);
	tcase_add_test(sh, shortens_operators);
	tcase_add_test(sh, shortens_lambdas_and_namespaces);
	tcase_add_test(sh, shortens_function_pointers);
	tcase_add_test(sh, shorten_bounds);
	tcase_add_test(sh, random_names);
	tcase_add_test(ca, cache_display);
	tcase_add_test(ca, cache_bounded);
	suite_add_tcase(s, dm);
	suite_add_tcase(s, sh);
	suite_add_tcase(s, ca);
	return run_suite(s);
}
