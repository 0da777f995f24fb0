/* SPDX-License-Identifier: ISC */
/*
 * metrics_test: the exposition of a fixed snapshot, byte for byte
 * (tests/fixtures/metrics/snapshot.prom), label values that need escaping,
 * and promtool's verdict on both (skipped, saying why, without promtool).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "testlib.h"
#include "util.h"

static const struct metrics_worker	workers[] = {
	{ 0, 12.5, 52428800, 20971520 },
	{ 1, 0.03, 50331648, 19922944 },
	{ 3, 1234.56, 1048576, 524288 },
};

static const struct metrics_listener	listeners[] = {
	{ "127.0.0.1:8000", 3, 2048 },
	{ "[::1]:8000", 0, 128 },
};

/* A pool of 4 with slot 2 backing off, after a reload and a crash. */
static void
fixed(struct metrics_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->version = "1.2.3";
	s->desired = 4;
	s->states[METRICS_STARTING] = 0;
	s->states[METRICS_READY] = 3;
	s->states[METRICS_STOPPING] = 1;
	s->states[METRICS_BACKOFF] = 1;
	s->exits[METRICS_EXIT_EXIT] = 2;
	s->exits[METRICS_EXIT_SIGNAL] = 7;
	s->exits[METRICS_EXIT_RESTART] = 4;
	s->reloads[METRICS_RELOAD_SUCCESS] = 1;
	s->reloads[METRICS_RELOAD_FAILURE] = 1;
	s->autoscale = true;
	s->autoscale_changes[0] = 3;
	s->autoscale_changes[1] = 1;
	s->workers = workers;
	s->nworkers = nitems(workers);
	s->listeners = listeners;
	s->nlisteners = nitems(listeners);
	s->sizing_cpus = 2;
	s->sizing_memory = UINT64_C(17179869184);
	s->has_process = true;
	s->process = (struct metrics_process){ 0.25, 4194304, 9,
	    1700000000.5 };
}

/* promtool check metrics on text, or a skip saying why. */
static void
promtool_accepts(const char *name, const char *text)
{
	struct t_run		 r;
	const char		*path;
	const char *const	 check[] = { "sh", "-c",
	    "command -v promtool >/dev/null", NULL };
	char			 cmd[4200];

	t_run(&r, NULL, check, 60000);
	if (r.status != 0) {
		t_run_free(&r);
		print_message("skipped: promtool is not installed (Debian: "
		    "apt-get install prometheus)\n");
		skip();
	}
	t_run_free(&r);
	path = t_write_file(name, text);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s'", path);
	{
		const char *const	argv[] = { "sh", "-c", cmd, NULL };

		t_run(&r, NULL, argv, 60000);
	}
	if (r.status != 0)
		fail_msg("promtool check metrics: exit %d: %s%s", r.status,
		    r.out, r.err);
	print_message("promtool check metrics: exit 0%s%s\n", r.out, r.err);
	t_run_free(&r);
}

static void
test_exact(void **state)
{
	struct metrics_snapshot	 s;
	char			*text, *want;
	size_t			 len;

	fixed(&s);
	assert_non_null(text = metrics_format(&s, &len));
	assert_int_equal(strlen(text), len);
	want = util_read_file(t_fixture("metrics/snapshot.prom"), 1 << 20);
	assert_non_null(want);
	if (strcmp(text, want) != 0) {
		fprintf(stderr, "--- got:\n%s--- want:\n%s", text, want);
		fail_msg("the exposition differs from the fixture");
	}
	free(want);
	free(text);
}

static void
test_promtool(void **state)
{
	struct metrics_snapshot	 s;
	char			*text;
	size_t			 len;

	fixed(&s);
	assert_non_null(text = metrics_format(&s, &len));
	promtool_accepts("fixed.prom", text);
	free(text);
}

/* Label values from outside: backslash, quote and newline escaped. */
static void
test_escaped(void **state)
{
	static const struct metrics_listener	odd[] = {
		{ "a\"b\\c\nd", 1, 2 },
	};
	struct metrics_snapshot	 s;
	char			*text;
	size_t			 len;

	memset(&s, 0, sizeof(s));
	s.version = "v\"1\\\n";
	s.listeners = odd;
	s.nlisteners = 1;
	assert_non_null(text = metrics_format(&s, &len));
	assert_non_null(strstr(text,
	    "prefork_build_info{version=\"v\\\"1\\\\\\n\"} 1\n"));
	assert_non_null(strstr(text,
	    "prefork_listen_queue_length{listen=\"a\\\"b\\\\c\\nd\"} 1\n"));
	assert_non_null(strstr(text,
	    "prefork_listen_queue_limit{listen=\"a\\\"b\\\\c\\nd\"} 2\n"));
	/* Unknown memory and no process sample are left out. */
	assert_null(strstr(text, "prefork_sizing_memory_bytes 0"));
	assert_null(strstr(text, "process_cpu_seconds_total "));
	promtool_accepts("escaped.prom", text);
	free(text);
}

/* Every reason prefork(8) lists is there, at 0, before anything happened. */
static void
test_every_reason(void **state)
{
	static const char	*const reasons[] = { "exit", "signal",
	    "timeout", "oom", "recycle_memory", "recycle_lifetime",
	    "recycle_manual", "shrink", "restart", "shutdown" };
	struct metrics_snapshot	 s;
	char			*text, line[128];
	size_t			 len, i;

	memset(&s, 0, sizeof(s));
	assert_non_null(text = metrics_format(&s, &len));
	for (i = 0; i < nitems(reasons); i++) {
		snprintf(line, sizeof(line),
		    "prefork_worker_exits_total{reason=\"%s\"} 0\n",
		    reasons[i]);
		assert_non_null(strstr(text, line));
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_every_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
