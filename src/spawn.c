/* SPDX-License-Identifier: ISC */
/*
 * Forking, exec'ing and signalling workers: the one place to be paranoid.
 *
 * The child is made as glibc's posix_spawn() makes it: clone() with
 * CLONE_VM | CLONE_VFORK, on a stack of its own. It shares the master's
 * memory until it execs, and the master waits until then; so there is no
 * page table to copy and no copy-on-write fault to take afterwards,
 * which is most of what a fork() of the master cost (measured in bench/:
 * 57% of the master's time per spawn). Where clone() with these flags is
 * refused, a plain fork() does the same job. Either way, between the
 * child's start and execve() it has the master's handlers, heap and fds,
 * and must write no memory of the master's but its pid slots and its own
 * stack. It runs only async-signal-safe calls
 * (signal-safety(7), plus the plain Linux system calls prctl, setgroups,
 * close_range and rt_sigaction): no malloc, no stdio, no locks another
 * thread might have held, and it leaves with _exit(), never exit(), so
 * that no atexit handler or stdio buffer of the master runs twice.
 * Everything it needs is built by the caller before fork(). A child that
 * cannot exec tells the parent where and why through a close-on-exec
 * pipe (skalibs' cspawn): the parent reads end of file when exec
 * succeeded, and a struct spawn_failure when it did not.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

/* The fd of the first listening socket in the worker (sd_listen_fds). */
#define FIRST_FD	3

/* What a child that could not exec writes to the pipe. */
struct spawn_failure {
	int	stage;
	int	error;
};

/* One write(2) of at most PIPE_BUF bytes is atomic: no short reads. */
static_assert(sizeof(struct spawn_failure) <= PIPE_BUF,
    "a failure report must fit one atomic pipe write");

/*
 * The child's way out on any failure: reports stage and errno to the
 * parent and exits 127 when something was not found (as a shell does
 * for a missing command), 126 otherwise. If the report is lost, the
 * parent takes the start for a success and learns of the failure from
 * the exit status instead, so there is nothing to do about it.
 */
static _Noreturn void
child_fail(int efd, enum spawn_stage stage)
{
	struct spawn_failure	f = { .stage = (int)stage, .error = errno };

	if (write(efd, &f, sizeof(f)) == -1) {
		/* Nothing more we can do. */
	}
	_exit(f.error == ENOENT ? 127 : 126);
}

/*
 * Asks for SIGTERM when the master dies, then checks that it has not
 * died already: the request only covers a parent alive when it is made,
 * and an orphan would otherwise run on unsupervised.
 */
static void
child_deathsig(int efd, pid_t ppid, enum spawn_stage stage)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		child_fail(efd, stage);
	if (getppid() != ppid)
		_exit(126);	/* nobody is left to read a report */
}

/*
 * Puts every signal back to SIG_DFL. Handlers would be reset by
 * execve() anyway, but SIG_IGN survives it, and a worker that inherits
 * an ignored SIGPIPE or SIGTERM misbehaves in ways nobody thinks to
 * look for. glibc's sigaction() refuses the two signals it reserves for
 * itself (32 and 33), which can be inherited ignored all the same, so
 * for those the kernel is asked directly: an all-zero kernel sigaction
 * is SIG_DFL, no flags and an empty mask on every architecture,
 * whatever its layout. That is best effort; SIGKILL and SIGSTOP cannot
 * be changed and need nothing.
 */
static void
child_default_signals(int efd)
{
	struct sigaction	dfl = { .sa_handler = SIG_DFL };
	int			sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sigaction(sig, &dfl, NULL) == 0)
			continue;
		if (errno != EINVAL)
			child_fail(efd, SPAWN_SETUP);
#if defined(SYS_rt_sigaction)
		if (sig != SIGKILL && sig != SIGSTOP) {
			unsigned long	zero[16] = { 0 };

			(void)syscall(SYS_rt_sigaction, sig, zero, NULL,
			    (NSIG - 1) / 8);
		}
#endif
	}
}

/* Writes pid in decimal, NUL-terminated: at most 21 bytes. */
static void
child_format_pid(char *dst, pid_t pid)
{
	char		digits[24];
	size_t		n = 0;
	unsigned long	v = (unsigned long)pid;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*dst++ = digits[--n];
	*dst = '\0';
}

