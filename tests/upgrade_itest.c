/* SPDX-License-Identifier: ISC */
/*
 * upgrade_itest: `preforkctl upgrade` with the real daemon, started from
 * a copy of the built binary that the test replaces as a package
 * upgrade does (a new file renamed over the old: a new inode). Under
 * load on loopback: the same master pid, /proc/PID/exe the new file,
 * the same worker pids in the same slots, no request failed; then a
 * killed worker replaced in its slot, TTIN, HUP and TERM as before. A
 * binary that is not a prefork (a script that exits 1, a truncated
 * copy) is refused and disturbs nothing; a worker killed just before
 * the upgrade is replaced after it; a SIGHUP sent while the new image
 * starts is honoured by it.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

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
/* preforkctl's deadline for an upgrade, whose checks may take 10 s each. */
#define UPGRADE_S	"60"
#define UPGRADE_MS	60000
#define TIMEOUTS	"graceful_timeout = 1s\nrestart_delay = 50ms\n" \
	"min_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/* A running pool, its copy of prefork, its socket and port. */
struct up {
	struct t_daemon	*d;
	const char	*bin;
	const char	*sock;
	unsigned	 port;
	pid_t		 slots[3];
};

/* Puts a new copy of the built prefork (max bytes) over u->bin. */
static ino_t
install(const struct up *u, size_t max)
{
	char		tmp[PATH_MAX + 8];
	struct stat	st;

	xsnprintf(tmp, sizeof(tmp), "%s.new", u->bin);
	copy_file(t_prefork(), tmp, max);
	assert_int_equal(rename(tmp, u->bin), 0);
	assert_int_equal(stat(u->bin, &st), 0);
	return st.st_ino;
}

