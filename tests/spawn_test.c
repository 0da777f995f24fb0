/* SPDX-License-Identifier: ISC */
/*
 * spawn_test: spawn_worker() and spawn_signal() against prefork(8)
 * "What a worker inherits" and HACKING.md's spawn path. The test process
 * plays the master: it spawns the testworker (tests/helpers/testworker.c, found
 * through $PREFORK_TESTWORKER), reads what the worker reports it
 * inherited, and reaps every child itself. It is a child subreaper, so
 * that the grandchildren a test orphans are reaped here too.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "spawn.h"
#include "testlib.h"
#include "util.h"

/* Generous: under valgrind or a loaded CI machine a start can be slow. */
#define DEADLINE_MS	10000

#define ZEROS	"0000000000000000"

static char	*const plain_env[] = { (char *)"PATH=/usr/bin:/bin", NULL };

/* The worker the tests run: $PREFORK_TESTWORKER. */
static const char *
testworker(void)
{
	const char	*p = getenv("PREFORK_TESTWORKER");

	if (p == NULL || *p == '\0')
		fail_msg("PREFORK_TESTWORKER is not set: run the tests with "
		    "make check");
	return p;
}

/* A command that changes nothing but what the test sets. */
static struct spawn_cmd
cmd_init(const char *path, const char *const argv[])
{
	return (struct spawn_cmd){
		.path = path,
		.argv = (char *const *)argv,
		.envp = plain_env,
		.umask = (mode_t)-1,
		.uid = (uid_t)-1,
		.gid = (gid_t)-1,
	};
}

/* A new directory under t_tmpdir(), its path in buf. */
static const char *
subdir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t_tmpdir(), name);
	assert_int_equal(mkdir(buf, 0700), 0);
	return buf;
}

static bool
exists(void *path)
{
	return access(path, F_OK) == 0;
}

/* The number after "key ", or -1. */
static long
report_num(const char *report, const char *key)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\n%s ", key);
	if ((p = strstr(report, pat)) == NULL)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

static size_t
count(const char *text, const char *needle)
{
	size_t	n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text++;
	}
	return n;
}

/*
 * The children a test has not reaped yet. A test that fails half way
 * leaves them running; teardown() kills and reaps them, so that they
 * neither hold a pipe of whoever runs the tests nor fail the next test.
 */
static pid_t	live[16];

static void
track(pid_t pid)
{
	size_t	i;

	for (i = 0; i < nitems(live); i++)
		if (live[i] == 0) {
			live[i] = pid;
			return;
		}
	fail_msg("more than %zu children at once", nitems(live));
}

static void
untrack(pid_t pid)
{
	size_t	i;

	for (i = 0; i < nitems(live); i++)
		if (live[i] == pid)
			live[i] = 0;
}

/* spawn_worker(), keeping track of the child. */
static pid_t
spawn(const struct spawn_cmd *cmd, struct spawn_result *r)
{
	if (spawn_worker(cmd, r) > 0)
		track(r->pid);
	return r->pid;
}

struct reap {
	pid_t	pid;
	int	status;
	bool	done;
};

static bool
reaped(void *arg)
{
	struct reap	*r = arg;

	if (!r->done && waitpid(r->pid, &r->status, WNOHANG) == r->pid) {
		r->done = true;
		untrack(r->pid);
	}
	return r->done;
}

/*
 * Waits for pid to exit and returns its wait status. A child still
 * there at the deadline is killed, reaped, and fails the test.
 */
static int
reap(pid_t pid)
{
	struct reap	r = { .pid = pid };

	if (!t_wait_until(reaped, &r, DEADLINE_MS))
		fail_msg("pid %ld did not exit in time", (long)pid);
	return r.status;
}

static void
assert_exited(int status, int code)
{
	if (!WIFEXITED(status))
		fail_msg("wait status %#x: not an exit", status);
	assert_int_equal(WEXITSTATUS(status), code);
}

/* Kills a worker that would wait forever, and reaps it. */
static void
stop(pid_t pid)
{
	int	status;

	assert_int_equal(spawn_signal(pid, SIGKILL), 0);
	status = reap(pid);
	assert_true(WIFSIGNALED(status));
}

