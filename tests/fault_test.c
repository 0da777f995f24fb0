/* SPDX-License-Identifier: ISC */
/*
 * fault_test: the real prefork daemon under injected faults, against the
 * promise of prefork(8) WORKERS and HACKING.md ("Errors"): the master never
 * loses a worker, never leaves an orphan or a zombie, and once running
 * never dies on a transient error. The faults: fork() failing (the
 * LD_PRELOAD shim tests/helpers/failfork.so) at start-up, later and
 * during a rolling restart; execve() failing; no file descriptor left
 * (prlimit(2) on the running master) for the master or only for the
 * child; a storm of SIGKILLs to the workers; workers that die as fast as
 * they are replaced; SIGTERM in the middle of a resize and of a rolling
 * restart; and a storm of SIGHUPs while workers crash.
 *
 * Every test ends with an audit of the daemon's log: each worker it
 * spawned was reaped ("exited") or is still in the pool, so that no
 * worker was lost and none was left behind. Each test starts prefork in
 * the background over the test worker (tests/helpers/testworker.c) with
 * short timeouts; its teardown ends whatever is left.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
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
 * The timeouts most configurations here use, short so that the program
 * runs in seconds; the tests that reason about them use the macros.
 */
#define GRACEFUL_MS		500
#define MIN_UPTIME_MS		100
#define RESTART_DELAY_MS	50
#define RESTART_DELAY_MAX_MS	400
#define TIMEOUTS							\
	"graceful_timeout = 500ms\n"					\
	"min_uptime = 100ms\n"						\
	"restart_delay = 50ms\n"					\
	"restart_delay_max = 400ms\n"

/*
 * How late a backoff timer may fire, and how long a respawn or an exit
 * may take, on a loaded machine (the tests share theirs with builds,
 * fuzzers and benchmarks) or under the sanitizers: added to every
 * deadline that the daemon's own timers set. A master that never does
 * the thing still fails; one that is merely slow does not.
 */
#define SLACK_MS	5000

/* A set of pids, growing. */
struct pids {
	pid_t	*v;
	size_t	 n;
	size_t	 cap;
};

static void
pids_add(struct pids *s, pid_t pid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->n++] = pid;
}

static bool
pid_in(const pid_t *v, size_t n, pid_t pid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static bool
pids_has(const struct pids *s, pid_t pid)
{
	return pid_in(s->v, s->n, pid);
}

static void
pids_free(struct pids *s)
{
	free(s->v);
	*s = (struct pids){ NULL, 0, 0 };
}

static int
pid_cmp(const void *a, const void *b)
{
	pid_t	x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

static struct pids	killed, exited, sampled;

/*
 * The environment that preloads failfork.so into the daemon, with flag
 * as the file that makes fork() fail. ASan checks that its runtime comes
 * first in the list of libraries, which a preloaded library breaks: the
 * check is turned off, every other ASan option kept. The strings are
 * static: one such environment at a time.
 */
static const char *const *
failfork_env(const char *flag)
{
	static char		 preload[PATH_MAX + 16];
	static char		 flagvar[PATH_MAX + 32], asan[1024];
	static const char	*env[4];
	const char		*so = getenv("PREFORK_FAILFORK");
	const char		*opts = getenv("ASAN_OPTIONS");

	if (so == NULL || *so == '\0')
		fail_msg("PREFORK_FAILFORK is not set: run the tests with "
		    "make check");
	xsnprintf(preload, sizeof(preload), "LD_PRELOAD=%s", so);
	xsnprintf(flagvar, sizeof(flagvar), "PREFORK_FAILFORK_FLAG=%s", flag);
	xsnprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s%s"
	    "verify_asan_link_order=0", opts != NULL ? opts : "",
	    opts != NULL && *opts != '\0' ? ":" : "");
	env[0] = preload;
	env[1] = flagvar;
	env[2] = asan;
	env[3] = NULL;
	return env;
}

static int
teardown(void **state)
{
	(void)state;
	pids_free(&killed);
	pids_free(&exited);
	pids_free(&sampled);
	return it_teardown();
}

static void
touch(const char *path)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd != -1);
	assert_int_equal(close(fd), 0);
}

/* Fails unless the master is alive (not a zombie). */
static void
assert_master_alive(const struct t_daemon *d)
{
	if (!t_alive(d->pid)) {
		dump_log(d);
		fail_msg("the master (pid %ld) died", (long)d->pid);
	}
}

struct zombies {
	pid_t	parent;
};

static bool
no_zombie(void *arg)
{
	return t_zombies(((struct zombies *)arg)->parent) == 0;
}

/* Fails unless parent has no zombie child within the deadline. */
static void
assert_no_zombies(const struct t_daemon *d)
{
	struct zombies	z = { d->pid };

	if (!t_wait_until(no_zombie, &z, WAIT_MS)) {
		dump_log(d);
		fail_msg("%zu zombies under the master", t_zombies(d->pid));
	}
}

/* Adds parent's live children to s, those not in it yet. */
static void
sample_children(pid_t parent, struct pids *s)
{
	pid_t	kids[256];
	size_t	i, n;

	n = t_children(parent, kids, nitems(kids));
	for (i = 0; i < n && i < nitems(kids); i++)
		if (!pids_has(s, kids[i]))
			pids_add(s, kids[i]);
}

/*
 * P when the log line from line to eol is "LEVEL: worker N (pid P)WHAT",
 * e.g. WHAT = ") spawned"; 0 otherwise. Only a line's own message
 * counts, not one that quotes another ("...; the last: worker 2 (pid 9)
 * exited").
 */
static pid_t
line_pid(const char *line, const char *eol, const char *what)
{
	const char	*p;
	char		*end;
	long		 pid;

	/* "... prefork[PID]: LEVEL: " and the message. */
	if ((p = strstr(line, "]: ")) == NULL || p > eol ||
	    (p = strstr(p + 3, ": ")) == NULL || p > eol)
		return 0;
	p += 2;
	if (strncmp(p, "worker ", 7) != 0)
		return 0;
	(void)strtoul(p + 7, &end, 10);
	if (end == p + 7 || strncmp(end, " (pid ", 6) != 0)
		return 0;
	p = end + 6;
	pid = strtol(p, &end, 10);
	if (end == p || end + strlen(what) > eol ||
	    strncmp(end, what, strlen(what)) != 0)
		return 0;
	return (pid_t)pid;
}

/* The end of the line at line: its newline, or its NUL. */
static const char *
line_end(const char *line)
{
	const char	*eol = strchr(line, '\n');

	return eol != NULL ? eol : line + strlen(line);
}

/* The pids of the log's lines "LEVEL: worker N (pid P)WHAT", sorted. */
static void
log_pids(const char *log, const char *what, struct pids *s)
{
	const char	*line, *eol;
	pid_t		 pid;

	for (line = log; *line != '\0'; line = eol + (*eol != '\0')) {
		eol = line_end(line);
		if ((pid = line_pid(line, eol, what)) != 0)
			pids_add(s, pid);
	}
	if (s->n > 0)
		qsort(s->v, s->n, sizeof(*s->v), pid_cmp);
}

