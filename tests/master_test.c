/* SPDX-License-Identifier: ISC */
/*
 * master_test: the real prefork daemon, end to end, against prefork(8)
 * OPTIONS, SIGNALS and WORKERS and prefork.ini(5): the workers'
 * environment, replacement, resizing by signal and by reload, rolling
 * restarts, USR1, the shutdowns, orphans,
 * crash loops, exit codes, the pidfile, running as PID 1, logging and an
 * idle master. Each test starts prefork in the background over the test
 * worker (tests/helpers/testworker.c) with short timeouts, observes it
 * through /proc, its log, signals and exit codes, and its teardown ends
 * whatever is left.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <regex.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"
#include "messages.h"
#include "testlib.h"
#include "util.h"

/*
 * The deadline for a condition that should hold within milliseconds.
 * Generous, for a loaded machine or a sanitizer build: a test that passes
 * waits only as long as the condition takes.
 */
#define WAIT_MS		20000

/*
 * The timeouts of every configuration here, short so that the program
 * runs in seconds. The tests that reason about them use the macros.
 */
#define GRACEFUL_MS		500
#define MIN_UPTIME_MS		200
#define RESTART_DELAY_MS	50
#define RESTART_DELAY_MAX_MS	1000
#define DELAYS								\
	"graceful_timeout = 500ms\n"					\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 1s\n"
#define TIMEOUTS	DELAYS "min_uptime = 200ms\n"

#define ZEROS	"0000000000000000"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/* Runs prefork in the foreground: no timeout, no sanitizer report. */
static void
run_prefork(struct t_run *r, const char *const args[])
{
	it_run_prefork(r, args, WAIT_MS);
}

static void
wait_booted(const pid_t *pids, unsigned n)
{
	wait_lived(pids, n, MIN_UPTIME_MS);
}

/* Waits for the file dir/base.PID of each worker (--touch-pid). */
static void
wait_touched(const char *dir, const char *base, const pid_t *pids,
    unsigned n)
{
	char		path[PATH_MAX];
	unsigned	i;

	for (i = 0; i < n; i++) {
		xsnprintf(path, sizeof(path), "%s/%s.%ld", dir, base,
		    (long)pids[i]);
		if (!t_wait_file(path, WAIT_MS))
			fail_msg("worker %ld never created %s",
			    (long)pids[i], path);
	}
}

static bool
lacks(const char *report, const char *needle)
{
	if (strstr(report, needle) == NULL)
		return true;
	print_error("\"%s\" should not be in the report:%s\n", needle,
	    report);
	return false;
}

/* True when pid's command line has the word. */
static bool
cmdline_has(pid_t pid, const char *word)
{
	char	 path[64], buf[4096];
	ssize_t	 n;
	size_t	 i;
	int	 fd;

	xsnprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i += strlen(buf + i) + 1)
		if (strcmp(buf + i, word) == 0)
			return true;
	return false;
}

/* Path: spawn's environment and hygiene, as the master sets them up. */
static void
test_worker_environment(void **state)
{
	const char *const env[] = { "NOTIFY_SOCKET=/nonexistent/notify",
	    "LISTEN_FDS=1", "LISTEN_PID=1", "LISTEN_FDNAMES=web",
	    "WATCHDOG_USEC=1000000", "WATCHDOG_PID=1",
	    "LISTEN_PORT=8080", NULL };
	char		 dir[PATH_MAX], conf[PATH_MAX], *rep;
	struct t_daemon	*d;
	pid_t		 w[3];
	unsigned	 i;

	subdir("env", dir);
	write_conf(conf, "env.ini", "[prefork]\nworkers = 3\n"
	    "worker_class = sync\n" TIMEOUTS "[env]\nA = 1\n");
	d = start(env, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--report", dir, NULL });
	pool(d, d->pid, 3, w);
	for (i = 0; i < 3; i++) {
		rep = t_report_wait(dir, w[i], WAIT_MS);
		assert_true(t_has_line(rep, "ppid %ld", (long)d->pid));
		assert_true(t_has_line(rep, "pgid %ld", (long)w[i]));
		assert_true(t_has_line(rep, "slot %u", i));
		assert_true(t_has_line(rep, "workers 3"));
		assert_true(t_has_line(rep, "env PREFORK_WORKER_ID=%u", i));
		assert_true(t_has_line(rep, "env PREFORK_WORKERS=3"));
		assert_true(t_has_line(rep, "env PREFORK_WORKER_CLASS=sync"));
		assert_true(t_has_line(rep, "env A=1"));
		assert_true(lacks(rep, "\nenv NOTIFY_SOCKET="));
		assert_true(lacks(rep, "\nenv LISTEN_FD"));
		assert_true(lacks(rep, "\nenv LISTEN_PID"));
		assert_true(lacks(rep, "\nenv WATCHDOG_"));
		/* Not systemd's: the application's own, passed on. */
		assert_true(t_has_line(rep, "env LISTEN_PORT=8080"));
		assert_true(t_has_line(rep, "SigBlk:\t" ZEROS));
		assert_true(t_has_line(rep, "SigIgn:\t" ZEROS));
		assert_true(t_has_line(rep, "fds 0 1 2"));
		assert_true(t_has_line(rep, "fd0 /dev/null"));
		/* stdout and stderr are the master's: the log file. */
		assert_true(t_has_line(rep, "fd2 %s", d->log));
		assert_true(t_has_line(rep, "pdeathsig 15"));
		free(rep);
	}
}

/* Path: child_cb -> pool_exited -> slot_vacated: the same slot, at once. */
static void
test_kill9_replaced_in_slot(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[3];

	write_conf(conf, "kill9.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	wait_booted(a, 3);
	assert_int_equal(kill(a[1], SIGKILL), 0);
	wait_gone(a[1], WAIT_MS);
	pool(d, d->pid, 3, b);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[2], a[2]);
	assert_int_not_equal(b[1], a[1]);
	assert_true(log_has(d, "worker 1 (pid %ld) exited on signal 9",
	    (long)a[1]));
	wait_logf(d, "worker 1 (pid %ld" MSG_SPAWNED, (long)b[1]);
}

/* Path: SIGTTIN and SIGTTOU -> master_resize -> pool_resize. */
static void
test_ttin_ttou(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[4], c[3];

	write_conf(conf, "ttin.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, a);

	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 4, b);
	assert_memory_equal(a, b, sizeof(a));
	wait_log(d, "SIGTTIN: 3 -> 4 workers");

	t_daemon_signal(d, SIGTTOU);
	wait_gone(b[3], WAIT_MS);
	wait_logf(d, MSG_STOPPING_WORKER " 3 (pid %ld): shrink", (long)b[3]);
	wait_log(d, "SIGTTOU: 4 -> 3 workers");
	/*
	 * Watch for a respawn of slot 3: it would come at once, or after
	 * restart_delay for a worker that had not booted; 300 ms is six
	 * times that.
	 */
	observe(300);
	pool(d, d->pid, 3, c);
	assert_memory_equal(a, c, sizeof(a));
	assert_int_equal(t_daemon_log_count(d, " spawned"), 4);

	/* The next HUP sizes from the file again: 4 -> 3. */
	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 4, b);
	t_daemon_signal(d, SIGHUP);
	wait_gone(b[3], WAIT_MS);
	pool(d, d->pid, 3, c);
	assert_memory_equal(a, c, sizeof(a));
	wait_log(d, "SIGHUP: 4 -> 3 workers");
}

