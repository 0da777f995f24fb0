/* SPDX-License-Identifier: ISC */
/*
 * A metrics snapshot of the running master: the pool's states, the
 * sizing decision, and the sampler's reading of every slot's worker, of
 * the master-held TCP listeners and of the master itself. The master
 * adds the counters it keeps (exits by reason, reloads by result) and
 * hands the snapshot to metrics_format(). No policy, no libev: a
 * snapshot is taken when something asks for one (a scrape, the interval
 * of metrics_file, a control command).
 */
#ifndef PREFORK_COLLECT_H
#define PREFORK_COLLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "explain.h"
#include "metrics.h"
#include "pool.h"
#include "sample.h"
#include "sockets.h"
#include "status.h"

/* The arrays a snapshot points into, reused from one to the next. */
struct collect {
	struct metrics_worker	*workers;
	size_t			 wcap;
	struct metrics_listener	*listeners;
	size_t			 lcap;
	struct sample_sys	 sys;
	int			 sys_state;	/* 0 unread, 1 read, -1 failed */
	/* status: its rows, and each worker's CPU time when last seen. */
	struct status_worker	*rows;
	size_t			 rcap;
	char			(*exits)[64];	/* the rows' last_exit */
	size_t			 ecap;
	struct collect_cpu	*cpu;		/* the previous call's */
	size_t			 ncpu, cpucap;
	struct collect_cpu	*cpu_next;	/* this call's */
	size_t			 ncpu_next, nextcap;
};

/* A worker's CPU time at the previous status, for its CPU %. */
struct collect_cpu {
	long	pid;
	double	seconds;	/* of CPU */
	double	at;		/* when, on the pool's clock */
};

#define COLLECT_INIT	{ .sys_state = 0 }

/*
 * Fills s from the pool, the decision and the sockets, sampling /proc
 * and TCP_INFO now. s points into c until the next call or
 * collect_free(); its counters (exits, reloads) are left as they were,
 * for the caller. A worker that cannot be sampled (gone since) is left
 * out, as is a unix socket. Returns 0, or -1 (ENOMEM) with s unusable.
 */
int	collect_snapshot(struct collect *c, struct metrics_snapshot *s,
	    const struct pool *p, const struct decision *d,
	    const struct sockets *so);

/*
 * Fills the rows of s (workers, nworkers, size, ready) from the pool at
 * now (the pool's clock), sampling each worker's memory and CPU time:
 * one row per slot (its worker, or "backoff" while it waits to start
 * one), then each replacement and stopping worker. A worker's CPU % is
 * over the time since the previous call, or since it started. s points
 * into c until the next call. Returns 0, or -1 (ENOMEM).
 */
int	collect_status(struct collect *c, struct status_snapshot *s,
	    const struct pool *p, double now);

/* Frees the arrays. */
void	collect_free(struct collect *c);

#endif /* PREFORK_COLLECT_H */