/*
 * Spawns the testworker with --report dir, more options (NULL-terminated,
 * or NULL) and cmd's settings, and returns its report.
 */
static char *
spawn_reporting(struct spawn_cmd *cmd, const char *dir,
    const char *const more[], struct spawn_result *r)
{
	const char	*argv[16];
	size_t		 n = 0;

	argv[n++] = testworker();
	argv[n++] = "--report";
	argv[n++] = dir;
	for (; more != NULL && *more != NULL; more++) {
		assert_true(n < 15);
		argv[n++] = *more;
	}
	argv[n] = NULL;
	cmd->path = argv[0];
	cmd->argv = (char *const *)argv;
	assert_true(spawn(cmd, r) > 0);
	if (r->stage != SPAWN_OK)
		fail_msg("spawn failed at %s: %s", spawn_stage_name(r->stage),
		    strerror(r->error));
	return t_report_wait(dir, r->pid, DEADLINE_MS);
}

static void
get_mask(sigset_t *set)
{
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, set), 0);
}

static void
assert_same_mask(const sigset_t *a, const sigset_t *b)
{
	int	sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			fail_msg("signal %d differs between the masks", sig);
}

static void
on_hup(int sig)
{
}

/*
 * glibc's sigaction() will not touch the two signals it reserves (32
 * and 33), yet a process can inherit them ignored (some test harnesses
 * do that), so the test ignores them through the kernel, where the
 * kernel's struct sigaction starts with the handler. Returns false
 * where that layout is not known.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define RAW_SIGNALS	1
#endif

struct raw_sigaction {
	unsigned long	words[16];	/* handler first; the rest 0 */
};

static bool
raw_sigaction(int sig, const struct raw_sigaction *act,
    struct raw_sigaction *old)
{
#ifdef RAW_SIGNALS
	return syscall(SYS_rt_sigaction, sig, act, old, (NSIG - 1) / 8) == 0;
#else
	return false;
#endif
}

/* Path: child resets dispositions and empties the mask before exec. */
static void
test_signals_reset(void **state)
{
	struct sigaction	 ign = { .sa_handler = SIG_IGN };
	struct sigaction	 hup = { .sa_handler = on_hup };
	struct sigaction	 dfl = { .sa_handler = SIG_DFL };
	struct raw_sigaction	 raw_ign = { { (unsigned long)SIG_IGN } };
	struct raw_sigaction	 raw_old[2];
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	sigset_t		 block, before, after;
	char			 dir[PATH_MAX], *rep;
	bool			 raw;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	sigaction(SIGPIPE, &ign, NULL);
	sigaction(SIGUSR2, &ign, NULL);
	sigaction(SIGHUP, &hup, NULL);
	raw = raw_sigaction(32, &raw_ign, &raw_old[0]) &&
	    raw_sigaction(33, &raw_ign, &raw_old[1]);
	if (!raw)
		print_message("signals 32 and 33 left alone here\n");
	get_mask(&before);

	rep = spawn_reporting(&cmd, subdir("signals", dir, sizeof(dir)),
	    NULL, &r);
	get_mask(&after);
	assert_same_mask(&before, &after);
	assert_true(t_has_line(rep, "SigBlk:\t" ZEROS));
	assert_true(t_has_line(rep, "SigIgn:\t" ZEROS));

	stop(r.pid);
	free(rep);
	if (raw) {
		raw_sigaction(32, &raw_old[0], NULL);
		raw_sigaction(33, &raw_old[1], NULL);
	}
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGUSR2, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
}

/* Path: /dev/null on 0, leaked fds closed, own group, death signal. */
static void
test_fds_group_deathsig(void **state)
{
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	char			 dir[PATH_MAX], *rep;
	int			 leak, high, stdin0, p[2];

	/* Our stdin is a pipe, so that /dev/null must come from spawn. */
	stdin0 = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dup2(p[0], 0), 0);
	/* Deliberately without O_CLOEXEC: the child must close them. */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	high = dup2(leak, 200);
	assert_int_equal(high, 200);

	rep = spawn_reporting(&cmd, subdir("fds", dir, sizeof(dir)), NULL,
	    &r);
	close(leak);
	close(high);
	close(p[0]);
	close(p[1]);
	if (stdin0 == -1) {
		close(0);
	} else {
		dup2(stdin0, 0);
		close(stdin0);
	}
	assert_true(t_has_line(rep, "fds 0 1 2"));
	assert_true(t_has_line(rep, "fd0 /dev/null"));
	assert_int_equal(report_num(rep, "pid"), r.pid);
	assert_int_equal(report_num(rep, "pgid"), r.pid);
	assert_int_equal(report_num(rep, "ppid"), getpid());
	assert_int_equal(report_num(rep, "sid"), getsid(0));
	assert_true(t_has_line(rep, "pdeathsig %d", SIGTERM));
	assert_int_equal(getpgid(r.pid), r.pid);

	stop(r.pid);
	free(rep);
}