/* Path: SIGTTOU at a pool of 1: master_ttou refuses to go below 1. */
static void
test_ttou_keeps_one(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[1], b[1];

	write_conf(conf, "ttou1.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	t_daemon_signal(d, SIGTTOU);
	wait_log(d, MSG_RECEIVED " SIGTTOU");
	/*
	 * The master handles one signal at a time: once the next one is
	 * logged, everything SIGTTOU did is in the log. A HUP with the same
	 * file changes nothing.
	 */
	t_daemon_signal(d, SIGHUP);
	wait_log(d, MSG_RECEIVED " SIGHUP");
	assert_false(log_has(d, "SIGTTOU: 1 -> 0"));
	assert_false(log_has(d, MSG_STOPPING_WORKER));
	pool(d, d->pid, 1, b);
	assert_int_equal(a[0], b[0]);
}

/* Path: SIGHUP -> master_reload -> master_resize, growing then shrinking. */
static void
test_hup_grow_shrink(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[4], c[1];
	unsigned	 i;

	write_conf(conf, "hup.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);

	write_conf(conf, "hup.ini", "[prefork]\nworkers = 4\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	pool(d, d->pid, 4, b);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[1], a[1]);
	wait_log(d, "SIGHUP: 2 -> 4 workers");

	write_conf(conf, "hup.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	for (i = 1; i < 4; i++)
		wait_gone(b[i], WAIT_MS);
	pool(d, d->pid, 1, c);
	assert_int_equal(c[0], a[0]);
	wait_log(d, "SIGHUP: 4 -> 1 worker");
}

/* Path: SIGHUP with a bad file: conf_build errors, the running conf kept. */
static void
test_hup_broken_config(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[2], c[3];

	write_conf(conf, "broken.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);

	/* Line 3 has an unknown key, line 4 a bad value. */
	write_conf(conf, "broken.ini", "[prefork]\nworkers = 5\n"
	    "wrokers = 3\ngraceful_timeout = 10x\n");
	t_daemon_signal(d, SIGHUP);
	wait_log(d, MSG_KEEPING);
	wait_logf(d, "%s:3: unknown key 'wrokers'", conf);
	wait_logf(d, "%s:4: graceful_timeout", conf);
	pool(d, d->pid, 2, b);
	assert_memory_equal(a, b, sizeof(a));

	/*
	 * A good file is still read, and the pool grows from 2, not from
	 * the 5 of the file that was refused.
	 */
	write_conf(conf, "broken.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	pool(d, d->pid, 3, c);
	assert_int_equal(c[0], a[0]);
	assert_int_equal(c[1], a[1]);
	wait_log(d, "SIGHUP: 2 -> 3 workers");
	assert_false(log_has(d, "-> 5 workers"));
}

/* prefork(8) SIZING, default profile: (2 x CPUs) + 1, cap 8. */
static unsigned
default_size(unsigned cpus)
{
	return 2 * cpus + 1 < 8 ? 2 * cpus + 1 : 8;
}

/*
 * Path: SIGHUP -> master_reload -> explain_decide (re-probe) ->
 * master_resize, with the hardware under PREFORK_SYSROOT (a copy of the
 * 4-CPU, 16 GiB fixture) changed between signals: the pool follows the
 * CPUs online, with a good file and with a broken one, whose errors keep
 * the running configuration but not the old hardware.
 */
static void
test_hup_reprobes_hardware(void **state)
{
	char		 root[PATH_MAX], env[PATH_MAX + 32], conf[PATH_MAX];
	const char	*envp[] = { env, NULL };
	struct t_daemon	*d;
	struct t_run	 r;
	pid_t		 a[8], b[8], c[8];
	unsigned	 n4 = default_size(4), n2 = default_size(2);
	unsigned	 n1 = default_size(1);

	xsnprintf(root, sizeof(root), "%s/sysroot", t_tmpdir());
	t_run(&r, NULL, (const char *const[]){ "cp", "-R",
	    t_fixture("cli-4cpu-16g"), root, NULL }, WAIT_MS);
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	xsnprintf(env, sizeof(env), "PREFORK_SYSROOT=%s", root);

	write_conf(conf, "hw.ini", "[prefork]\n" TIMEOUTS);
	d = start(envp, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, n4, a);
	wait_logf(d, "sizing: 4 CPUs (online)");

	/* Two CPUs go offline: the pool shrinks, the kept are kept. */
	assert_non_null(t_write_file("sysroot/sys/devices/system/cpu/online",
	    "0-1\n"));
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "SIGHUP: %u -> %u workers", n4, n2);
	pool(d, d->pid, n2, b);
	assert_memory_equal(a, b, n2 * sizeof(*a));
	wait_log(d, "sizing: 2 CPUs (online)");

	/* A broken file and one CPU: the file is refused, the CPU seen. */
	write_conf(conf, "hw.ini", "[prefork]\nworkers = many\n" TIMEOUTS);
	assert_non_null(t_write_file("sysroot/sys/devices/system/cpu/online",
	    "0\n"));
	t_daemon_signal(d, SIGHUP);
	wait_log(d, MSG_KEEPING);
	wait_logf(d, "SIGHUP: %u -> %u workers", n2, n1);
	pool(d, d->pid, n1, c);
	assert_memory_equal(b, c, n1 * sizeof(*b));
	wait_log(d, "sizing: 1 CPU (online)");
}

/*
 * A rolling restart, sampled: at every sample each slot 0..n-1 has a
 * live worker, until the pool is n new workers and the old are gone.
 * A scan of /proc is no snapshot: a replacement whose pid wrapped below
 * the scan's place is missed while its predecessor exits behind it. So
 * a slot a scan finds empty is looked for again, by the pids known for
 * it, then by a second scan, which must see a replacement started
 * before the old worker exited.
 */
#define ROLL_PIDS	64

struct roll {
	pid_t		 master;
	unsigned	 n;
	const pid_t	*old;
	pid_t		*now;
	pid_t		 known[ROLL_PIDS];	/* pids seen, and their slots */
	int		 slot[ROLL_PIDS];
	size_t		 nknown;
	unsigned	 most;		/* most live workers at a sample */
	unsigned	 min_slots;	/* fewest slots covered at a sample */
	char		 worst[512];	/* that sample, pid:slot */
};

/* The slot of kid, read now and remembered for roll_done(). */
static int
roll_slot(struct roll *r, pid_t kid)
{
	size_t	i;
	int	slot;

	if ((slot = t_worker_slot(kid)) < 0)
		return slot;
	for (i = 0; i < r->nknown && r->known[i] != kid; i++)
		continue;
	if (i == r->nknown && r->nknown < ROLL_PIDS)
		r->known[r->nknown++] = kid;
	if (i < r->nknown)
		r->slot[i] = slot;
	return slot;
}

/* The slots a scan of the master's children covers, as bits. */
static unsigned
roll_scan(struct roll *r, char *sample, size_t len, bool *done)
{
	pid_t		kids[64];
	unsigned	covered = 0, i, j;
	size_t		n, at = 0;
	int		slot;

	n = t_children(r->master, kids, nitems(kids));
	assert_true(n <= nitems(kids));
	*done = n == r->n;
	r->most = n > r->most ? (unsigned)n : r->most;
	for (i = 0; i < n; i++) {
		slot = roll_slot(r, kids[i]);
		at += (size_t)snprintf(sample + at, len - at, " %ld:%d",
		    (long)kids[i], slot);
		if (at >= len)
			at = len - 1;
		if (slot < 0 || (unsigned)slot >= r->n) {
			*done = false;
			continue;
		}
		if ((covered & (1u << slot)) != 0)
			*done = false;
		covered |= 1u << slot;
		r->now[slot] = kids[i];
		for (j = 0; j < r->n; j++)
			if (kids[i] == r->old[j])
				*done = false;
	}
	return covered;
}

static bool
roll_done(void *arg)
{
	struct roll	*r = arg;
	unsigned	 covered, all = (1u << r->n) - 1, ncovered = 0, i;
	char		 sample[512] = "", again[512];
	bool		 done, more;

	covered = roll_scan(r, sample, sizeof(sample), &done);
	for (i = 0; i < r->nknown && covered != all; i++)
		if ((unsigned)r->slot[i] < r->n && t_alive(r->known[i]) &&
		    t_proc_ppid(r->known[i]) == r->master &&
		    t_worker_slot(r->known[i]) == r->slot[i])
			covered |= 1u << r->slot[i];
	if (covered != all)
		covered |= roll_scan(r, again, sizeof(again), &more);
	for (i = 0; i < r->n; i++)
		ncovered += (covered >> i) & 1;
	if (ncovered < r->min_slots) {
		r->min_slots = ncovered;
		snprintf(r->worst, sizeof(r->worst), "%s", sample);
	}
	return done;
}

static void
watch_roll(const struct t_daemon *d, unsigned n, const pid_t *old,
    pid_t *now)
{
	struct roll	r = { .master = d->pid, .n = n, .old = old,
			    .now = now, .min_slots = n };

	if (!t_wait_until(roll_done, &r, WAIT_MS)) {
		dump_log(d);
		fail_msg("the roll did not finish");
	}
	remember(now, n);
	if (r.min_slots < n) {
		dump_log(d);
		fail_msg("a sample had only %u of %u slots served:%s",
		    r.min_slots, n, r.worst);
	}
	/* A replacement beside its predecessor: the roll was watched. */
	if (r.most <= n)
		fail_msg("no sample had more than %u workers", r.most);
}

/* Path: SIGHUP with a new [env], then a new command: rolling restarts. */
static void
test_hup_rolls_changed_workers(void **state)
{
	char		 conf[PATH_MAX];
	const char	*tw = t_testworker();
	struct t_daemon	*d;
	pid_t		 a[3], b[3], c[3];
	unsigned	 i;

	write_conf(conf, "roll.ini", "[prefork]\nworkers = 3\ncommand = %s\n"
	    TIMEOUTS "[env]\nA = 1\n", tw);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 3, a);

	write_conf(conf, "roll.ini", "[prefork]\nworkers = 3\ncommand = %s\n"
	    TIMEOUTS "[env]\nA = 2\n", tw);
	t_daemon_signal(d, SIGHUP);
	watch_roll(d, 3, a, b);
	for (i = 0; i < 3; i++)
		assert_string_equal(t_proc_env(b[i], "A"), "2");
	wait_log(d, MSG_ROLL_DONE);

	write_conf(conf, "roll.ini", "[prefork]\nworkers = 3\n"
	    "command = %s --term-delay 10\n" TIMEOUTS "[env]\nA = 2\n", tw);
	t_daemon_signal(d, SIGHUP);
	watch_roll(d, 3, b, c);
	for (i = 0; i < 3; i++)
		assert_true(cmdline_has(c[i], "--term-delay"));
	assert_int_equal(t_daemon_log_count(d, "changed: rolling restart"),
	    2);
}

/* Path: SIGUSR2 -> pool_set_generation: every worker, slot by slot. */
static void
test_usr2_rolling_restart(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[3];

	write_conf(conf, "usr2.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	t_daemon_signal(d, SIGUSR2);
	watch_roll(d, 3, a, b);
	wait_log(d, "rolling restart of 3 workers");
	wait_log(d, MSG_ROLL_DONE);
}

/*
 * Path: SIGUSR1 -> log_reopen and, with forward_usr1 = yes,
 * pool_signal_all (startstate_test has the default, no).
 */
static void
test_usr1_forward_and_reopen(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		 moved[PATH_MAX], up[PATH_MAX], usr1[PATH_MAX];
	struct t_daemon	*d, view;
	pid_t		 a[2], b[3];

	subdir("usr1", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	xsnprintf(moved, sizeof(moved), "%s/prefork.log.1", dir);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	xsnprintf(usr1, sizeof(usr1), "%s/usr1", dir);
	write_conf(conf, "usr1.ini", "[prefork]\nworkers = 2\nlog_file = %s\n"
	    "forward_usr1 = yes\n" TIMEOUTS, logf);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--touch-pid", up, "--on-usr1", usr1, NULL });
	pool(d, d->pid, 2, a);
	wait_touched(dir, "up", a, 2);

	/* The log file, seen as a daemon's log. */
	view = *d;
	xsnprintf(view.log, sizeof(view.log), "%s", logf);
	wait_log(&view, MSG_POOL_READY);

	assert_int_equal(rename(logf, moved), 0);
	t_daemon_signal(d, SIGUSR1);
	wait_touched(dir, "usr1", a, 2);
	if (!t_wait_file(logf, WAIT_MS))
		fail_msg("the log file was not reopened");
	xsnprintf(view.log, sizeof(view.log), "%s", moved);
	wait_log(&view, MSG_RECEIVED " SIGUSR1");

	/* The next line goes to the new file, and only there. */
	t_daemon_signal(d, SIGTTIN);
	xsnprintf(view.log, sizeof(view.log), "%s", logf);
	wait_log(&view, MSG_RECEIVED " SIGTTIN");
	xsnprintf(view.log, sizeof(view.log), "%s", moved);
	assert_int_equal(t_daemon_log_count(&view, "SIGTTIN"), 0);

	/* USR1 ended no worker. */
	assert_true(t_alive(a[0]) && t_alive(a[1]));
	pool(d, d->pid, 3, b);
	assert_memory_equal(a, b, sizeof(a));
}

/* Path: SIGTERM -> master_shutdown: workers stop on SIGTERM, exit 0. */
static void
test_term_graceful(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], up[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];
	unsigned	 i;

	subdir("term", dir);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	write_conf(conf, "term.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--touch-pid", up, NULL });
	pool(d, d->pid, 3, a);
	wait_touched(dir, "up", a, 3);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	for (i = 0; i < 3; i++) {
		assert_false(t_alive(a[i]));
		assert_true(log_has(d, "worker %u (pid %ld) exited with code 0",
		    i, (long)a[i]));
	}
	assert_false(log_has(d, "SIGKILL\n"));
	assert_true(log_has(d, MSG_EXITING " 0"));
}

/*
 * Sends sig to a pool of 2 workers that ignore SIGTERM and checks that
 * they are SIGKILLed about grace_ms later, and that prefork exits 0.
 */
static void
stubborn_shutdown(const char *name, const char *settings, int sig,
    unsigned grace_ms)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], up[PATH_MAX];
	char		 file[64];
	struct t_daemon	*d;
	pid_t		 a[2];
	double		 t0, elapsed;

	subdir(name, dir);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	xsnprintf(file, sizeof(file), "%s.ini", name);
	write_conf(conf, file, "[prefork]\nworkers = 2\n%s", settings);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--ignore-term", "--touch-pid", up, NULL });
	pool(d, d->pid, 2, a);
	wait_touched(dir, "up", a, 2);

	t0 = t_now_ms();
	t_daemon_signal(d, sig);
	wait_exit(d, grace_ms + WAIT_MS, EX_OK);
	elapsed = t_now_ms() - t0;
	print_message("%s: prefork exited %.0f ms after the signal\n", name,
	    elapsed);
	/* Not before the grace (less a little for the clocks' slop). */
	assert_true(elapsed >= grace_ms - 50);
	assert_false(t_alive(a[0]));
	assert_false(t_alive(a[1]));
	assert_int_equal(t_daemon_log_count(d,
	    "still running at its deadline: SIGKILL"), 2);
	assert_int_equal(t_daemon_log_count(d, "exited on signal 9"), 2);
}

/*
 * Path: SIGTERM within min_uptime of the start -> pool_exited, stopping.
 *
 * Workers stopped on purpose before they booted are a shutdown, not a
 * first generation that failed to boot: no error is logged, and every
 * worker keeps its whole graceful_timeout. Here the worker of slot 2
 * (added by TTIN) takes 1.5 s to stop, within graceful_timeout (3 s)
 * but longer than the 1 s of a quick shutdown.
 */
static void
test_term_young_pool(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], script[PATH_MAX * 2];
	struct t_daemon	*d;
	pid_t		 a[3];

	subdir("young", dir);
	xsnprintf(script, sizeof(script), "if [ \"$PREFORK_WORKER_ID\" = 2 ]; "
	    "then exec '%s' --term-delay 1500 --touch-pid '%s/up'; fi; "
	    "exec '%s' --touch-pid '%s/up'", t_testworker(), dir,
	    t_testworker(), dir);
	write_conf(conf, "young.ini", "[prefork]\nworkers = 2\n"
	    "graceful_timeout = 3s\nmin_uptime = 5s\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    "/bin/sh", "-c", script, NULL });
	pool(d, d->pid, 2, a);
	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 3, a);
	wait_touched(dir, "up", a, 3);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, 3000 + WAIT_MS, EX_OK);
	if (!log_has(d, "worker 2 (pid %ld) exited with code 0",
	    (long)a[2]) || log_has(d, "SIGKILL\n") ||
	    log_has(d, "failed to boot") || log_has(d, ": error: ")) {
		dump_log(d);
		fail_msg("a shutdown within min_uptime was taken for a first "
		    "generation that failed to boot");
	}
}

