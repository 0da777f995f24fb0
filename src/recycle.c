/* SPDX-License-Identifier: ISC */
/*
 * Recycling, the decision. See recycle.h.
 */
#include "config.h"

#include <stdlib.h>

#include "recycle.h"

const char *const	recycle_why_names[RECYCLE_WHY_COUNT] = {
	"recycle_memory", "recycle_lifetime", "recycle_manual",
};

double
recycle_lifetime(const struct recycle_params *p, double u)
{
	double	jitter, t;

	if (p->max_lifetime <= 0)
		return 0;
	jitter = p->jitter_pct >= 0 ? p->max_lifetime * p->jitter_pct / 100 :
	    p->jitter;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	t = p->max_lifetime + jitter * (2 * u - 1);
	return t < 1 ? 1 : t;
}

/* How far past its limit, to order the picks: larger first. */
struct candidate {
	unsigned		slot;
	enum recycle_why	why;
	double			excess;
};

static int
by_need(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	if (x->why != y->why)
		return x->why < y->why ? -1 : 1;
	if (x->excess != y->excess)
		return x->excess > y->excess ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

size_t
recycle_decide(const struct recycle_params *p,
    const struct recycle_worker *w, size_t n, unsigned busy,
    struct recycle_pick *out)
{
	struct candidate	*c;
	size_t			 i, nc = 0, room;

	if (busy >= p->max_recycling || n == 0)
		return 0;
	room = p->max_recycling - busy;
	if ((c = calloc(n, sizeof(*c))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (p->max_memory > 0 && w[i].sampled &&
		    w[i].memory > p->max_memory)
			c[nc++] = (struct candidate){ w[i].slot,
			    RECYCLE_MEMORY,
			    (double)(w[i].memory - p->max_memory) };
		else if (w[i].lifetime > 0 && w[i].age >= w[i].lifetime)
			c[nc++] = (struct candidate){ w[i].slot,
			    RECYCLE_LIFETIME, w[i].age - w[i].lifetime };
	}
	qsort(c, nc, sizeof(*c), by_need);
	if (nc > room)
		nc = room;
	for (i = 0; i < nc; i++)
		out[i] = (struct recycle_pick){ c[i].slot, c[i].why };
	free(c);
	return nc;
}