/*
 * Joins the worker's cgroup: "0" written to its cgroup.procs moves the
 * writer, so that everything the worker does from here on is counted in
 * its leaf.
 */
static void
child_cgroup(const struct spawn_cmd *cmd, int efd)
{
	ssize_t	n;

	if (cmd->cgroup_error != 0) {
		errno = cmd->cgroup_error;
		child_fail(efd, SPAWN_CGROUP);
	}
	if ((n = write(cmd->cgroup_fd, "0", 1)) != 1) {
		if (n != -1)
			errno = EIO;
		child_fail(efd, SPAWN_CGROUP);
	}
}

/*
 * Marks every fd from lowfd up close-on-exec. Marking rather than
 * closing keeps the error pipe, which sits above lowfd, open until
 * execve() closes it. close_range() does it in one call on Linux 5.11
 * and later; older kernels say ENOSYS (no close_range) or EINVAL (no
 * CLOSE_RANGE_CLOEXEC), and then every fd up to maxfd, the parent's
 * RLIMIT_NOFILE soft limit, is marked one by one. Returns 0, or -1 with
 * errno set.
 */
static int
child_cloexec_from(int lowfd, int maxfd)
{
	int	fd;

#if defined(HAVE_CLOSE_RANGE)
	if (close_range((unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
#elif defined(SYS_close_range)
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U,
	    CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
#else
	errno = ENOSYS;
#endif
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	for (fd = lowfd; fd < maxfd; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 && errno != EBADF)
			return -1;
	return 0;
}

/*
 * Puts /dev/null on 0 and cmd->fds on 3, 4, ..., and marks every other
 * fd from 3 + nfds up close-on-exec. The sockets and the error pipe may
 * sit anywhere, even on 0 or on one another's targets (fds[0] on 4 and
 * fds[1] on 3), so they are all first moved above the targets, then put
 * in place; dup2() clears close-on-exec on its target, which is what
 * the sockets need. Returns the error pipe's new fd; fails through
 * child_fail().
 */
static int
child_fds(const struct spawn_cmd *cmd, int efd, int maxfd)
{
	int	moved[SPAWN_FDS_MAX];
	int	top = FIRST_FD + (int)cmd->nfds;
	int	fd, null;
	size_t	i;

	if ((fd = fcntl(efd, F_DUPFD_CLOEXEC, top)) == -1)
		child_fail(efd, SPAWN_FDS);
	close(efd);
	efd = fd;
	for (i = 0; i < cmd->nfds; i++)
		if ((moved[i] = fcntl(cmd->fds[i], F_DUPFD_CLOEXEC, top)) == -1)
			child_fail(efd, SPAWN_FDS);

	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		child_fail(efd, SPAWN_FDS);
	if (null == 0) {
		/* 0 was free: keep /dev/null there, without O_CLOEXEC. */
		if (fcntl(0, F_SETFD, 0) == -1)
			child_fail(efd, SPAWN_FDS);
	} else {
		if (dup2(null, 0) == -1)
			child_fail(efd, SPAWN_FDS);
		close(null);
	}

	for (i = 0; i < cmd->nfds; i++)
		if (dup2(moved[i], FIRST_FD + (int)i) == -1)
			child_fail(efd, SPAWN_FDS);
	if (child_cloexec_from(top, maxfd) == -1)
		child_fail(efd, SPAWN_FDS);
	return efd;
}

/*
 * The child, from fork() to execve(), in the order HACKING.md gives
 * ("The spawn path"). All
 * signals are blocked on entry, so no handler of the master can run
 * here; the mask is emptied only once every disposition is back to its
 * default. Never returns.
 */
static _Noreturn void
spawn_child(const struct spawn_cmd *cmd, pid_t ppid, int efd, int maxfd)
{
	sigset_t	none;
	size_t		i;

	child_default_signals(efd);

	/*
	 * Our own group, so that the master's signals reach a wrapper's
	 * children too. The parent makes the same call, against races.
	 */
	if (setpgid(0, 0) == -1)
		child_fail(efd, SPAWN_SETUP);
	child_deathsig(efd, ppid, SPAWN_SETUP);

	for (i = 0; i < SPAWN_PID_SLOTS; i++)
		if (cmd->pid_slots[i] != NULL)
			child_format_pid(cmd->pid_slots[i], getpid());

	/*
	 * Before the fds are moved, which could put a socket on the
	 * cgroup's fd, and before the credentials change, which could take
	 * the right to write it away.
	 */
	if (cmd->cgroup)
		child_cgroup(cmd, efd);

	efd = child_fds(cmd, efd, maxfd);

	if (cmd->chdir != NULL && chdir(cmd->chdir) == -1)
		child_fail(efd, SPAWN_CHDIR);
	if (cmd->umask != (mode_t)-1)
		umask(cmd->umask);

	/*
	 * Groups first, while we are still allowed to change them, and the
	 * user last, which gives up the right to change anything. The
	 * kernel clears the parent-death signal when the credentials
	 * change, so it is asked for again, and the master checked again.
	 */
	if (cmd->gid != (gid_t)-1) {
		if (setgroups(cmd->ngroups, cmd->groups) == -1)
			child_fail(efd, SPAWN_CREDENTIALS);
		if (setgid(cmd->gid) == -1)
			child_fail(efd, SPAWN_CREDENTIALS);
	}
	if (cmd->uid != (uid_t)-1 && setuid(cmd->uid) == -1)
		child_fail(efd, SPAWN_CREDENTIALS);
	if (cmd->gid != (gid_t)-1 || cmd->uid != (uid_t)-1)
		child_deathsig(efd, ppid, SPAWN_CREDENTIALS);

	/* A signal still pending now gets its default action. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		child_fail(efd, SPAWN_SETUP);

	execve(cmd->path, cmd->argv, cmd->envp);
	child_fail(efd, SPAWN_EXEC);
}

/*
 * The highest fd, plus one, that the child marks one by one when the
 * kernel has no close_range(). Read here because getrlimit() is not
 * async-signal-safe.
 */
static int
spawn_maxfd(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
		return INT_MAX;
	return (int)rl.rlim_cur;
}

/* The child's stack, made once; the children never run at once. */
#define CHILD_STACK	((size_t)128 * 1024)

/*
 * AddressSanitizer cannot follow a child that runs on a stack it did not
 * make while sharing its memory (its interceptors report stack overflows
 * in the child): sanitizer builds fork. Normal builds, and valgrind,
 * which turns such a clone() into a fork() itself, take the clone path.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_FORK_ONLY	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_FORK_ONLY	1
#endif
#endif
#ifndef SPAWN_FORK_ONLY
#define SPAWN_FORK_ONLY	0
#endif

struct child_args {
	const struct spawn_cmd	*cmd;
	pid_t			 ppid;
	int			 efd;
	int			 maxfd;
};

static int
child_main(void *arg)
{
	const struct child_args	*a = arg;

	spawn_child(a->cmd, a->ppid, a->efd, a->maxfd);
	/* NOTREACHED */
}

/*
 * Starts the child: vfork-style on a stack of its own, or with fork()
 * when that cannot be had. Returns as fork() does, in the parent.
 */
static pid_t
spawn_clone(const struct child_args *a)
{
	static void	*stack = MAP_FAILED;
	pid_t		 pid;

	if (stack == MAP_FAILED && !SPAWN_FORK_ONLY)
		stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack != MAP_FAILED) {
		/* The stack grows down on every architecture we run on. */
		pid = clone(child_main, (char *)stack + CHILD_STACK,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)a);
		if (pid != -1 || (errno != EINVAL && errno != ENOSYS))
			return pid;
	}
	if ((pid = fork()) == 0)
		spawn_child(a->cmd, a->ppid, a->efd, a->maxfd);
	return pid;
}

pid_t
spawn_worker(const struct spawn_cmd *cmd, struct spawn_result *r)
{
	struct child_args	a;
	struct spawn_failure	f;
	sigset_t		all, old;
	pid_t			ppid, pid;
	ssize_t			n;
	int			ep[2], maxfd, saved;

	r->pid = -1;
	r->stage = SPAWN_FORK;
	r->error = 0;
	if (cmd->nfds > SPAWN_FDS_MAX) {
		r->stage = SPAWN_FDS;
		r->error = errno = EINVAL;
		return -1;
	}
	maxfd = spawn_maxfd();
	ppid = getpid();
	if (pipe2(ep, O_CLOEXEC) == -1) {
		r->error = errno;
		return -1;
	}

	/*
	 * With every signal blocked, none of the master's handlers can run
	 * in the child before it has put the defaults back.
	 */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) == -1) {
		saved = errno;
		close(ep[0]);
		close(ep[1]);
		r->error = errno = saved;
		return -1;
	}
	a = (struct child_args){ cmd, ppid, ep[1], maxfd };
	pid = spawn_clone(&a);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (pid == -1) {
		close(ep[0]);
		r->error = errno = saved;
		return -1;
	}
	r->pid = pid;

	/*
	 * As job-control shells do, the parent puts the child in its own
	 * group too, so that a signal the master sends the group as soon
	 * as we return cannot miss it. EACCES (it has exec'd already) and
	 * ESRCH are expected; nothing else can happen to our fresh child,
	 * whose own call is the one that is checked.
	 */
	(void)setpgid(pid, pid);

	/* End of file: the pipe was closed by a successful execve(). */
	do {
		n = read(ep[0], &f, sizeof(f));
	} while (n == -1 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(f)) {
		r->stage = f.stage > SPAWN_FORK && f.stage <= SPAWN_EXEC ?
		    (enum spawn_stage)f.stage : SPAWN_SETUP;
		r->error = f.error;
	} else {
		/*
		 * 0 bytes, or a read error on our own pipe, which says nothing
		 * about the child: if it did fail, its exit status tells.
		 */
		r->stage = SPAWN_OK;
	}
	return pid;
}