/* Path: SIGTERM -> pool_stop -> timer_cb -> SIGKILL at graceful_timeout. */
static void
test_term_stubborn_killed(void **state)
{
	stubborn_shutdown("term-stubborn", TIMEOUTS, SIGTERM, GRACEFUL_MS);
}

/* Path: SIGINT -> master_quick: SIGKILL after 1 s, not graceful_timeout. */
static void
test_int_quick(void **state)
{
	stubborn_shutdown("int", "graceful_timeout = 10s\n", SIGINT, 1000);
}

/* Path: SIGQUIT -> master_quick, as SIGINT. */
static void
test_quit_quick(void **state)
{
	stubborn_shutdown("quit", "graceful_timeout = 10s\n", SIGQUIT, 1000);
}

struct all_gone {
	const pid_t	*pids;
	unsigned	 n;
};

static bool
all_gone(void *arg)
{
	struct all_gone	*g = arg;
	unsigned	 i;

	for (i = 0; i < g->n; i++)
		if (t_alive(g->pids[i]))
			return false;
	return true;
}

/* Path: the master killed: every worker's PR_SET_PDEATHSIG(SIGTERM). */
static void
test_master_sigkill_no_orphans(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];
	struct all_gone	 g = { a, 3 };

	write_conf(conf, "kill-master.ini", "[prefork]\nworkers = 3\n"
	    TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	t_daemon_signal(d, SIGKILL);
	assert_true(t_daemon_wait(d, WAIT_MS));
	assert_int_equal(d->status, 128 + SIGKILL);
	if (!t_wait_until(all_gone, &g, 1000))
		fail_msg("workers still alive 1 s after the master died");
}

