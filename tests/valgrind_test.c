/* SPDX-License-Identifier: ISC */
/*
 * valgrind_test: the real prefork daemon under valgrind's memcheck,
 * through scenarios that take the master down most of its paths:
 * replacement, grow and shrink by reload, TTIN, TTOU, a rolling restart
 * and a graceful shutdown; listening sockets, both directions of the
 * notify protocol, and a reload that moves the sockets; and the ways
 * start-up can fail. valgrind exits 99 on any memory error or
 * leak, so the wrapper's exit status is the verdict; its reports in the
 * log are printed when there are any. The workers are not traced (no
 * --trace-children): only the master and its forked children up to
 * exec are checked.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
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
#include "messages.h"
#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD	1
#endif
#endif

/*
 * valgrind makes the master about 20 times slower, and a machine without
 * KVM as much again: generous deadlines.
 */
#define WAIT_MS		180000

/* min_uptime: a worker younger than that, killed, did not boot. */
#define MIN_UPTIME_MS	200

#define CONF								\
	"[prefork]\n"							\
	"workers = %u\n"						\
	"graceful_timeout = 2s\n"					\
	"min_uptime = 200ms\n"						\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 1s\n"

static struct t_daemon	*daemon_;

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

static bool
valgrind_installed(void)
{
	struct t_run	r;
	bool		ok;

	t_run(&r, NULL, (const char *const[]){ "sh", "-c",
	    "command -v valgrind", NULL }, 10000);
	ok = !r.timed_out && r.status == 0;
	t_run_free(&r);
	return ok;
}

static const char *
write_valgrind_conf(unsigned workers)
{
	char	text[512];

	snprintf(text, sizeof(text), CONF, workers);
	return t_write_file("valgrind.ini", text);
}

/* No pid of a is in b. */
static bool
all_new(const pid_t *a, unsigned na, const pid_t *b, unsigned nb)
{
	unsigned	i, j;

	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i] == b[j])
				return false;
	return true;
}

/* True if a line of log starts "==PID==", as valgrind's reports do. */
static bool
has_valgrind_report(const char *log)
{
	const char	*p = log;
	size_t		 n;

	for (;;) {
		if (strncmp(p, "==", 2) == 0) {
			n = strspn(p + 2, "0123456789");
			if (n > 0 && strncmp(p + 2 + n, "==", 2) == 0)
				return true;
		}
		if ((p = strchr(p, '\n')) == NULL)
			return false;
		p++;
	}
}

static const char *const valgrind[] = { "valgrind", "--quiet",
    "--error-exitcode=99", "--leak-check=full",
    "--show-leak-kinds=definite,indirect,possible",
    "--errors-for-leak-kinds=definite,indirect,possible",
    "--track-fds=no", NULL };

static void
need_valgrind(void)
{
#ifdef ASAN_BUILD
	print_message("skipped: this build runs prefork under "
	    "AddressSanitizer, which valgrind cannot run\n");
	skip();
#endif
	if (!valgrind_installed()) {
		print_message("skipped: valgrind is not installed\n");
		skip();
	}
}

/* Exit 0 and no report in the log, or the whole log and a failure. */
static void
expect_clean_exit(void)
{
	char	*log;

	if (!t_daemon_wait(daemon_, WAIT_MS))
		fail_msg("prefork did not exit under valgrind");
	log = t_daemon_log(daemon_);
	if (daemon_->status != 0 || has_valgrind_report(log)) {
		dump_log(daemon_);
		fail_msg("valgrind exited %d (99: errors or leaks)",
		    daemon_->status);
	}
	assert_non_null(strstr(log, MSG_EXITING " 0"));
	free(log);
}

/* One request to the pool on port: the answer names a worker. */
static bool
served(void *arg)
{
	char	*ans;
	bool	 ok;
	int	 fd;

	if ((fd = connect_port(*(unsigned *)arg)) == -1)
		return false;
	if (write(fd, "hello\n", 6) != 6) {
		close(fd);
		return false;
	}
	ans = read_all(fd, WAIT_MS);
	close(fd);
	ok = ans != NULL && strncmp(ans, "worker ", 7) == 0;
	free(ans);
	return ok;
}

static const char *
write_sockets_conf(unsigned port)
{
	char	text[1024];

	snprintf(text, sizeof(text),
	    "[prefork]\n"
	    "command = %s --serve --notify-ready 0 --heartbeat-auto\n"
	    "workers = 2\n"
	    "listen = 127.0.0.1:%u\n"
	    "ready = notify\n"
	    "ready_timeout = 30s\n"
	    "timeout = 20s\n"
	    "graceful_timeout = 5s\n"
	    "min_uptime = 100ms\n", t_testworker(), port);
	return t_write_file("sockets.ini", text);
}

/*
 * Path: sockets bound, handed over and moved by a reload; the workers'
 * notify socket (READY=1, STATUS=, WATCHDOG=1) and ours to a service
 * manager the test plays (READY, STATUS, RELOADING, STOPPING and the
 * watchdog timer), all under memcheck.
 */
static void
test_valgrind_sockets_notify(void **state)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			 conf[PATH_MAX], notify[PATH_MAX + 32];
	unsigned		 port = t_free_port(), port2 = t_free_port();
	int			 fd;

	need_valgrind();
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/systemd.sock",
	    t_tmpdir());
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", sun.sun_path);
	snprintf(conf, sizeof(conf), "%s", write_sockets_conf(port));
	daemon_ = start((const char *const[]){ notify,
	    "WATCHDOG_USEC=2000000", NULL }, valgrind,
	    (const char *const[]){ "-c", conf, NULL });

	wait_log(daemon_, MSG_POOL_READY ": 2 workers");
	assert_true(t_wait_until(served, &port, WAIT_MS));
	t_daemon_signal(daemon_, SIGUSR2);
	wait_log(daemon_, MSG_ROLL_DONE);
	assert_true(t_wait_until(served, &port, WAIT_MS));

	write_sockets_conf(port2);
	t_daemon_signal(daemon_, SIGHUP);
	wait_log(daemon_, "changed: rolling restart");
	assert_true(t_wait_until(served, &port2, WAIT_MS));

	t_daemon_signal(daemon_, SIGTERM);
	expect_clean_exit();
	close(fd);
	unlink(sun.sun_path);
}

