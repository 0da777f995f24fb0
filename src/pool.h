/* SPDX-License-Identifier: ISC */
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

#include "util.h"
#include <stddef.h>
#include <stdint.h>

/*
 * A worker's life: it starts, becomes ready, and ends one of two ways.
 * Stopped on purpose (a shrink, a roll, shutdown): STOPPING after
 * SIGTERM, STOP_KILLED once SIGKILL followed at the deadline. Failed: a
 * ready worker fallen silent is ABORTED (SIGABRT, SIGKILL at its
 * deadline), and one killed for it or for not getting ready in time is
 * KILLED. Nothing is sent after SIGKILL.
 */
enum worker_state {
	WORKER_STARTING,	/* running, not ready yet (ready = notify) */
	WORKER_READY,		/* serving */
	WORKER_ABORTED,		/* silent: SIGABRT sent, SIGKILL at kill_at */
	WORKER_KILLED,		/* failed: SIGKILL sent */
	WORKER_STOPPING,	/* told to stop; SIGKILL at kill_at */
	WORKER_STOP_KILLED,	/* told to stop, then SIGKILL sent */
};

struct worker {
	pid_t			 pid;
	unsigned		 slot;
	enum worker_state	 state;
	unsigned		 generation;	/* of the configuration */
	double			 spawned;	/* times, in seconds */
	double			 ready_at;	/* when it became ready */
	double			 seen;		/* last sign of life */
	double			 kill_at;	/* STOPPING or ABORTED: SIGKILL
						   then */
	double			 heartbeat;	/* its timeout, as it was told
						   (WATCHDOG_USEC); 0 = none */
	double			 lifetime;	/* drawn for it by the master
						   (max_lifetime); 0 = none */
	bool			 was_ready;	/* ready_at is set */
	bool			 exec_failed;	/* never ran the command */
	bool			 first;		/* of the first generation */
	const char		*stop_why;	/* why it was told to stop
						   ("shrink", "replaced",
						   "shutdown"), or NULL */
	struct ratelimit	 told;		/* its STATUS= lines logged */
};

/* What happened, for the master to log and to tell systemd. */
enum pool_event {
	POOL_SPAWNED,		/* a worker started */
	POOL_SPAWN_FAILED,	/* no process could be made; error says why */
	POOL_READY,		/* a worker became ready */
	POOL_EXITED,		/* a worker exited; status says how */
	POOL_BACKOFF,		/* a slot waits delay seconds to start again */
	POOL_STOPPING,		/* a worker was told to stop; why says why */
	POOL_KILLED,		/* a worker missed its deadline: SIGKILL */
	POOL_READY_TIMEOUT,	/* a worker was not ready in time: SIGKILL */
	POOL_HEARTBEAT_TIMEOUT,	/* a ready worker fell silent: SIGABRT */
	POOL_ROLLED,		/* a rolling restart finished */
};

struct pool_note {
	enum pool_event		 event;
	const struct worker	*worker;	/* NULL for POOL_ROLLED and
						   POOL_SPAWN_FAILED */
	unsigned		 slot;
	int			 status;	/* wait status, POOL_EXITED */
	double			 uptime;	/* seconds, POOL_EXITED */
	double			 delay;		/* seconds, POOL_BACKOFF */
	int			 error;		/* POOL_SPAWN_FAILED */
	const char		*why;		/* POOL_STOPPING, POOL_BACKOFF */
};

/* What the pool does to the world, supplied by the master (or a test). */
struct pool_ops {
	/*
	 * Starts a worker for slot under configuration generation gen.
	 * Returns its pid, or -1 with errno set when no process could be
	 * made (the slot backs off and tries again). Sets *failed when the
	 * process was made but could not run the command (exec failed): it
	 * is never ready, and its exit is a failure to boot.
	 */
	pid_t	(*spawn)(void *ctx, unsigned slot, unsigned gen, bool *failed);
	/* Sends sig to the worker (its process group). */
	void	(*signal)(void *ctx, pid_t pid, int sig);
	/* Reports an event; the note lives only during the call. */
	void	(*note)(void *ctx, const struct pool_note *note);
};

/* Seconds, all of them. */
struct pool_params {
	double	min_uptime;		/* younger deaths are failures */
	double	restart_delay;		/* first backoff, doubling ... */
	double	restart_delay_max;	/* ... up to this */
	double	graceful_timeout;	/* SIGTERM to SIGKILL */
	double	ready_timeout;		/* STARTING for longer: killed */
	double	heartbeat_timeout;	/* READY and silent: aborted; 0 off */
	double	abort_grace;		/* SIGABRT to SIGKILL */
	bool	ready_on_spawn;		/* ready = exec */
	uint8_t	halt_codes[32];		/* exit codes 0..255 that halt */
};

struct slot {
	struct worker	*w;		/* the slot's worker, or NULL */
	struct worker	*next;		/* its replacement while rolling */
	unsigned	 failures;	/* deaths before min_uptime in a row */
	double		 restart_at;	/* when to start again; 0 = none */
	bool		 first_due;	/* its first-generation worker has not
					   been made yet (fork failed) */
	const char	*recycling;	/* a recycle under way, and why
					   ("recycle_memory", ...): until
					   its new worker is ready */
	/* Its history, for status: cleared when the slot is. */
	unsigned	 restarts;	/* its worker died on its own and was
					   replaced (or backs off) */
	bool		 exited;	/* some worker of the slot exited: */
	int		 last_status;	/* the last one's wait status, */
	double		 last_exit;	/* and when; */
	bool		 last_oom;	/* the OOM killer's SIGKILL (set by
					   the master, which tells) */
};

