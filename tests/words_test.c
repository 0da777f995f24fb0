/* SPDX-License-Identifier: ISC */
/*
 * words_test: shell words. The splitting's quotes and errors are tested
 * in conf_test, through the command key that uses them; here, the way
 * back: words_join() quotes only what needs it, and whatever it writes,
 * words_split() reads back as the same words.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "words.h"

/* Plain words stay plain; the rest goes in single quotes. */
static void
test_join_quotes(void **state)
{
	static const struct {
		const char	*argv[4];	/* NULL-terminated */
		const char	*want;
	} cases[] = {
		{ { "/usr/bin/python3", "-m", "app" },
		    "/usr/bin/python3 -m app" },
		{ { "a=b", "x@y:z,1+2%3" }, "a=b x@y:z,1+2%3" },
		{ { "a b" }, "'a b'" },
		{ { "" }, "''" },
		{ { "it's" }, "'it'\\''s'" },
		{ { "$HOME", "*", "~" }, "'$HOME' '*' '~'" },
		{ { "a\nb" }, "'a\nb'" },
		{ { NULL }, "" },
	};
	size_t	 i, n;
	char	*line;

	for (i = 0; i < nitems(cases); i++) {
		for (n = 0; cases[i].argv[n] != NULL; n++)
			continue;
		line = words_join((char *const *)cases[i].argv, n);
		assert_non_null(line);
		assert_string_equal(line, cases[i].want);
		free(line);
	}
}

/* What words_join() writes, words_split() reads back word for word. */
static void
test_join_splits_back(void **state)
{
	static const char *const argv[] = {
		"prog", "", "'", "''", "\"", "\\", "a b\tc\nd", "$x `y`",
		"it's \"quoted\"", "\\\n", "-",
	};
	struct strv	 words = STRV_INIT;
	const char	*why = NULL;
	char		*line;
	size_t		 i;

	line = words_join((char *const *)argv, nitems(argv));
	assert_non_null(line);
	if (words_split(line, &words, &why) != 0)
		fail_msg("'%s': %s", line, why);
	assert_int_equal(words.n, nitems(argv));
	for (i = 0; i < nitems(argv); i++)
		assert_string_equal(words.v[i], argv[i]);
	strv_free(&words);
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_quotes),
		cmocka_unit_test(test_join_splits_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
