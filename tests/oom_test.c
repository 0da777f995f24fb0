/* SPDX-License-Identifier: ISC */
/*
 * oom_test: the real OOM killer. As root, the test makes a cgroup v1
 * memory group with a 64 MiB limit, starts prefork inside it, and lets a
 * worker write 256 MiB: the kernel kills it, and the log, `preforkctl
 * status` and the metrics must say so, not "signal 9". A worker the test
 * kills with SIGKILL is a plain signal, there and outside any cgroup of
 * the test's. The group is removed at the end, its processes moved out
 * first. Where the machine cannot (not root, no v1 memory controller, a
 * kernel without the oom_kill count) the test says why and skips.
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

#include "itest.h"
#include "messages.h"
#include "testlib.h"

#define WAIT_MS		20000
#define V1_MEMORY	"/sys/fs/cgroup/memory"
#define TIMEOUTS	"graceful_timeout = 2s\nrestart_delay = 50ms\n" \
	"restart_delay_max = 1s\nmin_uptime = 100ms\n"

/* The cgroup the running test made, for the teardown; "" when none. */
static char	cg[PATH_MAX];

/* Writes value to DIR/FILE; false (errno set) when the kernel refuses. */
static bool
cg_write(const char *dir, const char *file, const char *value)
{
	char	 path[PATH_MAX];
	FILE	*f;

	xsnprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "we")) == NULL)
		return false;
	if (fputs(value, f) == EOF) {
		int	err = errno;

		(void)fclose(f);
		errno = err;
		return false;
	}
	return fclose(f) == 0;
}

/* DIR/FILE, whole (the caller frees), or NULL. */
static char *
cg_read(const char *dir, const char *file)
{
	char	 path[PATH_MAX], *buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	xsnprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) == -1) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * Makes V1_MEMORY/prefork-oom-PID with a 64 MiB limit, and with as much
 * memory and swap when the kernel accounts swap. Returns false, saying
 * why, when this machine cannot.
 */
static bool
cg_make(void)
{
	char	*oc;
	bool	 counts;

	if (geteuid() != 0) {
		print_message("skipped: not root: cannot make a memory "
		    "cgroup\n");
		return false;
	}
	if (access(V1_MEMORY "/cgroup.procs", W_OK) != 0) {
		print_message("skipped: no cgroup v1 memory controller at "
		    V1_MEMORY ": %s\n", strerror(errno));
		return false;
	}
	xsnprintf(cg, sizeof(cg), "%s/prefork-oom-%ld", V1_MEMORY,
	    (long)getpid());
	if (mkdir(cg, 0755) == -1) {
		print_message("skipped: mkdir %s: %s\n", cg, strerror(errno));
		cg[0] = '\0';
		return false;
	}
	oc = cg_read(cg, "memory.oom_control");
	counts = oc != NULL && strstr(oc, "\noom_kill ") != NULL;
	free(oc);
	if (!counts) {
		print_message("skipped: %s/memory.oom_control has no oom_kill "
		    "line (Linux 4.13 and later have one)\n", cg);
		return false;
	}
	/* The memory limit first: memory+swap may not be below it. */
	if (!cg_write(cg, "memory.limit_in_bytes", "67108864")) {
		print_message("skipped: %s/memory.limit_in_bytes: %s\n", cg,
		    strerror(errno));
		return false;
	}
	if (access(V1_MEMORY "/memory.memsw.limit_in_bytes", F_OK) == 0)
		assert_true(cg_write(cg, "memory.memsw.limit_in_bytes",
		    "67108864"));
	return true;
}

/*
 * Moves every process of the cgroup out, to its parent: a few passes,
 * since one may fork while the others move.
 */
