/* SPDX-License-Identifier: ISC */
/*
 * Part of the master: the pool advisor's sampler, the answers to
 * `preforkctl advise`, and autoscale. A timer samples the pool (its CPU
 * time, the TCP listeners' accept queues and connections in service,
 * pressure stall information) into a ring, only while autoscale is on
 * or an advise waits: an idle master without them makes no wake-up.
 * advise.c judges the samples; this file reads them, answers, and
 * resizes the pool through master_resize().
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master_impl.h"
#include "sample.h"
#include "sample_load.h"

/* The sampling period: a twentieth of the window, within these. */
#define PERIOD_MIN	0.1
#define PERIOD_MAX	1.0

static void	advisor_tick(struct master *);

/*
 * What a waiting advise keeps (ctl_set_args()): when its window ends, in
 * ms of master_clock(); its window in ms, doubled, plus 1 for --json.
 */
static double
waiting_end(const struct ctl_conn *c)
{
	return (double)ctl_arg(c, 0) / 1000;
}

static double
waiting_window(const struct ctl_conn *c)
{
	return (double)((unsigned long)ctl_arg(c, 1) >> 1) / 1000;
}

static bool
waiting_json(const struct ctl_conn *c)
{
	return ((unsigned long)ctl_arg(c, 1) & 1) != 0;
}

/* The bounds autoscale keeps: min_workers, and autoscale_max or the
   sizing result. */
static void
as_params(const struct master *m, struct adv_params *p)
{
	memset(p, 0, sizeof(*p));
	p->cpus = m->decision.cpus > 0 ? m->decision.cpus : 1;
	p->mem_limit = m->decision.memory;
	p->min_workers = m->conf.min_workers > 0 ? m->conf.min_workers : 1;
	p->max_workers = m->conf.autoscale_max > 0 ? m->conf.autoscale_max :
	    m->decision.result.workers;
	if (p->max_workers < p->min_workers)
		p->max_workers = p->min_workers;
}

/* The live workers: each slot's worker that is not told to stop. */
static size_t
live_workers(const struct master *m, pid_t *pids, unsigned *slots)
{
	size_t		 n = 0;
	unsigned	 i;

	for (i = 0; i < m->pool.size; i++) {
		const struct worker	*w = m->pool.slots[i].w;

		if (w == NULL || pool_worker_stopped(w))
			continue;
		pids[n] = w->pid;
		slots[n++] = i;
	}
	return n;
}

/* Room for the per-slot arrays. */
static int
advisor_room(struct advisor *a, size_t n)
{
	void	*p;

	if (n <= a->cap)
		return 0;
	if ((p = reallocarray(a->slot_pid, n, sizeof(*a->slot_pid))) == NULL)
		return -1;
	a->slot_pid = p;
	if ((p = reallocarray(a->slot_cpu, n, sizeof(*a->slot_cpu))) == NULL)
		return -1;
	a->slot_cpu = p;
	if ((p = reallocarray(a->pids, n, sizeof(*a->pids))) == NULL)
		return -1;
	a->pids = p;
	if ((p = reallocarray(a->slots, n, sizeof(*a->slots))) == NULL)
		return -1;
	a->slots = p;
	if ((p = reallocarray(a->cpus, n, sizeof(*a->cpus))) == NULL)
		return -1;
	a->cpus = p;
	memset(a->slot_pid + a->cap, 0, (n - a->cap) * sizeof(*a->slot_pid));
	memset(a->slot_cpu + a->cap, 0, (n - a->cap) * sizeof(*a->slot_cpu));
	a->cap = n;
	return 0;
}

/*
 * The pool's CPU time and its waits for a CPU so far: each worker's
 * group's figures since the last sample added to the totals, a new
 * worker's all of them. What a worker used between its last sample and
 * its exit is not counted: a period's worth at most.
 */
static int
sample_cpu(struct master *m, struct adv_sample *s)
{
	struct advisor		*a = &m->adv;
	struct sample_cpu	*prev, none = { 0 };
	size_t			 i, n;

	if (advisor_room(a, m->pool.size + 1) == -1)
		return -1;
	n = live_workers(m, a->pids, a->slots);
	if (n > 0 && sample_groups_cpu("/proc", a->pids, n, a->cpus) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		prev = a->slot_pid[a->slots[i]] == a->pids[i] ?
		    &a->slot_cpu[a->slots[i]] : &none;
		if (a->cpus[i].ticks > prev->ticks)
			a->cpu += (double)(a->cpus[i].ticks - prev->ticks) /
			    a->hz;
		if (a->cpus[i].wait_ns > prev->wait_ns)
			a->wait += (double)(a->cpus[i].wait_ns -
			    prev->wait_ns) / 1e9;
		a->slot_pid[a->slots[i]] = a->pids[i];
		a->slot_cpu[a->slots[i]] = a->cpus[i];
	}
	s->workers = (unsigned)n;
	s->cpu = a->cpu;
	s->has_wait = a->has_wait;
	s->wait = a->has_wait ? a->wait : 0;
	return 0;
}

