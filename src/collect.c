/*
 * A metrics snapshot of the running master. See collect.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"

static int
grow(void **v, size_t *cap, size_t want, size_t size)
{
	void	*p;

	if (want <= *cap)
		return 0;
	if ((p = reallocarray(*v, want, size)) == NULL)
		return -1;
	*v = p;
	*cap = want;
	return 0;
}

static enum metrics_state
state_of(const struct worker *w)
{
	switch (w->state) {
	case WORKER_STARTING:
		return METRICS_STARTING;
	case WORKER_READY:
		return METRICS_READY;
	default:
		return METRICS_STOPPING;
	}
}

int
collect_snapshot(struct collect *c, struct metrics_snapshot *s,
    const struct pool *p, const struct decision *d,
    const struct sockets *so)
{
	struct sample_proc	sp;
	struct sample_queue	q;
	const struct slot	*sl;
	size_t			i, n;

	if (grow((void **)&c->workers, &c->wcap, p->size ? p->size : 1,
	    sizeof(*c->workers)) == -1 ||
	    grow((void **)&c->listeners, &c->lcap, so->n ? so->n : 1,
	    sizeof(*c->listeners)) == -1)
		return -1;
	if (c->sys_state == 0)
		c->sys_state = sample_init(&c->sys, "/proc") == 0 ? 1 : -1;

	s->version = PACKAGE_VERSION;
	s->desired = p->size;
	memset(s->states, 0, sizeof(s->states));
	for (i = 0; i < p->nall; i++)
		s->states[state_of(p->all[i])]++;
	n = 0;
	for (i = 0; i < p->size; i++) {
		sl = &p->slots[i];
		if (sl->w == NULL) {
			if (sl->restart_at != 0)
				s->states[METRICS_BACKOFF]++;
			continue;
		}
		if (c->sys_state != 1 || sample_proc(&c->sys, "/proc",
		    sl->w->pid, &sp) == -1)
			continue;
		c->workers[n++] = (struct metrics_worker){
			.slot = (unsigned)i,
			.cpu_seconds = sp.cpu_seconds,
			.rss = sp.rss,
			.pss = sp.pss,
		};
	}
	s->workers = c->workers;
	s->nworkers = n;

	n = 0;
	for (i = 0; i < so->n; i++) {
		if (sample_listen_queue(so->v[i].fd, &q) == -1)
			continue;
		c->listeners[n++] = (struct metrics_listener){
			.listen = so->v[i].addr,
			.length = q.length,
			.limit = q.limit,
		};
	}
	s->listeners = c->listeners;
	s->nlisteners = n;

	s->sizing_cpus = d->cpus;
	s->sizing_memory = d->memory;

	s->has_process = c->sys_state == 1 && sample_proc(&c->sys, "/proc",
	    getpid(), &sp) == 0;
	if (s->has_process) {
		s->process.cpu_seconds = sp.cpu_seconds;
		s->process.resident_bytes = sp.rss;
		s->process.start_time = sp.start_time;
		s->process.open_fds = sample_open_fds();
	}
	return 0;
}

void
collect_free(struct collect *c)
{
	free(c->workers);
	free(c->listeners);
	*c = (struct collect)COLLECT_INIT;
}
