/* SPDX-License-Identifier: ISC */
/*
 * advise_itest: the pool advisor and autoscale with the real daemon
 * under real load on loopback, against pools whose truth is known by
 * construction: an I/O-bound pool too small for its clients (requests
 * that wait, not compute), an oversized idle pool, a CPU-bound pool on
 * more load than the CPUs carry, and a pool on a unix socket, whose
 * queue no one can read; each at two sizes and rates, so that the rules
 * are not tuned to one point. Then autoscale grows a pool under load,
 * holds it without flapping, starts again from the configured size at
 * HUP, and shrinks the pool when the load stops; and with autoscale off,
 * an idle master makes no wake-up.
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "testlib.h"
#include "util.h"

#define WAIT_MS		20000
/* How long autoscale may take to reach a size, on a slow machine. */
#define GROW_MS		120000
#define TIMEOUTS	"graceful_timeout = 1s\nrestart_delay = 50ms\n" \
	"min_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/*
 * Starts n test workers serving 127.0.0.1:port (or the unix socket at
 * unix_path) with args (NULL-terminated), with a control socket.
 */
static struct it_pool *
start_served(unsigned n, const char *extra, const char *const args[],
    const char *unix_path)
{
	const char	*argv[8] = { t_testworker(), "--serve" };
	size_t		 i;

	for (i = 0; args != NULL && args[i] != NULL; i++) {
		assert_true(i + 3 < nitems(argv));
		argv[i + 2] = args[i];
	}
	return it_start_pool(&(const struct it_pool_opts){ .workers = n,
	    .timeouts = TIMEOUTS, .extra = extra, .argv = argv,
	    .conf_name = "advise.ini", .control = true,
	    .tcp = unix_path == NULL, .unix_listen = unix_path });
}

/* preforkctl advise --window 3s --json: its JSON, which the caller frees. */
static char *
advise_json(const char *sock)
{
	struct t_run	r;
	char		*out;

	it_ctl_within(&r, sock, IT_CTL_MS + 3000, (const char *const[]){
	    "advise", "--window", "3s", "--json", NULL });
	if (r.status != 0)
		fail_msg("preforkctl advise: exit %d: %s", r.status, r.err);
	print_message("advise: %s", r.out);
	out = strdup(r.out);
	assert_non_null(out);
	t_run_free(&r);
	return out;
}

/* A number member of the JSON text, -1 when it is null or missing. */
static double
member(const char *json, const char *name)
{
	char		 key[64];
	const char	*p;

	xsnprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(json, key)) == NULL ||
	    strncmp(p + strlen(key), "null", 4) == 0)
		return -1;
	return strtod(p + strlen(key), NULL);
}

static void
assert_verdict(const char *json, const char *verdict)
{
	char	want[64];

	xsnprintf(want, sizeof(want), "\"verdict\":\"%s\"", verdict);
	if (strstr(json, want) == NULL)
		fail_msg("not %s: %s", verdict, json);
}

/*
 * The pools of known truth, one harness: workers (per CPU with per_cpu,
 * on at most 16 CPUs) serving with the test worker's args, a closed
 * (rate 0) or paced load of clients (per worker with per_cpu), the
 * verdict, and the range the suggestion must fall in: for too-few, the
 * workers plus about the mean queue, the clients give or take; for
 * too-many, no more than the clients need; for cpu-bound, no change.
 */
struct verdict_case {
	const char	*name;
	unsigned	 workers;
	bool		 per_cpu;
	const char	*arg, *ms;
	unsigned	 clients;
	double		 rate;
	const char	*verdict;
};

static const struct verdict_case	verdict_cases[] = {
	/* I/O-bound and too small: requests that wait, not compute. */
	{ "test_io_bound_too_few", 2, false, "--serve-delay", "50", 8, 0,
	    "too-few" },
	{ "test_io_bound_too_few_larger", 4, false, "--serve-delay", "30", 14,
	    0, "too-few" },
	/* Oversized and idle, or nearly. */
	{ "test_idle_too_many", 8, false, "--serve-delay", "10", 0, 0,
	    "too-many" },
	{ "test_light_load_too_many", 12, false, "--serve-delay", "10", 2, 5,
	    "too-many" },
	/* More clients than the CPUs carry, each request burning CPU. */
	{ "test_cpu_bound", 2, true, "--serve-spin", "20", 3, 0,
	    "cpu-bound" },
	{ "test_cpu_bound_more", 3, true, "--serve-spin", "8", 3, 0,
	    "cpu-bound" },
};

