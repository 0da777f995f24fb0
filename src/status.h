/* SPDX-License-Identifier: ISC */
/*
 * What `preforkctl status` shows: the pool's target size and why, the
 * master's uptime and reloads, and one row per worker, as a table for
 * people or as JSON for machines. Pure: the master fills a snapshot
 * (collect_status()) and this module only writes it out, so that the
 * exact text is tested.
 */
#ifndef PREFORK_STATUS_H
#define PREFORK_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row: a slot's worker, its replacement, a stopping worker, or a
   slot waiting to start one (backoff, no pid). */
struct status_worker {
	unsigned	 slot;
	long		 pid;		/* 0: none (backoff) */
	const char	*state;		/* starting, ready, stopping, backoff */
	unsigned	 generation;
	double		 uptime;	/* seconds; < 0 when no pid */
	unsigned	 restarts;	/* of the slot */
	const char	*last_exit;	/* the slot's last exit, as
					   "exited with code 1", or NULL */
	double		 last_exit_ago;	/* seconds */
	bool		 sampled;	/* rss, pss and cpu are known */
	uint64_t	 rss, pss;	/* bytes */
	double		 cpu;		/* percent of one CPU since the
					   previous status, or since it
					   started */
	bool		 no_pss;	/* smaps_rollup unreadable (a
					   master without CAP_SYS_PTRACE
					   and workers of another user):
					   pss unknown */
};

struct status_snapshot {
	const char			*version;
	long				 pid;		/* the master's */
	double				 uptime;	/* seconds */
	unsigned			 size;		/* target */
	unsigned			 sized;		/* what sizing says */
	unsigned			 ready;
	unsigned			 min_workers;
	const char			*sizing;	/* the summary */
	const char			*note;		/* a reload not
							   complete, or "" */
	const char			*adaptive;	/* autoscale's bounds
							   and last change,
							   or NULL: off */
	uint64_t			 reloads;	/* accepted */
	uint64_t			 reload_failures;
	unsigned			 generation;	/* of the conf */
	uint64_t			 recycled[3];	/* workers recycled
							   for memory,
							   lifetime, by
							   hand */
	const struct status_worker	*workers;
	size_t				 nworkers;
};

/*
 * The snapshot as text (a summary, then a table) or as one JSON object,
 * in a new NUL-terminated buffer the caller frees, its length in *len.
 * Returns it, or NULL (ENOMEM).
 */
char	*status_text(const struct status_snapshot *s, size_t *len);
char	*status_json(const struct status_snapshot *s, size_t *len);

/*
 * "4h05m", "12m30s", "45s", "1d02h": a duration for the table, into
 * buf. Returns buf. This function can't fail.
 */
char	*status_duration(double seconds, char *buf, size_t len);

#endif /* PREFORK_STATUS_H */
