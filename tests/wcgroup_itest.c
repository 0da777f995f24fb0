/* SPDX-License-Identifier: ISC */
/*
 * wcgroup_itest: the real daemon's worker cgroups (prefork.ini(5),
 * worker_cgroup; prefork(8), "Worker cgroups"). With PREFORK_SYSROOT on
 * a copy of the delegated fixture tree, whose kernel files are plain
 * ones, the master moves itself into its leaf, enables memory, puts
 * each worker in its own leaf with its limits, rewrites them on a
 * reload, reports a leaf it cannot make as a failed start, and removes
 * the workers' leaves at exit. On this machine, whose cgroup v2 is not
 * delegated, auto falls back, and a reload to on is refused.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

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

#define WAIT_MS		20000
#define APP		"/sys/fs/cgroup/system.slice/app.service"
#define TIMEOUTS							\
	"graceful_timeout = 500ms\n"					\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 1s\n"					\
	"min_uptime = 200ms\n"

static int
teardown(void **state)
{
	(void)state;
	return it_teardown();
}

/* A copy of the delegated fixture tree; its path in root (PATH_MAX). */
static const char *
copy_delegated(const char *name, char *root)
{
	struct t_run	r;

	xsnprintf(root, PATH_MAX, "%s/%s", t_tmpdir(), name);
	t_run(&r, NULL, (const char *const[]){ "cp", "-R",
	    t_fixture("wcg-delegated"), root, NULL }, WAIT_MS);
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	/* The fixtures may be read-only (make distcheck): the copy is not. */
	t_run(&r, NULL, (const char *const[]){ "chmod", "-R", "u+w", root,
	    NULL }, WAIT_MS);
	assert_int_equal(r.status, 0);
	t_run_free(&r);
	return root;
}

struct file_is {
	char		 path[PATH_MAX];
	const char	*text;
};

static bool
file_is(void *arg)
{
	struct file_is	*f = arg;
	char		*text = util_read_file(f->path, 1 << 16);
	bool		 same = text != NULL && strcmp(text, f->text) == 0;

	free(text);
	return same;
}

/* Waits until root/rel holds exactly text; fails the test otherwise. */
static void
wait_file_is(const char *root, const char *rel, const char *text)
{
	struct file_is	f = { .text = text };
	char		*got;

	xsnprintf(f.path, sizeof(f.path), "%s%s", root, rel);
	if (t_wait_until(file_is, &f, WAIT_MS))
		return;
	got = util_read_file(f.path, 1 << 16);
	fail_msg("%s holds \"%s\", not \"%s\"", f.path,
	    got != NULL ? got : strerror(errno), text);
}

static bool
exists_under(const char *root, const char *rel)
{
	char	path[PATH_MAX];

	xsnprintf(path, sizeof(path), "%s%s", root, rel);
	return access(path, F_OK) == 0;
}

/*
 * Path: start-up with worker_cgroup = on in a delegated tree -> the
 * master's leaf, memory for the children, a leaf per worker with its
 * limits; a reload's new limits; SIGTERM -> the workers' leaves gone.
 */
