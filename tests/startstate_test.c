/* SPDX-License-Identifier: ISC */
/*
 * startstate_test: the real prefork daemon started from a hostile parent
 * and stopped in hostile ways, against prefork(8): whatever signal mask,
 * dispositions and fd limit it inherits, the master handles its signals
 * and reaps its workers, and the workers start clean; a signal that
 * comes during start-up waits for the loop instead of killing it; USR1
 * reopens the log and reaches the workers only with forward_usr1; at
 * shutdown the master stops the orphans it adopted, and when it is
 * killed, its guard stops what stayed in the workers' process groups.
 *
 * The hostile parent is tests/helpers/hostile ($PREFORK_HOSTILE), put in
 * front of prefork as start()'s wrapper. Start-up is held still by a
 * configuration file that is a FIFO: the master waits in read() until
 * the test writes it, so a signal sent meanwhile certainly arrives
 * before the event loop runs.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "messages.h"
#include "testlib.h"
#include "util.h"

/* The deadline for a condition that should hold within milliseconds. */
#define WAIT_MS		20000

#define GRACEFUL_MS		500
#define MIN_UPTIME_MS		100
#define TIMEOUTS							\
	"graceful_timeout = 500ms\n"					\
	"min_uptime = 100ms\n"						\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 400ms\n"

/* How late the daemon's own timers may fire on a loaded machine. */
#define SLACK_MS	5000

/*
 * How long a test watches for a worker dying of a signal it must not
 * get: a process killed by a signal is gone within milliseconds of its
 * delivery, and the master sent it (or not) before logging the line
 * the test waited for.
 */
#define OBSERVE_MS	300

/*
 * After the daemons are ended, reaps what they left to us (the test is
 * a subreaper): the teardown's SIGKILLs leave zombies, which the next
 * test would count.
 */
static int
teardown(void **state)
{
	int	rc;

	(void)state;
	rc = it_teardown();
	while (waitpid(-1, NULL, WNOHANG) > 0)
		continue;
	return rc;
}

static const char *
hostile(void)
{
	const char	*p = getenv("PREFORK_HOSTILE");

	if (p == NULL || *p == '\0')
		fail_msg("PREFORK_HOSTILE is not set: run the tests with "
		    "make check");
	return p;
}