static void
cg_evacuate(void)
{
	char	*procs, *line, *save;
	int	 pass;

	for (pass = 0; pass < 8; pass++) {
		if ((procs = cg_read(cg, "cgroup.procs")) == NULL ||
		    procs[0] == '\0') {
			free(procs);
			return;
		}
		for (line = strtok_r(procs, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (!cg_write(V1_MEMORY, "cgroup.procs", line) &&
			    errno != ESRCH)
				fprintf(stderr, "move %s out of %s: %s\n", line,
				    cg, strerror(errno));
		free(procs);
	}
}

/* rmdir(2) of the cgroup, for t_wait_until(): done, or gone already. */
static bool
cg_removed(void *arg)
{
	return rmdir(cg) == 0 || errno == ENOENT;
}

static int
teardown(void **state)
{
	int	r;

	if (cg[0] != '\0')
		cg_evacuate();
	r = it_teardown();
	if (cg[0] != '\0' && !t_wait_until(cg_removed, NULL, WAIT_MS)) {
		fprintf(stderr, "rmdir %s: %s\n", cg, strerror(errno));
		r = -1;
	}
	cg[0] = '\0';
	return r;
}

/* `preforkctl -s SOCK what`'s output (the caller frees); exit 0. */
static char *
ctl(const char *sock, const char *what)
{
	struct t_run	 r;
	char		*out;

	t_run(&r, NULL, (const char *const[]){ t_preforkctl(), "-s", sock,
	    what, NULL }, WAIT_MS);
	if (r.timed_out || r.status != 0)
		fail_msg("preforkctl %s: exit %d: %s", what, r.status, r.err);
	out = r.out;
	r.out = NULL;
	t_run_free(&r);
	return out;
}

/* The metrics say n exits of reason. */
static void
assert_exits(const char *sock, const char *reason, unsigned n)
{
	char	*m = ctl(sock, "metrics"), line[96];

	xsnprintf(line, sizeof(line),
	    "\nprefork_worker_exits_total{reason=\"%s\"} %u\n", reason, n);
	assert_true(t_contains(m, line));
	free(m);
}

/* The status table's row of slot says last exit text. */
static void
assert_last_exit(const char *sock, unsigned slot, const char *text)
{
	char	*s = ctl(sock, "status"), *row, head[16], *end;

	xsnprintf(head, sizeof(head), "\n%u ", slot);
	if ((row = strstr(s, head)) == NULL)
		fail_msg("no row for slot %u: %s", slot, s);
	row++;
	if ((end = strchr(row, '\n')) != NULL)
		*end = '\0';
	if (strstr(row, text) == NULL)
		fail_msg("slot %u: \"%s\" does not say \"%s\"", slot, row,
		    text);
	free(s);
}

/*
 * The slot and pid of the worker the log says the OOM killer killed,
 * "worker SLOT (pid PID) killed by the OOM killer (...)".
 */
static void
oom_victim(const struct t_daemon *d, unsigned *slot, long *pid)
{
	char		*log = t_daemon_log(d), *hit, *line, *end;
	const char	*needle = ") " MSG_OOM_KILLED " (";

	assert_non_null(log);
	if ((hit = strstr(log, needle)) == NULL)
		fail_msg("no OOM kill in the log:\n%s", log);
	*hit = '\0';
	line = strrchr(log, '\n') != NULL ? strrchr(log, '\n') + 1 : log;
	*hit = ')';
	if ((end = strchr(hit, '\n')) != NULL)
		*end = '\0';
	/* The line, for the record of what this kernel did. */
	print_message("%s\n", line);
	if ((line = strstr(line, "worker ")) == NULL ||
	    sscanf(line, "worker %u (pid %ld", slot, pid) != 2)
		fail_msg("cannot read the victim in \"%s\"", line);
	free(log);
}

/*
 * A worker writes 256 MiB in a 64 MiB cgroup: the OOM killer's SIGKILL is
 * told apart in the log (with the cgroup and its limit), in status and
 * in the metrics. Then the test kills the other worker with SIGKILL:
 * the count did not move, so that one is a plain signal 9.
 */
static void
test_oom_killed_worker(void **state)
{
	char		 conf[PATH_MAX], sock[PATH_MAX], ate[PATH_MAX];
	char		 script[3 * PATH_MAX], wrap[PATH_MAX + 64], *oc;
	struct t_daemon	*d;
	pid_t		 pids[2];
	unsigned	 slot;
	long		 victim;

	if (!cg_make())
		skip();
	xsnprintf(sock, sizeof(sock), "%s/oom.sock", t_tmpdir());
	xsnprintf(ate, sizeof(ate), "%s/ate", t_tmpdir());
	write_conf(conf, "oom.ini", "[prefork]\nworkers = 2\ncontrol = %s\n"
	    TIMEOUTS, sock);
	/* The first worker to make the directory eats; the others wait. */
	xsnprintf(script, sizeof(script), "if mkdir '%s' 2>/dev/null; then "
	    "exec '%s' --eat-memory 256 --after 300; else exec '%s'; fi", ate,
	    t_testworker(), t_testworker());
	/* In the cgroup before it forks a worker: $0 is prefork. */
	xsnprintf(wrap, sizeof(wrap), "echo $$ > '%s/cgroup.procs' && "
	    "exec \"$0\" \"$@\"", cg);
	d = start(NULL, (const char *const[]){ "sh", "-c", wrap, NULL },
	    (const char *const[]){ "-c", conf, "--", "sh", "-c", script,
	    NULL });
	wait_log(d, MSG_OOM_KILLED);
	oom_victim(d, &slot, &victim);
	assert_true(slot < 2);
	/* The kernel agrees: one kill in the group. */
	assert_non_null(oc = cg_read(cg, "memory.oom_control"));
	assert_true(t_contains(oc, "\noom_kill 1\n"));
	free(oc);
	assert_true(log_has(d, "worker %u (pid %ld) " MSG_OOM_KILLED
	    " (memory cgroup %s, limit 64.0 MiB) after ", slot, victim, cg));
	assert_false(log_has(d, "(pid %ld) exited on signal 9", victim));
	/* The replacement starts; status and metrics tell what happened. */
	pool(d, d->pid, 2, pids);
	assert_last_exit(sock, slot, MSG_OOM_KILLED ", ");
	assert_exits(sock, "oom", 1);
	assert_exits(sock, "signal", 0);

	/* A SIGKILL from the test, right after: the count stood still. */
	assert_int_equal(kill(pids[1 - slot], SIGKILL), 0);
	wait_logf(d, "worker %u (pid %ld) exited on signal 9 after ",
	    1 - slot, (long)pids[1 - slot]);
	pool(d, d->pid, 2, pids);
	assert_last_exit(sock, 1 - slot, "exited on signal 9, ");
	assert_last_exit(sock, slot, MSG_OOM_KILLED ", ");
	assert_exits(sock, "oom", 1);
	assert_exits(sock, "signal", 1);

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);
}

/*
 * Wherever prefork runs, in the test's own cgroup: a SIGKILL the test
 * sends is "signal", never "oom", and status says signal 9.
 */
static void
test_sigkill_is_signal(void **state)
{
	char		 conf[PATH_MAX], sock[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 pids[2];

	xsnprintf(sock, sizeof(sock), "%s/kill.sock", t_tmpdir());
	write_conf(conf, "kill.ini", "[prefork]\nworkers = 2\ncontrol = %s\n"
	    TIMEOUTS, sock);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, pids);
	wait_lived(pids, 2, 100);
	assert_int_equal(kill(pids[0], SIGKILL), 0);
	wait_logf(d, "worker 0 (pid %ld) exited on signal 9 after ",
	    (long)pids[0]);
	assert_false(log_has(d, "%s", MSG_OOM_KILLED));
	pool(d, d->pid, 2, pids);
	assert_last_exit(sock, 0, "exited on signal 9, ");
	assert_exits(sock, "signal", 1);
	assert_exits(sock, "oom", 0);
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, WAIT_MS, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_oom_killed_worker, teardown),
		cmocka_unit_test_teardown(test_sigkill_is_signal, teardown),
	};

	/* OOM_TEST=test_oom_killed_worker runs one test (a glob). */
	it_init(WAIT_MS, "OOM_TEST", true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
