/* SPDX-License-Identifier: ISC */
/*
 * files_test: the real prefork daemon and the files it opens (prefork(8),
 * "Files it opens"): log_file and the pidfile are never reached through
 * a symbolic link that someone else could plant, are never a FIFO to
 * block on, and the pidfile is written at start-up, never overwrites
 * what is not a pidfile, names its holder from the lock and is removed
 * at exit only if it is still ours; a root master refuses a
 * configuration file that others may write; a full disk drops log lines
 * whole; --check finds what start-up would refuse. Most tests need root
 * (chown, mount) and say so when they skip.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
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
#include <linux/fs.h>

#include "itest.h"
#include "messages.h"
#include "testlib.h"
#include "util.h"

/* The deadline for a condition that should hold within milliseconds. */
#define WAIT_MS		20000

/*
 * How long a start-up that must fail at once may take: a master that
 * blocks (on a FIFO) is killed at this deadline, which fails the test.
 */
#define QUICK_MS	20000

#define TIMEOUTS							\
	"graceful_timeout = 500ms\n"					\
	"min_uptime = 100ms\n"						\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 400ms\n"

/* What a root-only file holds; no log line of prefork's looks like it. */
#define SECRET	"root only\n"

/* A tmpfs mounted by the full-disk test, unmounted by the teardown. */
static char	mounted[PATH_MAX];

static int
teardown(void **state)
{
	(void)state;
	if (mounted[0] != '\0') {
		(void)umount2(mounted, MNT_DETACH);
		mounted[0] = '\0';
	}
	return it_teardown();
}

static void
need_root(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (chown, chmod of other "
		    "users' files)\n");
		skip();
	}
}

/* Writes a file with text and mode (for the target of an attack). */
static void
put_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* True when the file at path holds exactly text. */
static bool
holds(const char *path, const char *text)
{
	char	*got = util_read_file(path, 1 << 20);
	bool	 same;

	if (got == NULL)
		return false;
	same = strcmp(got, text) == 0;
	if (!same)
		fprintf(stderr, "%s holds:\n%s\n", path, got);
	free(got);
	return same;
}

/*
 * Waits until the worker pid created dir/up.PID (testworker's
 * --touch-pid): its USR1 handler is in place (--on-usr1), so that
 * prefork's forwarding of USR1 does not kill it.
 */
static void
wait_up(const char *dir, pid_t pid)
{
	char	path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s/up.%ld", dir, (long)pid);
	if (!t_wait_file(path, WAIT_MS))
		fail_msg("worker %ld did not start", (long)pid);
}

/* A view of a log file as a daemon's log, for the wait functions. */
static struct t_daemon
view_of(const struct t_daemon *d, const char *path)
{
	struct t_daemon	v = *d;

	xsnprintf(v.log, sizeof(v.log), "%s", path);
	return v;
}

/*
 * Plants what another user (uid 65534) could in a sticky directory that
 * everyone may write, as /tmp: dir/pub, mode 01777, holds a link of
 * theirs named name to a directory of theirs, dir/other. The link's path
 * in lnk and the directory's in other (PATH_MAX each).
 */
static void
plant_sticky_link(const char *dir, const char *name, char *lnk, char *other)
{
	char	pub[PATH_MAX];

	xsnprintf(pub, sizeof(pub), "%s/pub", dir);
	xsnprintf(other, PATH_MAX, "%s/other", dir);
	xsnprintf(lnk, PATH_MAX, "%s/%s", pub, name);
	assert_int_equal(mkdir(pub, 0700), 0);
	assert_int_equal(chmod(pub, 01777), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(symlink(other, lnk), 0);
	assert_int_equal(lchown(lnk, 65534, 65534), 0);
}

/*
 * Path: log_file at start-up, a symbolic link planted at it to a
 * root-only file: refused (73), and the target is untouched.
 */
static void
test_log_link_at_start(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		secret[PATH_MAX];
	struct t_run	r;

	(void)state;
	subdir("loglink", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	xsnprintf(secret, sizeof(secret), "%s/secret", dir);
	put_file(secret, SECRET, 0600);
	assert_int_equal(symlink(secret, logf), 0);
	write_conf(conf, "loglink.ini", "[prefork]\nworkers = 1\n"
	    "log_file = %s\n" TIMEOUTS, logf);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "is a symbolic link (refusing to "
	    "follow it)"));
	t_run_free(&r);
	assert_true(holds(secret, SECRET));
}