struct no_zombies {
	pid_t		 master;
	const pid_t	*pids;
	unsigned	 n;
};

static bool
no_zombies(void *arg)
{
	struct no_zombies	*z = arg;
	unsigned		 i;

	for (i = 0; i < z->n; i++)
		if (t_proc_state(z->pids[i]) != '\0')
			return false;	/* alive, or a zombie not reaped */
	return t_zombies(z->master) == 0;
}

/* The child (the --orphan grandchild) of each worker. */
static void
grandchildren(const pid_t *workers, pid_t *g, unsigned n)
{
	unsigned	i;

	for (i = 0; i < n; i++)
		g[i] = first_child(workers[i]);
}

/*
 * Path: PR_SET_CHILD_SUBREAPER -> child_cb reaps a worker's orphan.
 *
 * Each worker leaves a grandchild that lives until the test has seen it
 * reparented to the master, once its worker is killed.
 */
static void
test_orphans_reaped(void **state)
{
	char		 conf[PATH_MAX], go[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], g[2];
	unsigned	 i;
	struct no_zombies z;

	write_conf(conf, "orphans.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	xsnprintf(go, sizeof(go), "%s/orphans.go", t_tmpdir());
	d = start(NULL, NULL, (const char *const[]){ "-l", "debug", "-c",
	    conf, "--", t_testworker(), "--orphan", "600000",
	    "--orphan-until", go, NULL });
	pool(d, d->pid, 2, a);
	wait_booted(a, 2);
	grandchildren(a, g, 2);
	remember(g, 2);
	/* Kill the workers alone: the grandchildren are in a session apart. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(kill(a[i], SIGKILL), 0);
		wait_reparented(d, g[i], d->pid);
	}
	t_write_file("orphans.go", "");
	z = (struct no_zombies){ d->pid, g, 2 };
	if (!t_wait_until(no_zombies, &z, WAIT_MS))
		fail_msg("zombies left: %zu under the master",
		    t_zombies(d->pid));
	for (i = 0; i < 2; i++)
		wait_logf(d, "reaped pid %ld, not a worker: exited with code 0",
		    (long)g[i]);
}

/* Both slots hold a worker that got past --crash-if (its up file). */
struct healthy {
	pid_t		 master;
	const char	*dir;
	pid_t		 by_slot[2];
};

static bool
healthy(void *arg)
{
	struct healthy	*h = arg;
	char		 path[PATH_MAX];
	unsigned	 i;

	if (!t_pool_now(h->master, 2, h->by_slot))
		return false;
	for (i = 0; i < 2; i++) {
		xsnprintf(path, sizeof(path), "%s/up.%ld", h->dir,
		    (long)h->by_slot[i]);
		if (access(path, F_OK) != 0)
			return false;
	}
	return true;
}

/*
 * Whether a process here that dies of SIGSEGV in dir, with the core size
 * limit at its hard limit, dumps core: core_pattern and the limits allow
 * it. Tried on a child of the test, as a worker would.
 */
static bool
dumps_core(const char *dir)
{
	struct rlimit	rl;
	pid_t		pid;
	int		status;

	if ((pid = fork()) == 0) {
		if (chdir(dir) == -1 || getrlimit(RLIMIT_CORE, &rl) == -1)
			_exit(1);
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_CORE, &rl) == -1)
			_exit(1);
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		_exit(1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WCOREDUMP(status);
}

/*
 * Path: child_cb -> pool_exited -> note_exit: a worker's death by a
 * signal is logged with the signal, its uptime, and "(core dumped)" when
 * the kernel says so (WCOREDUMP); the worker inherits the master's core
 * size limit and writes its core in its chdir. The core part is skipped
 * where this machine makes no core file (core_pattern, hard limit 0).
 */
static void
test_crash_signal_logged(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], asan[1024];
	const char	*env[] = { asan, NULL };
	const char	*opts = getenv("ASAN_OPTIONS");
	struct t_daemon	*d;
	struct rlimit	 saved, rl;
	pid_t		 a[1];
	bool		 core;

	/* In a sanitizer build, ASan would set the worker's limit to 0. */
	xsnprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s%sdisable_coredump=0",
	    opts != NULL ? opts : "", opts != NULL && *opts != '\0' ? ":" :
	    "");
	subdir("cores", dir);
	core = dumps_core(dir);
	write_conf(conf, "segv.ini", "[prefork]\nworkers = 1\nchdir = %s\n"
	    TIMEOUTS, dir);
	/* The daemon inherits the limit at its start; ours is put back. */
	assert_int_equal(getrlimit(RLIMIT_CORE, &saved), 0);
	rl = saved;
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_CORE, &rl), 0);
	d = start(env, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--signal", "SEGV", "--core", "--after", "400",
	    NULL });
	assert_int_equal(setrlimit(RLIMIT_CORE, &saved), 0);
	pool(d, d->pid, 1, a);
	if (core)
		wait_logf(d, "worker 0 (pid %ld) exited on signal 11 (core "
		    "dumped) after 0.", (long)a[0]);
	else {
		print_message("no core file on this machine (see "
		    "/proc/sys/kernel/core_pattern): core part skipped\n");
		wait_logf(d, "worker 0 (pid %ld) exited on signal 11 after "
		    "0.", (long)a[0]);
	}
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + WAIT_MS, 0);
}