static void
test_leaves(void **state)
{
	char		 root[PATH_MAX], env[PATH_MAX + 32], conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[2];

	copy_delegated("leaves", root);
	xsnprintf(env, sizeof(env), "PREFORK_SYSROOT=%s", root);
	write_conf(conf, "leaves.ini", "[prefork]\nworkers = 2\n"
	    "worker_cgroup = on\nworker_memory = 64M\n"
	    "max_worker_memory = 128M\n" TIMEOUTS);
	d = start((const char *const[]){ env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	pool(d, d->pid, 2, w);
	wait_log(d, MSG_WORKER_CGROUPS ": on (" APP ": leaves master and "
	    "worker-N; memory.high 64.0 MiB, memory.max 128.0 MiB)");
	wait_file_is(root, APP "/master/cgroup.procs", "0");
	wait_file_is(root, APP "/cgroup.subtree_control", "+memory");
	wait_file_is(root, APP "/worker-0/cgroup.procs", "0");
	wait_file_is(root, APP "/worker-1/cgroup.procs", "0");
	wait_file_is(root, APP "/worker-0/memory.high", "67108864");
	wait_file_is(root, APP "/worker-1/memory.max", "134217728");

	write_conf(conf, "leaves.ini", "[prefork]\nworkers = 2\n"
	    "worker_cgroup = on\nworker_memory = 32M\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	wait_file_is(root, APP "/worker-0/memory.high", "33554432");
	wait_file_is(root, APP "/worker-1/memory.max", "max");
	/* Set up at start: off takes effect at the next. */
	write_conf(conf, "leaves.ini", "[prefork]\nworkers = 2\n"
	    "worker_cgroup = off\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	wait_log(d, "worker_cgroup: a change takes effect at the next start");

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);
	assert_false(exists_under(root, APP "/worker-0"));
	assert_false(exists_under(root, APP "/worker-1"));
	assert_true(exists_under(root, APP "/master"));
}

/*
 * Path: a leaf that cannot be made -> that worker fails to start, the
 * reason in the log as for a failed chdir; the others run in theirs.
 */
static void
test_leaf_fails(void **state)
{
	char		 root[PATH_MAX], env[PATH_MAX + 32], conf[PATH_MAX];
	char		 path[PATH_MAX];
	struct t_daemon	*d;
	int		 fd;

	copy_delegated("fails", root);
	/* A file where worker-1's directory should be. */
	xsnprintf(path, sizeof(path), "%s" APP "/worker-1", root);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	xsnprintf(env, sizeof(env), "PREFORK_SYSROOT=%s", root);
	write_conf(conf, "fails.ini", "[prefork]\nworkers = 2\n"
	    "worker_cgroup = auto\n" TIMEOUTS);
	d = start((const char *const[]){ env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	wait_log(d, "): cgroup: Not a directory");
	wait_log(d, "worker 1: ");
	wait_file_is(root, APP "/worker-0/cgroup.procs", "0");
	wait_file_is(root, APP "/worker-0/memory.high", "max");
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);
	assert_false(exists_under(root, APP "/worker-0"));
	assert_true(log_has(d, MSG_WORKER_CGROUPS ": rmdir " APP "/worker-1: "
	    "Not a directory"));
}

/*
 * Path: this machine's cgroup is not delegated -> auto falls back to
 * /proc, saying why; a reload to on is refused and the running
 * configuration kept; nothing is made.
 */
static void
test_fallback_and_reload(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 w[1];

	write_conf(conf, "fallback.ini", "[prefork]\nworkers = 1\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 1, w);
	wait_log(d, MSG_WORKER_CGROUPS ": off (");
	write_conf(conf, "fallback.ini", "[prefork]\nworkers = 1\n"
	    "worker_cgroup = on\n" TIMEOUTS);
	t_daemon_signal(d, SIGHUP);
	wait_log(d, "fallback.ini:3: worker_cgroup = on: the workers have no "
	    "cgroups of their own since start-up (");
	wait_log(d, MSG_KEEPING);
	pool(d, d->pid, 1, w);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);
}

/*
 * With a leaf per worker, the leaf's figures decide: its memory.current
 * past max_worker_memory recycles the worker ("memory.current" in the
 * log), and a SIGKILL while its memory.events' oom_kill rose is an OOM
 * kill, while one without is a plain signal. The "kernel files" of the
 * copy are plain files the test writes.
 */
static void
test_leaf_memory_and_oom(void **state)
{
	char		 root[PATH_MAX], env[PATH_MAX + 32], conf[PATH_MAX];
	char		 path[PATH_MAX + 64];
	struct t_daemon	*d;
	pid_t		 w[2], v[2];
	FILE		*fp;

	copy_delegated("leafmem", root);
	xsnprintf(env, sizeof(env), "PREFORK_SYSROOT=%s", root);
	write_conf(conf, "leafmem.ini", "[prefork]\nworkers = 2\n"
	    "worker_cgroup = on\nmax_worker_memory = 100M\n"
	    "check_interval = 100ms\n" TIMEOUTS);
	d = start((const char *const[]){ env, NULL }, NULL,
	    (const char *const[]){ "-c", conf, "--", t_testworker(), NULL });
	pool(d, d->pid, 2, w);
	wait_file_is(root, APP "/worker-1/cgroup.procs", "0");
	wait_lived(w, 2, 200);

	/* An OOM kill counted in worker 0's leaf, then its SIGKILL. */
	xsnprintf(path, sizeof(path), "%s" APP "/worker-0/memory.events",
	    root);
	assert_non_null(fp = fopen(path, "w"));
	fputs("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n", fp);
	fclose(fp);
	assert_int_equal(kill(w[0], SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) killed by the OOM killer (memory "
	    "cgroup " APP "/worker-0)", (long)w[0]);
	/* Worker 1, killed with no OOM kill counted: a plain signal. */
	assert_int_equal(kill(w[1], SIGKILL), 0);
	wait_logf(d, "worker 1 (pid %ld) exited on signal 9", (long)w[1]);
	pool(d, d->pid, 2, v);
	wait_lived(v, 2, 200);

	/* Worker 1's leaf says it uses 200 MiB: recycled for it. */
	xsnprintf(path, sizeof(path), "%s" APP "/worker-1/memory.current",
	    root);
	assert_non_null(fp = fopen(path, "w"));
	fputs("209715200\n", fp);
	fclose(fp);
	wait_logf(d, "worker 1 (pid %ld) recycled: memory.current 200.0 MiB "
	    "> max_worker_memory 100.0 MiB", (long)v[1]);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_leaves, teardown),
		cmocka_unit_test_teardown(test_leaf_fails, teardown),
		cmocka_unit_test_teardown(test_fallback_and_reload, teardown),
		cmocka_unit_test_teardown(test_leaf_memory_and_oom, teardown),
	};

	it_init(WAIT_MS, "WCGROUP_ITEST", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
