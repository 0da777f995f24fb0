/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "size.h"
#include "util.h"

/* The profiles of the sizing guide; the first is the default. */
const struct profile size_profiles[] = {
	{ "default",        "eventlet", "general purpose",        8,  false },
	{ "aws-ec2",        "eventlet", "AWS EC2",                12, false },
	{ "ec2-free-tier",  "sync",     "1 GB instances",         6,  false },
	{ "render",         "gevent",   "Render.com",             16, false },
	{ "cloud",          "gevent",   "other cloud platforms",  8,  false },
	{ "unix",           "gevent",   "Unix/Linux servers",     12, false },
	{ "enterprise",     "eventlet", "high-performance hosts", 16, false },
	{ "ultra-scalable", "eventlet", "memory-adjusted",        24, true },
};
const size_t size_nprofiles = nitems(size_profiles);

static const char *const rule_names[] = {
	[SIZE_RULE_FIXED] = "fixed",
	[SIZE_RULE_FORMULA] = "formula",
	[SIZE_RULE_PROFILE_CAP] = "profile cap",
	[SIZE_RULE_MEMORY_TIER] = "memory tier",
	[SIZE_RULE_MAX_WORKERS] = "max_workers",
	[SIZE_RULE_WORKER_MEMORY] = "worker_memory",
	[SIZE_RULE_MIN_WORKERS] = "min_workers",
	[SIZE_RULE_HARD_LIMIT] = "hard limit",
};

const struct profile *
size_profile_find(const char *name)
{
	size_t	i;

	for (i = 0; i < size_nprofiles; i++)
		if (strcmp(size_profiles[i].name, name) == 0)
			return &size_profiles[i];
	return NULL;
}

const struct profile *
size_profile_default(void)
{
	return &size_profiles[0];
}

const char *
size_rule_name(enum size_rule rule)
{
	return rule_names[rule];
}

/* Appends a step to r; the count goes from before to after. */
static struct size_step *
size_step(struct size_result *r, enum size_rule rule, unsigned before,
    unsigned after, unsigned limit)
{
	struct size_step	*s = &r->steps[r->nsteps++];

	s->rule = rule;
	s->before = before;
	s->after = after;
	s->limit = limit;
	s->applied = before != after;
	s->detail[0] = '\0';
	return s;
}

static unsigned
min_u(uint64_t a, uint64_t b)
{
	return (unsigned)(a < b ? a : b);
}

/*
 * The ultra-scalable tiers, highest first. The multipliers are fractions
 * num/den done in integers, so floor(base * 1.5) is base * 3 / 2, exact
 * for every base we can see.
 */
static const struct tier {
	uint64_t	 min_gib;
	unsigned	 num, den, cap;
	const char	*label;
	const char	*factor;
} tiers[] = {
	{ 16, 2, 1, 24, "mem >= 16 GiB", "2" },
	{ 8, 3, 2, 18, "8 GiB <= mem < 16 GiB", "1.5" },
	{ 4, 1, 1, 12, "4 GiB <= mem < 8 GiB", "1" },
	{ 0, 3, 4, 8, "mem < 4 GiB", "0.75" },
};

/* memory is 0 when unknown: then the lowest tier, the cautious one. */
static unsigned
size_tier(struct size_result *r, unsigned base, uint64_t memory)
{
	const struct tier	*t = tiers;
	struct size_step	*s;
	unsigned		 n;

	while (memory < t->min_gib * SIZE_GIB)
		t++;
	n = min_u((uint64_t)base * t->num / t->den, t->cap);
	s = size_step(r, SIZE_RULE_MEMORY_TIER, base, n, t->cap);
	snprintf(s->detail, sizeof(s->detail),
	    "%s: min(floor(%u * %s), %u) = %u",
	    memory == 0 ? "memory unknown, lowest tier" : t->label, base,
	    t->factor, t->cap, n);
	return n;
}

static unsigned
size_cap(struct size_result *r, enum size_rule rule, unsigned n,
    unsigned cap)
{
	struct size_step	*s;
	unsigned		 m = n < cap ? n : cap;

	s = size_step(r, rule, n, m, cap);
	snprintf(s->detail, sizeof(s->detail), "min(%u, %u) = %u", n, cap, m);
	return m;
}

void
size_compute(const struct size_params *p, unsigned cpus, uint64_t memory,
    struct size_result *r)
{
	struct size_step	*s;
	uint64_t		 base, cap;
	unsigned		 n;
	char			 mem[32], per[32];

	memset(r, 0, sizeof(*r));
	if (cpus == 0)
		cpus = 1;
	if (p->workers != 0) {
		n = p->workers;
		s = size_step(r, SIZE_RULE_FIXED, 0, n, n);
		snprintf(s->detail, sizeof(s->detail),
		    "workers = %u: the formula is skipped", n);
		r->base = n;
		goto limit;
	}

	/* 64-bit arithmetic: 4096 CPUs times a large per-CPU count fits. */
	base = (uint64_t)cpus * p->workers_per_cpu + p->extra_workers;
	r->base = min_u(base, UINT32_MAX);
	s = size_step(r, SIZE_RULE_FORMULA, 0, r->base, 0);
	snprintf(s->detail, sizeof(s->detail), "%u CPU%s * %u + %u = %u",
	    cpus, cpus == 1 ? "" : "s", p->workers_per_cpu, p->extra_workers,
	    r->base);
	n = r->base;

	/*
	 * max_workers defaults to the profile's: set, it replaces the
	 * profile's cap, up or down. The memory tiers keep their own caps,
	 * and an explicit max_workers caps their result as well.
	 */
	if (p->profile->memory_adjusted) {
		n = size_tier(r, n, memory);
		if (p->max_workers != 0)
			n = size_cap(r, SIZE_RULE_MAX_WORKERS, n,
			    p->max_workers);
	} else if (p->max_workers != 0)
		n = size_cap(r, SIZE_RULE_MAX_WORKERS, n, p->max_workers);
	else
		n = size_cap(r, SIZE_RULE_PROFILE_CAP, n,
		    p->profile->max_workers);

	if (p->worker_memory != 0) {
		if (memory == 0) {
			s = size_step(r, SIZE_RULE_WORKER_MEMORY, n, n, 0);
			snprintf(s->detail, sizeof(s->detail),
			    "memory unknown: no cap");
		} else {
			cap = memory / p->worker_memory;
			util_format_bytes(memory, mem, sizeof(mem));
			util_format_bytes(p->worker_memory, per, sizeof(per));
			s = size_step(r, SIZE_RULE_WORKER_MEMORY, n,
			    min_u(n, cap), min_u(cap, UINT32_MAX));
			snprintf(s->detail, sizeof(s->detail),
			    "floor(%s / %s) = %" PRIu64 ": min(%u, %" PRIu64
			    ") = %u", mem, per, cap, n, cap, s->after);
			n = s->after;
		}
	}

	s = size_step(r, SIZE_RULE_MIN_WORKERS, n,
	    n > p->min_workers ? n : p->min_workers, p->min_workers);
	snprintf(s->detail, sizeof(s->detail), "max(%u, %u) = %u", n,
	    p->min_workers, s->after);
	n = s->after;

limit:
	if (n > SIZE_WORKERS_MAX) {
		s = size_step(r, SIZE_RULE_HARD_LIMIT, n, SIZE_WORKERS_MAX,
		    SIZE_WORKERS_MAX);
		snprintf(s->detail, sizeof(s->detail),
		    "prefork runs at most %u workers", SIZE_WORKERS_MAX);
		n = SIZE_WORKERS_MAX;
	}
	if (n == 0)
		n = 1;
	r->workers = n;
}