static void
assert_suggested(const struct verdict_case *c, unsigned workers,
    unsigned clients, double s)
{
	double	lo = 1, hi = clients + 2;

	if (strcmp(c->verdict, "too-few") == 0)
		lo = workers + (clients - workers) / 2;
	else if (strcmp(c->verdict, "cpu-bound") == 0)
		lo = hi = workers;
	if (s < lo || s > hi)
		fail_msg("%s: suggested %.0f for %u clients on %u workers, not "
		    "%.0f to %.0f", c->name, s, clients, workers, lo, hi);
}

/* Path: advisor_tick -> advise() on a pool of known truth under load. */
static void
test_verdict(void **state)
{
	const struct verdict_case	*c = *state;
	struct it_load_result		 res = { 0 };
	struct it_load			*l = NULL;
	struct it_pool			*p;
	long				 cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned			 n = c->workers, clients = c->clients;
	char				*json;

	if (c->per_cpu) {
		if (cpus < 1 || cpus > 16)
			skip();
		n *= (unsigned)cpus;
		clients *= n;
	}
	p = start_served(n, "", (const char *const[]){ c->arg, c->ms, NULL },
	    NULL);
	if (clients > 0)
		l = it_load_start(p->port, clients, c->rate, 60);
	json = advise_json(p->sock);
	if (l != NULL)
		it_load_stop(l, &res);
	assert_verdict(json, c->verdict);
	assert_suggested(c, n, clients, member(json, "suggested_workers"));
	assert_true(member(json, "workers") == n);
	if (strcmp(c->verdict, "too-few") == 0)
		assert_true(member(json, "cpu") < 0.8);
	/* A request may outlast the load's 10 s behind a CPU-bound queue. */
	if (strcmp(c->verdict, "cpu-bound") != 0)
		assert_int_equal(res.failed, 0);
	free(json);
}

/* A unix socket has no TCP_INFO: the queue is unknown, and said so. */
static void
test_unix_listener(void **state)
{
	struct it_pool	*p;
	char		 path[PATH_MAX], *json;

	xsnprintf(path, sizeof(path), "%s/app.sock", t_tmpdir());
	p = start_served(3, "", NULL, path);
	json = advise_json(p->sock);
	assert_non_null(strstr(json, "\"queue\":null"));
	assert_non_null(strstr(json, "queue: unknown"));
	assert_verdict(json, "right-sized");
	free(json);
}

/* The pool's target size, from preforkctl status --json. */
static unsigned
target(const char *sock)
{
	struct t_run	r;
	double		v;

	it_ctl(&r, sock, (const char *const[]){ "status", "--json", NULL });
	assert_int_equal(r.status, 0);
	v = member(r.out, "target");
	assert_true(v >= 1);
	assert_non_null(strstr(r.out, "\"adaptive\":true"));
	t_run_free(&r);
	return (unsigned)v;
}

struct size_at_least {
	const char	*sock;
	unsigned	 n;
	bool		 down;	/* at most n instead */
};

static bool
size_reached(void *arg)
{
	struct size_at_least	*s = arg;
	unsigned		 t = target(s->sock);

	return s->down ? t <= s->n : t >= s->n;
}

/* The smallest and largest targets seen, for a while. */
struct seen {
	const char	*sock;
	unsigned	 low, high;
};

static bool
watch(void *arg)
{
	struct seen	*s = arg;
	unsigned	 t = target(s->sock);

	s->low = t < s->low ? t : s->low;
	s->high = t > s->high ? t : s->high;
	return false;
}

/*
 * Autoscale, every second: 10 clients waiting 50 ms each grow a pool of
 * 2 to about 10; it holds without a step down while the load lasts;
 * when the load stops it shrinks back to min_workers.
 */