/* A socket pair on fds above 10, leaving the low fds free. */
static void
socketpair_high(int sv[2])
{
	int	low[2], i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, low), 0);
	for (i = 0; i < 2; i++) {
		sv[i] = fcntl(low[i], F_DUPFD_CLOEXEC, 10);
		assert_true(sv[i] >= 10);
		close(low[i]);
	}
}

/* Path: child moves sockets crossing their targets onto 3 and 4. */
static void
test_sockets_cross(void **state)
{
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	struct stat		 st3, st4;
	char			 dir[PATH_MAX], *rep;
	int			 a[2], b[2], i;
	const int		 fds[] = { 4, 3 };

	/*
	 * 3 and 4 must be ours to place sockets on: a stray fd this test
	 * inherited there (from make, or a CI runner) is not used here.
	 */
	close(3);
	close(4);
	socketpair_high(a);
	socketpair_high(b);
	/* The worker's 3 is our 4 and its 4 our 3, without O_CLOEXEC. */
	assert_int_equal(dup2(a[0], 4), 4);
	assert_int_equal(dup2(b[0], 3), 3);
	assert_int_equal(fstat(4, &st3), 0);
	assert_int_equal(fstat(3, &st4), 0);
	cmd.fds = fds;
	cmd.nfds = 2;

	rep = spawn_reporting(&cmd, subdir("sockets", dir, sizeof(dir)),
	    NULL, &r);
	/* The parent's fds are as they were. */
	assert_int_equal(fcntl(3, F_GETFD), 0);
	assert_int_equal(fcntl(4, F_GETFD), 0);
	for (i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	close(3);
	close(4);

	assert_true(t_has_line(rep, "fds 0 1 2 3 4"));
	assert_true(t_has_line(rep, "fd3 socket:[%lu]",
	    (unsigned long)st3.st_ino));
	assert_true(t_has_line(rep, "fd4 socket:[%lu]",
	    (unsigned long)st4.st_ino));
	stop(r.pid);
	free(rep);
}

/*
 * Path: the error pipe lands on a socket's target (our stdin closed, so
 * pipe2 gives 0 and 3) and still reports the failed exec.
 */
static void
test_error_pipe_on_target(void **state)
{
	const char		*argv[] = { "missing", NULL };
	struct spawn_cmd	 cmd = cmd_init(NULL, argv);
	struct spawn_result	 r;
	char			 path[PATH_MAX];
	int			 a[2], b[2], fds[2], stdin0, probe[2];

	socketpair_high(a);
	socketpair_high(b);
	fds[0] = a[0];
	fds[1] = b[0];
	stdin0 = fcntl(0, F_DUPFD_CLOEXEC, 10);
	close(0);
	/* Check that pipe2 really gives 0 and 3 here, as in spawn. */
	assert_int_equal(pipe2(probe, O_CLOEXEC), 0);
	close(probe[0]);
	close(probe[1]);
	snprintf(path, sizeof(path), "%s/no-such-program", t_tmpdir());
	cmd.path = path;
	cmd.fds = fds;
	cmd.nfds = 2;
	spawn(&cmd, &r);
	if (stdin0 != -1) {
		dup2(stdin0, 0);
		close(stdin0);
	}
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	assert_int_equal(probe[0], 0);
	assert_int_equal(probe[1], 3);

	assert_true(r.pid > 0);
	assert_int_equal(r.stage, SPAWN_EXEC);
	assert_int_equal(r.error, ENOENT);
	assert_exited(reap(r.pid), 127);
}

/* Path: exact envp, and the child fills pid_slots with its own pid. */
static void
test_env_pid_slot(void **state)
{
	/* Room for 21 bytes after the '=', as spawn.h asks. */
	char			 pad[] =
	    "LISTEN_PID=" "xxxxxxxxxxxxxxxxxxxxx";
	char			 wd[] =
	    "WATCHDOG_PID=" "xxxxxxxxxxxxxxxxxxxxx";
	char			*const envp[] = { (char *)"A=1",
				    (char *)"B=two words", pad, wd, NULL };
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	char			 dir[PATH_MAX], *rep;

	cmd.envp = envp;
	cmd.pid_slots[0] = pad + strlen("LISTEN_PID=");
	cmd.pid_slots[1] = wd + strlen("WATCHDOG_PID=");
	rep = spawn_reporting(&cmd, subdir("env", dir, sizeof(dir)), NULL,
	    &r);
	assert_int_equal(count(rep, "\nenv "), 4);
	assert_true(t_has_line(rep, "env A=1"));
	assert_true(t_has_line(rep, "env B=two words"));
	assert_true(t_has_line(rep, "env LISTEN_PID=%ld", (long)r.pid));
	assert_true(t_has_line(rep, "env WATCHDOG_PID=%ld", (long)r.pid));
	assert_true(t_has_line(rep, "slot -"));
	/*
	 * The caller's strings are scratch: a vfork-style child writes its
	 * pid into the very memory it shares with us, a forked one into its
	 * copy. Either way they hold the child's pid or the padding.
	 */
	assert_true(strcmp(pad, "LISTEN_PID=xxxxxxxxxxxxxxxxxxxxx") == 0 ||
	    atol(pad + strlen("LISTEN_PID=")) == (long)r.pid);

	stop(r.pid);
	free(rep);
}

/* Path: child applies chdir and umask. */
static void
test_chdir_umask(void **state)
{
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	char			 dir[PATH_MAX], cwd[PATH_MAX], *rep;
	mode_t			 mine;

	cmd.chdir = subdir("cwd", cwd, sizeof(cwd));
	cmd.umask = 027;
	rep = spawn_reporting(&cmd, subdir("chdir", dir, sizeof(dir)), NULL,
	    &r);
	assert_true(t_has_line(rep, "cwd %s", cwd));
	assert_true(t_has_line(rep, "umask 0027"));
	/* Ours is unchanged. */
	mine = umask(022);
	umask(mine);
	assert_int_not_equal(mine, 027);

	stop(r.pid);
	free(rep);
}

/* Path: child (as root) drops to nobody/nogroup; death signal re-armed. */
static void
test_credentials(void **state)
{
	const gid_t		 groups[] = { 100, 65534 };
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	const char		*argv[4];
	char			 dir[PATH_MAX], *rep;

	if (geteuid() != 0) {
		print_message("not root: credentials not tested\n");
		skip();
	}
	/* nobody must reach the report directory. */
	assert_int_equal(chmod(t_tmpdir(), 0711), 0);
	subdir("creds", dir, sizeof(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	cmd.uid = 65534;
	cmd.gid = 65534;
	cmd.groups = groups;
	cmd.ngroups = 2;

	argv[0] = testworker();
	argv[1] = "--report";
	argv[2] = dir;
	argv[3] = NULL;
	cmd.path = argv[0];
	cmd.argv = (char *const *)argv;
	assert_true(spawn(&cmd, &r) > 0);
	if (r.stage == SPAWN_EXEC && r.error == EACCES) {
		assert_exited(reap(r.pid), 126);
		print_message("nobody cannot run %s: credentials not tested\n",
		    argv[0]);
		skip();
	}
	assert_int_equal(r.stage, SPAWN_OK);
	rep = t_report_wait(dir, r.pid, DEADLINE_MS);
	assert_true(t_has_line(rep, "uid 65534"));
	assert_true(t_has_line(rep, "gid 65534"));
	assert_true(t_has_line(rep, "groups 100 65534"));
	assert_true(t_has_line(rep, "pdeathsig %d", SIGTERM));

	stop(r.pid);
	free(rep);
}

/* Path: setgroups fails in the child -> SPAWN_CREDENTIALS, exit 126. */
static void
test_credentials_fail(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	gid_t			*groups;

	/*
	 * More groups than any kernel takes: EINVAL for root, and EPERM
	 * for anyone else, who may not call setgroups() at all.
	 */
	groups = calloc(NGROUPS_MAX + 1, sizeof(*groups));
	assert_non_null(groups);
	cmd.gid = getgid();
	cmd.groups = groups;
	cmd.ngroups = NGROUPS_MAX + 1;
	spawn(&cmd, &r);
	free(groups);
	assert_true(r.pid > 0);
	assert_int_equal(r.stage, SPAWN_CREDENTIALS);
	assert_int_equal(r.error, geteuid() == 0 ? EINVAL : EPERM);
	assert_exited(reap(r.pid), 126);
}

/* Path: execve fails with ENOENT -> SPAWN_EXEC, exit 127. */
static void
test_exec_missing(void **state)
{
	const char		*argv[] = { "missing", NULL };
	struct spawn_cmd	 cmd = cmd_init(NULL, argv);
	struct spawn_result	 r;
	char			 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no-such-program", t_tmpdir());
	cmd.path = path;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_EXEC);
	assert_int_equal(r.error, ENOENT);
	assert_string_equal(spawn_stage_name(r.stage), "exec");
	assert_exited(reap(r.pid), 127);
}

/* Path: execve fails with EACCES -> SPAWN_EXEC, exit 126. */
static void
test_exec_not_executable(void **state)
{
	const char		*argv[] = { "noexec", NULL };
	struct spawn_cmd	 cmd = cmd_init(NULL, argv);
	struct spawn_result	 r;
	const char		*path;

	path = t_write_file("noexec", "#!/bin/sh\nexit 0\n");
	assert_int_equal(chmod(path, 0644), 0);
	cmd.path = path;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_EXEC);
	assert_int_equal(r.error, EACCES);
	assert_exited(reap(r.pid), 126);
}

/* Path: chdir fails in the child -> SPAWN_CHDIR, exit 127. */
static void
test_chdir_missing(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	char			 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no-such-dir", t_tmpdir());
	cmd.chdir = path;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_CHDIR);
	assert_int_equal(r.error, ENOENT);
	assert_string_equal(spawn_stage_name(r.stage), "chdir");
	assert_exited(reap(r.pid), 127);
}