/*
 * Path: slot_backoff in a crash loop: bounded, cheap, and recovering.
 *
 * The workers boot, then the flag makes every new one exit 3 at once:
 * the slots restart on a doubling backoff, the master stays idle, and
 * the pool is complete again once the flag is gone. min_uptime is 1 s
 * here, so that a worker that crashes at start is never taken for one
 * that booted, even when a loaded machine makes its start slow.
 */
static void
test_crash_loop_bounded(void **state)
{
	/* The observation window, long enough for several doublings. */
	const unsigned	 window_ms = 1500;
	char		 dir[PATH_MAX], conf[PATH_MAX], flag[PATH_MAX];
	char		 up[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2];
	unsigned	 spawns0, spawns, bound, per_slot = 0;
	long long	 cpu0, cpu;
	double		 t, delay, t0, window;
	struct healthy	 h;

	subdir("crash", dir);
	xsnprintf(flag, sizeof(flag), "%s/flag", dir);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	write_conf(conf, "crash.ini", "[prefork]\nworkers = 2\n" DELAYS
	    "min_uptime = 1s\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--crash-if", flag, "--touch-pid", up, NULL });
	pool(d, d->pid, 2, a);
	wait_touched(dir, "up", a, 2);
	wait_lived(a, 2, 1000);

	assert_non_null(t_write_file("crash/flag", ""));
	spawns0 = t_daemon_log_count(d, " spawned");
	cpu0 = t_proc_cpu_ms(d->pid);
	t0 = t_now_ms();
	assert_int_equal(kill(a[0], SIGKILL), 0);
	assert_int_equal(kill(a[1], SIGKILL), 0);
	/* The window is the measurement: how often the slots restart in it. */
	observe(window_ms);
	spawns = t_daemon_log_count(d, " spawned") - spawns0;
	cpu = t_proc_cpu_ms(d->pid) - cpu0;
	window = t_now_ms() - t0;

	/*
	 * The bound: a slot restarts at once after a worker that had
	 * booted, then after each crash waits restart_delay, doubling, up
	 * to restart_delay_max. Count the starts that fit in the window as
	 * it was measured (from the kill to the count): with 50 ms and 1 s,
	 * at 0, 50, 150, 350, 750 and 1550 ms: 5 a slot in 1.5 s.
	 */
	for (t = 0, delay = RESTART_DELAY_MS; t <= window; t += delay) {
		per_slot++;
		delay = delay * 2 < RESTART_DELAY_MAX_MS ? delay * 2 :
		    RESTART_DELAY_MAX_MS;
	}
	bound = 2 * per_slot;
	print_message("crash loop: %u starts in %.0f ms (bound %u), master "
	    "CPU %lld ms\n", spawns, window, bound, cpu);
	assert_true(spawns <= bound);
	/* It does retry, each slot twice at least, and backs off. */
	wait_log_count(d, " spawned", spawns0 + 4);
	/* The fourth failure in a row waits restart_delay * 2^3. */
	wait_logf(d, MSG_DIED_YOUNG "; starting again in %ums (failure 4 in a "
	    "row)", RESTART_DELAY_MS * 8);
	/*
	 * A dozen forks cost the master a few ms; a master that spun would
	 * have burnt most of the window.
	 */
	assert_true(cpu >= 0 && cpu < 200);

	assert_int_equal(unlink(flag), 0);
	t0 = t_now_ms();
	h = (struct healthy){ d->pid, dir, { 0, 0 } };
	if (!t_wait_until(healthy, &h, RESTART_DELAY_MAX_MS + WAIT_MS)) {
		dump_log(d);
		fail_msg("the pool did not recover");
	}
	remember(h.by_slot, 2);
	print_message("crash loop: pool complete %.0f ms after the fix\n",
	    t_now_ms() - t0);
}

/* Path: check_command at start-up: a missing command exits 69. */
static void
test_exit69_missing_command(void **state)
{
	struct t_run	r;

	run_prefork(&r, (const char *const[]){ "--", "/nonexistent/cmd",
	    NULL });
	assert_int_equal(r.status, EX_UNAVAILABLE);
	assert_true(t_contains(r.err, "No such file or directory"));
	assert_true(t_contains(r.err, "/nonexistent/cmd"));
	t_run_free(&r);
}

/* Path: POOL_EXIT_FIRST_FAILED: no worker of the first generation boots. */
static void
test_exit69_first_generation(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;

	/*
	 * min_uptime 1s, not TIMEOUTS' 200ms: a sanitizer-built worker on a
	 * loaded machine can take 0.4 s to exit 1, and would count as booted.
	 */
	write_conf(conf, "first.ini", "[prefork]\nworkers = 2\n" DELAYS
	    "min_uptime = 1s\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--exit", "1", NULL });
	wait_exit(d, WAIT_MS, EX_UNAVAILABLE);
	assert_true(log_has(d, MSG_FIRST_FAILED));
	assert_true(log_has(d, "exited with code 1"));
	assert_true(log_has(d, MSG_EXITING " 69"));
}

