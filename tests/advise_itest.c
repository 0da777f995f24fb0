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

#define WAIT_MS		10000
#define TIMEOUTS	"graceful_timeout = 1s\nrestart_delay = 50ms\n" \
	"min_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/*
 * Starts n test workers serving 127.0.0.1:*port (or the unix socket
 * when unix_path is not NULL) with args, the control socket in sock.
 */
static pid_t	by_slot[64];

static struct t_daemon *
start_served(unsigned n, const char *extra, const char *args, char *sock,
    unsigned *port, const char *unix_path)
{
	static unsigned	 started;
	char		 conf[PATH_MAX], listen[PATH_MAX + 8], cmd[PATH_MAX * 2];
	struct t_daemon	*d;

	/*
	 * A socket of its own per daemon: a worker the teardown's kill made
	 * the master replace holds the master's sockets until its exec, so
	 * that the next test's master could find the path answering.
	 */
	xsnprintf(sock, PATH_MAX, "%s/control-%u.sock", t_tmpdir(),
	    started++);
	if (unix_path != NULL)
		xsnprintf(listen, sizeof(listen), "unix:%s", unix_path);
	else {
		*port = t_free_port();
		xsnprintf(listen, sizeof(listen), "127.0.0.1:%u", *port);
	}
	xsnprintf(cmd, sizeof(cmd), "%s --serve %s", t_testworker(), args);
	write_conf(conf, "advise.ini", "[prefork]\nworkers = %u\n"
	    "control = %s\nlisten = %s\nbacklog = 256\ncommand = %s\n%s"
	    TIMEOUTS, n, sock, listen, cmd, extra);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, n, by_slot);
	wait_log(d, "control: listening on");
	return d;
}

/* preforkctl advise --window 3s --json: its JSON, which the caller frees. */
static char *
advise_json(const char *sock)
{
	struct t_run	r;
	char		*out;

	t_run(&r, NULL, (const char *const[]){ t_preforkctl(), "-s", sock,
	    "advise", "--window", "3s", "--json", NULL }, WAIT_MS);
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
 * I/O-bound and too small: clients each wait delay ms per request, more
 * of them than workers; the advisor says too few, and suggests about
 * one worker per client.
 */
static void
io_bound(unsigned workers, unsigned clients, unsigned delay_ms)
{
	struct it_load_result	 res;
	struct it_load		*l;
	char			 sock[PATH_MAX], args[64], *json;
	unsigned		 port;
	double			 s;

	xsnprintf(args, sizeof(args), "--serve-delay %u", delay_ms);
	(void)start_served(workers, "", args, sock, &port, NULL);
	l = it_load_start(port, clients, 0, 30);
	json = advise_json(sock);
	it_load_stop(l, &res);
	assert_verdict(json, "too-few");
	s = member(json, "suggested_workers");
	/* The workers plus the mean queue: the clients, give or take. */
	if (s < workers + (clients - workers) / 2 || s > clients + 2)
		fail_msg("suggested %.0f for %u clients on %u workers", s,
		    clients, workers);
	assert_true(member(json, "cpu") < 0.8);
	assert_int_equal(res.failed, 0);
	free(json);
}

static void
test_io_bound_too_few(void **state)
{
	io_bound(2, 8, 50);
}

static void
test_io_bound_too_few_larger(void **state)
{
	io_bound(4, 14, 30);
}

/* Oversized and idle, at two sizes: too many, down to a few. */
static void
idle(unsigned workers, unsigned clients)
{
	struct it_load_result	 res;
	struct it_load		*l = NULL;
	char			 sock[PATH_MAX], *json;
	unsigned		 port;
	double			 s;

	(void)start_served(workers, "", "--serve-delay 10", sock, &port,
	    NULL);
	if (clients > 0)
		l = it_load_start(port, clients, 5, 30);
	json = advise_json(sock);
	if (l != NULL)
		it_load_stop(l, &res);
	assert_verdict(json, "too-many");
	s = member(json, "suggested_workers");
	if (s < 1 || s > clients + 2)
		fail_msg("suggested %.0f for %u clients on %u workers", s,
		    clients, workers);
	free(json);
}

static void
test_idle_too_many(void **state)
{
	idle(8, 0);
}

static void
test_light_load_too_many(void **state)
{
	idle(12, 2);
}

/*
 * CPU-bound: each request burns spin ms of CPU, with more clients than
 * the machine's CPUs: a queue with busy CPUs.
 */
static void
cpu_bound(unsigned per_cpu, unsigned spin_ms)
{
	struct it_load_result	 res;
	struct it_load		*l;
	char			 sock[PATH_MAX], args[64], *json;
	unsigned		 port;
	long			 cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1 || cpus > 16)
		skip();
	xsnprintf(args, sizeof(args), "--serve-spin %u", spin_ms);
	(void)start_served((unsigned)cpus * per_cpu, "", args, sock, &port,
	    NULL);
	l = it_load_start(port, (unsigned)cpus * per_cpu * 3, 0, 30);
	json = advise_json(sock);
	it_load_stop(l, &res);
	assert_verdict(json, "cpu-bound");
	assert_true(member(json, "suggested_workers") ==
	    member(json, "workers"));
	free(json);
}

