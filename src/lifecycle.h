/* SPDX-License-Identifier: ISC */
/*
 * The master's lifecycle, as systemd sees it: starting until the first
 * pool is ready, running, reloading from a SIGHUP until the new workers
 * serve (or one of them fails to start), and stopping. It decides when
 * READY=1, RELOADING=1 and STOPPING=1 are owed and what STATUS= says of
 * a reload that could not finish; the master sends them. Pure: it is told
 * the pool's state and the events, never reads a clock, never logs, so
 * that it is tested like the pool, without libev.
 */
#ifndef PREFORK_LIFECYCLE_H
#define PREFORK_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

enum lc_state {
	LC_STARTING,		/* no READY=1 yet */
	LC_RUNNING,
	LC_RELOADING,		/* RELOADING=1 told, READY=1 owed */
	LC_STOPPING,		/* STOPPING=1 told: nothing may follow */
};

/* A worker that failed to start, and why (the pool's static text). */
struct lc_failure {
	bool		 set;
	unsigned	 slot;
	const char	*why;
};

struct lifecycle {
	enum lc_state		state;
	struct lc_failure	failed;		/* ends the pending reload */
	struct lc_failure	unfinished;	/* the last reload did not
						   finish: until the pool
						   settles */
};

#define LIFECYCLE_INIT	{ LC_STARTING, { false, 0, NULL }, { false, 0, NULL } }

/* What the pool looks like now, for lc_update(). */
struct lc_pool {
	bool	all_ready;	/* every slot's worker is ready */
	bool	rolling;	/* a rolling restart is under way */
	bool	empty;		/* no worker left at all */
};

/* What the master must do, as bits, in this order. */
enum lc_action {
	LC_EXIT = 1 << 0,		/* stopping, and no worker left */
	LC_POOL_READY = 1 << 1,		/* first pool up: log, pidfile */
	LC_RELOAD_UNFINISHED = 1 << 2,	/* log lc->unfinished */
	LC_TELL_READY = 1 << 3,		/* READY=1 */
};

/*
 * A SIGHUP: returns true when RELOADING=1 must be told (the first
 * READY=1 was sent and we are not stopping); the reload is then pending
 * until lc_update() ends it. A reload still pending is superseded.
 */
bool	lc_reload_begin(struct lifecycle *lc);

/*
 * The new configuration was rejected: nothing of it is waited for.
 * Returns LC_TELL_READY when a reload was pending (it is over), else 0.
 */
int	lc_reload_rejected(struct lifecycle *lc);

/* The new configuration was taken: a past reload's failure is history. */
void	lc_reload_accepted(struct lifecycle *lc);

/*
 * A worker of slot failed to start (the pool backs it off). The first
 * failure during a pending reload ends it at the next lc_update(): the
 * pool would retry that worker for as long as it fails, and systemctl
 * reload must not wait that long.
 */
void	lc_worker_failed(struct lifecycle *lc, unsigned slot,
	    const char *why);

/*
 * After every event: returns the actions now owed (a mask of enum
 * lc_action) and moves on.
 */
int	lc_update(struct lifecycle *lc, const struct lc_pool *p);

/* Shutdown: returns true the first time (tell STOPPING=1). */
bool	lc_stop(struct lifecycle *lc);

/*
 * The start of STATUS= while the last reload has not finished, as
 * "reload not complete (worker 0: replacement failed), older workers
 * serve; ", or "" when it has. Returns buf. This function can't fail.
 */
char	*lc_status_note(const struct lifecycle *lc, char *buf, size_t len);

/* "worker 0: replacement failed" for a failure. Returns buf. */
char	*lc_failure_text(const struct lc_failure *f, char *buf, size_t len);

#endif /* PREFORK_LIFECYCLE_H */