/* Path: a socket fd that is not open -> SPAWN_FDS, exit 126. */
static void
test_bad_fd(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	const int		 fds[] = { 900 };

	close(900);	/* not open, even if this test inherited it */
	cmd.fds = fds;
	cmd.nfds = 1;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_FDS);
	assert_int_equal(r.error, EBADF);
	assert_exited(reap(r.pid), 126);
}

/*
 * Path: the cgroup to join (worker_cgroup): the child writes "0" to the
 * cgroup.procs fd it is given (here a plain file), before the sockets
 * are moved, so that a socket's target may be that very fd; the worker
 * does not inherit it.
 */
static void
test_cgroup_join(void **state)
{
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	struct stat		 st;
	char			 dir[PATH_MAX], path[PATH_MAX], *rep, *text;
	int			 a[2], fd;
	const int		 fds[] = { 4 };

	close(3);
	close(4);
	socketpair_high(a);
	assert_int_equal(dup2(a[0], 4), 4);
	assert_int_equal(fstat(4, &st), 0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", t_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	/* The socket goes to 3, where the cgroup's fd is. */
	if (fd != 3) {
		assert_int_equal(dup3(fd, 3, O_CLOEXEC), 3);
		close(fd);
	}
	cmd.fds = fds;
	cmd.nfds = 1;
	cmd.cgroup = true;
	cmd.cgroup_fd = 3;

	rep = spawn_reporting(&cmd, subdir("cgroup", dir, sizeof(dir)), NULL,
	    &r);
	close(a[0]);
	close(a[1]);
	close(3);
	close(4);
	assert_non_null(text = util_read_file(path, 64));
	assert_string_equal(text, "0");
	free(text);
	assert_true(t_has_line(rep, "fds 0 1 2 3"));
	assert_true(t_has_line(rep, "fd3 socket:[%lu]",
	    (unsigned long)st.st_ino));
	stop(r.pid);
	free(rep);
}

/*
 * Path: joining the cgroup fails -> SPAWN_CGROUP with its errno, exit
 * 126: a cgroup.procs that cannot be written, or one the caller could
 * not open (cgroup_error).
 */
static void
test_cgroup_fails(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;

	cmd.cgroup = true;
	cmd.cgroup_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(cmd.cgroup_fd >= 0);
	assert_true(spawn(&cmd, &r) > 0);
	close(cmd.cgroup_fd);
	assert_int_equal(r.stage, SPAWN_CGROUP);
	assert_int_equal(r.error, EBADF);
	assert_string_equal(spawn_stage_name(r.stage), "cgroup");
	assert_exited(reap(r.pid), 126);

	cmd.cgroup_fd = -1;
	cmd.cgroup_error = EACCES;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_CGROUP);
	assert_int_equal(r.error, EACCES);
	assert_exited(reap(r.pid), 126);
}

