// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Symbols for test_elfobj.c: functions of exact sizes with a gap between them
 * (assembly), a static function behind a global alias, a global behind a weak
 * alias, a plain weak function.  Nothing here runs.
 */

int public_alias(int x);
int __under_global(int x);
int under_weak(int x);
int weak_fn(int x);
int sized_global(void);

/* 64 bytes, 48 bytes of no function, then a local function of 32 bytes. */
__asm__(".text\n"
	".balign 64\n"
	".globl sized_global\n"
	".type sized_global, @function\n"
	"sized_global:\n"
	".fill 63, 1, 0x90\n"
	"ret\n"
	".size sized_global, 64\n"
	".fill 48, 1, 0xcc\n"
	".type sized_local, @function\n"
	"sized_local:\n"
	".fill 31, 1, 0x90\n"
	"ret\n"
	".size sized_local, 32\n"
	".fill 16, 1, 0xcc\n");

static volatile int sink;

__attribute__((noinline, used)) static int impl_static(int x)
{
	return x * 5 + sink;
}

/* A global name for a static function: the global one reads better. */
int public_alias(int x) __attribute__((alias("impl_static")));

__attribute__((noinline)) int __under_global(int x)
{
	return x * 7 + sink;
}

/* Weak but without the underscore: preferred to the global "__" name. */
int under_weak(int x) __attribute__((weak, alias("__under_global")));

__attribute__((noinline, weak)) int weak_fn(int x)
{
	return x - sink;
}

int main(void)
{
	return public_alias(1) + under_weak(2) + weak_fn(3) + sized_global();
}