/* A mask line of /proc/PID/status ("SigBlk", "SigIgn", "ShdPnd"). */
static unsigned long long
proc_mask(pid_t pid, const char *key)
{
	char			 path[64], line[256];
	size_t			 klen = strlen(key);
	unsigned long long	 v = ~0ULL;
	FILE			*f;

	xsnprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

static unsigned long long
bit(int sig)
{
	return 1ULL << (sig - 1);
}

/*
 * Reaps pid if it is a child of ours, alive or not: the test is a
 * subreaper (see main()), so what a dead master leaves comes to it.
 */
static void
reap(pid_t pid)
{
	if (pid > 0 && t_proc_ppid(pid) == getpid()) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The one child of parent (a worker's), waited for. */
static pid_t
only_child(pid_t parent)
{
	pid_t	kid = -1;
	double	deadline = t_now_ms() + WAIT_MS;

	while (t_children(parent, &kid, 1) != 1) {
		if (t_now_ms() > deadline)
			fail_msg("pid %ld has no child", (long)parent);
		observe(5);
	}
	return kid;
}

static bool
unblocked(void *arg)
{
	return proc_mask(*(pid_t *)arg, "SigBlk") == 0;
}

/* Waits until the master's signal mask is empty. */
static void
wait_unblocked(struct t_daemon *d)
{
	if (!t_wait_until(unblocked, &d->pid, WAIT_MS)) {
		dump_log(d);
		fail_msg("prefork's signal mask is %llx, not empty",
		    proc_mask(d->pid, "SigBlk"));
	}
}

/* The test worker's report of pid shows an empty mask, nothing ignored. */
static void
assert_clean_report(const char *dir, pid_t pid)
{
	char	*rep = t_report_wait(dir, pid, WAIT_MS);

	assert_true(t_has_line(rep, "SigBlk:\t%016llx", 0ULL));
	assert_true(t_has_line(rep, "SigIgn:\t%016llx", 0ULL));
	free(rep);
}

/*
 * Every signal blocked and ignored by the parent before exec (the way a
 * Python program that called pthread_sigmask, or an init wrapper, starts
 * it): the master clears its mask and its SIG_IGN (SIGPIPE, its own
 * choice, aside), and TERM, HUP, TTIN, USR1, USR2 and CHLD all work: a
 * killed worker is reaped and replaced, and no zombie stays. The workers
 * start with an empty mask and nothing ignored.
 */
static void
test_hostile_parent(void **state)
{
	char		 conf[PATH_MAX], dir[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[3], r[3], old;
	unsigned	 i;

	subdir("reports", dir);
	write_conf(conf, "hostile.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, (const char *const[]){ hostile(), "--block-all",
	    "--ignore-all", NULL }, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--report", dir, NULL });
	pool(d, d->pid, 2, w);
	/* While it spawns, the master blocks every signal for a moment. */
	wait_unblocked(d);
	assert_int_equal(proc_mask(d->pid, "SigIgn"), bit(SIGPIPE));
	for (i = 0; i < 2; i++)
		assert_clean_report(dir, w[i]);

	t_daemon_signal(d, SIGHUP);
	wait_log(d, MSG_RECEIVED " SIGHUP");
	t_daemon_signal(d, SIGUSR1);
	wait_log(d, MSG_RECEIVED " SIGUSR1");
	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 3, w);
	assert_clean_report(dir, w[2]);
	wait_lived(w, 3, MIN_UPTIME_MS);

	t_daemon_signal(d, SIGUSR2);
	wait_log(d, MSG_ROLL_DONE);
	pool(d, d->pid, 3, r);
	for (i = 0; i < 3; i++)
		assert_true(r[i] != w[i]);
	wait_lived(r, 3, MIN_UPTIME_MS);

	/* SIGCHLD: reaped and replaced, no zombie left. */
	old = r[0];
	assert_int_equal(kill(old, SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9", (long)old);
	pool(d, d->pid, 3, r);
	assert_true(r[0] != old);
	assert_int_equal(t_proc_state(old), 0);
	assert_int_equal(t_zombies(d->pid), 0);
	assert_clean_report(dir, r[0]);

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	wait_log(d, MSG_RECEIVED " SIGTERM");
}

/*
 * A configuration file that is a FIFO, opened for reading and writing
 * by the test (so that the master's open() does not wait, and its read()
 * does until the test writes). Returns the test's fd; the path in path.
 */
static int
fifo_conf(char *path, const char *name)
{
	int	fd;

	xsnprintf(path, PATH_MAX, "%s/%s", t_tmpdir(), name);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_true((fd = open(path, O_RDWR | O_CLOEXEC)) != -1);
	return fd;
}

struct has_fd {
	pid_t		 pid;
	const char	*path;
	char		 exe[PATH_MAX];
};

/*
 * True while pid, which is prefork (our forked child holds the test's
 * fd on the FIFO until it execs), has path open: it is reading it.
 */
static bool
has_open(void *arg)
{
	struct has_fd	*h = arg;
	char		 link[64], target[PATH_MAX];
	ssize_t		 n;
	int		 fd;

	xsnprintf(link, sizeof(link), "/proc/%ld/exe", (long)h->pid);
	if ((n = readlink(link, target, sizeof(target) - 1)) == -1)
		return false;
	target[n] = '\0';
	if (strcmp(target, h->exe) != 0)
		return false;
	for (fd = 0; fd < 64; fd++) {
		xsnprintf(link, sizeof(link), "/proc/%ld/fd/%d", (long)h->pid,
		    fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) == -1)
			continue;
		target[n] = '\0';
		if (strcmp(target, h->path) == 0)
			return true;
	}
	return false;
}

static void
wait_reading(struct t_daemon *d, const char *path)
{
	struct has_fd	h = { d->pid, path, "" };

	if (realpath(t_prefork(), h.exe) == NULL)
		fail_msg("%s: %s", t_prefork(), strerror(errno));
	if (!t_wait_until(has_open, &h, WAIT_MS)) {
		dump_log(d);
		fail_msg("prefork never opened %s", path);
	}
}

struct pending {
	pid_t			pid;
	unsigned long long	set;
};

static bool
all_pending(void *arg)
{
	struct pending	*p = arg;

	return (proc_mask(p->pid, "ShdPnd") & p->set) == p->set;
}

/* Waits until the signals of set are pending (held) in pid. */
static void
wait_pending(struct t_daemon *d, unsigned long long set)
{
	struct pending	p = { d->pid, set };

	if (!t_wait_until(all_pending, &p, WAIT_MS)) {
		dump_log(d);
		fail_msg("signals %llx not pending in prefork (%llx)", set,
		    proc_mask(d->pid, "ShdPnd"));
	}
}

static void
write_all(int fd, const char *text)
{
	size_t	len = strlen(text);

	assert_int_equal(write(fd, text, len), (ssize_t)len);
}

/*
 * Writes text to the FIFO once prefork opens it again (a reload): the
 * open does not wait, so that a master that died cannot hang the test.
 */
static void
feed_fifo(struct t_daemon *d, const char *path, const char *text)
{
	double	deadline = t_now_ms() + WAIT_MS;
	int	fd;

	while ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		assert_int_equal(errno, ENXIO);
		if (t_now_ms() > deadline || !t_alive(d->pid)) {
			dump_log(d);
			fail_msg("prefork never opened %s again", path);
		}
		observe(5);
	}
	write_all(fd, text);
	close(fd);
}

/*
 * HUP, TTIN, USR1 and USR2 while the master still reads its
 * configuration (their default actions would kill it, or stop it for
 * TTIN): they wait, held, and are handled once the loop runs.
 */
static void
test_signals_during_startup(void **state)
{
	static const char	text[] = "[prefork]\nworkers = 2\n" TIMEOUTS;
	char			conf[PATH_MAX];
	struct t_daemon		*d;
	pid_t			w[3];
	int			fd;

	fd = fifo_conf(conf, "slow.ini");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	wait_reading(d, conf);
	t_daemon_signal(d, SIGHUP);
	t_daemon_signal(d, SIGTTIN);
	t_daemon_signal(d, SIGUSR1);
	t_daemon_signal(d, SIGUSR2);
	wait_pending(d, bit(SIGHUP) | bit(SIGTTIN) | bit(SIGUSR1) |
	    bit(SIGUSR2));
	assert_true(t_alive(d->pid));
	write_all(fd, text);
	close(fd);

	/* The HUP reads the file again. */
	wait_log(d, MSG_RECEIVED " SIGHUP");
	feed_fifo(d, conf, text);
	wait_log(d, MSG_RECEIVED " SIGTTIN");
	wait_log(d, MSG_RECEIVED " SIGUSR1");
	wait_log(d, MSG_RECEIVED " SIGUSR2");
	wait_log_count(d, "sizing: ", 2);
	/*
	 * Held signals are delivered lowest number first, and libev
	 * handles them in that order: the HUP's resize to 2 comes before
	 * the TTIN's one more.
	 */
	wait_log(d, MSG_ROLL_DONE);
	pool(d, d->pid, 3, w);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
}

/*
 * TERM while the master reads its configuration: it still stops, as
 * soon as it can and cleanly (exit 0, no worker left), instead of dying
 * by the default action.
 */
static void
test_term_during_startup(void **state)
{
	char		conf[PATH_MAX];
	struct t_daemon	*d;
	int		fd;

	fd = fifo_conf(conf, "term.ini");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	wait_reading(d, conf);
	t_daemon_signal(d, SIGTERM);
	wait_pending(d, bit(SIGTERM));
	write_all(fd, "[prefork]\nworkers = 2\n" TIMEOUTS);
	close(fd);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	wait_log(d, MSG_RECEIVED " SIGTERM");
	wait_log(d, MSG_EXITING " 0");
	assert_int_equal(t_children(getpid(), NULL, 0), 0);
}

/*
 * Too few fds to run the event loop: exit 71 with a message naming the
 * limit, not libev's abort (134); and a start-up failure after the
 * guard started leaves no guard behind.
 */
static void
test_fd_limit(void **state)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	char			 conf[PATH_MAX];
	struct t_daemon		*d;
	int			 s;

	d = start(NULL, (const char *const[]){ hostile(), "--nofile", "4",
	    NULL }, (const char *const[]){ "-w", "1", "--", t_testworker(),
	    NULL });
	wait_exit(d, WAIT_MS, EX_OSERR);
	wait_log(d, "the open file limit (RLIMIT_NOFILE, ulimit -n) is 4");

	d = start(NULL, (const char *const[]){ hostile(), "--nofile", "10",
	    NULL }, (const char *const[]){ "-w", "1", "--", t_testworker(),
	    NULL });
	wait_exit(d, WAIT_MS, EX_OSERR);
	wait_log(d, "the open file limit (RLIMIT_NOFILE, ulimit -n) is 10");

	/* A port in use: the master fails after the guard started. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = hold(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	write_conf(conf, "busy.ini", "[prefork]\nworkers = 1\n"
	    "listen = 127.0.0.1:%u\n", ntohs(sin.sin_port));
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	wait_exit(d, WAIT_MS, EX_OSERR);
	assert_int_equal(t_guard_of(getpid()), -1);
	assert_int_equal(t_zombies(getpid()), 0);
}

/*
 * USR1 by default: the log is reopened and the workers, which die of
 * USR1 as most programs do, are left alone.
 */
static void
test_usr1_not_forwarded(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[2], now[2];

	write_conf(conf, "usr1.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, w);
	wait_lived(w, 2, MIN_UPTIME_MS);
	t_daemon_signal(d, SIGUSR1);
	wait_log(d, "SIGUSR1: log reopened, not passed on to the workers "
	    "(forward_usr1 = no)");
	observe(OBSERVE_MS);
	assert_true(t_pool_now(d->pid, 2, now));
	assert_int_equal(now[0], w[0]);
	assert_int_equal(now[1], w[1]);
	assert_false(log_has(d, "exited"));
}

/*
 * forward_usr1 = yes, taken on a HUP: the workers get USR1 (the test
 * worker then creates a file), with no restart.
 */
static void
test_usr1_forwarded_after_reload(void **state)
{
	char		 conf[PATH_MAX], dir[PATH_MAX], ready[PATH_MAX];
	char		 usr1[PATH_MAX], path[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[2], now[2];
	unsigned	 i;

	subdir("usr1", dir);
	xsnprintf(ready, sizeof(ready), "%s/ready", dir);
	xsnprintf(usr1, sizeof(usr1), "%s/usr1", dir);
	write_conf(conf, "fwd.ini", "[prefork]\nworkers = 2\n" TIMEOUTS
	    "forward_usr1 = no\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--touch-pid", ready, "--on-usr1", usr1, NULL });
	pool(d, d->pid, 2, w);
	for (i = 0; i < 2; i++) {
		xsnprintf(path, sizeof(path), "%s.%ld", ready, (long)w[i]);
		assert_true(t_wait_file(path, WAIT_MS));
	}
	t_daemon_signal(d, SIGUSR1);
	wait_log(d, "not passed on to the workers");
	observe(OBSERVE_MS);
	for (i = 0; i < 2; i++) {
		xsnprintf(path, sizeof(path), "%s.%ld", usr1, (long)w[i]);
		assert_int_equal(access(path, F_OK), -1);
	}

	write_conf(conf, "fwd.ini", "[prefork]\nworkers = 2\n" TIMEOUTS
	    "forward_usr1 = yes\n");
	t_daemon_signal(d, SIGHUP);
	wait_log_count(d, "sizing: ", 2);
	t_daemon_signal(d, SIGUSR1);
	wait_log(d, "SIGUSR1: log reopened, passed on to 2 workers");
	for (i = 0; i < 2; i++) {
		xsnprintf(path, sizeof(path), "%s.%ld", usr1, (long)w[i]);
		assert_true(t_wait_file(path, WAIT_MS));
	}
	assert_true(t_pool_now(d->pid, 2, now));
	assert_int_equal(now[0], w[0]);
	assert_int_equal(now[1], w[1]);
}

/*
 * Starts two workers that each leave an orphan (extra: more testworker
 * options); returns the daemon, the orphans in orphans.
 */
static struct t_daemon *
start_orphans(const char *name, const char *extra, pid_t *orphans)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[2];
	unsigned	 i;

	write_conf(conf, name, "[prefork]\nworkers = 2\n" TIMEOUTS
	    "command = %s --orphan 60000 %s\n", t_testworker(), extra);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 2, w);
	for (i = 0; i < 2; i++) {
		orphans[i] = only_child(w[i]);
		remember(&orphans[i], 1);
	}
	wait_lived(w, 2, MIN_UPTIME_MS);
	return d;
}

/*
 * A clean TERM: the orphans the master adopted (the workers' children,
 * which left their group with setsid) are stopped too, and the master
 * exits leaving no descendant, its guard reaped.
 */
static void
test_term_stops_orphans(void **state)
{
	struct t_daemon	*d;
	pid_t		 o[2], guard;
	unsigned	 i;

	d = start_orphans("orphans.ini", "", o);
	assert_true((guard = t_guard_of(d->pid)) > 0);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	for (i = 0; i < 2; i++) {
		if (t_alive(o[i]))
			fail_msg("orphan %ld outlived the master", (long)o[i]);
		reap(o[i]);
	}
	/* Each is adopted, and stopped, as its worker exits. */
	wait_log(d, "(a worker's, adopted): SIGTERM");
	/* Reaped by the master, not left to us. */
	assert_int_equal(t_proc_state(guard), 0);
	assert_int_equal(t_children(getpid(), NULL, 0), 0);
}

/*
 * An orphan that ignores SIGTERM gets SIGKILL at the workers' deadline,
 * and the master waits for it.
 */
static void
test_stubborn_orphan_killed(void **state)
{
	struct t_daemon	*d;
	pid_t		 o[2];
	double		 t0;
	unsigned	 i;

	/* The orphan inherits the ignored TERM; the worker handles it. */
	d = start_orphans("stubborn.ini", "--ignore-signal TERM", o);
	t0 = t_now_ms();
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	assert_true(t_now_ms() - t0 >= GRACEFUL_MS - 50);
	wait_log(d, "2 orphaned processes still running at the deadline: "
	    "SIGKILL");
	for (i = 0; i < 2; i++) {
		if (t_alive(o[i]))
			fail_msg("orphan %ld outlived the master", (long)o[i]);
		reap(o[i]);
	}
}

/*
 * SIGKILL of the master, with workers that are shell wrappers
 * (sh -c 'testworker; true'): PR_SET_PDEATHSIG stops the shell, the
 * guard stops the command in its group, then exits itself.
 */
static void
test_kill9_stops_wrapped_commands(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[2], cmd[2], guard;
	unsigned	 i;

	write_conf(conf, "wrapped.ini", "[prefork]\nworkers = 2\n" TIMEOUTS
	    "command = /bin/sh -c '\"$0\"; true' %s\n", t_testworker());
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 2, w);
	for (i = 0; i < 2; i++) {
		cmd[i] = only_child(w[i]);
		remember(&cmd[i], 1);
	}
	guard = t_guard_of(d->pid);
	wait_lived(w, 2, MIN_UPTIME_MS);

	t_daemon_signal(d, SIGKILL);
	assert_true(t_daemon_wait(d, WAIT_MS));
	for (i = 0; i < 2; i++)
		wait_gone(cmd[i], WAIT_MS);
	assert_true(guard > 0);
	/* Its groups gone (or zombies of ours), it leaves at once. */
	for (i = 0; i < 2; i++) {
		reap(w[i]);
		reap(cmd[i]);
	}
	wait_gone(guard, GRACEFUL_MS + SLACK_MS);
	reap(guard);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hostile_parent, teardown),
		cmocka_unit_test_teardown(test_signals_during_startup,
		    teardown),
		cmocka_unit_test_teardown(test_term_during_startup, teardown),
		cmocka_unit_test_teardown(test_fd_limit, teardown),
		cmocka_unit_test_teardown(test_usr1_not_forwarded, teardown),
		cmocka_unit_test_teardown(test_usr1_forwarded_after_reload,
		    teardown),
		cmocka_unit_test_teardown(test_term_stops_orphans, teardown),
		cmocka_unit_test_teardown(test_stubborn_orphan_killed,
		    teardown),
		cmocka_unit_test_teardown(test_kill9_stops_wrapped_commands,
		    teardown),
	};

	/* STARTSTATE_TEST=test_hostile_parent runs one test (a glob). */
	it_init(WAIT_MS, "STARTSTATE_TEST", true);
	/*
	 * What outlives a master comes to us, not to init: an orphan or
	 * a leftover of a killed master is then a child of ours, seen
	 * and reaped here.
	 */
	if (t_subreaper() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
