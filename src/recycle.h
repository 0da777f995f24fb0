/* SPDX-License-Identifier: ISC */
/*
 * Recycling, the decision: which workers to replace because their memory
 * grew past max_worker_memory or they outlived their lifetime, in what
 * order, and never more than max_recycling at once; and each worker's
 * lifetime, drawn once within max_lifetime +- lifetime_jitter so that a
 * pool started together does not recycle together. Pure: the master
 * hands it the workers' ages and sampled memory and a random number,
 * and carries out what it picks (pool_recycle()), so that it is tested
 * with a fake clock and fake samples.
 */
#ifndef PREFORK_RECYCLE_H
#define PREFORK_RECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a worker is recycled: the stop reason and the metrics' reason. */
enum recycle_why {
	RECYCLE_MEMORY,
	RECYCLE_LIFETIME,
	RECYCLE_MANUAL,
	RECYCLE_WHY_COUNT
};

/* "recycle_memory", ...: the stop reason, as the metrics label it. */
extern const char *const	recycle_why_names[RECYCLE_WHY_COUNT];

struct recycle_params {
	uint64_t	max_memory;	/* bytes; 0 = no limit */
	double		max_lifetime;	/* seconds; 0 = no limit */
	int		jitter_pct;	/* 0..99, or -1: jitter seconds */
	double		jitter;		/* seconds, when jitter_pct is -1 */
	unsigned	max_recycling;	/* at once, at least 1 */
};

/* A worker that may be recycled: ready, and not already recycling. */
struct recycle_worker {
	unsigned	slot;
	double		age;		/* seconds since it started */
	double		lifetime;	/* drawn for it; 0 = none */
	bool		sampled;	/* memory is known */
	uint64_t	memory;		/* bytes, in the configured measure */
};

/* One worker to recycle, and why. */
struct recycle_pick {
	unsigned		slot;
	enum recycle_why	why;
};

/*
 * The lifetime of a new worker, in seconds: max_lifetime moved by a
 * uniform draw within +- the jitter; u is uniform in [0, 1). 0 when
 * there is no max_lifetime. Never below one second.
 */
double	recycle_lifetime(const struct recycle_params *p, double u);

/*
 * Picks the workers to recycle now from w[0..n), with busy recycles
 * already under way: those over the memory limit first, the largest
 * first, then those past their lifetime, the longest past first; at
 * most max_recycling - busy of them, into out (room for n). Returns how
 * many.
 */
size_t	recycle_decide(const struct recycle_params *p,
	    const struct recycle_worker *w, size_t n, unsigned busy,
	    struct recycle_pick *out);

#endif /* PREFORK_RECYCLE_H */
