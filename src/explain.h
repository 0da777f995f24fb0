/* SPDX-License-Identifier: ISC */
/*
 * The sizing decision: probe the hardware, apply the configuration's
 * overrides and the sizing rules, and say why, as text or as JSON. The
 * master logs explain_summary() at start and at every resize; --explain
 * prints the whole of it.
 */
#ifndef PREFORK_EXPLAIN_H
#define PREFORK_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "probe.h"
#include "size.h"
#include "wcgroup.h"

struct decision {
	struct probe		 probe;		/* what the probe found */
	unsigned		 cpus;		/* what the sizing used */
	const char		*cpus_from;	/* "configuration", or the
						   probe's deciding source */
	uint64_t		 memory;	/* bytes; 0 when unknown */
	const char		*memory_from;	/* as cpus_from; NULL when
						   unknown */
	const struct profile	*profile;
	const char		*worker_class;
	struct size_params	 params;
	struct size_result	 result;
	/* worker_cgroup, when explain_worker_cgroups() judged it. */
	bool			 cgroup_judged;
	enum tristate		 cgroup_mode;
	uint64_t		 cgroup_high;	/* worker_memory */
	uint64_t		 cgroup_max;	/* max_worker_memory */
	struct wcg_probe	 cgroup;
};

/*
 * Probes under root and sizes the pool for c; d borrows strings from c,
 * so c must outlive it. This function can't fail.
 */
void	explain_decide(struct decision *d, const struct conf *c,
	    const char *root);

/*
 * After explain_decide(): judges, under root, whether the workers would
 * get cgroups of their own (worker_cgroup), for the whole decision to
 * say so; the master's decisions leave it out, its cgroup being its
 * leaf by then. This function can't fail.
 */
void	explain_worker_cgroups(struct decision *d, const struct conf *c,
	    const char *root);

/* Prints the whole decision for people. */
void	explain_text(FILE *f, const struct decision *d);

/* Prints the whole decision as one JSON object and a newline. */
void	explain_json(FILE *f, const struct decision *d);

/*
 * Formats the one-line summary used in the log and in STATUS=: "4 CPUs
 * (cgroup v2), 16.0 GiB (memory blocks); profile default". Returns buf.
 */
char	*explain_summary(const struct decision *d, char *buf, size_t len);

#endif /* PREFORK_EXPLAIN_H */
