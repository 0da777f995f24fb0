/* SPDX-License-Identifier: ISC */
/*
 * The guard (see guard.h). Its process is a fork() of the master, made
 * before the master opens anything but 0, 1 and 2 and before any thread
 * or handler exists; it makes system calls only, uses no heap, and never
 * returns into the master's code: it leaves with _exit().
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "size.h"

/* What the master writes: one message, one atomic write(2). */
struct guard_msg {
	uint32_t	op;
	uint32_t	arg;
};

enum {
	GUARD_ADD = 1,		/* arg: a group to stop */
	GUARD_DEL,		/* arg: a group no longer to signal */
	GUARD_GRACE,		/* arg: ms between SIGTERM and SIGKILL */
	GUARD_QUIT,		/* exit, signalling nothing */
};

/* How often the guard looks whether a group it signalled is gone. */
#define GUARD_POLL_MS	10

/*
 * The groups it knows: the workers, and the ones a rolling restart or a
 * shrink is stopping. A group beyond this is not guarded.
 */
#define GUARD_GROUPS_MAX	((size_t)4 * SIZE_WORKERS_MAX)

/* The guard's own: the master never writes it, so it costs no memory. */
static pid_t	groups[GUARD_GROUPS_MAX];
static size_t	ngroups;

static void
guard_forget(size_t i)
{
	groups[i] = groups[--ngroups];
}

static void
guard_take(const struct guard_msg *m, uint64_t *grace_ms)
{
	pid_t	pgid = (pid_t)m->arg;
	size_t	i;

	switch (m->op) {
	case GUARD_ADD:
		/* kill(-0) and kill(-1) are never ours to send. */
		if (pgid >= 2 && ngroups < GUARD_GROUPS_MAX)
			groups[ngroups++] = pgid;
		break;
	case GUARD_DEL:
		for (i = 0; i < ngroups; i++)
			if (groups[i] == pgid) {
				guard_forget(i);
				break;
			}
		break;
	case GUARD_GRACE:
		*grace_ms = m->arg;
		break;
	case GUARD_QUIT:
		_exit(0);
	default:
		break;
	}
}

/* Sends sig to every group, forgetting those that have no member left. */
static void
guard_signal_all(int sig)
{
	size_t	i = 0;

	while (i < ngroups)
		if (kill(-groups[i], sig) == -1 && errno == ESRCH)
			guard_forget(i);
		else
			i++;
}

static double
guard_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* The master is gone: SIGTERM, the grace, SIGKILL to what is left. */
static _Noreturn void
guard_fire(uint64_t grace_ms)
{
	struct timespec	poll = { 0, GUARD_POLL_MS * 1000000L };
	double		deadline;

	guard_signal_all(SIGTERM);
	deadline = guard_now_ms() + (double)grace_ms;
	while (ngroups > 0 && guard_now_ms() < deadline) {
		nanosleep(&poll, NULL);
		guard_signal_all(0);
	}
	guard_signal_all(SIGKILL);
	_exit(0);
}

/* Keeps fd (moved to 3) and 0, 1, 2; closes every other fd. */
static int
guard_fds(int fd)
{
	struct rlimit	rl;
	int		max, i;

	if (fd != 3) {
		if (dup2(fd, 3) == -1)
			_exit(1);
		close(fd);
		fd = 3;
	}
#if defined(SYS_close_range)
	if (syscall(SYS_close_range, 4U, ~0U, 0U) == 0)
		return fd;
#endif
	max = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	for (i = 4; i < max; i++)
		close(i);
	return fd;
}

static _Noreturn void
guard_main(int fd)
{
	struct sigaction	ign = { .sa_handler = SIG_IGN };
	struct guard_msg	m;
	sigset_t		none;
	uint64_t		grace_ms = 30000;
	char			buf[64 * sizeof(struct guard_msg)];
	size_t			have = 0, off;
	ssize_t			n;

	(void)prctl(PR_SET_NAME, GUARD_NAME, 0, 0, 0);
	/*
	 * A group of its own, so that a signal to the master's group (^C
	 * in a terminal, kill -- -PGID) does not take the guard along
	 * with it. The terminal's hangup and job control are not its
	 * business either; SIGTERM still ends it.
	 */
	(void)setpgid(0, 0);
	(void)sigaction(SIGHUP, &ign, NULL);
	(void)sigaction(SIGINT, &ign, NULL);
	(void)sigaction(SIGQUIT, &ign, NULL);
	(void)sigaction(SIGTSTP, &ign, NULL);
	(void)sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	fd = guard_fds(fd);

	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (off = 0; have - off >= sizeof(m); off += sizeof(m)) {
			memcpy(&m, buf + off, sizeof(m));
			guard_take(&m, &grace_ms);
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	/* End of file, or the pipe is unusable: the master is gone. */
	guard_fire(grace_ms);
}

int
guard_start(struct guard *g)
{
	int	p[2], saved;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		guard_main(p[0]);
	}
	close(p[0]);
	/* The master must never wait on the guard. */
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) == -1) {
		saved = errno;
		g->pid = pid;
		g->fd = p[1];
		guard_stop(g);
		errno = saved;
		return -1;
	}
	g->pid = pid;
	g->fd = p[1];
	return 0;
}

static int
guard_send(struct guard *g, uint32_t op, uint32_t arg)
{
	struct guard_msg	m = { op, arg };
	ssize_t			n;

	if (g->fd == -1) {
		errno = EBADF;
		return -1;
	}
	do {
		n = write(g->fd, &m, sizeof(m));
	} while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(m) ? 0 : -1;
}

int
guard_add(struct guard *g, pid_t pgid)
{
	return guard_send(g, GUARD_ADD, (uint32_t)pgid);
}

int
guard_del(struct guard *g, pid_t pgid)
{
	return guard_send(g, GUARD_DEL, (uint32_t)pgid);
}

int
guard_grace(struct guard *g, uint64_t ms)
{
	return guard_send(g, GUARD_GRACE, ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)ms);
}

void
guard_gone(struct guard *g)
{
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	g->pid = -1;
}

void
guard_stop(struct guard *g)
{
	pid_t	pid = g->pid;

	if (g->fd != -1)
		(void)guard_send(g, GUARD_QUIT, 0);
	guard_gone(g);
	if (pid <= 0)
		return;
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		continue;
}