/*
 * Path: safefile_walk, a link planted in a sticky directory that
 * everyone may write (as in /tmp) by another user, on the way to
 * log_file: refused at start-up (73), as fs.protected_symlinks would.
 */
static void
test_log_link_in_sticky_dir(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		other[PATH_MAX], lnk[PATH_MAX], planted[PATH_MAX];
	struct t_run	r;

	(void)state;
	need_root();
	subdir("sticky", dir);
	plant_sticky_link(dir, "logs", lnk, other);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", lnk);
	xsnprintf(planted, sizeof(planted), "%s/prefork.log", other);
	write_conf(conf, "sticky.ini", "[prefork]\nworkers = 1\n"
	    "log_file = %s\n" TIMEOUTS, logf);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "is a symbolic link of uid 65534 in a "
	    "directory others may write"));
	t_run_free(&r);
	assert_int_equal(access(planted, F_OK), -1);
}

/*
 * Path: master_usr1 -> log_reopen, the worker's attack: the log renamed
 * and a link to a root-only file put in its place. The reopen is
 * refused, the target untouched, the failure logged into the old file
 * and to standard error, and the old file still takes the log.
 */
static void
test_log_link_on_usr1(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		 moved[PATH_MAX], secret[PATH_MAX];
	char		 up[PATH_MAX], usr1[PATH_MAX];
	struct t_daemon	*d, old;
	pid_t		 a[1];

	(void)state;
	subdir("usr1link", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	xsnprintf(moved, sizeof(moved), "%s/prefork.log.1", dir);
	xsnprintf(secret, sizeof(secret), "%s/secret", dir);
	put_file(secret, SECRET, 0600);
	write_conf(conf, "usr1link.ini", "[prefork]\nworkers = 1\n"
	    "log_file = %s\n" TIMEOUTS, logf);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	xsnprintf(usr1, sizeof(usr1), "%s/usr1", dir);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--touch-pid", up, "--on-usr1", usr1, NULL });
	pool(d, d->pid, 1, a);
	wait_up(dir, a[0]);
	old = view_of(d, logf);
	wait_log(&old, MSG_POOL_READY);

	assert_int_equal(rename(logf, moved), 0);
	assert_int_equal(symlink(secret, logf), 0);
	old = view_of(d, moved);
	t_daemon_signal(d, SIGUSR1);
	wait_log(&old, "is a symbolic link (refusing to follow it): keeping "
	    "the old log file");
	wait_log(d, "is a symbolic link (refusing to follow it): keeping "
	    "the old log file");

	/* The old file still takes the log; the target never does. */
	t_daemon_signal(d, SIGTTIN);
	wait_log(&old, MSG_RECEIVED " SIGTTIN");
	assert_true(holds(secret, SECRET));
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_true(holds(secret, SECRET));
}

/* Path: log_file is a FIFO at start-up: refused (73) at once. */
static void
test_log_fifo_at_start(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	struct t_run	r;

	(void)state;
	subdir("fifo", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	assert_int_equal(mkfifo(logf, 0600), 0);
	write_conf(conf, "fifo.ini", "[prefork]\nworkers = 1\n"
	    "log_file = %s\n" TIMEOUTS, logf);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "not a regular file (FIFO)"));
	t_run_free(&r);
}

/*
 * Path: check_metrics_file at start-up, then master_metrics_file ->
 * safefile_replace: metrics_file is a FIFO: refused (73) at once; its
 * temporary file a FIFO put there while running: refused each interval,
 * logged, never blocked on, and the pool still served.
 */
