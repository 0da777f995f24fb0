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

/* The arrays a snapshot points into, reused from one to the next. */
struct collect {
	struct metrics_worker	*workers;
	size_t			 wcap;
	struct metrics_listener	*listeners;
	size_t			 lcap;
	struct sample_sys	 sys;
	int			 sys_state;	/* 0 unread, 1 read, -1 failed */
};

#define COLLECT_INIT	{ NULL, 0, NULL, 0, { 0, 0 }, 0 }

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

/* Frees the arrays. */
void	collect_free(struct collect *c);

#endif /* PREFORK_COLLECT_H */