/* The TCP listeners' queues and the connections they have in service. */
static void
sample_queues(const struct master *m, struct adv_sample *s)
{
	struct sample_queue	q;
	uint32_t		conns;
	size_t			i;
	bool			serving = true;

	for (i = 0; i < m->sockets.n; i++) {
		if (sample_listen_queue(m->sockets.v[i].fd, &q) == -1)
			continue;
		s->has_queue = true;
		s->queue += q.length;
		s->queue_limit += q.limit;
		if (sample_listen_conns(m->sockets.v[i].fd, &conns) == -1)
			serving = false;
		else
			s->serving += conns > q.length ? conns - q.length : 0;
	}
	s->has_serving = s->has_queue && serving;
	if (!s->has_serving)
		s->serving = 0;
}

static void
sample_psi(const struct advisor *a, struct adv_sample *s)
{
	struct sample_psi	p;

	if (a->psi_cpu[0] != '\0' && sample_psi_read(a->psi_cpu, &p) == 0) {
		s->has_psi_cpu = true;
		s->psi_cpu = (double)p.some_us / 1e6;
	}
	if (a->psi_mem[0] != '\0' && sample_psi_read(a->psi_mem, &p) == 0) {
		s->has_psi_mem = true;
		s->psi_mem = (double)p.some_us / 1e6;
	}
}

/* One sample, into the ring. */
static void
advisor_sample(struct master *m)
{
	struct advisor		*a = &m->adv;
	struct adv_sample	*s;
	double			 now = master_clock();

	if (a->n > 0 && !(now > a->ring[(a->head + a->n - 1) %
	    ADV_RING].t))
		return;
	s = &a->ring[(a->head + a->n) % ADV_RING];
	if (a->n == ADV_RING)
		a->head = (a->head + 1) % ADV_RING;
	else
		a->n++;
	memset(s, 0, sizeof(*s));
	s->t = now;
	if (sample_cpu(m, s) == -1) {
		unsigned	held;

		if (ratelimit_pass(&a->warned, now, 60, 1, &held))
			log_warn("advisor: sampling the workers' CPU time");
		a->n--;
		return;
	}
	sample_queues(m, s);
	sample_psi(a, s);
	log_debug("advisor: sample t %.3f workers %u cpu %.3f queue %s%u "
	    "limit %u serving %s%u psi_cpu %s%.3f psi_mem %s%.3f wait %s%.3f",
	    s->t, s->workers, s->cpu, s->has_queue ? "" : "-", s->queue,
	    s->queue_limit, s->has_serving ? "" : "-", s->serving,
	    s->has_psi_cpu ? "" : "-", s->psi_cpu,
	    s->has_psi_mem ? "" : "-", s->psi_mem,
	    s->has_wait ? "" : "-", s->wait);
}

/*
 * The samples since from, copied to out (at most ADV_RING), the last
 * with the workers' memory per worker. Returns how many.
 */
static size_t
advisor_window(struct master *m, double from, struct adv_sample *out)
{
	struct advisor		*a = &m->adv;
	struct sample_group	*g;
	size_t			 i, n = 0, k;
	uint64_t		 sum = 0;

	for (i = 0; i < a->n; i++) {
		const struct adv_sample	*s = &a->ring[(a->head + i) %
					    ADV_RING];

		if (s->t >= from - 1e-6)
			out[n++] = *s;
	}
	if (n == 0 || advisor_room(a, m->pool.size + 1) == -1)
		return n;
	k = live_workers(m, a->pids, a->slots);
	if (k == 0 || (g = calloc(k, sizeof(*g))) == NULL)
		return n;
	if (sample_groups("/proc", a->pids, k, g) == 0) {
		for (i = 0; i < k; i++)
			sum += sample_group_bytes(&g[i], m->conf.measure,
			    NULL);
		out[n - 1].mem = sum / k;
	}
	free(g);
	return n;
}

