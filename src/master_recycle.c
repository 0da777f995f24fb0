/* SPDX-License-Identifier: ISC */
/*
 * The master's side of recycling: each worker's lifetime drawn when it
 * starts, the check every check_interval (its timer exists only while
 * max_worker_memory or max_lifetime is set: a pool without limits makes
 * no wake-up), the memory of each worker's process group sampled then
 * (the worker and what it started, unless they left its group),
 * and what recycle.c picks carried out by the pool, logged with its
 * reason and figure. Part of the master (master_impl.h).
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master_impl.h"
#include "status.h"

static const char *const	measure_names[] = { "PSS", "RSS", "USS" };

/* Where a worker's memory figure came from. */
enum mem_source {
	SOURCE_MEASURE,		/* worker_memory_measure, of its group */
	SOURCE_RSS,		/* RSS: the measure was unreadable */
	SOURCE_CGROUP,		/* its cgroup's memory.current */
};

/* The policy's parameters, from the configuration. */
static void
recycle_params_of(const struct conf *c, struct recycle_params *p)
{
	*p = (struct recycle_params){
		.max_memory = c->max_worker_memory,
		.max_lifetime = (double)c->max_lifetime / 1000,
		.jitter_pct = c->jitter_pct,
		.jitter = (double)c->lifetime_jitter / 1000,
		.max_recycling = c->max_recycling,
	};
}

/* A uniform draw in [0, 1), from the kernel's random bits. */
static double
uniform(struct master *m)
{
	uint32_t	r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		/* Too early in boot for the pool: any spread will do. */
		m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
		r = (uint32_t)(m->rng >> 32);
	}
	return (double)r / 4294967296.0;
}

void
master_recycle_draw(struct master *m, pid_t pid)
{
	struct recycle_params	 p;
	struct worker		*w = pool_find(&m->pool, pid);

	if (w == NULL)
		return;
	recycle_params_of(&m->conf, &p);
	w->lifetime = recycle_lifetime(&p, uniform(m));
}

/* After a reload that changed the lifetime: every worker draws again. */
void
master_recycle_redraw(struct master *m)
{
	size_t	i;

	for (i = 0; i < m->pool.nall; i++)
		master_recycle_draw(m, m->pool.all[i]->pid);
}

/* The log line of a recycle: its reason and its figure. */
static void
say_recycle(struct master *m, const struct worker *w,
    const struct recycle_pick *pick, uint64_t memory, enum mem_source src)
{
	char	a[32], b[32], c[32];

	if (pick->why == RECYCLE_MEMORY)
		log_info("worker %u (pid %ld) recycled: %s %s > "
		    "max_worker_memory %s", w->slot, (long)w->pid,
		    src == SOURCE_CGROUP ? "memory.current" :
		    src == SOURCE_RSS ? "RSS (PSS and USS unreadable)" :
		    measure_names[m->conf.measure], util_format_bytes(memory,
		    a, sizeof(a)), util_format_bytes(m->conf.max_worker_memory,
		    b, sizeof(b)));
	else
		log_info("worker %u (pid %ld) recycled: lived %s, its lifetime "
		    "%s (max_lifetime %s)", w->slot, (long)w->pid,
		    status_duration(master_clock() - w->spawned, a, sizeof(a)),
		    status_duration(w->lifetime, b, sizeof(b)),
		    status_duration((double)m->conf.max_lifetime / 1000, c,
		    sizeof(c)));
}

/*
 * The workers that may be recycled now, into r (room for the pool's
 * size), with their memory, their process group's, when there is a
 * memory limit: its cgroup's memory.current when workers have their own
 * (worker_cgroup), else its process group's (one scan of /proc for all
 * of them). Returns how many; src[i] says where r[i]'s figure came from.
 */
static size_t
candidates(struct master *m, struct recycle_worker *r, double now,
    enum mem_source *src)
{
	const struct slot	*s;
	struct sample_group	*g = NULL;
	pid_t			*pgids = NULL;
	size_t			 i, n = 0;
	bool			 exact;