/*
 * The log's worker lines in order: each "worker N (pid P) spawned" and
 * "worker N (pid P) exited ...", as a pid and whether it was a spawn.
 */
struct event {
	pid_t	pid;
	bool	spawn;
};

static size_t
log_events(const char *log, struct event **out)
{
	struct event	*v = NULL;
	const char	*line, *eol;
	size_t		 n = 0, cap = 0;
	pid_t		 sp, ex;

	for (line = log; *line != '\0'; line = eol + (*eol != '\0')) {
		eol = line_end(line);
		sp = line_pid(line, eol, MSG_SPAWNED);
		ex = sp != 0 ? 0 : line_pid(line, eol, ") exited ");
		if (sp == 0 && ex == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[n++] = (struct event){ sp != 0 ? sp : ex, sp != 0 };
	}
	*out = v;
	return n;
}

static void
pids_del(struct pids *s, pid_t pid)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

struct audit {
	const struct t_daemon	*d;
	const pid_t		*live;
	size_t			 nlive;
	size_t			 spawned;
	char			 why[256];
};

/*
 * The log's account of the workers, line by line: no pid was spawned
 * again before the exit of its last spawn, none exited that was not
 * running, and the ones left running are exactly live. A pid may come
 * back once it exited: pids wrap around (32768 by default), and a
 * storm of spawns while other tests run gets there.
 */
static bool
audit_ok(void *arg)
{
	struct audit	*a = arg;
	struct pids	 running = { 0 };
	struct event	*ev;
	char		*log = t_daemon_log(a->d);
	size_t		 i, n;
	bool		 ok = true;

	n = log_events(log, &ev);
	free(log);
	a->spawned = 0;
	a->why[0] = '\0';
	for (i = 0; i < n && ok; i++) {
		if (ev[i].spawn) {
			a->spawned++;
			if (pids_has(&running, ev[i].pid)) {
				snprintf(a->why, sizeof(a->why), "pid %ld "
				    "spawned again before it exited",
				    (long)ev[i].pid);
				ok = false;
			} else
				pids_add(&running, ev[i].pid);
		} else if (!pids_has(&running, ev[i].pid)) {
			snprintf(a->why, sizeof(a->why), "pid %ld exited, "
			    "not running (never spawned, or reaped twice)",
			    (long)ev[i].pid);
			ok = false;
		} else
			pids_del(&running, ev[i].pid);
	}
	for (i = 0; ok && i < running.n; i++)
		if (!pid_in(a->live, a->nlive, running.v[i])) {
			snprintf(a->why, sizeof(a->why), "pid %ld spawned, "
			    "neither exited nor in the pool",
			    (long)running.v[i]);
			ok = false;
		}
	for (i = 0; ok && i < a->nlive; i++)
		if (!pids_has(&running, a->live[i])) {
			snprintf(a->why, sizeof(a->why), "worker %ld in the "
			    "pool: not logged as spawned, or logged as exited",
			    (long)a->live[i]);
			ok = false;
		}
	free(ev);
	pids_free(&running);
	return ok;
}

/*
 * A worker of a master of this test that is gone: alive, with a slot,
 * and (the test is a subreaper: see main()) reparented to the test. A
 * pid of ours that another test's worker got again is not one.
 */
static bool
orphan(pid_t pid)
{
	return t_alive(pid) && t_proc_ppid(pid) == getpid() &&
	    t_worker_slot(pid) >= 0;
}

/*
 * Fails unless the log accounts for every worker (audit_ok), waiting for
 * the last lines to be written; returns how many were spawned. With the
 * master gone (live empty), also fails if any worker is still alive: an
 * orphan.
 */
static size_t
audit(const struct t_daemon *d, const pid_t *live, size_t nlive)
{
	struct audit	 a = { d, live, nlive, 0, "" };
	pid_t		 kids[256];
	size_t		 i, n;

	if (!t_wait_until(audit_ok, &a, WAIT_MS)) {
		dump_log(d);
		fail_msg("the log does not account for every worker: %s",
		    a.why);
	}
	if (!d->exited)
		return a.spawned;
	n = t_children(getpid(), kids, nitems(kids));
	for (i = 0; i < n && i < nitems(kids); i++)
		if (orphan(kids[i])) {
			kill(kids[i], SIGKILL);
			fail_msg("worker %ld outlived the master",
			    (long)kids[i]);
		}
	return a.spawned;
}

/*
 * How many fds pid has open, from /proc/PID/fd, and in limit the fd
 * number that leaves it room for exactly room more fds as
 * RLIMIT_NOFILE: the (room + 1)th fd it does not have. open() and
 * pipe() take the lowest free fds, and none at or above the limit. With
 * room 0, the lowest free fd.
 */
static unsigned
count_fds_room(pid_t pid, unsigned room, int *limit)
{
	char		 path[64];
	DIR		*dir;
	struct dirent	*e;
	unsigned	 n = 0, free_seen = 0;
	bool		 used[1024] = { false };
	int		 fd;

	xsnprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	assert_non_null(dir = opendir(path));
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		fd = atoi(e->d_name);
		if (fd >= 0 && (size_t)fd < nitems(used))
			used[fd] = true;
	}
	closedir(dir);
	for (fd = 0; (size_t)fd < nitems(used); fd++)
		if (!used[fd] && free_seen++ == room)
			break;
	*limit = fd;
	return n;
}

/* How many fds pid has open, and the lowest one it has not. */
static unsigned
count_fds(pid_t pid, int *lowest_free)
{
	return count_fds_room(pid, 0, lowest_free);
}

/*
 * How many times one slot may try to fork within ms after its first
 * try: once at once, then at the end of each backoff, restart_delay
 * doubling up to restart_delay_max (pool_backoff()).
 */
static unsigned
attempts_within(double ms)
{
	double		delay = RESTART_DELAY_MS, t = 0;
	unsigned	n = 1;

	for (;;) {
		t += delay;
		if (t > ms)
			return n;
		n++;
		delay = delay * 2 < RESTART_DELAY_MAX_MS ? delay * 2 :
		    RESTART_DELAY_MAX_MS;
	}
}

/*
 * Path: child_cb and SIGTTIN -> slot_spawn -> fork() fails (EAGAIN) ->
 * slot_backoff -> timer_cb -> pool_tick retries, until fork works again.
 *
 * Two workers are killed and the pool grows while fork() fails: the
 * master logs each failure, keeps its last worker, retries on the backoff
 * (restart_delay doubling to restart_delay_max) without spinning, and
 * the pool is whole again within restart_delay_max of fork() working.
 */
