/* SPDX-License-Identifier: ISC */
/*
 * status_test: the status writer (status.c): the exact text and JSON of
 * a snapshot that has every kind of row (ready, starting, a replacement,
 * stopping, backoff without a pid, a worker not sampled, one without
 * PSS), a scaled pool
 * and a reload not complete, against tests/fixtures/status/; strings
 * that JSON must escape; durations.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"
#include "testlib.h"
#include "util.h"

static const struct status_worker	rows[] = {
	{ 0, 4101, "ready", 2, 7384.2, 0, NULL, 0, true, 25165824,
	    13107200, 12.5, false },
	{ 1, 4102, "ready", 2, 61.9, 3, "exited on signal 9", 62.0, true,
	    1610612736, 536870912, 100.0, false },
	{ 1, 4180, "starting", 3, 0.4, 3, "exited on signal 9", 62.0, true,
	    524288, 102400, 0.0, true },
	{ 2, 0, "backoff", 3, -1, 5, "exited with code 1", 0.2, false, 0, 0,
	    0, false },
	{ 3, 3999, "stopping", 1, 90061, 0, NULL, 0, false, 0, 0, 0, false },
};

static const struct status_snapshot	snap = {
	.version = "1.2.3",
	.pid = 4100,
	.uptime = 90061.5,
	.size = 3,
	.sized = 4,
	.ready = 2,
	.min_workers = 2,
	.sizing = "4 CPUs (cgroup), 8.0 GiB; profile default",
	.note = "reload not complete (worker 2: failed to start), older "
	    "workers serve",
	.reloads = 4,
	.reload_failures = 1,
	.generation = 3,
	.recycled = { 2, 1, 0 },
	.workers = rows,
	.nworkers = 5,
};

static void
check_fixture(const char *got, size_t len, const char *name)
{
	char	*want = util_read_file(t_fixture(name), 1 << 20);

	assert_non_null(want);
	if (strlen(got) != len || strcmp(got, want) != 0) {
		fprintf(stderr, "got:\n%s\nwant (%s):\n%s\n", got, name, want);
		fail_msg("the status differs from the fixture %s", name);
	}
	free(want);
}

static void
test_text(void **state)
{
	size_t	len;
	char	*text = status_text(&snap, &len);

	assert_non_null(text);
	check_fixture(text, len, "status/status.txt");
	free(text);
}

static void
test_json(void **state)
{
	size_t	len;
	char	*text = status_json(&snap, &len);

	assert_non_null(text);
	check_fixture(text, len, "status/status.json");
	free(text);
}

/* A pool at its sized target, healthy, with no note and no rows. */
static void
test_plain(void **state)
{
	struct status_snapshot	s = snap;
	size_t			len;
	char			*text;

	s.size = s.sized = 4;
	s.ready = 4;
	s.note = "";
	s.nworkers = 0;
	text = status_text(&s, &len);
	assert_non_null(strstr(text, "pool: 4/4 workers ready (min_workers "
	    "2)\ntarget: 4 workers\n"));
	free(text);
	text = status_json(&s, &len);
	assert_non_null(strstr(text, "\"healthy\":true,"));
	assert_non_null(strstr(text, "\"workers\":[]}\n"));
	free(text);
}

/* An adaptive size: said on the target line, and in the JSON. */
static void
test_adaptive(void **state)
{
	struct status_snapshot	s = snap;
	size_t			len;
	char			*text;

	s.size = 7;
	s.sized = 4;
	s.nworkers = 0;
	s.adaptive = "adaptive, 2 to 9 workers, every 30 s; last too-few: "
	    "5 -> 7 workers (suggested 9), 12 s ago";
	text = status_text(&s, &len);
	assert_non_null(strstr(text, "target: 7 workers (sizing says 4), "
	    "adaptive, 2 to 9 workers, every 30 s; last too-few: 5 -> 7 "
	    "workers (suggested 9), 12 s ago\n"));
	assert_null(strstr(text, "scaled"));
	free(text);
	text = status_json(&s, &len);
	assert_non_null(strstr(text, "\"adaptive\":true,\"autoscale\":"
	    "\"adaptive, 2 to 9 workers"));
	free(text);
}

/* What JSON must escape, escaped; nothing else touched. */
static void
test_json_escapes(void **state)
{
	struct status_snapshot	s = snap;
	size_t			len;
	char			*text;

	s.sizing = "a\"b\\c\nd\te\001f\177g h/i";
	s.nworkers = 0;
	text = status_json(&s, &len);
	assert_non_null(strstr(text, "\"sizing\":\"a\\\"b\\\\c\\u000ad\\u0009e"
	    "\\u0001f\\u007fg h/i\","));
	free(text);
}

static void
test_durations(void **state)
{
	char	buf[32];

	assert_string_equal(status_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(status_duration(-5, buf, sizeof(buf)), "0s");
	assert_string_equal(status_duration(59.9, buf, sizeof(buf)), "59s");
	assert_string_equal(status_duration(60, buf, sizeof(buf)), "1m00s");
	assert_string_equal(status_duration(3599, buf, sizeof(buf)),
	    "59m59s");
	assert_string_equal(status_duration(3600, buf, sizeof(buf)),
	    "1h00m");
	assert_string_equal(status_duration(86399, buf, sizeof(buf)),
	    "23h59m");
	assert_string_equal(status_duration(90061, buf, sizeof(buf)),
	    "1d01h");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_adaptive),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
