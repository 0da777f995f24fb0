/*
 * valgrind_test: the real prefork daemon under valgrind's memcheck,
 * through one scenario that takes the master down most of its paths:
 * replacement, grow and shrink by reload, TTIN, TTOU, a rolling restart
 * and a graceful shutdown. valgrind exits 99 on any memory error or
 * leak, so the wrapper's exit status is the verdict; its reports in the
 * log are printed when there are any. The workers are not traced (no
 * --trace-children): only the master and its forked children up to
 * exec are checked.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

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

#include "testlib.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD	1
#endif
#endif

/* valgrind makes the master about 20 times slower: generous deadlines. */
#define WAIT_MS		30000

/* min_uptime: a worker younger than that, killed, did not boot. */
#define MIN_UPTIME_MS	200

#define CONF								\
	"[prefork]\n"							\
	"workers = %u\n"						\
	"graceful_timeout = 2s\n"					\
	"min_uptime = 200ms\n"						\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 1s\n"

static struct t_daemon	daemon_;

static int
teardown(void **state)
{
	t_daemon_cleanup(&daemon_);
	return 0;
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
write_conf(unsigned workers)
{
	char	text[512];

	snprintf(text, sizeof(text), CONF, workers);
	return t_write_file("valgrind.ini", text);
}

/* The whole log on stderr (cmocka's messages are cut at 1 KiB). */
static void
dump_log(void)
{
	char	*log = t_daemon_log(&daemon_);

	fflush(stdout);
	fprintf(stderr, "--- %s ---\n%s--- end of %s ---\n", daemon_.log, log,
	    daemon_.log);
	fflush(stderr);
	free(log);
}

static void
pool(unsigned n, pid_t *by_slot)
{
	if (!t_wait_pool(daemon_.pid, n, by_slot, WAIT_MS)) {
		dump_log();
		fail_msg("no pool of %u under valgrind", n);
	}
}

static void
wait_log(const char *needle)
{
	if (!t_daemon_log_wait(&daemon_, needle, WAIT_MS))
		fail_msg("no \"%s\" in the log", needle);
}

static bool
gone(void *arg)
{
	return !t_alive(*(pid_t *)arg);
}

struct aged {
	const pid_t	*pids;
	unsigned	 n;
};

static bool
aged(void *arg)
{
	struct aged	*a = arg;
	unsigned	 i;

	for (i = 0; i < a->n; i++)
		if (t_proc_age_ms(a->pids[i]) < MIN_UPTIME_MS + 20)
			return false;
	return true;
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

/*
 * Path: the master's every callback under memcheck: child_cb, signal_cb
 * for HUP, TTIN, TTOU, USR2 and TERM, timer_cb for the roll and the
 * shutdown; then master_free at exit, where the leak check runs.
 */
static void
test_valgrind_scenario(void **state)
{
	const char *const wrapper[] = { "valgrind", "--quiet",
	    "--error-exitcode=99", "--leak-check=full",
	    "--show-leak-kinds=definite,indirect,possible",
	    "--errors-for-leak-kinds=definite,indirect,possible",
	    "--track-fds=no", NULL };
	const char *const env[] = { "NOTIFY_SOCKET", "LISTEN_FDS",
	    "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
	    "JOURNAL_STREAM", "PREFORK_SYSROOT", NULL };
	char		 conf[PATH_MAX], *log;
	pid_t		 a[3], b[5], c[3];
	struct aged	 ag = { a, 3 };

#ifdef ASAN_BUILD
	print_message("skipped: this build runs prefork under "
	    "AddressSanitizer, which valgrind cannot run\n");
	skip();
#endif
	if (!valgrind_installed()) {
		print_message("skipped: valgrind is not installed\n");
		skip();
	}
	snprintf(conf, sizeof(conf), "%s", write_conf(3));
	t_daemon_start(&daemon_, env, wrapper, (const char *const[]){ "-c",
	    conf, "--", t_testworker(), NULL });

	/* Replacement: two workers killed, once they have booted. */
	pool(3, a);
	assert_true(t_wait_until(aged, &ag, WAIT_MS));
	assert_int_equal(kill(a[0], SIGKILL), 0);
	assert_int_equal(kill(a[2], SIGKILL), 0);
	assert_true(t_wait_until(gone, &a[0], WAIT_MS));
	assert_true(t_wait_until(gone, &a[2], WAIT_MS));
	pool(3, b);
	assert_int_equal(b[1], a[1]);

	/* Reload: grow to 5, then shrink to 2. */
	write_conf(5);
	t_daemon_signal(&daemon_, SIGHUP);
	pool(5, b);
	write_conf(2);
	t_daemon_signal(&daemon_, SIGHUP);
	pool(2, b);
	wait_log("SIGHUP: 5 -> 2 workers");

	/* One more, one less. */
	t_daemon_signal(&daemon_, SIGTTIN);
	pool(3, b);
	t_daemon_signal(&daemon_, SIGTTOU);
	wait_log("SIGTTOU: 3 -> 2 workers");
	pool(2, b);

	/* A rolling restart, to its end. */
	t_daemon_signal(&daemon_, SIGUSR2);
	wait_log("rolling restart done");
	pool(2, c);
	assert_true(all_new(b, 2, c, 2));

	t_daemon_signal(&daemon_, SIGTERM);
	if (!t_daemon_wait(&daemon_, WAIT_MS))
		fail_msg("prefork did not exit under valgrind");
	log = t_daemon_log(&daemon_);
	/* The master's, or a child's between fork and exec. */
	if (daemon_.status != 0 || has_valgrind_report(log)) {
		dump_log();
		fail_msg("valgrind exited %d (99: errors or leaks)",
		    daemon_.status);
	}
	assert_non_null(strstr(log, "exiting with status 0"));
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_valgrind_scenario, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