static void
test_fork_fails_for_a_while(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], flag[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[4];
	unsigned	 slots[] = { 0, 2, 3 }, i, tries, bound = 0;
	long long	 cpu0, cpu1, cpu_bound;
	double		 t0, window;

	subdir("forkfail", dir);
	xsnprintf(flag, sizeof(flag), "%s/flag", dir);
	write_conf(conf, "forkfail.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(failfork_env(flag), NULL, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	wait_lived(a, 3, MIN_UPTIME_MS);

	cpu0 = t_proc_cpu_ms(d->pid);
	t0 = t_now_ms();
	touch(flag);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	assert_int_equal(kill(a[2], SIGKILL), 0);
	t_daemon_signal(d, SIGTTIN);
	for (i = 0; i < nitems(slots); i++)
		wait_logf(d, "fork worker %u: Resource temporarily unavailable",
		    slots[i]);
	wait_logf(d, "SIGTTIN: 3 -> 4 workers");
	/*
	 * The failing period: until every slot has backed off to
	 * restart_delay_max and tried again at that pace (50, 100, 200,
	 * 400, 400 ms: the sixth failure, 1.15 s after the first).
	 */
	for (i = 0; i < nitems(slots); i++)
		wait_logf(d, "worker %u: " MSG_NO_PROCESS "; starting "
		    "again in 400ms (failure 6 in a row)", slots[i]);
	cpu1 = t_proc_cpu_ms(d->pid);
	window = t_now_ms() - t0;
	tries = t_daemon_log_count(d, "fork worker ");
	assert_master_alive(d);
	assert_true(t_alive(a[1]));
	assert_int_equal(t_children(d->pid, NULL, 0), 1);

	/*
	 * No spinning: each slot tried at most as often as its backoff
	 * allows in the window (one more for a timer that fires at the
	 * edge), and the master's CPU time is what those tries cost, at a
	 * generous 5 ms each (a failed fork is a pipe, two sigprocmasks and
	 * two log lines), plus 60 ms (six clock ticks) for the kills and
	 * the TTIN. A master that spins burns the whole window.
	 */
	for (i = 0; i < nitems(slots); i++)
		bound += attempts_within(window) + 1;
	cpu_bound = 60 + 5 * (long long)bound;
	print_message("fork failing for %.0f ms: %u tries (bound %u), "
	    "master CPU %lld ms (bound %lld)\n", window, tries, bound,
	    cpu1 - cpu0, cpu_bound);
	if (tries > bound || cpu1 - cpu0 > cpu_bound) {
		dump_log(d);
		fail_msg("the master spun: %u tries, %lld ms CPU in %.0f ms",
		    tries, cpu1 - cpu0, window);
	}

	assert_int_equal(unlink(flag), 0);
	pool_within(d, d->pid, 4, b, RESTART_DELAY_MAX_MS + SLACK_MS);
	assert_int_equal(b[1], a[1]);
	assert_no_zombies(d);
	audit(d, b, 4);
	assert_master_alive(d);
}

/*
 * Path: pool_start -> slot_spawn: fork() fails for the whole first
 * generation; the master stays up and starts the pool from its backoff
 * timers once fork() works.
 */
static void
test_fork_fails_at_start(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], flag[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3];
	unsigned	 i;

	subdir("forkstart", dir);
	xsnprintf(flag, sizeof(flag), "%s/flag", dir);
	write_conf(conf, "forkstart.ini", "[prefork]\nworkers = 3\n"
	    TIMEOUTS);
	touch(flag);
	d = start(failfork_env(flag), NULL, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), NULL });
	for (i = 0; i < 3; i++)
		wait_logf(d, "worker %u: " MSG_NO_PROCESS "; starting "
		    "again in 200ms (failure 3 in a row)", i);
	assert_master_alive(d);
	assert_int_equal(t_children(d->pid, NULL, 0), 0);
	assert_false(log_has(d, MSG_POOL_READY));

	assert_int_equal(unlink(flag), 0);
	pool_within(d, d->pid, 3, a, RESTART_DELAY_MAX_MS + SLACK_MS);
	wait_logf(d, MSG_POOL_READY ": 3 workers");
	audit(d, a, 3);
}

/*
 * Path: pool_start (fork fails) -> pool_tick -> slot_spawn -> a first
 * generation that crashes at once -> POOL_EXIT_FIRST_FAILED, exit 69.
 *
 * prefork(8), "Readiness and the first generation": if every worker of
 * the first generation fails before booting, prefork stops and exits 69
 * with the reason, instead of looping. Whether the first fork() of the
 * first generation failed must not matter: the workers that start from
 * the backoff timer are still the first generation.
 */
static void
test_fork_fails_at_start_then_crash(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], flag[PATH_MAX];
	struct t_daemon	*d;
	unsigned	 i;

	subdir("forkcrash", dir);
	xsnprintf(flag, sizeof(flag), "%s/flag", dir);
	/*
	 * min_uptime is long, so that a worker that exits at once is sure
	 * to die younger (an ASan build of the test worker may take half a
	 * second to get that far on a loaded machine).
	 */
	write_conf(conf, "forkcrash.ini", "[prefork]\nworkers = 3\n"
	    "min_uptime = 10s\nrestart_delay = 50ms\n"
	    "restart_delay_max = 400ms\ngraceful_timeout = 500ms\n");
	touch(flag);
	d = start(failfork_env(flag), NULL, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), "--exit", "1", NULL });
	for (i = 0; i < 3; i++)
		wait_logf(d, "fork worker %u: Resource temporarily unavailable",
		    i);
	assert_int_equal(unlink(flag), 0);
	/*
	 * The next tries come within restart_delay_max, and each worker
	 * exits at once; a master that loops instead goes on for ever.
	 */
	wait_exit(d, RESTART_DELAY_MAX_MS + SLACK_MS, EX_UNAVAILABLE);
	wait_logf(d, MSG_FIRST_FAILED);
	audit(d, NULL, 0);
}

/*
 * Path: SIGUSR2 -> pool_roll_step -> slot_spawn fails -> the old worker
 * goes on serving; pool_tick retries the replacement after its backoff.
 */
