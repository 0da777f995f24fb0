/* SPDX-License-Identifier: ISC */
/*
 * recycle_itest: recycling with the real daemon. A pool with a short
 * max_lifetime under HTTP load (examples/http_worker.py on a loopback
 * port) recycles again and again, loses no request, and never has
 * fewer live workers than its target (sampled every few milliseconds);
 * stop-first never has fewer than the target less max_recycling; a
 * worker whose memory grows past max_worker_memory is recycled, with
 * the figure in the log and the reason in the metrics; SIGHUP turns the
 * limits on and off; preforkctl recycle replaces one worker. Loopback
 * only, every wait bounded. Skipped without python3.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
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
/* How long the recycles a test waits for may take on a slow machine. */
#define RECYCLE_MS	120000
#define TIMEOUTS	"graceful_timeout = 5s\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 200ms\n"

/*
 * The load: 4 clients, each sending GET / over a new connection, one
 * after another, until its standard input closes (or max seconds, a
 * hard bound); prints "ok N failed M" and the first failure.
 */
static const char	load_py[] =
"import http.client, sys, threading, time\n"
"port, seconds, threads = int(sys.argv[1]), float(sys.argv[2]), 4\n"
"ok, failed, first = [0], [0], []\n"
"lock, stop = threading.Lock(), threading.Event()\n"
"def run():\n"
"    end = time.monotonic() + seconds\n"
"    while not stop.is_set() and time.monotonic() < end:\n"
"        try:\n"
"            c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)\n"
"            c.request('GET', '/')\n"
"            r = c.getresponse()\n"
"            body = r.read()\n"
"            c.close()\n"
"            good = r.status == 200 and body.startswith(b'hello')\n"
"            err = 'status %d' % r.status\n"
"        except Exception as e:\n"
"            good, err = False, repr(e)\n"
"        with lock:\n"
"            if good:\n"
"                ok[0] += 1\n"
"            else:\n"
"                failed[0] += 1\n"
"                first.append(err)\n"
"ts = [threading.Thread(target=run) for _ in range(threads)]\n"
"for t in ts: t.start()\n"
"sys.stdin.read()\n"
"stop.set()\n"
"for t in ts: t.join()\n"
"print('ok %d failed %d %s' % (ok[0], failed[0], first[:1]))\n";

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

static void
need_python(void)
{
	it_skip_unless((const char *const[]){ "python3", "-c", "", NULL },
	    "python3 is not installed");
}

/* The master's live workers (its children but the guard). */
static size_t
live_workers(pid_t master)
{
	pid_t	kids[256];
	size_t	i, n = t_children(master, kids, nitems(kids)), live = 0;

	for (i = 0; i < n; i++)
		live += !t_is_guard(kids[i]) && t_proc_state(kids[i]) != 'Z';
	return live;
}

/* The master's ready workers, from status --check on sock. */
static int
ready_workers(const char *sock)
{
	unsigned	 ready = 0;
	char		*ans;

	ans = it_ctl_raw(sock, "status --check\n", 15, WAIT_MS);
	if (ans == NULL || (sscanf(ans, "OK\n%u/", &ready) != 1 &&
	    sscanf(ans, "ERR not enough workers ready\n%u/", &ready) != 1))
		ready = 0;
	free(ans);
	return (int)ready;
}

/*
 * What the watch saw: the fewest and most live workers, the fewest
 * ready ones, in how many samples (for the log: a count of samples is
 * no test's business).
 */
struct watch {
	size_t		live, most;
	int		ready;
	unsigned	samples;
};

/* Enough recycles logged: n of them, and the line want if not NULL. */
struct enough {
	const struct t_daemon	*d;
	unsigned		 n;
	const char		*want;
};

static bool
enough(const struct enough *e)
{
	return t_daemon_log_count(e->d, "recycled: lived") >= e->n &&
	    (e->want == NULL || t_daemon_log_count(e->d, e->want) > 0);
}

/*
 * Runs the load against port while sampling the master's live workers
 * (its children) and ready ones (its control socket) until the
 * recycles e asks for are logged, or RECYCLE_MS; what was seen in *w,
 * the load's counts in *ok and *failed.
 */