/* Path: run_pool without any command: a configuration error, 78. */
static void
test_exit78_no_command(void **state)
{
	char		conf[PATH_MAX];
	struct t_run	r;

	write_conf(conf, "nocmd.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	run_prefork(&r, (const char *const[]){ "-c", conf, NULL });
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "no worker command"));
	t_run_free(&r);
}

/*
 * Starts 3 workers with halt_exit_codes = 4, 78 where the worker of slot
 * 1 exits with code after 500 ms (it booted: min_uptime is 100 ms).
 */
static struct t_daemon *
start_halting(const char *name, int code, char *dir)
{
	char	conf[PATH_MAX], script[PATH_MAX * 2], file[64];

	subdir(name, dir);
	xsnprintf(file, sizeof(file), "%s.ini", name);
	xsnprintf(script, sizeof(script), "if [ \"$PREFORK_WORKER_ID\" = 1 ]; "
	    "then exec '%s' --exit %d --after 500; fi; exec '%s' --touch-pid "
	    "'%s/up'", t_testworker(), code, t_testworker(), dir);
	write_conf(conf, file, "[prefork]\nworkers = 3\n" DELAYS
	    "min_uptime = 100ms\nhalt_exit_codes = 4, 78\n");
	return start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    "/bin/sh", "-c", script, NULL });
}

/* Path: POOL_EXIT_HALT: a halt code stops the pool, prefork exits it. */
static void
test_halt_exit_code(void **state)
{
	char		 dir[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];

	d = start_halting("halt", 4, dir);
	pool(d, d->pid, 3, a);
	wait_touched(dir, "up", (pid_t[]){ a[0], a[2] }, 2);
	wait_exit(d, WAIT_MS, 4);
	assert_true(log_has(d, "worker 1 (pid %ld) exited with code 4",
	    (long)a[1]));
	assert_true(log_has(d, "a worker exited with halt code 4"));
	assert_true(log_has(d, MSG_EXITING " 4"));
	assert_true(log_has(d, "worker 0 (pid %ld) exited with code 0",
	    (long)a[0]));
	assert_true(log_has(d, "worker 2 (pid %ld) exited with code 0",
	    (long)a[2]));
	/* Nothing was started after the halt. */
	assert_int_equal(t_daemon_log_count(d, " spawned"), 3);
	assert_false(t_alive(a[0]) || t_alive(a[1]) || t_alive(a[2]));
}

/*
 * A halt code that prefork uses itself (78, a configuration error) is
 * passed through as is: the exit status is 78 all the same, and the log
 * says it was a worker's.
 */
static void
test_halt_code_like_our_own(void **state)
{
	char		 dir[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];

	d = start_halting("halt78", EX_CONFIG, dir);
	pool(d, d->pid, 3, a);
	wait_exit(d, WAIT_MS, EX_CONFIG);
	assert_true(log_has(d, "worker 1 (pid %ld) exited with code 78",
	    (long)a[1]));
	assert_true(log_has(d, "a worker exited with halt code 78"));
	assert_true(log_has(d, MSG_EXITING " 78"));
	assert_false(log_has(d, "problem"));
}

/* Path: an exit code not in halt_exit_codes: the slot is refilled. */
static void
test_other_exit_code_replaced(void **state)
{
	char		 dir[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[3];

	d = start_halting("nohalt", 5, dir);
	pool(d, d->pid, 3, a);
	wait_logf(d, "worker 1 (pid %ld) exited with code 5", (long)a[1]);
	wait_gone(a[1], WAIT_MS);
	pool(d, d->pid, 3, b);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[2], a[2]);
	assert_int_not_equal(b[1], a[1]);
	assert_false(log_has(d, "halt code"));
	wait_touched(dir, "up", (pid_t[]){ a[0], a[2] }, 2);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/* The pidfile's PID, or -1. */
static long
pidfile_pid(const char *path)
{
	char	*text = util_read_file(path, 64);
	long	 pid;

	if (text == NULL)
		return -1;
	pid = strtol(text, NULL, 10);
	free(text);
	return pid;
}

/* Path: pidfile_open at start, pidfile_write at "pool ready", removal. */
static void
test_pidfile(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		 want[64];
	struct t_daemon	*d;
	struct t_run	 r;
	pid_t		 a[2];

	subdir("pidfile", dir);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", dir);
	write_conf(conf, "pidfile.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "-p", pidf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	assert_int_equal(pidfile_pid(pidf), d->pid);

	/* A second prefork on the same file refuses, naming the first. */
	run_prefork(&r, (const char *const[]){ "-c", conf, "-p", pidf, "--",
	    t_testworker(), NULL });
	assert_int_equal(r.status, EX_CANTCREAT);
	xsnprintf(want, sizeof(want), "(pid %ld)", (long)d->pid);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);
	/* ... and leaves the first one's file alone. */
	assert_int_equal(pidfile_pid(pidf), d->pid);
	pool(d, d->pid, 2, a);

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_int_equal(access(pidf, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

/* Path: pidfile_open on a stale, unlocked file: taken over. */
static void
test_pidfile_stale(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		 text[64];
	struct t_daemon	*d;
	pid_t		 dead, a[2];
	int		 status;

	/* A PID that was a process and is no more. */
	dead = fork();
	assert_true(dead != -1);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, &status, 0), dead);

	subdir("stale", dir);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", dir);
	xsnprintf(text, sizeof(text), "%ld\n", (long)dead);
	assert_non_null(t_write_file("stale/prefork.pid", text));
	write_conf(conf, "stale.ini", "[prefork]\nworkers = 2\npidfile = %s\n"
	    TIMEOUTS, pidf);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	assert_int_equal(pidfile_pid(pidf), d->pid);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_int_equal(access(pidf, F_OK), -1);
}

/*
 * Path: launch_spawn without root, user = the master's own user. There
 * is nothing to switch, and setgroups() would fail without privilege:
 * the workers start, as that user. Runs the master as nobody through
 * setpriv(1); skipped where that is not possible.
 */
static void
test_unprivileged_own_user(void **state)
{
	const char *const wrapper[] = { "setpriv", "--reuid=nobody",
	    "--regid=nogroup", "--clear-groups", NULL };
	char		 dir[PATH_MAX], conf[PATH_MAX];
	struct t_daemon	*d;
	struct passwd	*pw;
	pid_t		 a[2];
	unsigned	 i;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		print_message("skipped: needs root, and a user nobody\n");
		skip();
	}
	it_nobody_dir("nobody", dir, true);
	xsnprintf(conf, sizeof(conf), "%s/own-user.ini", dir);
	assert_non_null(t_write_file("nobody/own-user.ini", "[prefork]\n"
	    "workers = 2\nuser = nobody\ngroup = nogroup\n" TIMEOUTS));
	assert_int_equal(chmod(conf, 0644), 0);

	d = start(NULL, wrapper, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	for (i = 0; i < 2; i++)
		assert_int_equal(t_proc_status_num(a[i], "Uid"), pw->pw_uid);
	wait_log(d, MSG_POOL_READY ": 2 workers");
	assert_false(log_has(d, "credentials"));
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + WAIT_MS, 0);
}

/*
 * Path: the master as PID 1 of a PID namespace (unshare), end to end.
 *
 * Its workers run, its orphans are reaped, and SIGTERM ends it cleanly.
 */
static void
test_pid1(void **state)
{
	const char *const wrapper[] = { "unshare", "--pid", "--fork",
	    "--kill-child", "--mount-proc", NULL };
	char		 conf[PATH_MAX], go[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 master, a[2], g[2];
	unsigned	 i;
	struct no_zombies z;

	it_skip_unless((const char *const[]){ "unshare", "--pid", "--fork",
	    "--mount-proc", "true", NULL },
	    "unshare --pid --fork --mount-proc failed");

	write_conf(conf, "pid1.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	xsnprintf(go, sizeof(go), "%s/pid1.go", t_tmpdir());
	d = start(NULL, wrapper, (const char *const[]){ "-l", "debug", "-c",
	    conf, "--", t_testworker(), "--orphan", "600000",
	    "--orphan-until", go, NULL });
	master = first_child(d->pid);
	/* Its last NSpid is the PID it has in its own namespace. */
	{
		char	 path[64], line[256];
		FILE	*f;
		bool	 one = false;

		xsnprintf(path, sizeof(path), "/proc/%ld/status", (long)master);
		assert_non_null(f = fopen(path, "r"));
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "NSpid:", 6) == 0) {
				size_t	n = strlen(line);

				one = n >= 3 && strcmp(line + n - 3, "\t1\n")
				    == 0;
			}
		fclose(f);
		if (!one)
			fail_msg("prefork (host pid %ld) is not PID 1 in its "
			    "namespace", (long)master);
	}
	pool(d, master, 2, a);
	wait_log(d, "prefork[1]: info: " MSG_POOL_READY);
	wait_booted(a, 2);
	grandchildren(a, g, 2);
	remember(g, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(kill(a[i], SIGKILL), 0);
		wait_reparented(d, g[i], master);
	}
	t_write_file("pid1.go", "");
	z = (struct no_zombies){ master, g, 2 };
	if (!t_wait_until(no_zombies, &z, WAIT_MS))
		fail_msg("zombies left: %zu under prefork", t_zombies(master));
	/*
	 * The zombie is gone at waitpid(), the line written just after:
	 * waited for, not read at once.
	 */
	wait_log_count(d, "not a worker: exited with code 0", 2);
	assert_int_equal(t_daemon_log_count(d, "not a worker: exited with "
	    "code 0"), 2);
	pool(d, master, 2, a);

	assert_int_equal(kill(master, SIGTERM), 0);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_true(log_has(d, MSG_EXITING " 0"));
	assert_false(t_alive(a[0]) || t_alive(a[1]));
}

/* Fails unless every line of the log matches the regular expression. */
static void
assert_lines_match(const struct t_daemon *d, const char *re)
{
	regex_t	 rx;
	char	*log = t_daemon_log(d), *line, *save = NULL;
	unsigned n = 0;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&rx, line, 0, NULL, 0) != 0)
			fail_msg("log line \"%s\" does not match %s", line, re);
		n++;
	}
	regfree(&rx);
	free(log);
	assert_true(n >= 5);
}

