/* SPDX-License-Identifier: ISC */
/*
 * The sizing engine: probe results and configuration in, a worker count
 * and the steps that explain it out. Pure: no system calls, no globals
 * but the profile table, no logging.
 */
#ifndef PREFORK_SIZE_H
#define PREFORK_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No pool is ever larger than this, whatever the formula says. */
#define SIZE_WORKERS_MAX	4096u

#define SIZE_GIB		(UINT64_C(1) << 30)

struct profile {
	const char	*name;
	const char	*worker_class;
	const char	*meant_for;
	unsigned	 max_workers;
	bool		 memory_adjusted;	/* ultra-scalable's tiers */
};

extern const struct profile	size_profiles[];
extern const size_t		size_nprofiles;

/* Returns the profile called name, or NULL. */
const struct profile	*size_profile_find(const char *name);

/* The profile used when none is configured ("default"). */
const struct profile	*size_profile_default(void);

/* What the sizing needs from the configuration. */
struct size_params {
	const struct profile	*profile;
	unsigned		 workers;	/* fixed pool size, 0 = auto */
	unsigned		 max_workers;	/* replaces the profile's cap;
						   0 = the profile's */
	unsigned		 min_workers;
	unsigned		 workers_per_cpu;
	unsigned		 extra_workers;
	uint64_t		 worker_memory;	/* bytes, 0 = off */
};

enum size_rule {
	SIZE_RULE_FIXED,		/* workers = N */
	SIZE_RULE_FORMULA,		/* cpus * workers_per_cpu + extra */
	SIZE_RULE_PROFILE_CAP,		/* min(base, profile's max_workers) */
	SIZE_RULE_MEMORY_TIER,		/* ultra-scalable's memory tiers */
	SIZE_RULE_MAX_WORKERS,		/* explicit max_workers, in place
					   of the profile's cap */
	SIZE_RULE_WORKER_MEMORY,	/* floor(memory / worker_memory) */
	SIZE_RULE_MIN_WORKERS,		/* raise to min_workers */
	SIZE_RULE_HARD_LIMIT,		/* SIZE_WORKERS_MAX */
};

struct size_step {
	enum size_rule	rule;
	unsigned	before;		/* count going in (0 for the first) */
	unsigned	after;		/* count coming out */
	unsigned	limit;		/* the cap or floor compared with */
	bool		applied;	/* this step changed the count */
	char		detail[128];	/* "2 CPUs * 2 + 1 = 5" */
};

#define SIZE_STEPS_MAX	8

struct size_result {
	unsigned		base;		/* the formula's result */
	unsigned		workers;	/* the pool size, >= 1 */
	size_t			nsteps;
	struct size_step	steps[SIZE_STEPS_MAX];
};

/*
 * Computes the pool size for cpus CPUs (>= 1) and memory bytes (0 when
 * unknown) under the parameters, recording each rule applied in order.
 * This function can't fail.
 */
void	size_compute(const struct size_params *p, unsigned cpus,
	    uint64_t memory, struct size_result *r);

/* The rule's short name as --explain prints it ("profile cap"). */
const char	*size_rule_name(enum size_rule rule);

#endif /* PREFORK_SIZE_H */