/* Puts a script over u->bin. */
static void
install_script(const struct up *u, const char *text)
{
	char	tmp[PATH_MAX + 8];
	FILE	*f;

	xsnprintf(tmp, sizeof(tmp), "%s.new", u->bin);
	assert_non_null(f = fopen(tmp, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(tmp, 0755), 0);
	assert_int_equal(rename(tmp, u->bin), 0);
}

/* Starts three serving workers under a copy of prefork. */
static void
start_up(struct up *u)
{
	struct it_pool	*p;

	p = it_start_pool(&(const struct it_pool_opts){ .workers = 3,
	    .timeouts = TIMEOUTS, .extra = "backlog = 256\n",
	    .argv = (const char *const[]){ t_testworker(), "--serve",
	    "--serve-delay", "5", NULL }, .conf_name = "up.ini",
	    .control = true, .tcp = true, .copy = true });
	*u = (struct up){ p->d, p->bin, p->sock, p->port, { p->pids[0],
	    p->pids[1], p->pids[2] } };
}

/* preforkctl upgrade; its exit status, its output in out. */
static int
upgrade(const struct up *u, char *out, size_t len)
{
	struct t_run	r;
	int		status;

	it_ctl_within(&r, u->sock, UPGRADE_MS + 10000, (const char *const[]){
	    "-t", UPGRADE_S, "upgrade", NULL });
	snprintf(out, len, "%s%s", r.out, r.err);
	print_message("upgrade: exit %d: %s", r.status, out);
	status = r.status;
	t_run_free(&r);
	return status;
}

/* /proc/PID/exe, read. */
static void
exe_of(pid_t pid, char *buf, size_t len)
{
	char	path[64];
	ssize_t	n;

	xsnprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	assert_true((n = readlink(path, buf, len - 1)) > 0);
	buf[n] = '\0';
}

static ino_t
exe_ino(pid_t pid)
{
	char		path[64];
	struct stat	st;

	xsnprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void
assert_same_pool(const struct up *u)
{
	pid_t	now[3];
	int	i;

	pool(u->d, u->d->pid, 3, now);
	for (i = 0; i < 3; i++)
		assert_int_equal(now[i], u->slots[i]);
}

/*
 * Under load: same master, new binary, same workers in the same slots,
 * no failed request; then the new master does what the old one did.
 */
static void
test_upgrade_under_load(void **state)
{
	struct it_load_result	 res;
	struct it_load		*l;
	struct up		 u;
	char			 out[1024], exe[PATH_MAX];
	pid_t			 after[4], old;
	ino_t			 ino;

	start_up(&u);
	l = it_load_start(u.port, 4, 0, 30);
	observe(500);
	ino = install(&u, SIZE_MAX);
	assert_int_equal(upgrade(&u, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "upgraded: prefork"));
	exe_of(u.d->pid, exe, sizeof(exe));
	assert_string_equal(exe, u.bin);
	assert_int_equal(exe_ino(u.d->pid), ino);
	assert_same_pool(&u);
	wait_log(u.d, "upgrade: prefork " PACKAGE_VERSION " took over");
	observe(500);
	it_load_stop(l, &res);
	print_message("load: %ju ok, %ju failed\n", (uintmax_t)res.ok,
	    (uintmax_t)res.failed);
	assert_true(res.ok > 0);
	assert_int_equal(res.failed, 0);
	/* The new image replaces a worker in its slot... */
	old = u.slots[1];
	assert_int_equal(kill(old, SIGKILL), 0);
	wait_gone(old, WAIT_MS);
	pool(u.d, u.d->pid, 3, after);
	assert_int_not_equal(after[1], old);
	assert_int_equal(after[0], u.slots[0]);
	/* ...and TTIN, HUP and TERM do what they did. */
	assert_int_equal(kill(u.d->pid, SIGTTIN), 0);
	pool(u.d, u.d->pid, 4, after);
	assert_int_equal(kill(u.d->pid, SIGHUP), 0);
	pool(u.d, u.d->pid, 3, after);
	assert_int_equal(kill(u.d->pid, SIGTERM), 0);
	assert_true(t_daemon_wait(u.d, WAIT_MS));
	assert_int_equal(u.d->status, 0);
	assert_no_sanitizer_report(u.d);
}

/* What is not a prefork that reads our state is refused. */
static void
test_upgrade_refused(void **state)
{
	struct up	u;
	char		out[1024], exe[PATH_MAX], want[PATH_MAX + 16];
	ino_t		ino;

	start_up(&u);
	ino = exe_ino(u.d->pid);
	install_script(&u, "#!/bin/sh\nexit 1\n");
	assert_int_equal(upgrade(&u, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--state-format: exited with code 1"));
	/* A truncated copy: not even an executable. */
	(void)install(&u, 4096);
	assert_int_equal(upgrade(&u, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--state-format"));
	/* A prefork that speaks another state format. */
	install_script(&u, "#!/bin/sh\necho prefork-state 999\n");
	assert_int_equal(upgrade(&u, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "does not read state format 1"));
	/* No binary at all. */
	assert_int_equal(unlink(u.bin), 0);
	assert_int_equal(upgrade(&u, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "No such file or directory"));
	/* Nothing changed: the old image, the same workers. */
	assert_int_equal(exe_ino(u.d->pid), ino);
	exe_of(u.d->pid, exe, sizeof(exe));
	xsnprintf(want, sizeof(want), "%s (deleted)", u.bin);
	assert_string_equal(exe, want);
	assert_same_pool(&u);
	assert_true(log_has(u.d, "upgrade refused"));
}

/* A worker killed just before: the new image reaps and replaces it. */
static void
test_worker_killed_before(void **state)
{
	struct up	u;
	char		out[1024];
	pid_t		after[3];

	start_up(&u);
	(void)install(&u, SIZE_MAX);
	assert_int_equal(kill(u.slots[2], SIGKILL), 0);
	assert_int_equal(upgrade(&u, out, sizeof(out)), 0);
	pool(u.d, u.d->pid, 3, after);
	assert_int_equal(after[0], u.slots[0]);
	assert_int_equal(after[1], u.slots[1]);
	assert_int_not_equal(after[2], u.slots[2]);
	wait_logf(u.d, "worker 2 (pid %ld)", (long)after[2]);
}

/* The child *pid has exited, and is reaped. */
static bool
reaped(void *pid)
{
	return waitpid(*(pid_t *)pid, NULL, WNOHANG) == *(pid_t *)pid;
}

/*
 * A SIGHUP sent while the new image starts (a wrapper holds it back
 * until the test has sent it, the signals blocked as the master left
 * them) is honoured by the new image: a reload, after the takeover; a
 * worker killed meanwhile is reaped by the new image and replaced. The
 * wrapper is the new binary as the master sees it: it passes the checks.
 */
static void
test_hup_during_upgrade(void **state)
{
	struct up	 u;
	char		 text[PATH_MAX * 4], real[PATH_MAX + 8], out[1024];
	char		 go[PATH_MAX];
	pid_t		 pid, now[3];

	start_up(&u);
	xsnprintf(real, sizeof(real), "%s.real", u.bin);
	xsnprintf(go, sizeof(go), "%s/upgrade.go", t_tmpdir());
	copy_file(t_prefork(), real, SIZE_MAX);
	/* Not sh, which unblocks the signals: python keeps the mask. */
	xsnprintf(text, sizeof(text), "#!/usr/bin/python3\n"
	    "import os, sys, time\n"
	    "if sys.argv[1:2] == ['--upgrade-state']:\n"
	    "    end = time.monotonic() + 60\n"
	    "    while not os.path.exists('%s') and time.monotonic() < end:\n"
	    "        time.sleep(0.01)\n"
	    "os.execv('%s', ['%s'] + sys.argv[1:])\n", go, real, real);
	install_script(&u, text);
	if ((pid = fork()) == 0) {
		(void)upgrade(&u, out, sizeof(out));
		_exit(0);
	}
	assert_true(pid > 0);
	wait_log(u.d, "upgrade: exec");
	/* While no image runs: a signal, and a worker's death. */
	assert_int_equal(kill(u.d->pid, SIGHUP), 0);
	assert_int_equal(kill(u.slots[0], SIGKILL), 0);
	wait_gone(u.slots[0], WAIT_MS);
	t_write_file("upgrade.go", "");
	wait_log(u.d, "took over");
	wait_log(u.d, "SIGHUP");
	assert_true(log_pos(u.d, "SIGHUP") > log_pos(u.d, "took over"));
	/* The new image reaped the dead worker and replaced it. */
	wait_logf(u.d, "worker 0 (pid %ld) exited on signal 9",
	    (long)u.slots[0]);
	assert_true(log_pos(u.d, "worker 0 (pid %ld) exited",
	    (long)u.slots[0]) > log_pos(u.d, "took over"));
	pool(u.d, u.d->pid, 3, now);
	assert_int_not_equal(now[0], u.slots[0]);
	assert_int_equal(now[1], u.slots[1]);
	assert_int_equal(now[2], u.slots[2]);
	assert_true(t_wait_until(reaped, &pid, UPGRADE_MS + 10000));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_upgrade_under_load, teardown),
		cmocka_unit_test_teardown(test_upgrade_refused, teardown),
		cmocka_unit_test_teardown(test_worker_killed_before,
		    teardown),
		cmocka_unit_test_teardown(test_hup_during_upgrade, teardown),
	};

	it_init(WAIT_MS, "UPGRADE_ITEST", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
