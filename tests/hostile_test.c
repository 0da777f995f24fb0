/* SPDX-License-Identifier: ISC */
/*
 * hostile_test: the real prefork daemon against what its workers and its
 * configuration may throw at it. Text a worker sends (STATUS=) reaches
 * the log escaped, one line per message, and rate-limited per worker; a
 * READY=1 after a long STATUS= is not lost, and a message too long to
 * read is reported, not cut silently; a SIGHUP with 60,000 [env] pairs
 * while a worker is killed gives the new workers their variables and
 * replaces the killed one; 100,000 pairs, too many for execve(2), are
 * refused. How fast such a file is read is bench/conf-env's to measure.
 *
 * The workers here are a small Python program written by each test
 * (tests need python3, as demo_test does), which sends the datagrams a
 * hostile worker would to $NOTIFY_SOCKET.
 */
#include "config.h"

#include <sys/types.h>

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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "messages.h"
#include "testlib.h"
#include "util.h"

/*
 * The deadline for a condition that should hold within milliseconds, and
 * for the one that takes the rate limit's 10 s window.
 */
#define WAIT_MS		20000

#define TIMEOUTS							\
	"graceful_timeout = 1s\n"					\
	"restart_delay = 50ms\n"					\
	"min_uptime = 100ms\n"

/*
 * The worker: sends what its first argument names to $NOTIFY_SOCKET,
 * then waits for SIGTERM.
 */
static const char worker_py[] =
"import os, signal, socket, sys, time\n"
"addr = os.environ['NOTIFY_SOCKET']\n"
"if addr.startswith('@'):\n"
"    addr = '\\0' + addr[1:]\n"
"s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
"s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)\n"
"def send(b):\n"
"    s.sendto(b, addr)\n"
"mode = sys.argv[1]\n"
"if mode == 'escape':\n"
"    send(b'READY=1\\nSTATUS=a\\rb \\x1b[2J\\x1b[31mred\\x07 \\xff caf\\xc3\\xa9')\n"
"elif mode == 'flood':\n"
"    send(b'READY=1')\n"
"    for i in range(200):\n"
"        send(b'STATUS=flood %d' % i)\n"
"    while not os.path.exists(sys.argv[2]):\n"
"        time.sleep(0.01)\n"
"    send(b'STATUS=after the flood')\n"
"elif mode == 'long':\n"
"    send(b'STATUS=' + b'x' * 8000 + b'\\nREADY=1')\n"
"    send(b'STATUS=' + b'y' * 100000 + b'\\nSTOPPING=1')\n"
"    send(b'STATUS=still here')\n"
"elif mode == 'ready':\n"
"    send(b'READY=1')\n"
"signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
"while True:\n"
"    signal.pause()\n";

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/*
 * The Python interpreter itself, not a wrapper script in PATH (pyenv's
 * shims are bash scripts, slow to start with 60,000 variables); skips
 * the test without one.
 */
static const char *
python(void)
{
	static char	 path[PATH_MAX];
	FILE		*p;
	size_t		 n;

	if (path[0] != '\0')
		return path;
	p = popen("python3 -c 'import sys; print(sys.executable)' "
	    "2>/dev/null", "r");
	if (p == NULL)
		skip();
	n = fread(path, 1, sizeof(path) - 1, p);
	pclose(p);
	path[n] = '\0';
	path[strcspn(path, "\n")] = '\0';
	if (path[0] != '/') {
		path[0] = '\0';
		skip();
	}
	return path;
}

/* Writes the worker and a configuration running it in mode; starts it. */
static struct t_daemon *
start_worker(const char *name, const char *mode, const char *extra)
{
	char	py[PATH_MAX], conf[PATH_MAX], ini[64];

	xsnprintf(py, sizeof(py), "%s", t_write_file("worker.py",
	    worker_py));
	xsnprintf(ini, sizeof(ini), "%s.ini", name);
	write_conf(conf, ini, "[prefork]\nworkers = 1\nready = notify\n"
	    "ready_timeout = 5s\n" TIMEOUTS "command = %s %s %s\n",
	    python(), py, mode);
	(void)extra;
	return start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
}

/*
 * STATUS= with a carriage return, terminal escapes, a bell and a byte
 * that is not UTF-8: the log line has them written out, and none of
 * those bytes reaches the log itself.
 * Path: notify_cb -> master_heard -> master_worker_says -> util_escape.
 */
static void
test_status_escaped(void **state)
{
	struct t_daemon	*d;
	pid_t		 w;
	char		*log;

	d = start_worker("escape", "escape", NULL);
	pool(d, d->pid, 1, &w);
	wait_logf(d, "worker 0 (pid %ld): a\\rb \\x1b[2J\\x1b[31mred\\a "
	    "\\xff caf\xc3\xa9", (long)w);
	log = t_daemon_log(d);
	assert_null(strchr(log, '\r'));
	assert_null(strchr(log, '\x1b'));
	assert_null(strchr(log, '\a'));
	assert_null(strchr(log, '\xff'));
	free(log);
}

/* For t_wait_until(): the wall clock has reached *(double *)ms. */
static bool
clock_reached(void *ms)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6 >=
	    *(double *)ms;
}