const char *
spawn_stage_name(enum spawn_stage stage)
{
	switch (stage) {
	case SPAWN_OK:
		return "ok";
	case SPAWN_FORK:
		return "fork";
	case SPAWN_SETUP:
		return "setup";
	case SPAWN_CGROUP:
		return "cgroup";
	case SPAWN_FDS:
		return "fds";
	case SPAWN_CHDIR:
		return "chdir";
	case SPAWN_CREDENTIALS:
		return "credentials";
	case SPAWN_EXEC:
		return "exec";
	}
	return "unknown";
}

int
spawn_signal(pid_t pid, int sig)
{
	/*
	 * kill(-0) is our own group, kill(-1) every process we may signal:
	 * a bad pid must never become either.
	 */
	if (pid < 2) {
		errno = EINVAL;
		return -1;
	}
	if (kill(-pid, sig) == 0)
		return 0;
	if (errno != ESRCH)
		return -1;
	/* No such group: the worker has moved to another one. */
	return kill(pid, sig);
}

/* The parent of pid, from /proc/PID/stat; -1 when it is gone. */
static pid_t
spawn_ppid(pid_t pid)
{
	char	 path[64], buf[512], *p, *end;
	long	 ppid;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (util_read_buf(path, buf, sizeof(buf)) == -1)
		return -1;
	/* The command name may hold spaces and parentheses: " S PPID". */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0' ||
	    p[3] != ' ')
		return -1;
	ppid = strtol(p + 4, &end, 10);
	if (end == p + 4)
		return -1;
	return (pid_t)ppid;
}