/* Path: log_prefix with a timestamp, on stderr. */
static void
test_log_format(void **state)
{
	char		 conf[PATH_MAX], re[256];
	struct t_daemon	*d;
	pid_t		 a[2];

	write_conf(conf, "logfmt.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_booted(a, 2);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9", (long)a[0]);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	xsnprintf(re, sizeof(re), "^[0-9]{4}-[0-9]{2}-[0-9]{2} "
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} prefork\\[%ld\\]: "
	    "(error|warn|info|debug): [^ ]", (long)d->pid);
	assert_lines_match(d, re);
	assert_true(log_has(d, "]: info: worker 1 (pid %ld" MSG_SPAWNED "\n",
	    (long)a[1]));
	assert_true(log_has(d, "]: warn: worker 0 (pid %ld) exited on "
	    "signal 9 after ", (long)a[0]));
}

/*
 * Path: log_init with JOURNAL_STREAM naming stderr: "<N>" prefixes and
 * the level word only, since journald adds "prefork[PID]: " itself.
 */
static void
test_log_journal(void **state)
{
	const char	*logf = t_daemon_next_log();
	char		 conf[PATH_MAX], js[128];
	struct t_daemon	*d;
	struct stat	 st;
	pid_t		 a[2];

	assert_int_equal(stat(logf, &st), 0);
	xsnprintf(js, sizeof(js), "JOURNAL_STREAM=%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	write_conf(conf, "journal.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start((const char *const[]){ js, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	assert_string_equal(d->log, logf);
	pool(d, d->pid, 2, a);
	wait_booted(a, 2);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9", (long)a[0]);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_lines_match(d, "^<[3467]>(error|warn|info|debug): [^ ]");
	assert_false(log_has(d, "prefork[%ld]", (long)d->pid));
	assert_true(log_has(d, "<6>info: " MSG_POOL_READY));
	assert_true(log_has(d, "<4>warn: worker 0 (pid %ld) exited on "
	    "signal 9", (long)a[0]));
}

/* Path: --log-level warn: info lines are not written, warnings are. */
static void
test_log_level_warn(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];

	write_conf(conf, "warn.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "--log-level", "warn",
	    "-c", conf, "--", t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_booted(a, 2);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_logf(d, "warn: worker 0 (pid %ld) exited on signal 9",
	    (long)a[0]);
	pool(d, d->pid, 2, b);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_int_equal(t_daemon_log_count(d, "spawned"), 0);
	assert_int_equal(t_daemon_log_count(d, ": info: "), 0);
}

static bool
sleeping(void *arg)
{
	return t_proc_state(*(pid_t *)arg) == 'S';
}

/*
 * How long the master's current epoll wait may last, in ms, from
 * /proc/PID/syscall (the number and arguments of the blocking system
 * call): -1 for ever; -2 when it is not blocked in epoll_wait() or
 * epoll_pwait(), whose timeout is the fourth argument, or cannot tell.
 */
static long long
epoll_timeout_ms(pid_t pid, char *line, size_t len)
{
	char		 path[64];
	unsigned long	 a[6];
	long		 nr;
	ssize_t		 n;
	int		 fd;

	line[0] = '\0';
	xsnprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -2;
	n = read(fd, line, len - 1);
	close(fd);
	if (n <= 0)
		return -2;
	line[n] = '\0';
	if (sscanf(line, "%ld %lx %lx %lx %lx", &nr, &a[0], &a[1], &a[2],
	    &a[3]) != 5)
		return -2;
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return (int)a[3];
#endif
#ifdef SYS_epoll_pwait
	if (nr == SYS_epoll_pwait)
		return (int)a[3];
#endif
	return -2;
}

/*
 * Path: master_update arms no timer when nothing is pending. Seen two
 * ways: no context switch in a window, and the epoll wait the master
 * sleeps in has no timeout, or one far beyond any window a test could
 * watch (libev's own limit without a timer is about 17 days when it
 * has a timerfd for clock jumps, 60 s without: a master that woke every
 * minute would pass the first check but not this one).
 */
static void
test_idle_master_sleeps(void **state)
{
	char		 conf[PATH_MAX], path[64], wchan[64] = "", line[256];
	struct t_daemon	*d;
	pid_t		 a[2];
	long long	 v0, v1, n0, n1, timeout;
	ssize_t		 n;
	int		 fd;

	write_conf(conf, "idle.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	assert_true(t_wait_until(sleeping, &d->pid, WAIT_MS));

	v0 = t_proc_status_num(d->pid, "voluntary_ctxt_switches");
	n0 = t_proc_status_num(d->pid, "nonvoluntary_ctxt_switches");
	/* The window is the measurement: an idle master never wakes in it. */
	observe(1000);
	v1 = t_proc_status_num(d->pid, "voluntary_ctxt_switches");
	n1 = t_proc_status_num(d->pid, "nonvoluntary_ctxt_switches");
	xsnprintf(path, sizeof(path), "/proc/%ld/wchan", (long)d->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if ((n = read(fd, wchan, sizeof(wchan) - 1)) > 0)
			wchan[n] = '\0';
		close(fd);
	}
	print_message("idle master: %lld -> %lld voluntary switches, "
	    "%lld -> %lld involuntary, state %c, wchan %s\n", v0, v1, n0, n1,
	    t_proc_state(d->pid), wchan);
	assert_true(v0 >= 0);
	assert_int_equal(v1, v0);
	assert_int_equal(t_proc_state(d->pid), 'S');

	timeout = epoll_timeout_ms(d->pid, line, sizeof(line));
	print_message("idle master blocked in: %s", line);
	if (timeout == -2) {
		print_message("(not epoll_wait or epoll_pwait: timeout not "
		    "checked)\n");
		return;
	}
	/* An hour: nothing the master does waits that long by default. */
	if (timeout != -1 && timeout < 3600 * 1000)
		fail_msg("the idle master will wake up in %lld ms", timeout);
}

/*
 * Path: check_resolve_command -> launch_prepare: a relative command with
 * a slash is found from chdir, where the worker execs it, not from the
 * master's directory (which here has no such file).
 */
static void
test_relative_command_in_chdir(void **state)
{
	char		 dir[PATH_MAX], tw[PATH_MAX], conf[PATH_MAX];
	char		 rep[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2];
	char		*text;

	subdir("reldir", dir);
	xsnprintf(tw, sizeof(tw), "%s/testworker", dir);
	copy_testworker(tw);
	subdir("relrep", rep);
	assert_int_equal(access("./testworker", F_OK), -1);
	write_conf(conf, "relative.ini", "[prefork]\nworkers = 2\n"
	    "chdir = %s\ncommand = ./testworker --report %s\n" TIMEOUTS,
	    dir, rep);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, NULL });
	pool(d, d->pid, 2, a);
	text = t_report_wait(rep, a[0], WAIT_MS);
	assert_true(t_has_line(text, "cwd %s", dir));
	free(text);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + WAIT_MS, 0);
}

/*
 * Path: a respawn whose execve() fails -> spawn's error pipe, backoff.
 *
 * The program loses its x bit: the errno is logged from the child's
 * pipe, the slot backs off, the other workers serve on, and the pool
 * recovers once the program is back. (fork() itself failing needs root
 * tricks: not covered here.)
 */
static void
test_exec_failure_survived(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], tw[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];

	subdir("execfail", dir);
	xsnprintf(tw, sizeof(tw), "%s/tw", dir);
	copy_testworker(tw);
	write_conf(conf, "execfail.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--", tw,
	    NULL });
	pool(d, d->pid, 2, a);
	wait_booted(a, 2);

	assert_int_equal(chmod(tw, 0644), 0);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_logf(d, ": exec %s: Permission denied", tw);
	wait_log(d, "worker 0: " MSG_DIED_YOUNG "; " MSG_STARTING_AGAIN);
	assert_true(t_alive(a[1]));
	assert_true(t_alive(d->pid));

	assert_int_equal(chmod(tw, 0755), 0);
	if (!t_wait_pool(d->pid, 2, b, RESTART_DELAY_MAX_MS + 1000))
		fail_msg("the pool did not recover");
	remember(b, 2);
	assert_int_equal(b[1], a[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_worker_environment, teardown),
		cmocka_unit_test_teardown(test_kill9_replaced_in_slot,
		    teardown),
		cmocka_unit_test_teardown(test_ttin_ttou, teardown),
		cmocka_unit_test_teardown(test_ttou_keeps_one, teardown),
		cmocka_unit_test_teardown(test_hup_grow_shrink, teardown),
		cmocka_unit_test_teardown(test_hup_broken_config, teardown),
		cmocka_unit_test_teardown(test_hup_reprobes_hardware,
		    teardown),
		cmocka_unit_test_teardown(test_hup_rolls_changed_workers,
		    teardown),
		cmocka_unit_test_teardown(test_usr2_rolling_restart,
		    teardown),
		cmocka_unit_test_teardown(test_usr1_forward_and_reopen,
		    teardown),
		cmocka_unit_test_teardown(test_term_graceful, teardown),
		cmocka_unit_test_teardown(test_term_stubborn_killed,
		    teardown),
		cmocka_unit_test_teardown(test_term_young_pool, teardown),
		cmocka_unit_test_teardown(test_int_quick, teardown),
		cmocka_unit_test_teardown(test_quit_quick, teardown),
		cmocka_unit_test_teardown(test_master_sigkill_no_orphans,
		    teardown),
		cmocka_unit_test_teardown(test_orphans_reaped, teardown),
		cmocka_unit_test_teardown(test_crash_signal_logged, teardown),
		cmocka_unit_test_teardown(test_crash_loop_bounded, teardown),
		cmocka_unit_test_teardown(test_exit69_missing_command,
		    teardown),
		cmocka_unit_test_teardown(test_exit69_first_generation,
		    teardown),
		cmocka_unit_test_teardown(test_exit78_no_command, teardown),
		cmocka_unit_test_teardown(test_halt_exit_code, teardown),
		cmocka_unit_test_teardown(test_halt_code_like_our_own,
		    teardown),
		cmocka_unit_test_teardown(test_other_exit_code_replaced,
		    teardown),
		cmocka_unit_test_teardown(test_pidfile, teardown),
		cmocka_unit_test_teardown(test_pidfile_stale, teardown),
		cmocka_unit_test_teardown(test_unprivileged_own_user,
		    teardown),
		cmocka_unit_test_teardown(test_pid1, teardown),
		cmocka_unit_test_teardown(test_log_format, teardown),
		cmocka_unit_test_teardown(test_log_journal, teardown),
		cmocka_unit_test_teardown(test_log_level_warn, teardown),
		cmocka_unit_test_teardown(test_idle_master_sleeps, teardown),
		cmocka_unit_test_teardown(test_relative_command_in_chdir,
		    teardown),
		cmocka_unit_test_teardown(test_exec_failure_survived,
		    teardown),
	};

	/* MASTER_TEST=test_pid1 runs one test (a glob), when debugging. */
	it_init(WAIT_MS, "MASTER_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