/*
 * A worker that sends 200 STATUS= lines at once has 10 of them logged;
 * the next line after the 10 s window (sent once the master's own log
 * says the window is over) says how many were not.
 * Path: master_worker_says -> ratelimit_pass.
 */
static void
test_status_rate_limited(void **state)
{
	struct t_daemon	*d;
	char		 mode[PATH_MAX + 8];
	double		 end;
	pid_t		 w;

	xsnprintf(mode, sizeof(mode), "flood %s/flood.go", t_tmpdir());
	d = start_worker("flood", mode, NULL);
	pool(d, d->pid, 1, &w);
	wait_logf(d, "worker 0 (pid %ld): flood 9", (long)w);
	/* The window, by the master's clock, and a little for its ticks. */
	end = log_time(d, "worker 0 (pid %ld): flood 0", (long)w) + 10100;
	if (!t_wait_until(clock_reached, &end, 10100 + WAIT_MS))
		fail_msg("the clock did not reach the window's end");
	t_write_file("flood.go", "");
	/* The held-back lines are counted once the window is over. */
	wait_logf(d, "worker 0 (pid %ld): 190 messages not logged (more "
	    "than 10 in 10s)", (long)w);
	wait_logf(d, "worker 0 (pid %ld): after the flood", (long)w);
	assert_false(log_has(d, "): flood 10"));
	assert_int_equal(t_daemon_log_count(d, "): flood "), 10);
}

/*
 * READY=1 after an 8,000-byte STATUS= makes the worker ready (a 4 KiB
 * buffer lost it); a 100,000-byte message is ignored whole, with a
 * warning that says so, and the worker is not taken for stopping.
 * Path: notify_server_recv (MSG_TRUNC) -> master_heard.
 */
static void
test_long_messages(void **state)
{
	struct t_daemon	*d;
	pid_t		 w;

	d = start_worker("long", "long", NULL);
	pool(d, d->pid, 1, &w);
	wait_log(d, MSG_POOL_READY ": 1 worker");
	wait_logf(d, "worker 0 (pid %ld): notify message of 100018 bytes "
	    "ignored (the limit is 65536)", (long)w);
	wait_logf(d, "worker 0 (pid %ld): still here", (long)w);
	/* The 8,000 x's, cut for the log. */
	assert_true(log_has(d, "worker 0 (pid %ld): xxxxxxxxxx", (long)w));
	assert_true(log_has(d, "xxx..."));
	assert_true(t_alive(w));
}

/* Writes a configuration of the ready worker with n [env] pairs. */
static void
write_many_env(const char *conf, const char *py, unsigned n)
{
	char	*text, *t;

	assert_non_null(text = malloc((size_t)n * 32 + 4096));
	t = text + sprintf(text, "[prefork]\nworkers = 2\nready = notify\n"
	    TIMEOUTS "command = %s %s ready\n[env]\n", python(), py);
	for (unsigned i = 0; i < n; i++)
		t += sprintf(t, "K%u = v%u\n", i, i);
	/* Renamed over the old one, so the master never reads half. */
	assert_int_equal(rename(t_write_file("manyenv.ini.new", text), conf),
	    0);
	free(text);
}

/*
 * A SIGHUP with 60,000 [env] pairs while a worker is killed: the killed
 * worker is reaped and replaced, and the new workers have the variables.
 * Then 100,000 pairs, more than execve(2) can pass to a worker: the file
 * is refused and the pool keeps running.
 * Path: master_reload -> conf_load -> parse_env (env_index), then
 * check_system -> check_exec_size.
 */
static void
test_hup_many_env(void **state)
{
	char		 conf[PATH_MAX], py[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[2], c[2];
	const char	*v;

	xsnprintf(py, sizeof(py), "%s", t_write_file("worker.py",
	    worker_py));
	write_conf(conf, "manyenv.ini", "[prefork]\nworkers = 2\n"
	    "ready = notify\n" TIMEOUTS "command = %s %s ready\n",
	    python(), py);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY ": 2 workers");

	write_many_env(conf, py, 60000);
	t_daemon_signal(d, SIGHUP);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9", (long)a[0]);
	/* The reload rolls both workers onto the new environment. */
	wait_log(d, MSG_ROLL_DONE);
	pool(d, d->pid, 2, b);
	assert_non_null(v = t_proc_env(b[0], "K59999"));
	assert_string_equal(v, "v59999");
	assert_non_null(v = t_proc_env(b[1], "K0"));
	assert_string_equal(v, "v0");

	write_many_env(conf, py, 100000);
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "%s: the workers' command and environment (", conf);
	wait_log(d, MSG_KEEPING);
	pool(d, d->pid, 2, c);
	assert_memory_equal(b, c, sizeof(b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_status_escaped, teardown),
		cmocka_unit_test_teardown(test_status_rate_limited, teardown),
		cmocka_unit_test_teardown(test_long_messages, teardown),
		cmocka_unit_test_teardown(test_hup_many_env, teardown),
	};

	/* HOSTILE_TEST=test_long_messages runs one test (a glob). */
	it_init(WAIT_MS, "HOSTILE_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
