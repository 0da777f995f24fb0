/* SPDX-License-Identifier: ISC */
/*
 * util_test: the small helpers every module shares: the escaping of text
 * that workers send before it is logged, and the rate limit on it.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
assert_escapes(const char *in, size_t len, const char *want)
{
	char	buf[128];

	assert_true(len <= sizeof(buf));
	assert_ptr_equal(util_escape(in, buf, len), buf);
	assert_string_equal(buf, want);
	assert_true(strlen(buf) < len);
}

/* What a terminal or the journal would act on is written out instead. */
static void
test_escape_controls(void **state)
{
	assert_escapes("serving 3 clients", 64, "serving 3 clients");
	assert_escapes("", 64, "");
	assert_escapes("a\rb", 64, "a\\rb");
	assert_escapes("a\nb\tc", 64, "a\\nb\\tc");
	assert_escapes("\x1b[2J\x1b[31mred\a", 64, "\\x1b[2J\\x1b[31mred\\a");
	assert_escapes("back\\slash", 64, "back\\\\slash");
	assert_escapes("del\x7f", 64, "del\\x7f");
	assert_escapes("\x01\x1f\b", 64, "\\x01\\x1f\\b");
}

/* UTF-8 text stands; broken sequences and C1 controls do not. */
static void
test_escape_utf8(void **state)
{
	/* é, €, U+1F600: two, three and four bytes. */
	assert_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 64,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* U+009B, a C1 CSI: some terminals take it as ESC [. */
	assert_escapes("\xc2\x9b" "31m", 64, "\\xc2\\x9b31m");
	/* A lone continuation byte, a cut sequence, bytes never valid. */
	assert_escapes("\x80", 64, "\\x80");
	assert_escapes("\xe2\x82", 64, "\\xe2\\x82");
	assert_escapes("\xff\xfe", 64, "\\xff\\xfe");
	/* Overlong "/" and a UTF-16 surrogate half. */
	assert_escapes("\xc0\xaf", 64, "\\xc0\\xaf");
	assert_escapes("\xed\xa0\x80", 64, "\\xed\\xa0\\x80");
	/* Past U+10FFFF. */
	assert_escapes("\xf4\x90\x80\x80", 64, "\\xf4\\x90\\x80\\x80");
}

/* Cut at a whole character or escape, with "...", never past len. */
static void
test_escape_cut(void **state)
{
	/* Fits exactly: no "...". */
	assert_escapes("abcdefg", 8, "abcdefg");
	assert_escapes("abcdefgh", 8, "abcd...");
	assert_escapes("ab\rcdefgh", 8, "ab\\r...");
	assert_escapes("abc\rdefgh", 8, "abc...");
	assert_escapes("a\xc3\xa9" "bcdefgh", 8, "a\xc3\xa9" "b...");
	assert_escapes("ab\xe2\x82\xac" "cdef", 8, "ab...");
	assert_escapes("xxxxx", 4, "...");
	assert_escapes("xxx", 4, "xxx");
}

/* At most burst in a window; the held-back count comes with the next. */
static void
test_ratelimit(void **state)
{
	struct ratelimit	rl = { 0 };
	unsigned		held = 99, i;

	for (i = 0; i < 3; i++) {
		assert_true(ratelimit_pass(&rl, 100.0 + i * 0.1, 10.0, 3,
		    &held));
		assert_int_equal(held, 0);
	}
	for (i = 0; i < 5; i++)
		assert_false(ratelimit_pass(&rl, 101.0, 10.0, 3, &held));
	assert_false(ratelimit_pass(&rl, 109.9, 10.0, 3, &held));
	/* A new window: the six held back are told. */
	assert_true(ratelimit_pass(&rl, 110.0, 10.0, 3, &held));
	assert_int_equal(held, 6);
	assert_true(ratelimit_pass(&rl, 110.1, 10.0, 3, &held));
	assert_int_equal(held, 0);
	/* A clock that went back starts a window too. */
	assert_true(ratelimit_pass(&rl, 50.0, 10.0, 3, &held));
	assert_int_equal(rl.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_escape_cut),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