static void
test_metrics_file_fifo(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], path[PATH_MAX];
	char		 tmp[PATH_MAX + 8];
	struct t_run	 r;
	struct t_daemon	*d;
	pid_t		 a[1], b[1];

	(void)state;
	subdir("metrics-fifo", dir);
	xsnprintf(path, sizeof(path), "%s/prefork.prom", dir);
	xsnprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkfifo(path, 0600), 0);
	write_conf(conf, "mfifo.ini", "[prefork]\nworkers = 1\n"
	    "metrics_file = %s\nmetrics_interval = 1s\n" TIMEOUTS, path);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "not a regular file (FIFO)"));
	t_run_free(&r);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(tmp, 0600), 0);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	wait_logf(d, "metrics_file %s: ", path);
	assert_true(log_has(d, "not a regular file (FIFO)"));
	wait_lived(a, 1, 300);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_gone(a[0], WAIT_MS);
	pool(d, d->pid, 1, b);
	assert_int_not_equal(b[0], a[0]);
}

/*
 * Path: master_usr1 -> log_reopen with a FIFO put at log_file: the
 * master does not block on it; it logs the refusal and still handles
 * SIGTERM.
 */
static void
test_log_fifo_on_usr1(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		 moved[PATH_MAX], up[PATH_MAX], usr1[PATH_MAX];
	struct t_daemon	*d, old;
	pid_t		 a[1];

	(void)state;
	subdir("usr1fifo", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	xsnprintf(moved, sizeof(moved), "%s/prefork.log.1", dir);
	write_conf(conf, "usr1fifo.ini", "[prefork]\nworkers = 1\n"
	    "log_file = %s\n" TIMEOUTS, logf);
	xsnprintf(up, sizeof(up), "%s/up", dir);
	xsnprintf(usr1, sizeof(usr1), "%s/usr1", dir);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--touch-pid", up, "--on-usr1", usr1, NULL });
	pool(d, d->pid, 1, a);
	wait_up(dir, a[0]);
	old = view_of(d, logf);
	wait_log(&old, MSG_POOL_READY);
	assert_int_equal(rename(logf, moved), 0);
	assert_int_equal(mkfifo(logf, 0600), 0);
	t_daemon_signal(d, SIGUSR1);
	wait_log(d, "not a regular file (FIFO): keeping the old log file");
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, QUICK_MS, EX_OK);
}

/*
 * Path: pidfile_open on an existing file that is not a pidfile (here,
 * the configuration file itself, given to -p by mistake): refused (73),
 * neither overwritten nor removed.
 */
static void
test_pidfile_not_a_pidfile(void **state)
{
	char		 conf[PATH_MAX], *before;
	struct t_run	 r;

	(void)state;
	write_conf(conf, "notpid.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	before = util_read_file(conf, 1 << 16);
	assert_non_null(before);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "-p", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "holds something else than a PID"));
	t_run_free(&r);
	assert_true(holds(conf, before));
	free(before);
}

/*
 * Path: pidfile_open through a link that another user planted in a
 * sticky directory everyone may write, to a directory of theirs:
 * refused (73), and nothing is written there.
 */