static void
load_and_watch(pid_t master, const char *sock, unsigned port,
    const struct enough *e, struct watch *w, unsigned *ok, unsigned *failed)
{
	char	portarg[16], secarg[16], out[512];
	int	in[2], p[2], status;
	pid_t	pid;
	size_t	n, len = 0;
	ssize_t	r;
	int	ready;
	double	deadline = t_now_ms() + RECYCLE_MS;

	xsnprintf(portarg, sizeof(portarg), "%u", port);
	xsnprintf(secarg, sizeof(secarg), "%u", RECYCLE_MS / 1000 + 30);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(p[1], 1);
		close(in[1]);
		close(p[0]);
		execlp("python3", "python3", "-c", load_py, portarg, secarg,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	close(in[0]);
	close(p[1]);
	*w = (struct watch){ SIZE_MAX, 0, INT_MAX, 0 };
	while (!enough(e) && t_now_ms() < deadline) {
		n = live_workers(master);
		w->live = n < w->live ? n : w->live;
		w->most = n > w->most ? n : w->most;
		ready = ready_workers(sock);
		w->ready = ready < w->ready ? ready : w->ready;
		w->samples++;
		/* The sampling period: the pool needs the CPUs more. */
		observe(2);
	}
	/* The load's end: its input closed, its last requests answered. */
	close(in[1]);
	while (len < sizeof(out) - 1 && t_wait_fd(p[0], POLLIN, t_now_ms() +
	    WAIT_MS) && (r = read(p[0], out + len, sizeof(out) - 1 - len)) >
	    0)
		len += (size_t)r;
	out[len] = '\0';
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	print_message("load: %s", out);
	if (sscanf(out, "ok %u failed %u", ok, failed) != 2)
		fail_msg("the load did not finish: '%s'", out);
	if (!enough(e)) {
		dump_log(e->d);
		fail_msg("%u recycles, not %u, in %u ms", t_daemon_log_count(
		    e->d, "recycled: lived"), e->n, RECYCLE_MS);
	}
}

/*
 * Starts an HTTP pool of n with extra keys, its workers ready, with a
 * port and a control socket.
 */
static struct it_pool *
start_http(unsigned n, const char *extra)
{
	return it_start_pool(&(const struct it_pool_opts){ .workers = n,
	    .timeouts = TIMEOUTS "ready = notify\nready_timeout = 20s\n",
	    .extra = extra, .argv = (const char *const[]){ "python3",
	    it_http_worker(), NULL }, .conf_name = "http.ini",
	    .control = true, .tcp = true, .wait_ready = true });
}

/*
 * Surge, continuously: lifetimes of about 1.5 s under load, until six
 * workers (the first of slot 0 among them) were recycled for their
 * lifetime. Every request is answered, the pool never has fewer live
 * workers than its 3 and had a fourth while it recycled, and never
 * fewer than 3 ready.
 */
static void
test_lifetime_under_load(void **state)
{
	struct it_pool	*p;
	struct enough	 e;
	char		 want[64];
	unsigned	 ok, failed;
	struct watch	 w;

	need_python();
	p = start_http(3, "max_lifetime = 1500ms\nlifetime_jitter = 20%\n"
	    "check_interval = 100ms\n");
	xsnprintf(want, sizeof(want), "stopping worker 0 (pid %ld): "
	    "recycle_lifetime", (long)p->pids[0]);
	e = (struct enough){ p->d, 6, want };
	load_and_watch(p->d->pid, p->sock, p->port, &e, &w, &ok, &failed);
	print_message("surge: %u requests answered, %u failed; %u recycles; "
	    "live workers %zu to %zu, fewest ready %d, in %u samples\n", ok,
	    failed, t_daemon_log_count(p->d, "recycled: lived"), w.live,
	    w.most, w.ready, w.samples);
	assert_int_equal(failed, 0);
	assert_true(ok > 0);
	assert_true(w.live >= 3);
	assert_true(w.most >= 4);
	assert_int_equal(w.ready, 3);
}

/*
 * stop-first, max_recycling = 1: capacity dips by one at most, never
 * more, and the recycles go on.
 */
static void
test_stop_first_dips_by_one(void **state)
{
	struct it_pool	*p;
	struct enough	 e;
	unsigned	 ok, failed;
	struct watch	 w;

	need_python();
	p = start_http(3, "max_lifetime = 1s\nlifetime_jitter = 0%\n"
	    "check_interval = 100ms\nrecycle = stop-first\n"
	    "max_recycling = 1\n");
	e = (struct enough){ p->d, 3, NULL };
	load_and_watch(p->d->pid, p->sock, p->port, &e, &w, &ok, &failed);
	print_message("stop-first: %u answered, %u failed; %u recycles; "
	    "live workers %zu to %zu, fewest ready %d in %u samples\n", ok,
	    failed, t_daemon_log_count(p->d, "recycled: lived"), w.live,
	    w.most, w.ready, w.samples);
	assert_true(w.most <= 3);
	assert_int_equal(w.ready, 2);
}

/*
 * A worker whose memory grows past the limit, in a child of its own (a
 * sh -c wrapper's command, in the worker's process group: the wrapper
 * alone stays small): recycled, and said so.
 */
static void
test_memory_limit(void **state)
{
	/* 4 MiB more every 50 ms, up to 256 MiB, touched. */
	static const char	leak_py[] =
	    "import time\nb = []\n"
	    "for i in range(64):\n"
	    "    b.append(bytearray(4 << 20))\n"
	    "    time.sleep(0.05)\n"
	    "time.sleep(600)\n";
	struct it_pool	*p;
	struct t_run	 r;
	char		*text;

	need_python();
	p = it_start_pool(&(const struct it_pool_opts){ .workers = 1,
	    .timeouts = TIMEOUTS, .extra = "max_worker_memory = 64M\n"
	    "worker_memory_measure = rss\ncheck_interval = 100ms\n",
	    .argv = (const char *const[]){ "sh", "-c",
	    "python3 -c \"$0\"; true", leak_py, NULL },
	    .conf_name = "leak.ini", .control = true });
	wait_logf(p->d, "worker 0 (pid %ld) recycled: RSS ",
	    (long)p->pids[0]);
	text = t_daemon_log(p->d);
	assert_true(t_contains(text, "> max_worker_memory 64.0 MiB"));
	free(text);
	wait_gone(p->pids[0], WAIT_MS);
	it_ctl(&r, p->sock, (const char *const[]){ "metrics", NULL });
	assert_int_equal(r.status, 0);
	assert_true(t_contains(r.out,
	    "prefork_worker_exits_total{reason=\"recycle_memory\"} "));
	assert_false(t_contains(r.out,
	    "prefork_worker_exits_total{reason=\"recycle_memory\"} 0\n"));
	t_run_free(&r);
	it_ctl(&r, p->sock, (const char *const[]){ "status", NULL });
	assert_true(t_contains(r.out, "recycled: "));
	assert_false(t_contains(r.out, "(memory 0,"));
	t_run_free(&r);
}

/*
 * SIGHUP turns a limit on (recycles start) and off (they stop); and
 * preforkctl recycle replaces one worker when asked.
 */
static void
test_hup_and_manual(void **state)
{
	char		 conf[PATH_MAX], want[64];
	const char	*sock;
	struct it_pool	*p;
	struct t_daemon	*d;
	struct t_run	 r;
	pid_t		*a, b[2];
	unsigned	 before;

	p = it_start_pool(&(const struct it_pool_opts){ .workers = 2,
	    .timeouts = TIMEOUTS, .conf_name = "hup.ini", .control = true });
	d = p->d;
	a = p->pids;
	sock = p->sock;
	wait_lived(a, 2, 200);

	it_ctl(&r, sock, (const char *const[]){ "recycle", "1", NULL });
	assert_int_equal(r.status, 0);
	pool(d, d->pid, 2, b);
	assert_int_equal(b[0], a[0]);
	assert_int_not_equal(b[1], a[1]);
	xsnprintf(want, sizeof(want), "worker 1 recycled: pid %ld -> %ld\n",
	    (long)a[1], (long)b[1]);
	assert_string_equal(r.out, want);
	t_run_free(&r);
	wait_gone(a[1], WAIT_MS);

	write_conf(conf, "hup.ini", "[prefork]\nworkers = 2\ncontrol = %s\n"
	    "max_lifetime = 1s\nlifetime_jitter = 0%%\n"
	    "check_interval = 100ms\n" TIMEOUTS, sock);
	t_daemon_signal(d, SIGHUP);
	wait_log_count(d, "recycled: lived", 2);
	write_conf(conf, "hup.ini", "[prefork]\nworkers = 2\ncontrol = %s\n"
	    TIMEOUTS, sock);
	t_daemon_signal(d, SIGHUP);
	wait_log_count(d, "received SIGHUP", 2);
	before = t_daemon_log_count(d, "recycled: lived");
	/* The window is the measurement: with no limit, no recycle. */
	observe(2500);
	assert_int_equal(t_daemon_log_count(d, "recycled: lived"), before);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_lifetime_under_load, teardown),
		cmocka_unit_test_teardown(test_stop_first_dips_by_one,
		    teardown),
		cmocka_unit_test_teardown(test_memory_limit, teardown),
		cmocka_unit_test_teardown(test_hup_and_manual, teardown),
	};

	it_init(WAIT_MS, "RECYCLE_ITEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
