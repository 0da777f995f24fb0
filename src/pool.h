/*
 * The worker pool: a table of slots 0..N-1 and the workers in them, and
 * every decision about them: when to start a worker, when a dead one is
 * replaced at once or after a backoff, which ones stop on a shrink, how a
 * rolling restart proceeds, when a stopping worker gets SIGKILL. The pool
 * is handed the time and acts only through the operations it is given;
 * it never reads the clock, forks, signals or logs by itself, so that it
 * can be tested without any of those.
 */
#ifndef PREFORK_POOL_H
#define PREFORK_POOL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

enum worker_state {
	WORKER_STARTING,	/* running, not ready yet (ready = notify) */
	WORKER_READY,		/* serving */
	WORKER_STOPPING,	/* told to stop; SIGKILL at its deadline */
};

struct worker {
	pid_t			 pid;
	unsigned		 slot;
	enum worker_state	 state;
	unsigned		 generation;	/* of the configuration */
	double			 spawned;	/* times, in seconds */
	double			 ready_at;
	double			 seen;		/* last heartbeat */
	double			 deadline;	/* next timeout, 0 = none */
	bool			 first;		/* of the first generation */
	bool			 aborted;	/* timed out: SIGABRT sent */
	bool			 killed;	/* SIGKILL sent */
};

/* Why a worker was stopped on purpose or was replaced, for the log. */
enum pool_event {
	POOL_SPAWNED,		/* a worker started */
	POOL_SPAWN_FAILED,	/* fork failed; the slot backs off */
	POOL_READY,		/* a worker became ready */
	POOL_EXITED,		/* a worker exited; status says how */
	POOL_BACKOFF,		/* a slot waits before the next start */
	POOL_STOPPING,		/* a worker was told to stop */
	POOL_KILLED,		/* a worker missed its deadline: SIGKILL */
	POOL_READY_TIMEOUT,	/* never became ready in time */
	POOL_HEARTBEAT_TIMEOUT,	/* a ready worker fell silent */
	POOL_ALL_READY,		/* every slot has a ready worker */
	POOL_ROLLED,		/* a rolling restart finished */
};

struct pool_note {
	enum pool_event		 event;
	const struct worker	*worker;	/* NULL for pool-wide events */
	unsigned		 slot;
	int			 status;	/* wait status, POOL_EXITED */
	double			 uptime;	/* seconds, POOL_EXITED */
	double			 delay;		/* seconds, POOL_BACKOFF */
	int			 error;		/* errno, POOL_SPAWN_FAILED */
	const char		*why;		/* POOL_STOPPING: "shrink",
						   "shutdown", "replaced", ... */
};

/* What the pool does to the world, supplied by the master (or a test). */
struct pool_ops {
	/*
	 * Starts a worker for slot under configuration generation gen.
	 * Returns its pid, or -1 with errno set when no process could be
	 * made (the pool backs off and tries again).
	 */
	pid_t	(*spawn)(void *ctx, unsigned slot, unsigned gen);
	/* Sends sig to the worker's process group. */
	void	(*signal)(void *ctx, pid_t pid, int sig);
	/* Reports an event, for the log and the status line. */
	void	(*note)(void *ctx, const struct pool_note *note);
};

struct pool_params {
	double		min_uptime;		/* all in seconds */
	double		restart_delay;
	double		restart_delay_max;
	double		ready_timeout;		/* 0 = none */
	double		heartbeat_timeout;	/* 0 = none */
	double		abort_grace;		/* SIGABRT to SIGKILL */
	bool		ready_on_spawn;		/* ready = exec */
};

#endif /* PREFORK_POOL_H */