static void
test_pidfile_through_link(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		other[PATH_MAX], lnk[PATH_MAX], planted[PATH_MAX];
	struct t_run	r;

	(void)state;
	need_root();
	subdir("pidlink", dir);
	plant_sticky_link(dir, "run", lnk, other);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", lnk);
	xsnprintf(planted, sizeof(planted), "%s/prefork.pid", other);
	write_conf(conf, "pidlink.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "-p", pidf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "is a symbolic link of uid 65534"));
	t_run_free(&r);
	assert_int_equal(access(planted, F_OK), -1);
}

/*
 * Path: pidfile_take on a pidfile another user created (and may still
 * write): refused (73); our own with a loose mode is made 0644.
 */
static void
test_pidfile_owner_and_mode(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	struct t_daemon	*d;
	struct t_run	 r;
	struct stat	 st;
	pid_t		 a[1];

	(void)state;
	need_root();
	subdir("pidowner", dir);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", dir);
	put_file(pidf, "", 0666);
	assert_int_equal(chown(pidf, 65534, 65534), 0);
	write_conf(conf, "pidowner.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "-p", pidf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	assert_true(t_contains(r.err, "owned by uid 65534"));
	t_run_free(&r);
	assert_true(holds(pidf, ""));

	/* Ours, but writable by everyone: taken, and made 0644. */
	assert_int_equal(chown(pidf, 0, 0), 0);
	assert_int_equal(chmod(pidf, 0666), 0);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "-p", pidf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	assert_int_equal(stat(pidf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: pidfile_holder, a second prefork on a held pidfile whose content
 * was changed, after a reload: still refused, and the message names the
 * holder of the lock, not the PID the file now says.
 */
static void
test_pidfile_holder_from_lock(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		 want[64];
	struct t_daemon	*d;
	struct t_run	 r;
	pid_t		 a[1];
	int		 fd;

	(void)state;
	subdir("pidlock", dir);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", dir);
	write_conf(conf, "pidlock.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "-p", pidf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	wait_log(d, MSG_POOL_READY);

	/* A reload leaves the lock in place. */
	t_daemon_signal(d, SIGHUP);
	wait_log(d, MSG_RECEIVED " SIGHUP");
	pool(d, d->pid, 1, a);

	/* Someone writes another PID into it (without taking the lock). */
	fd = open(pidf, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "999999\n", 7), 7);
	assert_int_equal(close(fd), 0);

	it_run_prefork(&r, (const char *const[]){ "-c", conf, "-p", pidf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CANTCREAT);
	xsnprintf(want, sizeof(want), "held by a running prefork (pid %ld)",
	    (long)d->pid);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

/*
 * Path: startup_files writes the PID before any worker starts: once a
 * worker runs, and while the pool is not ready yet (a notify worker
 * that never says READY=1), the file holds the master's PID. At exit, a
 * file put at that name since is not ours, and stays.
 */
static void
test_pidfile_written_at_start(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		 want[32];
	struct t_daemon	*d;
	pid_t		 a[1];

	(void)state;
	subdir("pidstart", dir);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", dir);
	write_conf(conf, "pidstart.ini", "[prefork]\nworkers = 1\n"
	    "ready = notify\nready_timeout = 1h\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "-p", pidf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	/* Written before the fork of the worker just seen: no wait. */
	xsnprintf(want, sizeof(want), "%ld\n", (long)d->pid);
	assert_true(holds(pidf, want));
	assert_false(log_has(d, MSG_POOL_READY));

	/* Another file at that name: the master leaves it alone. */
	assert_int_equal(unlink(pidf), 0);
	put_file(pidf, "12345\n", 0644);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
	assert_true(holds(pidf, "12345\n"));
}

/*
 * Path: conf_load -> safefile_check_conf as root: a configuration file
 * others may write, or that another user owns, is refused (78) with the
 * command that fixes it; at a SIGHUP, the running configuration stays.
 */
static void
test_conf_writable_by_others(void **state)
{
	char		 conf[PATH_MAX], want[PATH_MAX + 64];
	struct t_daemon	*d;
	struct t_run	 r;
	pid_t		 a[2], b[2];

	(void)state;
	need_root();
	write_conf(conf, "loose.ini", "[prefork]\nworkers = 2\n" TIMEOUTS);
	assert_int_equal(chmod(conf, 0664), 0);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CONFIG);
	xsnprintf(want, sizeof(want), "%s: writable by group (mode 0664): "
	    "run chmod g-w %s", conf, conf);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);

	/* --check says the same. */
	it_run_prefork(&r, (const char *const[]){ "-t", "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);

	assert_int_equal(chmod(conf, 0644), 0);
	assert_int_equal(chown(conf, 65534, 0), 0);
	it_run_prefork(&r, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CONFIG);
	xsnprintf(want, sizeof(want), "%s: owned by uid 65534: run chown "
	    "root %s", conf, conf);
	assert_true(t_contains(r.err, want));
	t_run_free(&r);

	/* Made safe, it runs; loosened again, a HUP keeps what runs. */
	assert_int_equal(chown(conf, 0, 0), 0);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_log(d, MSG_POOL_READY);
	assert_int_equal(chmod(conf, 0646), 0);
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "%s: writable by others (mode 0646): run chmod o-w %s",
	    conf, conf);
	wait_log(d, MSG_KEEPING);
	pool(d, d->pid, 2, b);
	assert_memory_equal(a, b, sizeof(a));
}

/*
 * Checks that every line of the log file is whole: it ends with a
 * newline, and each line starts as the log's lines do (a timestamp).
 */
static void
assert_whole_lines(const char *path)
{
	char	*text = util_read_file(path, 1 << 20), *line, *nl;
	size_t	 len;

	assert_non_null(text);
	len = strlen(text);
	if (len > 0 && text[len - 1] != '\n') {
		fprintf(stderr, "%s ends in a torn line:\n%s\n", path, text);
		fail_msg("a torn line at the end of the log");
	}
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (strncmp(line, "20", 2) != 0 ||
		    strstr(line, " prefork[") == NULL ||
		    strstr(line, " prefork[") > nl) {
			fprintf(stderr, "%s:\n%s\n", path, text);
			fail_msg("a torn line in the log");
		}
	}
	free(text);
}

/*
 * Checks that no line of the log file runs into another: a line may be
 * cut short, but the next line starts on a line of its own. (Each line
 * starts with a timestamp of 23 characters, then " prefork[".)
 */
static void
assert_no_line_runs_on(const char *path)
{
	char	*text = util_read_file(path, 1 << 20), *line, *nl, *p;

	assert_non_null(text);
	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		fail_msg("%s: the last line runs on:\n%s", path, text);
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		for (p = line; (p = strstr(p, " prefork[")) != NULL && p < nl;
		    p++)
			if (p - line != 23)
				fail_msg("%s: a line runs into the next:\n%s",
				    path, text);
	}
	free(text);
}

/*
 * Path: log_write on a full disk (a small tmpfs): a line that does not
 * fit is dropped whole, never torn; once there is room, the log says how
 * many were dropped. In an append-only file (chattr +a), which refuses
 * to cut the part of a line written, the next line starts a line of its
 * own.
 */
static void
log_full_disk(bool append_only)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], logf[PATH_MAX];
	char		 fill[PATH_MAX], buf[512];
	struct t_daemon	*d, v;
	struct stat	 st;
	pid_t		 a[1], b[2];
	unsigned	 i;
	int		 fd, flags;
	ssize_t		 n;

	need_root();
	subdir(append_only ? "full-append" : "full", dir);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k,mode=0700") == -1) {
		print_message("skipped: cannot mount a tmpfs: %s\n",
		    strerror(errno));
		skip();
	}
	xsnprintf(mounted, sizeof(mounted), "%s", dir);
	xsnprintf(logf, sizeof(logf), "%s/prefork.log", dir);
	xsnprintf(fill, sizeof(fill), "%s/fill", dir);
	write_conf(conf, "full.ini", "[prefork]\nworkers = 1\nlog_file = %s\n"
	    TIMEOUTS, logf);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, a);
	v = view_of(d, logf);
	wait_log(&v, MSG_POOL_READY);
	if (append_only) {
		fd = open(logf, O_RDONLY | O_CLOEXEC);
		assert_true(fd != -1);
		flags = FS_APPEND_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) == -1) {
			print_message("skipped: chattr +a on a tmpfs: %s\n",
			    strerror(errno));
			close(fd);
			t_daemon_signal(d, SIGTERM);
			wait_exit(d, WAIT_MS, EX_OK);
			skip();
		}
		close(fd);
	}

	/*
	 * Every free page taken: what is left is the rest of the log's
	 * last page, which the next lines fill until one does not fit.
	 */
	fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	memset(buf, 'x', sizeof(buf));
	while ((n = write(fd, buf, sizeof(buf))) > 0)
		continue;
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(close(fd), 0);
	/*
	 * Each grow and shrink logs a few lines; a few hundred bytes each
	 * time, far more than the page has left.
	 */
	for (i = 0; i < 24; i++) {
		t_daemon_signal(d, i % 2 == 0 ? SIGTTIN : SIGTTOU);
		pool(d, d->pid, i % 2 == 0 ? 2 : 1, b);
	}
	assert_int_equal(stat(logf, &st), 0);
	assert_true(st.st_size > 0);
	if (!append_only)
		assert_whole_lines(logf);

	/* Room again: the next line says what was lost. */
	assert_int_equal(unlink(fill), 0);
	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, 2, b);
	wait_log(&v, "dropped: No space left on device");
	if (append_only)
		assert_no_line_runs_on(logf);
	else
		assert_whole_lines(logf);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, EX_OK);
}