struct pool {
	const struct pool_ops	*ops;
	void			*ctx;
	struct pool_params	 par;
	struct slot		*slots;
	unsigned		 size;		/* slots in use */
	unsigned		 cap;		/* slots allocated */
	struct worker		**all;		/* every live worker */
	size_t			 nall;
	size_t			 allcap;
	unsigned		 gen;		/* current configuration */
	bool			 rolling;	/* replacing older generations */
	bool			 stopping;	/* shutting down */
	unsigned		 first_spawned;
	unsigned		 first_failed;
	unsigned		 first_due;	/* slots still owing theirs */
	bool			 booted_any;	/* some worker ever booted */
};

/* What pool_exited() found. */
enum pool_exit {
	POOL_EXIT_UNKNOWN,		/* not a worker: an orphan, reaped */
	POOL_EXIT_WORKER,		/* a worker, dealt with */
	POOL_EXIT_HALT,			/* a worker exited with a halt
					   code; it was not replaced */
	POOL_EXIT_FIRST_FAILED,		/* ... the last of the first
					   generation to fail before
					   booting: give up */
};

/* Where a worker stands in its slot. */
enum pool_role {
	POOL_ROLE_WORKER,		/* the slot's worker (slot.w) */
	POOL_ROLE_NEXT,			/* its replacement (slot.next) */
	POOL_ROLE_DETACHED,		/* told to stop, in no slot */
};

/* Prepares an empty pool. This function can't fail. */
void	pool_init(struct pool *p, const struct pool_ops *ops, void *ctx,
	    const struct pool_params *par);

/* Frees the tables; the workers themselves are the caller's business. */
void	pool_free(struct pool *p);

/* New timeouts (after a reload); they apply from the next event. */
void	pool_set_params(struct pool *p, const struct pool_params *par);

/*
 * Starts the first generation: n workers in slots 0..n-1 (a slot whose
 * fork fails gets its first-generation worker from the backoff timer).
 * Times given to the pool are positive. Returns 0, or -1 with errno set
 * (ENOMEM) with nothing started.
 */
int	pool_start(struct pool *p, unsigned n, double now);

/*
 * For an in-place upgrade (master_upgrade.c): takes a copy of w, a
 * worker the previous image had, in the role it had in slot w->slot,
 * with room made for nslots slots (the slots' own fields are the
 * caller's to set). Nothing is noted or signalled. Returns 0, or -1
 * with errno set (ENOMEM; EEXIST when the role or the pid is taken;
 * when w->slot >= nslots, errno is left as is) and nothing taken.
 */
int	pool_adopt(struct pool *p, unsigned nslots, const struct worker *w,
	    enum pool_role role);

/* Room for nslots slots, for the same. Returns 0, or -1 (ENOMEM). */
int	pool_adopt_room(struct pool *p, unsigned nslots);

/*
 * Grows to n slots, starting a worker in each new one, or shrinks to n,
 * stopping the workers of the highest slots. Returns 0, or -1 (ENOMEM)
 * with the pool unchanged.
 */
int	pool_resize(struct pool *p, unsigned n, double now);

/*
 * Makes gen the configuration of every worker started from now on, and
 * with roll, replaces every older worker, one slot at a time: a new
 * worker first, and the old one stopped only once the new one is ready.
 * A roll also ends the first generation's verdict: after it, no exit is
 * POOL_EXIT_FIRST_FAILED.
 */
void	pool_set_generation(struct pool *p, unsigned gen, bool roll,
	    double now);

/* A child exited with wait status status. */
enum pool_exit	pool_exited(struct pool *p, pid_t pid, int status,
		    double now);

/* The worker said READY=1. Unknown pids are ignored. */
void	pool_ready(struct pool *p, pid_t pid, double now);

/* The worker showed a sign of life (WATCHDOG=1 or any message). */
void	pool_heartbeat(struct pool *p, pid_t pid, double now);

/* Acts on every deadline that has passed. */
void	pool_tick(struct pool *p, double now);

/*
 * The earliest time pool_tick() has something to do, or 0 when nothing
 * is pending: an idle pool needs no timer at all.
 */
double	pool_next_deadline(const struct pool *p);

/*
 * Shuts down: every worker gets SIGTERM and SIGKILL grace seconds later;
 * nothing is started again. A second call can only shorten the grace.
 */
void	pool_stop(struct pool *p, double grace, double now);

/*
 * Recycles slot's worker, for why (a static string, the stop reason):
 * with surge, a replacement is started and the old worker stopped once
 * it is ready, as in a rolling restart; otherwise the old worker is
 * stopped first and the slot started again when it has exited. The
 * recycle is under way (slot->recycling) until the slot's new worker is
 * ready. Returns 0, or -1 with errno set: EBUSY when the slot has no
 * ready worker to recycle, a recycle or a rolling restart is under way
 * or the pool is stopping, ERANGE for no such slot, or the spawn's
 * errno (the slot then backs off its replacement, the old worker goes
 * on serving).
 */
int	pool_recycle(struct pool *p, unsigned slot, const char *why, bool surge,
	    double now);

/* How many slots have a recycle under way. */
unsigned	pool_recycling_count(const struct pool *p);

/* Sends sig to every live worker that was not killed. */
void	pool_signal_all(struct pool *p, int sig);

/* The live worker with that pid, or NULL. */
struct worker	*pool_find(const struct pool *p, pid_t pid);

/* True when w was stopped on purpose (its exit is not a failure). */
bool	pool_worker_stopped(const struct worker *w);

/* Counts the slots whose worker is ready. */
unsigned	pool_ready_count(const struct pool *p);

/* True when no worker is left (after pool_stop(), time to exit). */
bool	pool_empty(const struct pool *p);

#endif /* PREFORK_POOL_H */