static void
test_autoscale(void **state)
{
	struct it_load_result	 res;
	struct it_load		*l;
	struct size_at_least	 want;
	struct it_pool		*p;
	struct seen		 seen;
	unsigned		 low, high, t;

	p = start_served(2, "autoscale = on\nautoscale_interval = 1s\n"
	    "autoscale_max = 16\nmin_workers = 2\n",
	    (const char *const[]){ "--serve-delay", "50", NULL }, NULL);
	l = it_load_start(p->port, 10, 0, 120);
	want = (struct size_at_least){ p->sock, 10, false };
	if (!t_wait_until(size_reached, &want, GROW_MS)) {
		dump_log(p->d);
		fail_msg("autoscale did not grow the pool to 10");
	}
	wait_log(p->d, "autoscale (too-few");
	/* Eight seconds of the same load: no step down, no runaway. */
	seen = (struct seen){ p->sock, UINT_MAX, 0 };
	(void)t_wait_until(watch, &seen, 8000);
	low = seen.low;
	high = seen.high;
	it_load_stop(l, &res);
	print_message("under load: %u to %u workers; %ju ok, %ju failed, "
	    "p50 %.1f ms\n", low, high, (uintmax_t)res.ok,
	    (uintmax_t)res.failed, res.p50_ms);
	assert_true(low >= 10);
	assert_true(high <= 12);
	assert_int_equal(res.failed, 0);
	assert_false(log_has(p->d, "autoscale (too-many"));
	/* HUP: back to the configured size, then autoscale grows again. */
	l = it_load_start(p->port, 10, 0, 120);
	t = target(p->sock);
	assert_int_equal(kill(p->d->pid, SIGHUP), 0);
	wait_logf(p->d, "SIGHUP: %u -> 2 workers", t);
	want = (struct size_at_least){ p->sock, 10, false };
	if (!t_wait_until(size_reached, &want, GROW_MS)) {
		dump_log(p->d);
		fail_msg("autoscale did not grow the pool again after HUP");
	}
	it_load_stop(l, &res);
	assert_int_equal(res.failed, 0);
	want = (struct size_at_least){ p->sock, 2, true };
	if (!t_wait_until(size_reached, &want, GROW_MS)) {
		dump_log(p->d);
		fail_msg("autoscale did not shrink the pool to 2");
	}
	wait_log(p->d, "autoscale (too-many");
}

/*
 * autoscale_max below the configured size: the pool starts at the
 * bound, and HUP brings it back there, not to the sizing's 5.
 */
static void
test_autoscale_bounds(void **state)
{
	struct it_pool	*p;

	p = it_start_pool(&(const struct it_pool_opts){ .workers = 5,
	    .expect = 3, .timeouts = TIMEOUTS, .extra = "autoscale = on\n"
	    "autoscale_max = 3\n", .conf_name = "bounds.ini" });
	wait_log(p->d, "starting 3 workers");
	assert_int_equal(kill(p->d->pid, SIGHUP), 0);
	/* The reload decides the size again, and logs it a second time. */
	wait_log_count(p->d, "sizing: ", 2);
	pool(p->d, p->d->pid, 3, p->pids);
	assert_false(log_has(p->d, "SIGHUP: 3 -> 5 workers"));
}

/*
 * With autoscale off, nothing samples unless asked: the master sleeps
 * before an advise and again once it is answered.
 */
static void
test_idle_without_autoscale(void **state)
{
	struct it_pool	*p;
	char		*json;

	p = start_served(3, "", NULL, NULL);
	assert_master_idle(p->d, p->pids, 3, 200, "autoscale off");
	json = advise_json(p->sock);
	free(json);
	assert_master_idle(p->d, p->pids, 3, 0, "after an advise");
}

int
main(void)
{
	const struct CMUnitTest	others[] = {
		cmocka_unit_test_teardown(test_unix_listener, teardown),
		cmocka_unit_test_teardown(test_autoscale, teardown),
		cmocka_unit_test_teardown(test_autoscale_bounds, teardown),
		cmocka_unit_test_teardown(test_idle_without_autoscale,
		    teardown),
	};
	struct CMUnitTest	tests[nitems(verdict_cases) + nitems(others)];
	size_t			i;

	for (i = 0; i < nitems(verdict_cases); i++)
		tests[i] = (struct CMUnitTest){ verdict_cases[i].name,
		    test_verdict, NULL, teardown,
		    (void *)(uintptr_t)&verdict_cases[i] };
	for (i = 0; i < nitems(others); i++)
		tests[nitems(verdict_cases) + i] = others[i];
	it_init(WAIT_MS, "ADVISE_ITEST", true);
	return _cmocka_run_group_tests("advise_itest", tests, nitems(tests),
	    NULL, NULL);
}