static void
test_log_full_disk(void **state)
{
	(void)state;
	log_full_disk(false);
}

static void
test_log_full_disk_append_only(void **state)
{
	(void)state;
	log_full_disk(true);
}

/*
 * Path: --check runs start-up's checks on the files: a pidfile reached
 * through a link planted in a sticky directory is a problem (78), as a
 * real start would find it.
 */
static void
test_check_pidfile_link(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char		other[PATH_MAX], lnk[PATH_MAX];
	struct t_run	r;

	(void)state;
	need_root();
	subdir("checklink", dir);
	plant_sticky_link(dir, "run", lnk, other);
	xsnprintf(pidf, sizeof(pidf), "%s/prefork.pid", lnk);
	write_conf(conf, "checklink.ini", "[prefork]\nworkers = 1\n"
	    "pidfile = %s\n" TIMEOUTS, pidf);
	it_run_prefork(&r, (const char *const[]){ "-t", "-c", conf, "--",
	    t_testworker(), NULL }, QUICK_MS);
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "pidfile: "));
	assert_true(t_contains(r.err, "is a symbolic link of uid 65534"));
	t_run_free(&r);
}

/*
 * Path: check_ports, --check run as nobody (setpriv(1)) with a listen
 * port below 1024: a problem (78), which bind(2) would find at start.
 */