	for (i = 0; i < m->pool.size; i++) {
		s = &m->pool.slots[i];
		if (s->w == NULL || s->next != NULL || s->recycling != NULL ||
		    s->w->state != WORKER_READY || s->w->stop_why != NULL)
			continue;
		r[n++] = (struct recycle_worker){ (unsigned)i,
		    now - s->w->spawned, s->w->lifetime, false, 0 };
	}
	if (m->conf.max_worker_memory == 0 || n == 0)
		return n;
	if (m->wcg.active) {
		for (i = 0; i < n; i++) {
			r[i].sampled = wcg_memory_current(&m->wcg, r[i].slot,
			    &r[i].memory) == 0;
			src[i] = SOURCE_CGROUP;
		}
		return n;
	}
	/* Each worker leads its own process group: its pid is its pgid. */
	if ((pgids = calloc(n, sizeof(*pgids))) == NULL ||
	    (g = calloc(n, sizeof(*g))) == NULL) {
		log_warn("recycle check: memory not sampled");
		free(pgids);
		return n;
	}
	for (i = 0; i < n; i++)
		pgids[i] = m->pool.slots[r[i].slot].w->pid;
	if (sample_groups("/proc", pgids, n, g) == -1)
		log_warn("recycle check: /proc");
	else
		for (i = 0; i < n; i++) {
			if (g[i].nprocs == 0)
				continue;
			r[i].sampled = true;
			r[i].memory = sample_group_bytes(&g[i],
			    m->conf.measure, &exact);
			src[i] = exact ? SOURCE_MEASURE : SOURCE_RSS;
		}
	free(pgids);
	free(g);
	return n;
}

/* The check: what recycle.c picks, recycled. */
static void
master_recycle_check(struct master *m)
{
	struct recycle_params	 p;
	struct recycle_worker	*r;
	struct recycle_pick	*pick;
	double			 now = master_clock();
	size_t			 i, j, n, k;
	enum mem_source		*src;

	if (master_stopping(m) || m->pool.rolling)
		return;
	recycle_params_of(&m->conf, &p);
	r = calloc(m->pool.size + 1, sizeof(*r));
	pick = calloc(m->pool.size + 1, sizeof(*pick));
	src = calloc(m->pool.size + 1, sizeof(*src));
	if (r == NULL || pick == NULL || src == NULL) {
		log_warn("recycle check");
		free(r);
		free(pick);
		free(src);
		return;
	}
	n = candidates(m, r, now, src);
	k = recycle_decide(&p, r, n, pool_recycling_count(&m->pool), pick);
	for (i = 0; i < k; i++) {
		for (j = 0; j < n && r[j].slot != pick[i].slot; j++)
			continue;
		say_recycle(m, m->pool.slots[pick[i].slot].w, &pick[i],
		    r[j].memory, src[j]);
		if (pool_recycle(&m->pool, pick[i].slot,
		    recycle_why_names[pick[i].why],
		    m->conf.recycle == RECYCLE_SURGE, now) == -1)
			log_warn("worker %u: recycle", pick[i].slot);
	}
	free(r);
	free(pick);
	free(src);
}

static void
recycle_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = w->data;

	master_recycle_check(m);
	master_update(m);
}

void
master_recycle_timer(struct master *m)
{
	double	every = (double)m->conf.check_interval / 1000;

	if (m->conf.max_worker_memory == 0 && m->conf.max_lifetime == 0) {
		ev_timer_stop(m->loop, &m->recycle_timer);
		return;
	}
	if (ev_is_active(&m->recycle_timer) &&
	    m->recycle_timer.repeat == every)
		return;
	ev_timer_stop(m->loop, &m->recycle_timer);
	ev_timer_init(&m->recycle_timer, recycle_timer_cb, every, every);
	m->recycle_timer.data = m;
	ev_timer_start(m->loop, &m->recycle_timer);
}