/* Path: more than SPAWN_FDS_MAX fds -> refused before fork. */
static void
test_too_many_fds(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	int			 status;

	cmd.fds = (const int[]){ 0 };	/* never read */
	cmd.nfds = SPAWN_FDS_MAX + 1;
	assert_int_equal(spawn_worker(&cmd, &r), -1);
	assert_int_equal(r.pid, -1);
	assert_int_equal(r.stage, SPAWN_FDS);
	assert_int_equal(r.error, EINVAL);
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Path: pipe2 fails (EMFILE) -> pid -1, SPAWN_FORK, mask restored. */
static void
test_no_fds_left(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	struct rlimit		 old, low;
	sigset_t		 block, before, after;
	int			 fd;

	/* Room for one more fd: the lowest free one. pipe2 needs two. */
	fd = dup(0);
	assert_true(fd > 0);
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;
	if (setrlimit(RLIMIT_NOFILE, &low) == -1)
		skip();
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	get_mask(&before);
	assert_int_equal(spawn_worker(&cmd, &r), -1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(r.pid, -1);
	assert_int_equal(r.stage, SPAWN_FORK);
	assert_int_equal(r.error, EMFILE);
	get_mask(&after);
	assert_same_mask(&before, &after);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
}

/* Path: parent restores the caller's mask after success and failure. */
static void
test_mask_restored(void **state)
{
	const char		*argv[] = { "true", NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/true", argv);
	struct spawn_result	 r;
	sigset_t		 block, before, after;
	char			 path[PATH_MAX];

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	get_mask(&before);

	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_OK);
	get_mask(&after);
	assert_same_mask(&before, &after);
	assert_exited(reap(r.pid), 0);

	snprintf(path, sizeof(path), "%s/no-such-program", t_tmpdir());
	cmd.path = path;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_EXEC);
	get_mask(&after);
	assert_same_mask(&before, &after);
	assert_exited(reap(r.pid), 127);

	assert_int_equal(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
}

/* The pid in the one report.* file in dir, or 0 while there is none. */
static pid_t
report_pid(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	pid_t		 pid = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "report.", 7) == 0)
			pid = (pid_t)atol(e->d_name + 7);
	closedir(d);
	return pid;
}