/*
 * Every process whose parent is self, for kernels built without
 * CONFIG_PROC_CHILDREN, which have no children file.
 */
static ssize_t
spawn_scan_children(pid_t self, pid_t *v, size_t max)
{
	DIR		*dir;
	struct dirent	*e;
	size_t		 n = 0;
	char		*end;
	long		 pid;

	if ((dir = opendir("/proc")) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		pid = strtol(e->d_name, &end, 10);
		if (pid <= 0 || *end != '\0' || spawn_ppid((pid_t)pid) != self)
			continue;
		if (n < max)
			v[n] = (pid_t)pid;
		n++;
	}
	closedir(dir);
	return (ssize_t)n;
}

ssize_t
spawn_children(pid_t *v, size_t max)
{
	char	 path[64], buf[8192], *p, *end;
	pid_t	 self = getpid();
	size_t	 n = 0;
	long	 pid;
	ssize_t	 len;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)self, (long)self);
	if ((len = util_read_buf(path, buf, sizeof(buf))) == -1) {
		if (errno != ENOENT)
			return -1;
		return spawn_scan_children(self, v, max);
	}
	/* A list too long for buf: the scan counts them all. */
	if ((size_t)len >= sizeof(buf) - 1)
		return spawn_scan_children(self, v, max);
	for (p = buf; ; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0) {
			if (n < max)
				v[n] = (pid_t)pid;
			n++;
		}
	}
	return (ssize_t)n;
}