static void
test_fork_fails_during_roll(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], flag[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[3], b[3];
	unsigned	 i;

	subdir("forkroll", dir);
	xsnprintf(flag, sizeof(flag), "%s/flag", dir);
	write_conf(conf, "forkroll.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(failfork_env(flag), NULL, (const char *const[]){ "-c", conf,
	    "--", t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	wait_lived(a, 3, MIN_UPTIME_MS);

	touch(flag);
	t_daemon_signal(d, SIGUSR2);
	wait_logf(d, "worker 0: " MSG_NO_PROCESS "; starting again "
	    "in 200ms (failure 3 in a row)");
	/* Nobody was stopped for a replacement that never came. */
	assert_false(log_has(d, MSG_STOPPING_WORKER));
	assert_true(t_pool_now(d->pid, 3, b));
	assert_memory_equal(a, b, sizeof(a));

	assert_int_equal(unlink(flag), 0);
	if (!t_daemon_log_wait(d, MSG_ROLL_DONE,
	    RESTART_DELAY_MAX_MS + 3 * MIN_UPTIME_MS + SLACK_MS))
		fail_msg("the roll did not finish");
	pool(d, d->pid, 3, b);
	for (i = 0; i < 3; i++)
		assert_int_not_equal(b[i], a[i]);
	assert_no_zombies(d);
	audit(d, b, 3);
}

/*
 * Lowers pid's RLIMIT_NOFILE so that it can open room more fds and no
 * other: to the lowest fd it does not have, for room 0, as the kernel
 * hands out only fds below the limit. Its fds need not be 0..n-1: the
 * daemon may have inherited stray ones (make's jobserver pipe, a CI
 * runner's), and the limit is then set above the room lowest free fds,
 * not above the lowest free one plus room. The old limit goes to old.
 * Skips the test when lowering it is not allowed here. Returns the
 * number of fds open.
 */
static unsigned
fds_exhaust_but(pid_t pid, unsigned room, struct rlimit *old)
{
	struct rlimit	rl;
	unsigned	n;
	int		limit;

	n = count_fds_room(pid, room, &limit);
	if (prlimit(pid, RLIMIT_NOFILE, NULL, old) == -1) {
		if (errno == EPERM)
			skip();
		fail_msg("prlimit: %s", strerror(errno));
	}
	rl = (struct rlimit){ (rlim_t)limit, old->rlim_max };
	if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) == -1) {
		if (errno == EPERM)
			skip();
		fail_msg("prlimit: %s", strerror(errno));
	}
	return n;
}

static unsigned
fds_exhaust(pid_t pid, struct rlimit *old)
{
	return fds_exhaust_but(pid, 0, old);
}

static void
fds_restore(pid_t pid, const struct rlimit *old)
{
	assert_int_equal(prlimit(pid, RLIMIT_NOFILE, old, NULL), 0);
}

struct fds_back {
	pid_t		pid;
	unsigned	n;
};

static bool
fds_back(void *arg)
{
	struct fds_back	*f = arg;
	int		 lowest_free;

	return count_fds(f->pid, &lowest_free) == f->n;
}

/* Fails unless pid has n fds open again within the deadline: no leak. */
static void
assert_fds(const struct t_daemon *d, unsigned n)
{
	struct fds_back	f = { d->pid, n };
	int		lowest_free;

	if (!t_wait_until(fds_back, &f, WAIT_MS)) {
		dump_log(d);
		fail_msg("the master has %u fds open, not %u",
		    count_fds(d->pid, &lowest_free), n);
	}
}

/*
 * Path: SIGHUP -> conf_build cannot open the file (EMFILE); child_cb and
 * SIGTTIN -> slot_spawn -> spawn_worker's pipe2() fails (EMFILE) ->
 * slot_backoff -> pool_tick retries, until the master may open fds
 * again.
 */
static void
test_out_of_fds(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	struct rlimit	 old;
	pid_t		 a[3], b[4];
	unsigned	 nfds;

	write_conf(conf, "emfile.ini", "[prefork]\nworkers = 3\n" TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 3, a);
	wait_lived(a, 3, MIN_UPTIME_MS);
	wait_logf(d, MSG_POOL_READY);

	nfds = fds_exhaust(d->pid, &old);
	/* A reload cannot even read the file: the running one is kept. */
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "%s: cannot read: Too many open files", conf);
	wait_logf(d, "has errors: " MSG_KEEPING);
	t_daemon_signal(d, SIGTTIN);
	assert_int_equal(kill(a[1], SIGKILL), 0);
	wait_logf(d, "fork worker 3: Too many open files");
	wait_logf(d, "fork worker 1: Too many open files");
	wait_logf(d, "worker 1: " MSG_NO_PROCESS "; starting again "
	    "in 100ms (failure 2 in a row)");
	wait_logf(d, "worker 3: " MSG_NO_PROCESS "; starting again "
	    "in 100ms (failure 2 in a row)");
	assert_master_alive(d);
	assert_true(t_alive(a[0]) && t_alive(a[2]));
	assert_no_zombies(d);

	fds_restore(d->pid, &old);
	pool_within(d, d->pid, 4, b, RESTART_DELAY_MAX_MS + SLACK_MS);
	assert_int_equal(b[0], a[0]);
	assert_int_equal(b[2], a[2]);
	/* The failed spawns left no fd behind. */
	assert_fds(d, nfds);
	audit(d, b, 4);
}

struct line_wait {
	const struct t_daemon	*d;
	const char		*a, *b;
};

static bool
line_has_both(void *arg)
{
	struct line_wait	*w = arg;
	char			*log = t_daemon_log(w->d), *line, *eol;
	bool			 found = false;

	for (line = log; !found && *line != '\0'; line = eol + 1) {
		if ((eol = strchr(line, '\n')) == NULL)
			break;
		*eol = '\0';
		found = strstr(line, w->a) != NULL &&
		    strstr(line, w->b) != NULL;
	}
	free(log);
	return found;
}

/* Waits for a line of the log that holds both a and b. */
static void
wait_line(const struct t_daemon *d, const char *a, const char *b)
{
	struct line_wait	w = { d, a, b };

	if (!t_wait_until(line_has_both, &w, WAIT_MS)) {
		dump_log(d);
		fail_msg("no line with \"%s\" and \"%s\" in the log", a, b);
	}
}

/*
 * Path: slot_spawn -> spawn_worker: the pipe is made, but the child
 * cannot move it (F_DUPFD_CLOEXEC, EMFILE) -> child_fail through the
 * pipe -> "fds" logged, the child exits 126 -> slot_backoff.
 *
 * The master has room for just the error pipe: the failure is the
 * child's, reported with its pid, and the child is reaped.
 */
