/* SPDX-License-Identifier: ISC */
/*
 * load_itest: the integration tests' load generator (itest.h,
 * it_load_start()) against the real daemon and the test worker's
 * --serve on a loopback port: an I/O-bound request (--serve-delay) is
 * seen in the latencies, a CPU-bound one (--serve-spin) in the workers'
 * CPU time, pacing holds a client to its rate, max_seconds stops a load
 * by itself, and the teardown stops a load a test left running.
 */
#include "config.h"

#include <sys/types.h>

#include <limits.h>
#include <setjmp.h>
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
#define TIMEOUTS	"graceful_timeout = 2s\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/*
 * A pool of n test workers serving 127.0.0.1:port with the options
 * given (NULL-terminated), each waited for until ready: it says so from
 * its serving loop (READY=1), so that what it does next is serving.
 */
static struct it_pool *
start_serving(unsigned n, const char *const opts[])
{
	const char	*argv[8] = { t_testworker(), "--serve",
			    "--notify-ready", "0" };
	size_t		 i;

	for (i = 0; opts != NULL && opts[i] != NULL; i++) {
		assert_true(i + 5 < nitems(argv));
		argv[i + 4] = opts[i];
	}
	return it_start_pool(&(const struct it_pool_opts){ .workers = n,
	    .timeouts = TIMEOUTS, .extra = "ready = notify\n", .argv = argv,
	    .conf_name = "load.ini", .tcp = true, .wait_ready = true });
}

static void
print_result(const char *what, const struct it_load_result *r)
{
	print_message("%s: %ju ok, %ju failed in %.2f s; p50 %.1f ms, "
	    "p99 %.1f ms, max %.1f ms\n", what, (uintmax_t)r->ok,
	    (uintmax_t)r->failed, r->seconds, r->p50_ms, r->p99_ms,
	    r->max_ms);
}

/* The CPU time of the n workers together, in ms. */
static long long
cpu_ms(const pid_t *pids, unsigned n)
{
	long long	sum = 0, ms;
	unsigned	i;

	for (i = 0; i < n; i++) {
		if ((ms = t_proc_cpu_ms(pids[i])) < 0)
			fail_msg("no CPU time for worker %u (pid %ld)", i,
			    (long)pids[i]);
		sum += ms;
	}
	return sum;
}

static bool
single_threaded(void *arg)
{
	(void)arg;
	return t_dir_entries("/proc/self/task") == 1;
}

/*
 * An I/O-bound request: every one waits 20 ms in the worker, so that
 * the median latency cannot be less, and none fails.
 */
static void
test_load_io_bound(void **state)
{
	struct it_load_result	 r;
	struct it_load		*l;
	struct it_pool		*p;
	double			 t0;

	(void)state;
	p = start_serving(2, (const char *const[]){ "--serve-delay", "20",
	    NULL });
	t0 = t_now_ms();
	l = it_load_start(p->port, 4, 0, 30);
	/* The load's run: 1.5 s of requests, 20 ms each at least. */
	observe(1500);
	it_load_stop(l, &r);
	print_result("io-bound", &r);
	assert_int_equal(r.failed, 0);
	assert_true(r.ok > 0);
	assert_true(r.p50_ms >= 20);
	assert_true(r.p99_ms >= r.p50_ms);
	assert_true(r.max_ms >= r.p99_ms);
	assert_true(r.seconds > 0 && r.seconds * 1000 <= t_now_ms() - t0);
}

/*
 * A CPU-bound request: every one costs its worker 30 ms of CPU time,
 * which /proc/PID/stat shows whatever the machine's load (half of it
 * at least, for the clock ticks and a generous margin; twice it at
 * most, plus slack for the worker's own loop).
 */
static void
test_load_cpu_bound(void **state)
{
	struct it_load_result	 r;
	struct it_load		*l;
	struct it_pool		*p;
	long long		 before, used;

	(void)state;
	p = start_serving(2, (const char *const[]){ "--serve-spin", "30",
	    NULL });
	before = cpu_ms(p->pids, 2);
	l = it_load_start(p->port, 4, 0, 30);
	/* The load's run: 1.5 s of requests, 30 ms of CPU each. */
	observe(1500);
	it_load_stop(l, &r);
	/* Every answer was read to its end: its CPU time is spent. */
	used = cpu_ms(p->pids, 2) - before;
	print_result("cpu-bound", &r);
	print_message("cpu-bound: the workers used %lld ms of CPU, %.1f ms "
	    "a request\n", used, r.ok > 0 ? (double)used / (double)r.ok : 0);
	assert_int_equal(r.failed, 0);
	assert_true(r.ok > 0);
	assert_true(r.p50_ms >= 30);
	assert_true((double)used >= (double)r.ok * 30 * 0.5);
	assert_true((double)used <= (double)r.ok * 30 * 2 + 200);
}

/*
 * Pacing holds each client to its rate, and max_seconds ends the load
 * by itself: 2 clients at 20 a second for at most 1 s make no more than
 * 2 * (20 + 1) requests, and their threads end without it_load_stop().
 */
static void
test_load_paced_and_bounded(void **state)
{
	struct it_load_result	 r;
	struct it_load		*l;
	struct it_pool		*p;

	(void)state;
	p = start_serving(2, NULL);
	assert_int_equal(t_dir_entries("/proc/self/task"), 1);
	l = it_load_start(p->port, 2, 20, 1);
	if (!t_wait_until(single_threaded, NULL, WAIT_MS))
		fail_msg("the load ran past its max_seconds");
	it_load_stop(l, &r);
	print_result("paced", &r);
	assert_int_equal(r.failed, 0);
	assert_true(r.ok > 0);
	assert_true(r.ok <= 2 * (20 + 1));
}

/* A load a test did not stop: it_teardown() stops it, threads and all. */
static void
test_teardown_stops_load(void **state)
{
	struct it_pool	*p;

	(void)state;
	assert_int_equal(t_dir_entries("/proc/self/task"), 1);
	p = start_serving(1, (const char *const[]){ "--serve-delay", "50",
	    NULL });
	it_load_start(p->port, 3, 0, 60);
	assert_int_equal(t_dir_entries("/proc/self/task"), 4);
	assert_int_equal(it_teardown(), 0);
	assert_true(t_wait_until(single_threaded, NULL, WAIT_MS));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_load_io_bound, teardown),
		cmocka_unit_test_teardown(test_load_cpu_bound, teardown),
		cmocka_unit_test_teardown(test_load_paced_and_bounded,
		    teardown),
		cmocka_unit_test_teardown(test_teardown_stops_load, teardown),
	};

	it_init(WAIT_MS, "LOAD_ITEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
