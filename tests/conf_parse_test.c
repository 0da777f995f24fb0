/* SPDX-License-Identifier: ISC */
/*
 * conf_parse_test: the value parsers that conf_test reaches only through
 * the keys that use them: lists, yes-or-no, octal modes, and the kinds
 * of problem the number, duration and size parsers tell apart. (The
 * reasons of conf_parse_uint, _duration and _size are in conf_test.)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf_parse.h"

/* Commas and blanks separate; an empty item is an error, a blank not. */
static void
test_list(void **state)
{
	static const struct {
		const char	*s;
		const char	*want[4];	/* NULL-terminated */
		const char	*why;
	} cases[] = {
		{ "a", { "a" }, NULL },
		{ "a,b c", { "a", "b", "c" }, NULL },
		{ "  a ,\tb  ", { "a", "b" }, NULL },
		{ "a\nb", { "a", "b" }, NULL },
		{ "", { NULL }, NULL },
		{ "   ", { NULL }, NULL },
		{ ",a", { NULL }, "empty item in the list" },
		{ "a,", { NULL }, "empty item in the list" },
		{ "a,,b", { NULL }, "empty item in the list" },
		{ "a, ,b", { NULL }, "empty item in the list" },
	};
	struct strv	 items = STRV_INIT;
	const char	*why;
	size_t		 i, j;

	for (i = 0; i < nitems(cases); i++) {
		why = NULL;
		if (cases[i].why != NULL) {
			assert_int_equal(conf_parse_list(cases[i].s, &items,
			    &why), -1);
			assert_string_equal(why, cases[i].why);
			strv_free(&items);
			continue;
		}
		if (conf_parse_list(cases[i].s, &items, &why) != 0)
			fail_msg("'%s': %s", cases[i].s, why);
		for (j = 0; cases[i].want[j] != NULL; j++) {
			assert_true(j < items.n);
			assert_string_equal(items.v[j], cases[i].want[j]);
		}
		assert_int_equal(items.n, j);
		strv_free(&items);
	}
}

/* systemd's spellings, in any case; anything else leaves the value. */
static void
test_bool(void **state)
{
	static const char *const yes[] = { "yes", "TRUE", "On", "1" };
	static const char *const no[] = { "no", "False", "OFF", "0" };
	static const char *const bad[] = { "", "y", "2", " yes", "yes ",
	    "enable" };
	bool	b;
	size_t	i;

	for (i = 0; i < nitems(yes); i++) {
		b = false;
		assert_int_equal(conf_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < nitems(no); i++) {
		b = true;
		assert_int_equal(conf_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < nitems(bad); i++) {
		b = true;
		assert_int_equal(conf_parse_bool(bad[i], &b), -1);
		assert_true(b);
	}
}

/* Octal digits up to max, leading zeros allowed, nothing else. */
static void
test_mode(void **state)
{
	unsigned	m = 1;

	assert_int_equal(conf_parse_mode("0", 0777, &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(conf_parse_mode("022", 0777, &m), 0);
	assert_int_equal(m, 022);
	assert_int_equal(conf_parse_mode("0000777", 0777, &m), 0);
	assert_int_equal(m, 0777);
	m = 5;
	assert_int_equal(conf_parse_mode("1000", 0777, &m), -1);
	assert_int_equal(conf_parse_mode("8", 0777, &m), -1);
	assert_int_equal(conf_parse_mode("", 0777, &m), -1);
	assert_int_equal(conf_parse_mode("-1", 0777, &m), -1);
	assert_int_equal(conf_parse_mode("0x1", 0777, &m), -1);
	assert_int_equal(conf_parse_mode("77777777777777777777", 0777, &m),
	    -1);
	assert_int_equal(m, 5);
}

/* The kinds of problem, which the setters turn into their messages. */
static void
test_kinds(void **state)
{
	uint64_t	v = 7;

	assert_int_equal(conf_parse_number("5", 1, 9, &v), CONF_PE_OK);
	assert_int_equal(v, 5);
	assert_int_equal(conf_parse_number("-5", 1, 9, &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_number("10", 1, 9, &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_number("99999999999999999999", 0,
	    UINT64_MAX, &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_number("+5", 1, 9, &v), CONF_PE_SYNTAX);
	assert_int_equal(conf_parse_number("5x", 1, 9, &v), CONF_PE_SYNTAX);
	assert_int_equal(v, 5);
	assert_int_equal(conf_parse_ms("1.5s", &v), CONF_PE_OK);
	assert_int_equal(v, 1500);
	assert_int_equal(conf_parse_ms("0.0005s", &v), CONF_PE_FRACTION);
	assert_int_equal(conf_parse_ms("8761h", &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_ms("-1s", &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_ms("1d", &v), CONF_PE_SYNTAX);
	assert_int_equal(conf_parse_bytes("2KiB", &v), CONF_PE_OK);
	assert_int_equal(v, 2048);
	assert_int_equal(conf_parse_bytes("-1M", &v), CONF_PE_RANGE);
	assert_int_equal(conf_parse_bytes("16777216T", &v),
	    CONF_PE_OVERFLOW);
	assert_int_equal(conf_parse_bytes("1P", &v), CONF_PE_SYNTAX);
	assert_int_equal(v, 2048);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