static void
test_out_of_fds_in_child(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	struct rlimit	 old;
	pid_t		 a[2], b[2];
	unsigned	 nfds;

	write_conf(conf, "emfile-child.ini", "[prefork]\nworkers = 2\n"
	    TIMEOUTS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	wait_lived(a, 2, MIN_UPTIME_MS);

	nfds = fds_exhaust_but(d->pid, 2, &old);
	assert_int_equal(kill(a[0], SIGKILL), 0);
	wait_line(d, "worker 0 (pid ", "fds");
	wait_line(d, "worker 0 (pid ", "Too many open files");
	wait_logf(d, "exited with code 126");
	wait_logf(d, "worker 0: " MSG_DIED_YOUNG "; " MSG_STARTING_AGAIN " "
	    "100ms (failure 2 in a row)");
	assert_master_alive(d);
	assert_true(t_alive(a[1]));
	assert_no_zombies(d);

	fds_restore(d->pid, &old);
	pool_within(d, d->pid, 2, b, RESTART_DELAY_MAX_MS + SLACK_MS);
	assert_int_equal(b[1], a[1]);
	assert_fds(d, nfds);
	audit(d, b, 2);
}

/*
 * Path: child_cb -> slot_vacated -> slot_spawn -> execve() fails in the
 * child (EACCES, through the error pipe) -> its exit -> slot_backoff.
 *
 * With min_uptime = 0 every worker that ran has booted, and a crash is
 * replaced at once. A child that could not even exec never became ready
 * (prefork.ini(5), ready = exec: a worker is ready once exec succeeds), so it
 * never booted: its slot must back off, not spin.
 */
static void
test_exec_failure_backs_off(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], tw[PATH_MAX];
	char		 needle[PATH_MAX + 64];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];
	unsigned	 tries, bound;
	double		 t0, window;

	subdir("execfail", dir);
	xsnprintf(tw, sizeof(tw), "%s/tw", dir);
	copy_testworker(tw);
	write_conf(conf, "execfail.ini", "[prefork]\nworkers = 2\n"
	    "min_uptime = 0\nrestart_delay = 50ms\nrestart_delay_max = 400ms\n"
	    "graceful_timeout = 500ms\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--", tw,
	    NULL });
	pool(d, d->pid, 2, a);

	assert_int_equal(chmod(tw, 0644), 0);
	t0 = t_now_ms();
	assert_int_equal(kill(a[0], SIGKILL), 0);
	xsnprintf(needle, sizeof(needle), ": exec %s: Permission denied", tw);
	wait_logf(d, "%s", needle);
	/* 50, 100, 200 ms: the fourth failure 350 ms after the first. */
	wait_line(d, "worker 0: ", "(failure 4 in a row)");
	window = t_now_ms() - t0;
	tries = t_daemon_log_count(d, needle);
	bound = attempts_within(window) + 1;
	if (tries > bound) {
		dump_log(d);
		fail_msg("%u failed execs in %.0f ms: no backoff (at most %u)",
		    tries, window, bound);
	}
	assert_master_alive(d);
	assert_true(t_alive(a[1]));

	assert_int_equal(chmod(tw, 0755), 0);
	pool_within(d, d->pid, 2, b, RESTART_DELAY_MAX_MS + SLACK_MS);
	assert_int_equal(b[1], a[1]);
	audit(d, b, 2);
}

/*
 * Sends msg to the notify socket at addr ("@name") as worker pid, with
 * nfds fds of /dev/null attached. Only root may name another process in
 * SCM_CREDENTIALS: returns 0, or -1 with errno set (EPERM when not
 * root).
 */
static int
notify_as(const char *addr, pid_t pid, const char *msg, unsigned nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(8 * sizeof(int))];
	} control;
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct ucred		 cred = { pid, getuid(), getgid() };
	struct iovec		 iov = { (void *)msg, strlen(msg) };
	struct msghdr		 mh = {
		.msg_name = &sun,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
	};
	struct cmsghdr		*c;
	int			 fds[8], fd, saved;
	ssize_t			 r;
	unsigned		 i;

	assert_true(addr[0] == '@' && strlen(addr) < sizeof(sun.sun_path));
	assert_true(nfds <= nitems(fds));
	memcpy(sun.sun_path + 1, addr + 1, strlen(addr) - 1);
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(addr));
	memset(&control, 0, sizeof(control));
	mh.msg_controllen = CMSG_SPACE(sizeof(cred)) +
	    (nfds > 0 ? CMSG_SPACE(nfds * sizeof(int)) : 0);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	for (i = 0; i < nfds; i++)
		assert_true((fds[i] = open("/dev/null",
		    O_RDONLY | O_CLOEXEC)) != -1);
	if (nfds > 0) {
		c = CMSG_NXTHDR(&mh, c);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) !=
	    -1);
	r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	saved = errno;
	close(fd);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	errno = saved;
	return r == -1 ? -1 : 0;
}

/* Says READY=1 for each worker, as that worker (notify_as). */
static void
ready_all(const struct t_daemon *d, const pid_t *w, unsigned n)
{
	const char	*addr;
	char		 sock[128];
	unsigned	 i;

	for (i = 0; i < n; i++) {
		assert_non_null(addr = t_proc_env(w[i], "NOTIFY_SOCKET"));
		xsnprintf(sock, sizeof(sock), "%s", addr);
		if (notify_as(sock, w[i], "READY=1", 0) == -1) {
			if (errno == EPERM)
				skip();
			fail_msg("notify: %s", strerror(errno));
		}
		wait_logf(d, "worker %d (pid %ld) ready",
		    t_worker_slot(w[i]), (long)w[i]);
	}
}

/*
 * Path: notify_cb -> notify_server_recv at RLIMIT_NOFILE (fds passed
 * with a message cannot be received), and slot_spawn -> pipe2() EMFILE,
 * with listening sockets and ready = notify.
 *
 * The test itself speaks for the workers (the test worker does not
 * speak the notify protocol), which needs root; otherwise it is
 * skipped.
 */
static void
test_out_of_fds_notify_listen(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], sock[128];
	struct t_daemon	*d;
	struct rlimit	 old;
	pid_t		 a[2], b[3];
	unsigned	 nfds;
	const char	*addr;

	subdir("emfile-notify", dir);
	write_conf(conf, "emfile-notify.ini", "[prefork]\nworkers = 2\n"
	    "listen = unix:%s/sock\nready = notify\nready_timeout = 30s\n"
	    TIMEOUTS, dir);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);
	ready_all(d, a, 2);
	wait_logf(d, MSG_POOL_READY ": 2 workers");
	wait_lived(a, 2, MIN_UPTIME_MS);
	assert_non_null(addr = t_proc_env(a[0], "NOTIFY_SOCKET"));
	xsnprintf(sock, sizeof(sock), "%s", addr);

	/* Passed fds are closed at once when there is room for them. */
	nfds = count_fds(d->pid, &(int){ 0 });
	assert_int_equal(notify_as(sock, a[0], "STATUS=with fds", 3), 0);
	wait_logf(d, "worker 0 (pid %ld): with fds", (long)a[0]);
	assert_fds(d, nfds);

	assert_int_equal(fds_exhaust(d->pid, &old), nfds);
	/* And a message still gets through when there is none. */
	assert_int_equal(notify_as(sock, a[0], "STATUS=no room", 3), 0);
	wait_logf(d, "worker 0 (pid %ld): no room", (long)a[0]);
	t_daemon_signal(d, SIGTTIN);
	assert_int_equal(kill(a[1], SIGKILL), 0);
	wait_logf(d, "fork worker 2: Too many open files");
	wait_logf(d, "fork worker 1: Too many open files");
	wait_logf(d, "worker 1: " MSG_NO_PROCESS "; starting again "
	    "in 100ms (failure 2 in a row)");
	assert_master_alive(d);
	assert_true(t_alive(a[0]));
	assert_int_equal(count_fds(d->pid, &(int){ 0 }), nfds);

	fds_restore(d->pid, &old);
	pool_within(d, d->pid, 3, b, RESTART_DELAY_MAX_MS + SLACK_MS);
	assert_int_equal(b[0], a[0]);
	ready_all(d, b + 1, 1);
	assert_fds(d, nfds);
	audit(d, b, 3);

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	audit(d, NULL, 0);
}