/* Every advise whose window has passed, answered. */
static void
advisor_answer(struct master *m, double now)
{
	struct ctl_conn		*c[CTL_CLIENTS_MAX];
	struct adv_sample	*s;
	struct adv_params	 p;
	struct adv_result	 r;
	struct buf		 b = BUF_INIT;
	size_t			 i, k, n;

	k = ctlserver_waiting(&m->ctl, CTL_ADVISE, c, nitems(c));
	for (i = 0; i < k; i++) {
		double	end = waiting_end(c[i]);
		double	window = waiting_window(c[i]);

		if (now < end - m->adv.period / 2)
			continue;
		if ((s = calloc(ADV_RING, sizeof(*s))) == NULL) {
			ctl_answer(c[i], CTL_ERR, "out of memory", NULL, 0);
			continue;
		}
		n = advisor_window(m, end - window, s);
		as_params(m, &p);
		p.max_workers = 0;	/* advise suggests beyond it */
		if (advise(&p, s, n, &r) == -1)
			ctl_answer(c[i], CTL_ERR, r.steps[0], NULL, 0);
		else {
			b.len = 0;
			if (waiting_json(c[i]))
				advise_json(&r, &b);
			else
				advise_text(&r, &b);
			if (b.failed)
				ctl_answer(c[i], CTL_ERR, "out of memory",
				    NULL, 0);
			else
				ctl_answer(c[i], CTL_OK, NULL, b.p, b.len);
		}
		free(s);
	}
	free(b.p);
}

/* At its size, every worker ready, nothing rolling or recycling. */
static bool
settled(const struct master *m)
{
	return !m->pool.rolling && m->pool.nall == m->pool.size &&
	    pool_ready_count(&m->pool) == m->pool.size &&
	    pool_recycling_count(&m->pool) == 0;
}

/*
 * Autoscale, at the end of a window: a window counts only while the
 * pool is settled, so that a change is judged once it took effect (the
 * cool-down), never on the samples of the change itself.
 */
static void
autoscale_window(struct master *m, double now)
{
	struct advisor		*a = &m->adv;
	struct adv_sample	*s;
	struct adv_params	 p;
	struct adv_result	 r;
	char			 why[ADV_STEP_LEN], line[320];
	unsigned		 next;
	size_t			 n;

	if (!m->conf.autoscale || master_stopping(m))
		return;
	if (!settled(m)) {
		a->from = now;
		return;
	}
	if (now < a->from + (double)m->conf.autoscale_interval / 1000 -
	    a->period / 2)
		return;
	if ((s = calloc(ADV_RING, sizeof(*s))) == NULL) {
		log_warn("autoscale");
		return;
	}
	n = advisor_window(m, a->from, s);
	as_params(m, &p);
	a->from = now;
	if (advise(&p, s, n, &r) == -1) {
		log_debug("autoscale: no verdict: %s", r.steps[0]);
		free(s);
		return;
	}
	free(s);
	next = autoscale_step(&a->as, &p, &r, why, sizeof(why));
	if (next == m->pool.size)
		return;
	snprintf(line, sizeof(line), "autoscale (%s; cpu %.0f %%, queue in "
	    "%.0f %% of the window)", why, r.cpu * 100, r.queue_share * 100);
	master_resize(m, next, line);
	if (m->pool.size == next) {
		a->changes[next > r.workers ? 0 : 1]++;
		snprintf(a->last, sizeof(a->last), "%s", why);
		a->last_at = now;
	}
}

/* The period the consumers need: autoscale's, and each advise's. */
static double
advisor_period(struct master *m)
{
	struct ctl_conn	*c[CTL_CLIENTS_MAX];
	double		 period = 0, longest = 0, p, w;
	size_t		 i, k;

	if (m->conf.autoscale && !master_stopping(m)) {
		longest = (double)m->conf.autoscale_interval / 1000;
		period = longest / 10;
	}
	k = ctlserver_waiting(&m->ctl, CTL_ADVISE, c, nitems(c));
	for (i = 0; i < k; i++) {
		w = waiting_window(c[i]);
		p = w / 20;
		period = period == 0 || p < period ? p : period;
		longest = w > longest ? w : longest;
	}
	if (period == 0)
		return 0;
	/* The ring holds the longest window. */
	if (period < longest / (ADV_RING - 8))
		period = longest / (ADV_RING - 8);
	return period < PERIOD_MIN ? PERIOD_MIN : period > PERIOD_MAX ?
	    PERIOD_MAX : period;
}

static void
advisor_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = w->data;

	advisor_tick(m);
	master_update(m);
}

