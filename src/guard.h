/* SPDX-License-Identifier: ISC */
/*
 * The guard: a small process the master forks at start-up, which stops
 * the workers' process groups if the master dies without doing it
 * (SIGKILL, a crash). PR_SET_PDEATHSIG reaches a worker itself, never
 * what it started: a shell wrapper's command stays running in the
 * worker's group. The guard holds the read end of a pipe whose write end
 * only the master holds; the master tells it each worker's group as the
 * worker is spawned and again when it is reaped. At end of file (the
 * master is gone) the guard sends SIGTERM to every group it still
 * knows, SIGKILL after the grace the master last told it to those that
 * still have a member, and exits. When the master stops it, it exits
 * without signalling anything.
 *
 * A group is signalled only while it is known to exist: one that has no
 * member left is forgotten at once (kill() says ESRCH, checked every 10
 * ms), and Linux hands out PIDs in a cycle, so its number could be given
 * to a new group only after every other free PID was taken in between.
 * A worker that left its own group (setsid, setpgid) is out of reach.
 */
#ifndef PREFORK_GUARD_H
#define PREFORK_GUARD_H

#include <sys/types.h>

#include <stdint.h>

struct guard {
	pid_t	pid;		/* -1 when none runs */
	int	fd;		/* the pipe's write end, or -1 */
};

#define GUARD_INIT	{ -1, -1 }

/* The name the guard runs under (ps, /proc/PID/comm). */
#define GUARD_NAME	"prefork-guard"

/*
 * Forks the guard. Call it before any other file is opened: the guard
 * closes every fd but 0, 1, 2 and its pipe, and must not share a lock or
 * a socket of the master's. Returns 0, or -1 with errno set.
 */
int	guard_start(struct guard *g);

/*
 * Tells the guard of a worker's process group (a worker leads its own:
 * pgid is its pid), the grace between SIGTERM and SIGKILL, or that the
 * group is no longer to be signalled. The pipe never blocks: a message
 * that does not fit is lost and -1 returned (EAGAIN), as when no guard
 * runs (EPIPE, EBADF). Returns 0, or -1 with errno set.
 */
int	guard_add(struct guard *g, pid_t pgid);
int	guard_del(struct guard *g, pid_t pgid);
int	guard_grace(struct guard *g, uint64_t ms);

/*
 * Tells the guard to exit without signalling anything, closes the pipe
 * and reaps the guard. Does nothing when none runs.
 */
void	guard_stop(struct guard *g);

/*
 * The guard was reaped by someone else (the master's child watcher):
 * closes the pipe, and g runs no guard any more.
 */
void	guard_gone(struct guard *g);

#endif /* PREFORK_GUARD_H */