#if defined(__SANITIZE_ADDRESS__)
#define FAULT_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULT_ASAN	1
#endif
#endif
#ifndef FAULT_ASAN
#define FAULT_ASAN	0
#endif

/*
 * The storm: at least this many SIGKILLs, each to a live worker picked
 * at random, as fast as the master replaces them.
 */
#define STORM_KILLS	5000
#define STORM_WORKERS	8
/*
 * VmRSS of the master after the storm, at most this much above before
 * it (kB). The master allocates one struct worker per spawn and frees it
 * at the exit, and every other buffer of the respawn path lives on the
 * stack or was allocated once: after a warm-up that runs every path of
 * the storm (so that their code and stack pages are resident already),
 * RSS should not move at all. 64 kB (16 pages) leaves room for the
 * allocator's top chunk wandering; a leak of one struct worker per
 * spawn (about 80 bytes, 96 with malloc's header) is 480 kB over 5,000.
 */
#define STORM_RSS_KB	64
#define STORM_WARMUP	200

/*
 * The storm's victims: the workers the log says were spawned and that
 * were not killed yet, read from the log as it grows. Scanning /proc
 * for each of 5,000 kills made the test, not the master, the storm's
 * pace: on a busy machine it took minutes.
 */
struct victim {
	int	 log;		/* the daemon's log, read from... */
	char	 line[256];	/* ...a partial line kept */
	size_t	 len;
	pid_t	 cand[64];
	size_t	 ncand;
	pid_t	 pid;
};

/* Makes room for one more, dropping the candidates dead already. */
static void
victims_prune(struct victim *v)
{
	size_t	i;

	for (i = 0; v->ncand == nitems(v->cand) && i < v->ncand;)
		if (!t_alive(v->cand[i]))
			v->cand[i] = v->cand[--v->ncand];
		else
			i++;
	assert_true(v->ncand < nitems(v->cand));
}

/* Takes the spawns the log has added since the last call. */
static void
victims_read(struct victim *v)
{
	char	buf[4096], *nl;
	ssize_t	n, i;
	long	slot, pid;

	while ((n = read(v->log, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (v->len < sizeof(v->line) - 1)
					v->line[v->len++] = buf[i];
				continue;
			}
			v->line[v->len] = '\0';
			v->len = 0;
			if ((nl = strstr(v->line, " worker ")) == NULL ||
			    strstr(nl, MSG_SPAWNED) == NULL ||
			    sscanf(nl, " worker %ld (pid %ld", &slot,
			    &pid) != 2)
				continue;
			victims_prune(v);
			v->cand[v->ncand++] = (pid_t)pid;
		}
}

/* Picks a random spawned worker that lives and was not killed yet. */
static bool
pick_victim(void *arg)
{
	struct victim	*v = arg;
	size_t		 i;

	victims_read(v);
	while (v->ncand > 0) {
		i = (size_t)rand() % v->ncand;
		v->pid = v->cand[i];
		v->cand[i] = v->cand[--v->ncand];
		if (t_alive(v->pid))
			return true;
	}
	return false;
}

/*
 * Kills n random workers of d, each one once, and waits until they have
 * died; their pids are added to to. Fails if no live worker shows up
 * within the deadline. Returns how long it spent finding them (ms):
 * reading the log, and waiting when every worker was dead.
 */
static double
storm(const struct t_daemon *d, unsigned n, struct pids *to)
{
	struct victim	 v = { .log = open(d->log, O_RDONLY | O_CLOEXEC) };
	unsigned	 i;
	double		 t, picking = 0;
	bool		 found;

	assert_true(v.log != -1);
	for (i = 0; i < n; i++) {
		t = t_now_ms();
		found = t_wait_until(pick_victim, &v, WAIT_MS);
		picking += t_now_ms() - t;
		if (!found) {
			close(v.log);
			dump_log(d);
			fail_msg("no worker alive to kill after %u kills", i);
		}
		if (kill(v.pid, SIGKILL) == -1) {
			/* Gone between the look and the kill: pick again. */
			assert_int_equal(errno, ESRCH);
			i--;
			continue;
		}
		pids_add(to, v.pid);
	}
	close(v.log);
	/*
	 * Until a killed worker has died, /proc still shows it running in
	 * its slot, and a pool sampled now could hold it.
	 */
	for (i = 0; i < n; i++)
		wait_gone(to->v[to->n - n + i], WAIT_MS);
	return picking;
}

/*
 * Path: child_cb -> pool_exited -> slot_vacated -> slot_spawn, 5,000
 * times over, as fast as the master can go, with min_uptime = 0 (every
 * worker killed has booted, so each is replaced at once; restart_delay
 * 10ms would only matter for a failed spawn).
 *
 * Then the pool is whole (8 workers in slots 0..7), the master reaped
 * every worker (no zombie; the log has an exit for each one killed and
 * a spawn for each replacement), its memory did not grow, and it still
 * answers a TTIN.
 */
static void
test_kill9_storm(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[STORM_WORKERS], b[STORM_WORKERS + 1];
	long long	 rss0, rss1, anon0, anon1, cpu0, cpu1;
	double		 t0, t1, picking;
	size_t		 i, spawned;
	char		*log;

	t_seed();
	write_conf(conf, "storm.ini", "[prefork]\nworkers = %u\n"
	    "min_uptime = 0\nrestart_delay = 10ms\nrestart_delay_max = 100ms\n"
	    "graceful_timeout = 500ms\n", STORM_WORKERS);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, STORM_WORKERS, a);

	storm(d, STORM_WARMUP, &killed);
	pool(d, d->pid, STORM_WORKERS, a);
	assert_no_zombies(d);
	rss0 = t_proc_status_num(d->pid, "VmRSS");
	anon0 = t_proc_status_num(d->pid, "RssAnon");
	cpu0 = t_proc_cpu_ms(d->pid);

	t0 = t_now_ms();
	picking = storm(d, STORM_KILLS, &killed);
	pool(d, d->pid, STORM_WORKERS, a);
	t1 = t_now_ms();
	assert_no_zombies(d);
	rss1 = t_proc_status_num(d->pid, "VmRSS");
	anon1 = t_proc_status_num(d->pid, "RssAnon");
	cpu1 = t_proc_cpu_ms(d->pid);
	assert_master_alive(d);

	spawned = audit(d, a, STORM_WORKERS);
	print_message("storm: %zu kills (%u timed) in %.1f s (%.1f s of it "
	    "finding a live worker), %zu spawns, master CPU %lld ms, VmRSS "
	    "%lld -> %lld kB, RssAnon %lld -> %lld kB\n", killed.n,
	    STORM_KILLS, (t1 - t0) / 1000, picking / 1000, spawned,
	    cpu1 - cpu0, rss0, rss1, anon0, anon1);
	/* Every worker killed was reaped and replaced. */
	log = t_daemon_log(d);
	log_pids(log, ") exited on signal 9 ", &exited);
	free(log);
	qsort(killed.v, killed.n, sizeof(*killed.v), pid_cmp);
	for (i = 0; i < killed.n; i++)
		if (!bsearch(&killed.v[i], exited.v, exited.n,
		    sizeof(*exited.v), pid_cmp))
			fail_msg("worker %ld killed, never reaped",
			    (long)killed.v[i]);
	assert_true(spawned >= STORM_WORKERS + killed.n);
#if !FAULT_ASAN
	/* ASan keeps freed memory in quarantine: RSS grows by design. */
	if (rss1 - rss0 > STORM_RSS_KB) {
		dump_log(d);
		fail_msg("VmRSS grew by %lld kB (%lld -> %lld)", rss1 - rss0,
		    rss0, rss1);
	}
#endif

	t_daemon_signal(d, SIGTTIN);
	pool(d, d->pid, STORM_WORKERS + 1, b);
	assert_memory_equal(a, b, sizeof(a));
	wait_logf(d, "SIGTTIN: %u -> %u workers", STORM_WORKERS,
	    STORM_WORKERS + 1);

	/* And it shuts down clean: with ASan, LeakSanitizer checks here. */
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	audit(d, NULL, 0);
}