void
master_advise_timer(struct master *m)
{
	struct advisor	*a = &m->adv;
	double		 period = advisor_period(m);

	if (period == 0) {
		ev_timer_stop(m->loop, &a->timer);
		a->n = 0;
		return;
	}
	if (ev_is_active(&a->timer) && a->period == period)
		return;
	a->period = period;
	ev_timer_stop(m->loop, &a->timer);
	ev_timer_init(&a->timer, advisor_cb, period, period);
	a->timer.data = m;
	ev_timer_start(m->loop, &a->timer);
}

static void
advisor_tick(struct master *m)
{
	double	now = master_clock();

	advisor_sample(m);
	advisor_answer(m, now);
	autoscale_window(m, now);
	master_advise_timer(m);
}

void
master_advise_request(struct master *m, struct ctl_conn *c,
    const struct ctl_request *r)
{
	double	now = master_clock();

	ctl_wait(c, CTL_ADVISE);
	ctl_set_args(c, (long)(now * 1000) + (long)r->window_ms,
	    (long)r->window_ms * 2 + r->json);
	log_info("control: advise over %.0f s", (double)r->window_ms / 1000);
	master_advise_timer(m);
	advisor_sample(m);
}

unsigned
master_advise_clamp(const struct master *m, unsigned n)
{
	struct adv_params	p;

	if (!m->conf.autoscale)
		return n;
	as_params(m, &p);
	return n > p.max_workers ? p.max_workers : n < p.min_workers ?
	    p.min_workers : n;
}

void
master_advise_reset(struct master *m)
{
	struct advisor	*a = &m->adv;

	if (!(a->has_wait = sample_has_schedstat("/proc")))
		log_debug("advisor: no wait for a CPU: /proc/self/schedstat "
		    "cannot be read");
	autoscale_reset(&a->as);
	a->from = master_clock();
	a->last[0] = '\0';
	if (!master_stopping(m))
		master_resize(m, master_advise_clamp(m, m->pool.size),
		    "autoscale bounds");
	master_advise_timer(m);
}

int
master_advise_init(struct master *m)
{
	struct advisor	*a = &m->adv;
	char		 why[256];
	long		 hz = sysconf(_SC_CLK_TCK);

	a->hz = hz > 0 ? (double)hz : 100;
	if ((a->ring = calloc(ADV_RING, sizeof(*a->ring))) == NULL)
		return -1;
	if (sample_psi_find("/", SAMPLE_PSI_CPU, a->psi_cpu,
	    sizeof(a->psi_cpu), why, sizeof(why)) == -1) {
		a->psi_cpu[0] = '\0';
		log_debug("advisor: no CPU pressure: %s", why);
	}
	if (sample_psi_find("/", SAMPLE_PSI_MEMORY, a->psi_mem,
	    sizeof(a->psi_mem), why, sizeof(why)) == -1) {
		a->psi_mem[0] = '\0';
		log_debug("advisor: no memory pressure: %s", why);
	}
	if (!(a->has_wait = sample_has_schedstat("/proc")))
		log_debug("advisor: no wait for a CPU: /proc/self/schedstat "
		    "cannot be read");
	autoscale_reset(&a->as);
	a->from = master_clock();
	master_advise_timer(m);
	return 0;
}

void
master_advise_free(struct master *m)
{
	struct advisor	*a = &m->adv;

	if (m->loop != NULL)
		ev_timer_stop(m->loop, &a->timer);
	free(a->ring);
	free(a->slot_pid);
	free(a->slot_cpu);
	free(a->pids);
	free(a->slots);
	free(a->cpus);
	memset(a, 0, sizeof(*a));
}

/* For status and STATUS=: whether the size is adaptive, and its last
   change. */
void
master_advise_describe(const struct master *m, char *buf, size_t len)
{
	const struct advisor	*a = &m->adv;
	struct adv_params	 p;

	if (!m->conf.autoscale) {
		snprintf(buf, len, "fixed");
		return;
	}
	as_params(m, &p);
	if (a->last[0] == '\0')
		snprintf(buf, len, "adaptive, %u to %u workers, every %.0f s; "
		    "no change yet", p.min_workers, p.max_workers,
		    (double)m->conf.autoscale_interval / 1000);
	else
		snprintf(buf, len, "adaptive, %u to %u workers, every %.0f s; "
		    "last %s, %.0f s ago", p.min_workers, p.max_workers,
		    (double)m->conf.autoscale_interval / 1000, a->last,
		    master_clock() - a->last_at);
}