static void
test_cpu_bound(void **state)
{
	cpu_bound(2, 20);
}

static void
test_cpu_bound_more(void **state)
{
	cpu_bound(3, 8);
}

/* A unix socket has no TCP_INFO: the queue is unknown, and said so. */
static void
test_unix_listener(void **state)
{
	char	 sock[PATH_MAX], path[PATH_MAX], *json;

	xsnprintf(path, sizeof(path), "%s/app.sock", t_tmpdir());
	(void)start_served(3, "", "", sock, NULL, path);
	json = advise_json(sock);
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

	t_run(&r, NULL, (const char *const[]){ t_preforkctl(), "-s", sock,
	    "status", "--json", NULL }, WAIT_MS);
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
	struct t_daemon		*d;
	char			 sock[PATH_MAX];
	struct seen		 seen;
	unsigned		 port, low, high, t;

	d = start_served(2, "autoscale = on\nautoscale_interval = 1s\n"
	    "autoscale_max = 16\nmin_workers = 2\n", "--serve-delay 50",
	    sock, &port, NULL);
	l = it_load_start(port, 10, 0, 60);
	want = (struct size_at_least){ sock, 10, false };
	if (!t_wait_until(size_reached, &want, 30000)) {
		dump_log(d);
		fail_msg("autoscale did not grow the pool to 10 in 30 s");
	}
	wait_log(d, "autoscale (too-few");
	/* Eight seconds of the same load: no step down, no runaway. */
	seen = (struct seen){ sock, UINT_MAX, 0 };
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
	assert_false(log_has(d, "autoscale (too-many"));
	/* HUP: back to the configured size, then autoscale grows again. */
	l = it_load_start(port, 10, 0, 60);
	t = target(sock);
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	wait_logf(d, "SIGHUP: %u -> 2 workers", t);
	want = (struct size_at_least){ sock, 10, false };
	if (!t_wait_until(size_reached, &want, 30000)) {
		dump_log(d);
		fail_msg("autoscale did not grow the pool again after HUP");
	}
	it_load_stop(l, &res);
	assert_int_equal(res.failed, 0);
	want = (struct size_at_least){ sock, 2, true };
	if (!t_wait_until(size_reached, &want, 60000)) {
		dump_log(d);
		fail_msg("autoscale did not shrink the pool to 2 in 60 s");
	}
	wait_log(d, "autoscale (too-many");
}

/*
 * autoscale_max below the configured size: the pool starts at the
 * bound, and HUP brings it back there, not to the sizing's 5.
 */
static void
test_autoscale_bounds(void **state)
{
	struct t_daemon	*d;
	char		 conf[PATH_MAX];
	pid_t		 pids[3];

	write_conf(conf, "bounds.ini", "[prefork]\nworkers = 5\n"
	    "autoscale = on\nautoscale_max = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, pids);
	wait_log(d, "starting 3 workers");
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	/* The reload decides the size again, and logs it a second time. */
	wait_log_count(d, "sizing: ", 2);
	pool(d, d->pid, 3, pids);
	assert_false(log_has(d, "SIGHUP: 3 -> 5 workers"));
}

/*
 * With autoscale off, nothing samples unless asked: the master sleeps
 * before an advise and again once it is answered.
 */
static void
test_idle_without_autoscale(void **state)
{
	struct t_daemon	*d;
	char		 sock[PATH_MAX], *json;
	unsigned	 port;

	d = start_served(3, "", "", sock, &port, NULL);
	assert_master_idle(d, by_slot, 3, 200, "autoscale off");
	json = advise_json(sock);
	free(json);
	assert_master_idle(d, by_slot, 3, 0, "after an advise");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_io_bound_too_few, teardown),
		cmocka_unit_test_teardown(test_io_bound_too_few_larger,
		    teardown),
		cmocka_unit_test_teardown(test_idle_too_many, teardown),
		cmocka_unit_test_teardown(test_light_load_too_many, teardown),
		cmocka_unit_test_teardown(test_cpu_bound, teardown),
		cmocka_unit_test_teardown(test_cpu_bound_more, teardown),
		cmocka_unit_test_teardown(test_unix_listener, teardown),
		cmocka_unit_test_teardown(test_autoscale, teardown),
		cmocka_unit_test_teardown(test_autoscale_bounds, teardown),
		cmocka_unit_test_teardown(test_idle_without_autoscale,
		    teardown),
	};

	it_init(WAIT_MS, "ADVISE_ITEST_ONLY", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