/*
 * SIGTERM right after a SIGHUP that resizes from `from` to `to`
 * workers. The workers take term_delay to stop, or ignore SIGTERM
 * (stubborn), so that the shrink's stopping workers are still there
 * when the shutdown comes. Then: exit 0 within graceful_timeout and
 * slack, every worker it ever had gone and reaped.
 */
static void
term_during_resize(const char *name, unsigned from, unsigned to,
    bool stubborn)
{
	char		 conf[PATH_MAX], ini[64];
	struct t_daemon	*d;
	pid_t		 a[16];
	double		 t0;
	size_t		 i;

	assert_true(from <= nitems(a));
	xsnprintf(ini, sizeof(ini), "%s.ini", name);
	write_conf(conf, ini, "[prefork]\nworkers = %u\n" TIMEOUTS, from);
	if (stubborn)
		d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
		    t_testworker(), "--ignore-term", NULL });
	else
		d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
		    t_testworker(), "--term-delay", "200", NULL });
	pool(d, d->pid, from, a);
	wait_lived(a, from, MIN_UPTIME_MS);
	/* Every pid it has, sampled a few times. */
	for (i = 0; i < 3; i++)
		sample_children(d->pid, &sampled);

	write_conf(conf, ini, "[prefork]\nworkers = %u\n" TIMEOUTS, to);
	t_daemon_signal(d, SIGHUP);
	t_daemon_signal(d, SIGTERM);
	t0 = t_now_ms();
	/* And the ones started by the resize, while they are seen. */
	while (t_alive(d->pid) && t_now_ms() - t0 < GRACEFUL_MS + SLACK_MS)
		sample_children(d->pid, &sampled);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	wait_logf(d, "SIGHUP: %u -> %u workers", from, to);
	wait_logf(d, "shutting down (SIGTERM)");
	wait_logf(d, MSG_EXITING " 0");
	for (i = 0; i < sampled.n; i++)
		if (orphan(sampled.v[i]))
			fail_msg("worker %ld outlived the master",
			    (long)sampled.v[i]);
	audit(d, NULL, 0);
}

/* Path: SIGHUP -> pool_resize (grow) then SIGTERM -> pool_stop. */
static void
test_term_during_hup_grow(void **state)
{
	term_during_resize("grow", 2, 16, false);
}

/* Path: SIGHUP -> pool_resize (shrink) then SIGTERM -> pool_stop. */
static void
test_term_during_hup_shrink(void **state)
{
	term_during_resize("shrink", 16, 2, false);
}

/*
 * Path: SIGHUP -> pool_resize (shrink) then SIGTERM -> pool_stop ->
 * timer_cb -> SIGKILL to the workers that ignore SIGTERM.
 */
static void
test_term_during_hup_shrink_stubborn(void **state)
{
	term_during_resize("shrink-stubborn", 16, 2, true);
}

/*
 * Path: SIGUSR2 -> pool_roll_step (a replacement waiting out
 * min_uptime) then SIGTERM -> pool_stop: the old workers and the
 * replacement all stop.
 */
static void
test_term_during_roll(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[4];

	write_conf(conf, "termroll.ini", "[prefork]\nworkers = 4\n"
	    "min_uptime = 1s\nrestart_delay = 50ms\nrestart_delay_max = 400ms\n"
	    "graceful_timeout = 1s\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 4, a);
	wait_lived(a, 4, 1000);

	t_daemon_signal(d, SIGUSR2);
	wait_logf(d, "rolling restart of 4 workers");
	/* The replacement of slot 0: a fifth worker, waiting out 1 s. */
	wait_log_count(d, MSG_SPAWNED, 5);
	assert_false(log_has(d, MSG_ROLL_DONE));
	t_daemon_signal(d, SIGTERM);
	wait_exit(d, 1000 + SLACK_MS, 0);
	wait_logf(d, "shutting down (SIGTERM): stopping 5 workers");
	assert_false(log_has(d, MSG_ROLL_DONE));
	audit(d, NULL, 0);
}

/*
 * Path: child_cb -> pool_exited -> slot_vacated -> slot_spawn, back to
 * back, then SIGTERM -> master_term.
 *
 * Every worker exits at once and, with min_uptime = 0, has booted, so
 * each is replaced at once. With 64 of them, workers die faster than the
 * master replaces them, one spawn at a time: there is always another
 * one to reap. The master must still hear its signals: SIGTERM ends it
 * within graceful_timeout. The worker is true(1), not the test worker:
 * built with ASan, that one takes longer to start than the master takes
 * to spawn, and the workers would not die fast enough.
 */
static void
test_term_during_respawn_loop(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;

	write_conf(conf, "respawnloop.ini", "[prefork]\nworkers = 64\n"
	    "min_uptime = 0\nrestart_delay = 10ms\nrestart_delay_max = 100ms\n"
	    "graceful_timeout = 500ms\n");
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--", "true",
	    NULL });
	/* Two generations: the loop is on. */
	wait_log_count(d, MSG_SPAWNED, 128);
	t_daemon_signal(d, SIGTERM);
	if (!t_daemon_log_wait(d, MSG_RECEIVED " SIGTERM",
	    GRACEFUL_MS + SLACK_MS))
		fail_msg("SIGTERM not handled while the workers respawn "
		    "(%u spawned so far)", t_daemon_log_count(d,
		    MSG_SPAWNED));
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	audit(d, NULL, 0);
}