/* Runs "valgrind prefork ARGS" to its end; checks status and reports. */
static void
run_failing(const char *const args[], int want, const char *say)
{
	struct t_run	 r;
	const char	*argv[32];
	size_t		 n = 0, i;

	for (i = 0; valgrind[i] != NULL; i++)
		argv[n++] = valgrind[i];
	argv[n++] = t_prefork();
	for (i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	t_run(&r, it_clean_env, argv, WAIT_MS);
	assert_false(r.timed_out);
	if (r.status != want || has_valgrind_report(r.err) ||
	    strstr(r.err, say) == NULL)
		fail_msg("prefork %s...: status %d, want %d and \"%s\":\n%s",
		    args[0], r.status, want, say, r.err);
	t_run_free(&r);
}

/*
 * Path: every way start-up gives up (configuration, usage, command,
 * first generation, socket, pidfile), leaving nothing unfreed: the
 * error paths are where leaks hide.
 */
static void
test_valgrind_failures(void **state)
{
	char		 bad[PATH_MAX], pidfile[PATH_MAX], conf[PATH_MAX];
	char		 text[256];
	struct t_daemon	*holder;
	unsigned	 busy = t_free_port();
	int		 fd;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	need_valgrind();
	snprintf(bad, sizeof(bad), "%s", t_write_file("bad.ini",
	    "[prefork]\nworkers = lots\nwrokers = 2\n[nosuch]\n"));
	run_failing((const char *const[]){ "-c", bad, "--", "true", NULL },
	    78, "unknown key");
	run_failing((const char *const[]){ "-w", "zero", "--", "true",
	    NULL }, 64, "usage");
	run_failing((const char *const[]){ "--", "/nonexistent/worker",
	    NULL }, 69, "No such file or directory");
	run_failing((const char *const[]){ "-w", "2", "--", t_testworker(),
	    "--exit", "1", NULL }, 69, "failed to boot");
	run_failing((const char *const[]){ "--explain=json", NULL }, 0,
	    "");
	run_failing((const char *const[]){ "-t", "-c", bad, NULL }, 78,
	    "problems found");

	/* A port the test holds. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons((uint16_t)busy);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	snprintf(text, sizeof(text), "[prefork]\nlisten = 127.0.0.1:%u\n",
	    busy);
	snprintf(conf, sizeof(conf), "%s", t_write_file("busy.ini", text));
	run_failing((const char *const[]){ "-c", conf, "--", t_testworker(),
	    NULL }, 71, "Address already in use");
	close(fd);

	/* A pidfile held by a running prefork. */
	snprintf(pidfile, sizeof(pidfile), "%s/held.pid", t_tmpdir());
	holder = start(NULL, NULL, (const char *const[]){ "-p", pidfile,
	    "-w", "1", "--", t_testworker(), NULL });
	wait_log(holder, MSG_POOL_READY);
	run_failing((const char *const[]){ "-p", pidfile, "-w", "1", "--",
	    t_testworker(), NULL }, 73, "held by a running prefork");
}

/*
 * Path: the master's every callback under memcheck: child_cb, signal_cb
 * for HUP, TTIN, TTOU, USR2 and TERM, timer_cb for the roll and the
 * shutdown; then master_free at exit, where the leak check runs.
 */
static void
test_valgrind_scenario(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[5], c[3];

	need_valgrind();
	snprintf(conf, sizeof(conf), "%s", write_valgrind_conf(3));
	d = daemon_ = start(NULL, valgrind, (const char *const[]){ "-c",
	    conf, "--", t_testworker(), NULL });

	/* Replacement: two workers killed, once they have booted. */
	pool(d, d->pid, 3, a);
	wait_lived(a, 3, MIN_UPTIME_MS);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	assert_int_equal(kill(a[2], SIGKILL), 0);
	wait_gone(a[0], WAIT_MS);
	wait_gone(a[2], WAIT_MS);
	pool(d, d->pid, 3, b);
	assert_int_equal(b[1], a[1]);

	/* Reload: grow to 5, then shrink to 2. */
	write_valgrind_conf(5);
	t_daemon_signal(d, SIGHUP);
	pool(d, d->pid, 5, b);
	write_valgrind_conf(2);
	t_daemon_signal(d, SIGHUP);
	pool(d, d->pid, 2, b);
	wait_log(d, "SIGHUP: 5 -> 2 workers");

	/* One more, one less. */
	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 3, b);
	t_daemon_signal(d, SIGTTOU);
	wait_log(d, "SIGTTOU: 3 -> 2 workers");
	pool(d, d->pid, 2, b);

	/* A rolling restart, to its end. */
	t_daemon_signal(d, SIGUSR2);
	wait_log(d, MSG_ROLL_DONE);
	pool(d, d->pid, 2, c);
	assert_true(all_new(b, 2, c, 2));

	t_daemon_signal(d, SIGTERM);
	/* Reports come from the master, or a child between fork and exec. */
	expect_clean_exit();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_valgrind_scenario, teardown),
		cmocka_unit_test_teardown(test_valgrind_sockets_notify,
		    teardown),
		cmocka_unit_test_teardown(test_valgrind_failures, teardown),
	};

	it_init(WAIT_MS, "VALGRIND_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