static void
test_check_privileged_port(void **state)
{
	char		dir[PATH_MAX], conf[PATH_MAX];
	struct t_run	r;
	char		*floor;

	(void)state;
	need_root();
	floor = util_read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    32);
	if (floor != NULL && atoi(floor) <= 80) {
		print_message("skipped: ip_unprivileged_port_start is %s",
		    floor);
		free(floor);
		skip();
	}
	free(floor);
	it_nobody_dir("port", dir, false);
	xsnprintf(conf, sizeof(conf), "%s/port.ini", dir);
	assert_non_null(t_write_file("port/port.ini", "[prefork]\n"
	    "workers = 1\nlisten = 127.0.0.1:80\n"));
	assert_int_equal(chmod(conf, 0644), 0);
	t_run(&r, it_clean_env, (const char *const[]){ "setpriv",
	    "--reuid=nobody", "--regid=nogroup", "--clear-groups",
	    t_prefork(), "-t",
	    "-c", conf, "--", "/bin/true", NULL }, QUICK_MS);
	assert_false(r.timed_out);
	assert_int_equal(r.status, EX_CONFIG);
	assert_true(t_contains(r.err, "listen 127.0.0.1:80: port 80 is "
	    "privileged"));
	t_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_log_link_at_start, teardown),
		cmocka_unit_test_teardown(test_log_link_in_sticky_dir,
		    teardown),
		cmocka_unit_test_teardown(test_log_link_on_usr1, teardown),
		cmocka_unit_test_teardown(test_log_fifo_at_start, teardown),
		cmocka_unit_test_teardown(test_metrics_file_fifo, teardown),
		cmocka_unit_test_teardown(test_log_fifo_on_usr1, teardown),
		cmocka_unit_test_teardown(test_pidfile_not_a_pidfile,
		    teardown),
		cmocka_unit_test_teardown(test_pidfile_through_link,
		    teardown),
		cmocka_unit_test_teardown(test_pidfile_owner_and_mode,
		    teardown),
		cmocka_unit_test_teardown(test_pidfile_holder_from_lock,
		    teardown),
		cmocka_unit_test_teardown(test_pidfile_written_at_start,
		    teardown),
		cmocka_unit_test_teardown(test_conf_writable_by_others,
		    teardown),
		cmocka_unit_test_teardown(test_log_full_disk, teardown),
		cmocka_unit_test_teardown(test_log_full_disk_append_only,
		    teardown),
		cmocka_unit_test_teardown(test_check_pidfile_link, teardown),
		cmocka_unit_test_teardown(test_check_privileged_port,
		    teardown),
	};

	/* FILES_TEST=test_log_full_disk runs one test (a glob). */
	it_init(WAIT_MS, "FILES_TEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