/*
 * Path: SIGHUP (new [env]) -> pool_set_generation (roll) during
 * start-up, then child_cb -> pool_exited for both first-generation
 * workers, killed young from outside. The reload superseded the first
 * generation: the master must not give up with 69 ("every worker of the
 * first generation failed to boot") but go on with the new one. Found
 * by the HUP storm in CI, where the test's SIGKILLs took the last two
 * first-generation workers. With min_uptime 30 s every death is young.
 */
#define FIRSTRELOAD_INI							\
	"[prefork]\nworkers = 2\nmin_uptime = 30s\nrestart_delay = 50ms\n"	\
	"restart_delay_max = 400ms\ngraceful_timeout = 500ms\n"		\
	"[env]\nGEN = %u\n"

static void
test_kill_first_generation_during_reload(void **state)
{
	char		 conf[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[2], b[2];
	unsigned	 i;
	const char	*v;

	write_conf(conf, "firstreload.ini", FIRSTRELOAD_INI, 0);
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), NULL });
	pool(d, d->pid, 2, a);

	write_conf(conf, "firstreload.ini", FIRSTRELOAD_INI, 1);
	t_daemon_signal(d, SIGHUP);
	wait_logf(d, "rolling restart");
	for (i = 0; i < 2; i++)
		assert_int_equal(kill(a[i], SIGKILL), 0);
	for (i = 0; i < 2; i++)
		wait_logf(d, "(pid %ld) exited on signal 9", (long)a[i]);

	/* Both slots filled again, by the new generation. */
	for (i = 0; i < 2; i++)
		assert_true(t_wait_until(gone, &a[i], WAIT_MS));
	pool(d, d->pid, 2, b);
	for (i = 0; i < 2; i++) {
		v = t_proc_env(b[i], "GEN");
		if (v == NULL || strcmp(v, "1") != 0) {
			dump_log(d);
			fail_msg("worker %ld has GEN=%s, not 1", (long)b[i],
			    v != NULL ? v : "(none)");
		}
	}
	assert_master_alive(d);
	assert_false(log_has(d, "first generation"));

	t_daemon_signal(d, SIGTERM);
	wait_exit(d, GRACEFUL_MS + SLACK_MS, 0);
	audit(d, NULL, 0);
}

/*
 * The HUP storm: this many SIGHUPs, each with a new file (a size from 2
 * to 6 and a new [env], so that each starts a rolling restart over the
 * last), while workers crash on their own and are killed.
 */
#define HUP_STORM	200

/*
 * Path: SIGHUP -> master_reload -> master_adopt, pool_set_generation
 * (roll) and pool_resize, 200 times, interleaved with child_cb for
 * crashes. Each HUP is sent once the previous one was logged, so that
 * none is merged with the next and every reload runs.
 */
static void
test_hup_storm(void **state)
{
	char		 dir[PATH_MAX], conf[PATH_MAX], crash[PATH_MAX];
	struct t_daemon	*d;
	pid_t		 a[4], kids[64];
	unsigned	 i, n, round;
	size_t		 nk;
	const char	*v;

	t_seed();
	subdir("hupstorm", dir);
	xsnprintf(crash, sizeof(crash), "%s/crash", dir);
	touch(crash);
	write_conf(conf, "hupstorm.ini", "[prefork]\nworkers = 4\n" TIMEOUTS
	    "[env]\nGEN = 0\n");
	/* While crash exists, a new worker exits 3 after 300 ms. */
	d = start(NULL, NULL, (const char *const[]){ "-c", conf, "--",
	    t_testworker(), "--crash-if", crash, "--after", "300", NULL });
	pool(d, d->pid, 4, a);

	for (i = 1; i <= HUP_STORM; i++) {
		n = 2 + (unsigned)rand() % 5;
		write_conf(conf, "hupstorm.ini", "[prefork]\nworkers = %u\n"
		    TIMEOUTS "[env]\nGEN = %u\n", n, i);
		t_daemon_signal(d, SIGHUP);
		if (i % 10 == 0) {
			nk = t_children(d->pid, kids, nitems(kids));
			if (nk > 0)
				kill(kids[(size_t)rand() % nk], SIGKILL);
		}
		wait_log_count(d, MSG_RECEIVED " SIGHUP", i);
	}
	assert_master_alive(d);

	/* The last word: 4 workers of generation "final", none crashing. */
	assert_int_equal(unlink(crash), 0);
	write_conf(conf, "hupstorm.ini", "[prefork]\nworkers = 4\n" TIMEOUTS
	    "[env]\nGEN = final\n");
	t_daemon_signal(d, SIGHUP);
	wait_log_count(d, MSG_RECEIVED " SIGHUP", HUP_STORM + 1);
	/* Each round sees one more worker of an old generation go. */
	for (round = 0;; round++) {
		if (round == 64) {
			dump_log(d);
			fail_msg("the workers of old generations never went");
		}
		pool(d, d->pid, 4, a);
		for (i = 0; i < 4; i++)
			if ((v = t_proc_env(a[i], "GEN")) == NULL ||
			    strcmp(v, "final") != 0)
				break;
		if (i == 4)
			break;
		if (!t_wait_until(gone, &a[i], WAIT_MS)) {
			dump_log(d);
			fail_msg("worker %ld of generation %s never went",
			    (long)a[i], v != NULL ? v : "(none)");
		}
	}
	assert_no_zombies(d);
	audit(d, a, 4);
	assert_master_alive(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fork_fails_for_a_while,
		    teardown),
		cmocka_unit_test_teardown(test_fork_fails_at_start, teardown),
		cmocka_unit_test_teardown(test_fork_fails_at_start_then_crash,
		    teardown),
		cmocka_unit_test_teardown(test_fork_fails_during_roll,
		    teardown),
		cmocka_unit_test_teardown(test_exec_failure_backs_off,
		    teardown),
		cmocka_unit_test_teardown(test_out_of_fds, teardown),
		cmocka_unit_test_teardown(test_out_of_fds_in_child, teardown),
		cmocka_unit_test_teardown(test_out_of_fds_notify_listen,
		    teardown),
		cmocka_unit_test_teardown(test_kill9_storm, teardown),
		cmocka_unit_test_teardown(test_term_during_hup_grow,
		    teardown),
		cmocka_unit_test_teardown(test_term_during_hup_shrink,
		    teardown),
		cmocka_unit_test_teardown(
		    test_term_during_hup_shrink_stubborn, teardown),
		cmocka_unit_test_teardown(test_term_during_roll, teardown),
		cmocka_unit_test_teardown(test_term_during_respawn_loop,
		    teardown),
		cmocka_unit_test_teardown(
		    test_kill_first_generation_during_reload, teardown),
		cmocka_unit_test_teardown(test_hup_storm, teardown),
	};

	/* FAULT_TEST=test_kill9_storm runs one test (a glob). */
	it_init(WAIT_MS, "FAULT_TEST", false);
	/*
	 * A worker that outlives its master comes to us, not to init: an
	 * orphan is then a child of ours, told apart from another test's
	 * worker that got one of our old pids.
	 */
	if (t_subreaper() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