/* True once pid is gone: reaped here, or no longer there at all. */
static bool
gone(void *arg)
{
	struct reap	*r = arg;

	if (reaped(r))
		return true;
	if (kill(r->pid, 0) == -1 && errno == ESRCH) {
		untrack(r->pid);
		return true;
	}
	return false;
}

/* Path: spawn_signal reaches the group: a sh -c wrapper's child too. */
static void
test_signal_group(void **state)
{
	const char		*argv[] = { "sh", "-c", NULL, NULL };
	struct spawn_cmd	 cmd = cmd_init("/bin/sh", argv);
	struct spawn_result	 r;
	struct reap		 child;
	char			 dir[PATH_MAX], touched[PATH_MAX + 8];
	char			 script[3 * PATH_MAX], *rep;
	pid_t			 pid;

	subdir("group", dir, sizeof(dir));
	snprintf(touched, sizeof(touched), "%s/touched", dir);
	snprintf(script, sizeof(script),
	    "'%s' --report '%s' --touch '%s' & wait", testworker(), dir,
	    touched);
	argv[2] = script;
	assert_true(spawn(&cmd, &r) > 0);
	assert_int_equal(r.stage, SPAWN_OK);
	assert_true(t_wait_until(exists, touched, DEADLINE_MS));
	pid = report_pid(dir);
	assert_true(pid > 0 && pid != r.pid);
	track(pid);
	rep = t_report_wait(dir, pid, DEADLINE_MS);
	assert_int_equal(report_num(rep, "pgid"), r.pid);

	assert_int_equal(spawn_signal(r.pid, SIGTERM), 0);
	assert_true(WIFSIGNALED(reap(r.pid)));
	/* The wrapper's child got SIGTERM too; we reap it as subreaper. */
	child = (struct reap){ .pid = pid };
	assert_true(t_wait_until(gone, &child, DEADLINE_MS));
	if (child.done)
		assert_exited(child.status, 0);
	free(rep);
}

