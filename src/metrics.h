/* SPDX-License-Identifier: ISC */
/*
 * The Prometheus text exposition (format 0.0.4) of a snapshot of the
 * pool: pure, so that the exact text is tested and fuzzed. The snapshot
 * is filled by the master from the pool, the sizing decision, its own
 * counters and the sampler (collect.c); this module only writes it out,
 * with # HELP and # TYPE for every family and label values escaped as
 * the format wants (backslash, double quote, newline).
 */
#ifndef PREFORK_METRICS_H
#define PREFORK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* prefork_workers{state}. */
enum metrics_state {
	METRICS_STARTING,
	METRICS_READY,
	METRICS_STOPPING,
	METRICS_BACKOFF,
	METRICS_STATE_COUNT
};

/* prefork_worker_exits_total{reason}. */
enum metrics_exit {
	METRICS_EXIT_EXIT,		/* exited on its own */
	METRICS_EXIT_SIGNAL,		/* killed by a signal, not ours */
	METRICS_EXIT_TIMEOUT,		/* killed for ready_timeout or timeout */
	METRICS_EXIT_OOM,		/* killed by the OOM killer */
	METRICS_EXIT_RECYCLE_MEMORY,
	METRICS_EXIT_RECYCLE_LIFETIME,
	METRICS_EXIT_RECYCLE_MANUAL,
	METRICS_EXIT_SHRINK,		/* stopped by a smaller pool */
	METRICS_EXIT_RESTART,		/* replaced by a rolling restart */
	METRICS_EXIT_SHUTDOWN,		/* stopped at shutdown */
	METRICS_EXIT_COUNT
};

/* prefork_reloads_total{result}. */
enum metrics_reload {
	METRICS_RELOAD_SUCCESS,		/* the new configuration was taken */
	METRICS_RELOAD_FAILURE,		/* rejected: the old one runs on */
	METRICS_RELOAD_COUNT
};

/* One slot's worker, sampled. */
struct metrics_worker {
	unsigned	slot;
	double		cpu_seconds;
	uint64_t	rss;		/* bytes */
	uint64_t	pss;		/* bytes */
};

/* One master-held TCP listener's accept queue. */
struct metrics_listener {
	const char	*listen;	/* as configured: any text */
	uint32_t	 length;
	uint32_t	 limit;
};

/* The master itself, for the process_* metrics. */
struct metrics_process {
	double		cpu_seconds;
	uint64_t	resident_bytes;
	long		open_fds;	/* -1: unknown, left out */
	double		start_time;	/* seconds since the epoch */
};

struct metrics_snapshot {
	const char			*version;	/* any text */
	unsigned			 desired;	/* the pool's size */
	unsigned			 states[METRICS_STATE_COUNT];
	uint64_t			 exits[METRICS_EXIT_COUNT];
	uint64_t			 reloads[METRICS_RELOAD_COUNT];
	bool				 autoscale;	/* on */
	uint64_t			 autoscale_changes[2];	/* up,
								   down */
	const struct metrics_worker	*workers;	/* by slot, no slot
							   twice */
	size_t				 nworkers;
	const struct metrics_listener	*listeners;	/* no listen twice */
	size_t				 nlisteners;
	unsigned			 sizing_cpus;
	uint64_t			 sizing_memory;	/* 0: unknown, left
							   out */
	bool				 has_process;
	struct metrics_process		 process;
};

/* The label values, in the order of their enums. */
extern const char *const	metrics_state_names[METRICS_STATE_COUNT];
extern const char *const	metrics_exit_names[METRICS_EXIT_COUNT];
extern const char *const	metrics_reload_names[METRICS_RELOAD_COUNT];

/* The Content-Type of the text, for HTTP. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * Writes the exposition of s into a new NUL-terminated buffer, which the
 * caller frees; its length in *len. Returns it, or NULL (ENOMEM).
 */
char	*metrics_format(const struct metrics_snapshot *s, size_t *len);

#endif /* PREFORK_METRICS_H */