static bool
orphans_termed(const struct orphans *o, pid_t pid)
{
	size_t	i;

	for (i = 0; i < o->n; i++)
		if (o->termed[i] == pid)
			return true;
	return false;
}

/* SIGTERM once; remembered, or sent again next time if memory ran out. */
static void
orphans_term(struct orphans *o, pid_t pid)
{
	pid_t	*v;
	size_t	 cap;

	if (o->n == o->cap) {
		cap = o->cap ? o->cap * 2 : 16;
		if ((v = reallocarray(o->termed, cap, sizeof(*v))) != NULL) {
			o->termed = v;
			o->cap = cap;
		}
	}
	if (o->n < o->cap)
		o->termed[o->n++] = pid;
	(void)kill(pid, SIGTERM);
}

int
spawn_stop_orphans(struct orphans *o, double now,
    bool (*skip)(void *, pid_t), void *ctx, struct orphans_pass *r)
{
	pid_t	kids[256];
	ssize_t	n;
	size_t	i;
	bool	kill9 = now >= o->kill_at;

	memset(r, 0, sizeof(*r));
	if ((n = spawn_children(kids, nitems(kids))) == -1)
		return -1;
	for (i = 0; i < (size_t)n && i < nitems(kids); i++) {
		if (skip(ctx, kids[i]))
			continue;
		r->left++;
		if (kill9) {
			(void)kill(kids[i], SIGKILL);
			r->killed = true;
		} else if (!orphans_termed(o, kids[i])) {
			orphans_term(o, kids[i]);
			r->termed++;
		}
	}
	/* Those beyond kids[] are seen once the first ones are gone. */
	if ((size_t)n > nitems(kids))
		r->left += (size_t)n - nitems(kids);
	return 0;
}

void
spawn_orphan_reaped(struct orphans *o, pid_t pid)
{
	size_t	i;

	for (i = 0; i < o->n; i++)
		if (o->termed[i] == pid) {
			o->termed[i] = o->termed[--o->n];
			return;
		}
}

void
spawn_orphans_free(struct orphans *o)
{
	free(o->termed);
	*o = (struct orphans)ORPHANS_INIT;
}

char *
spawn_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "exited on signal %d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "changed state (status 0x%x)", status);
	return buf;
}

/* Reads what the child writes into out until EOF or the deadline. */
static bool
run_read(int fd, pid_t pid, unsigned timeout_ms, char *out, size_t len)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	struct timespec	now;
	double		end, left;
	size_t		n = 0;
	ssize_t		r;
	char		sink[256];

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	end = (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6 +
	    timeout_ms;
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		left = end - ((double)now.tv_sec * 1e3 +
		    (double)now.tv_nsec / 1e6);
		if (left <= 0) {
			(void)kill(pid, SIGKILL);
			return true;
		}
		if (poll(&pfd, 1, (int)left + 1) == -1 && errno != EINTR)
			return false;
		if (n + 1 < len)
			r = read(fd, out + n, len - 1 - n);
		else
			r = read(fd, sink, sizeof(sink));
		if (r == 0 || (r == -1 && errno != EINTR && errno != EAGAIN))
			return false;
		if (r > 0 && n + 1 < len) {
			n += (size_t)r;
			out[n] = '\0';
		}
	}
}

int
spawn_run(char *const argv[], unsigned timeout_ms, char *out, size_t len,
    bool *timed_out)
{
	int	p[2], status, null;
	pid_t	pid;

	*timed_out = false;
	if (len > 0)
		out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		(void)util_signals_reset(NULL);
		if ((null = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(null, 0) == -1 || dup2(p[1], 1) == -1 ||
		    dup2(p[1], 2) == -1)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*timed_out = run_read(p[0], pid, timeout_ms, out, len);
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}