/* Path: spawn_signal falls back to the pid when the group is gone. */
static void
test_signal_left_group(void **state)
{
	const char		*more[] = { "--leave-group", "--touch", NULL,
				    NULL };
	struct spawn_cmd	 cmd = cmd_init(NULL, NULL);
	struct spawn_result	 r;
	char			 dir[PATH_MAX], touched[PATH_MAX + 8], *rep;

	subdir("leave", dir, sizeof(dir));
	snprintf(touched, sizeof(touched), "%s/touched", dir);
	more[2] = touched;
	rep = spawn_reporting(&cmd, dir, more, &r);
	assert_true(t_wait_until(exists, touched, DEADLINE_MS));
	assert_int_equal(getpgid(r.pid), getpgrp());
	assert_true(kill(-r.pid, 0) == -1 && errno == ESRCH);

	assert_int_equal(spawn_signal(r.pid, SIGTERM), 0);
	assert_exited(reap(r.pid), 0);
	/* Gone, group and all. */
	assert_int_equal(spawn_signal(r.pid, SIGTERM), -1);
	assert_int_equal(errno, ESRCH);
	free(rep);
}

/* Path: spawn_signal refuses pids that kill() would widen. */
static void
test_signal_bad_pid(void **state)
{
	errno = 0;
	assert_int_equal(spawn_signal(0, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_signal(1, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_signal(-42, 0), -1);
	assert_int_equal(errno, EINVAL);
}

/* Path: the master dies by SIGKILL; PR_SET_PDEATHSIG stops the worker. */
static void
test_master_death(void **state)
{
	const char	*tw = testworker();
	char		 dir[PATH_MAX], touched[PATH_MAX + 8], *rep;
	pid_t		 master, worker = 0;
	int		 p[2], status;

	subdir("orphaned", dir, sizeof(dir));
	snprintf(touched, sizeof(touched), "%s/touched", dir);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	master = fork();
	assert_true(master != -1);
	if (master == 0) {
		/* A stand-in master: no cmocka here, _exit only. */
		const char		*argv[] = { tw, "--report", dir,
					    "--touch", touched, NULL };
		struct spawn_cmd	 cmd = cmd_init(tw, argv);
		struct spawn_result	 r;

		if (spawn_worker(&cmd, &r) <= 0 || r.stage != SPAWN_OK)
			_exit(1);
		if (write(p[1], &r.pid, sizeof(r.pid)) != sizeof(r.pid))
			_exit(1);
		t_wait_until(exists, touched, DEADLINE_MS);
		raise(SIGKILL);
		_exit(1);
	}
	track(master);
	close(p[1]);
	assert_int_equal(read(p[0], &worker, sizeof(worker)), sizeof(worker));
	close(p[0]);
	track(worker);
	status = reap(master);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	rep = t_report_wait(dir, worker, DEADLINE_MS);
	assert_int_equal(report_num(rep, "ppid"), master);
	/* Reparented to us; its SIGTERM handler exits 0. */
	assert_exited(reap(worker), 0);
	free(rep);
}

/* Path: spawn_stage_name covers every stage. */
static void
test_stage_names(void **state)
{
	assert_string_equal(spawn_stage_name(SPAWN_OK), "ok");
	assert_string_equal(spawn_stage_name(SPAWN_FORK), "fork");
	assert_string_equal(spawn_stage_name(SPAWN_SETUP), "setup");
	assert_string_equal(spawn_stage_name(SPAWN_CGROUP), "cgroup");
	assert_string_equal(spawn_stage_name(SPAWN_FDS), "fds");
	assert_string_equal(spawn_stage_name(SPAWN_CHDIR), "chdir");
	assert_string_equal(spawn_stage_name(SPAWN_CREDENTIALS),
	    "credentials");
	assert_string_equal(spawn_stage_name(SPAWN_EXEC), "exec");
}

static bool
pid_listed(const pid_t *v, size_t n, pid_t pid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/*
 * Path: spawn_children: our children, alive and zombie, and how many
 * when they do not all fit.
 */
static void
test_children(void **state)
{
	pid_t	kids[3], v[4];
	size_t	i;
	int	status;

	assert_int_equal(spawn_children(v, nitems(v)), 0);
	for (i = 0; i < nitems(kids); i++) {
		if ((kids[i] = fork()) == 0) {
			if (i == 0)
				_exit(0);
			pause();
			_exit(0);
		}
		assert_true(kids[i] > 0);
	}
	/* kids[0] is a zombie until reaped: still a child. */
	assert_int_equal(spawn_children(v, nitems(v)), 3);
	for (i = 0; i < nitems(kids); i++)
		assert_true(pid_listed(v, 3, kids[i]));
	assert_int_equal(spawn_children(v, 1), 3);
	assert_true(pid_listed(kids, 3, v[0]));
	for (i = 0; i < nitems(kids); i++) {
		kill(kids[i], SIGKILL);
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
	}
	assert_int_equal(spawn_children(v, nitems(v)), 0);
}

/* Path: none; runs last and checks every test reaped what it spawned. */
static void
test_no_children_left(void **state)
{
	int	status;

	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static bool
no_children(void *arg)
{
	int	status;

	return waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

/* After a failed test: kill what it left, groups and all, and reap. */
static int
teardown(void **state)
{
	size_t	i;
	bool	left = false;

	for (i = 0; i < nitems(live); i++) {
		if (live[i] == 0)
			continue;
		kill(-live[i], SIGKILL);
		kill(live[i], SIGKILL);
		waitpid(live[i], NULL, 0);
		live[i] = 0;
		left = true;
	}
	/* Their grandchildren come to us, the subreaper. */
	if (left)
		t_wait_until(no_children, NULL, DEADLINE_MS);
	return 0;
}

static int
setup(void **state)
{
	/* Grandchildren orphaned by a test are reparented to us. */
	if (t_subreaper() == -1)
		return -1;
	(void)testworker();
	(void)t_tmpdir();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_teardown(test_signals_reset, teardown),
		cmocka_unit_test_teardown(test_fds_group_deathsig, teardown),
		cmocka_unit_test_teardown(test_sockets_cross, teardown),
		cmocka_unit_test_teardown(test_error_pipe_on_target, teardown),
		cmocka_unit_test_teardown(test_env_pid_slot, teardown),
		cmocka_unit_test_teardown(test_chdir_umask, teardown),
		cmocka_unit_test_teardown(test_credentials, teardown),
		cmocka_unit_test_teardown(test_credentials_fail, teardown),
		cmocka_unit_test_teardown(test_exec_missing, teardown),
		cmocka_unit_test_teardown(test_exec_not_executable, teardown),
		cmocka_unit_test_teardown(test_chdir_missing, teardown),
		cmocka_unit_test_teardown(test_bad_fd, teardown),
		cmocka_unit_test_teardown(test_cgroup_join, teardown),
		cmocka_unit_test_teardown(test_cgroup_fails, teardown),
		cmocka_unit_test_teardown(test_too_many_fds, teardown),
		cmocka_unit_test_teardown(test_no_fds_left, teardown),
		cmocka_unit_test_teardown(test_mask_restored, teardown),
		cmocka_unit_test_teardown(test_signal_group, teardown),
		cmocka_unit_test_teardown(test_signal_left_group, teardown),
		cmocka_unit_test_teardown(test_signal_bad_pid, teardown),
		cmocka_unit_test_teardown(test_master_death, teardown),
		cmocka_unit_test_teardown(test_stage_names, teardown),
		cmocka_unit_test_teardown(test_children, teardown),
		cmocka_unit_test_teardown(test_no_children_left, teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
