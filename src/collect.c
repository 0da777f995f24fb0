/* SPDX-License-Identifier: ISC */
/*
 * A metrics snapshot of the running master. See collect.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "messages.h"
#include "spawn.h"

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

/* The CPU time pid had at the previous status, or NULL. */
static const struct collect_cpu *
cpu_before(const struct collect *c, long pid)
{
	size_t	i;

	for (i = 0; i < c->ncpu; i++)
		if (c->cpu[i].pid == pid)
			return &c->cpu[i];
	return NULL;
}

/* One row for w (NULL: the slot waits to start one). */
static void
status_row(struct collect *c, struct status_snapshot *s,
    const struct pool *p, unsigned slot, const struct worker *w, double now)
{
	struct status_worker		*r = &c->rows[s->nworkers];
	const struct slot		*sl = slot < p->size ? &p->slots[slot] :
					    NULL;
	const struct collect_cpu	*before;
	struct sample_proc		 sp;
	double				 span;

	*r = (struct status_worker){ .slot = slot, .state = "backoff",
	    .uptime = -1, .generation = p->gen };
	if (sl != NULL) {
		r->restarts = sl->restarts;
		if (sl->exited) {
			/* Signal 9 says less than the master found out. */
			if (sl->last_oom)
				snprintf(c->exits[s->nworkers],
				    sizeof(c->exits[0]), "%s", MSG_OOM_KILLED);
			else
				spawn_describe_status(sl->last_status,
				    c->exits[s->nworkers], sizeof(c->exits[0]));
			r->last_exit = c->exits[s->nworkers];
			r->last_exit_ago = now - sl->last_exit;
		}
	}
	s->nworkers++;
	if (w == NULL)
		return;
	r->pid = (long)w->pid;
	r->state = metrics_state_names[state_of(w)];
	r->generation = w->generation;
	r->uptime = now - w->spawned;
	if (c->sys_state != 1 || sample_proc(&c->sys, "/proc", w->pid, &sp) ==
	    -1)
		return;
	r->sampled = true;
	r->rss = sp.rss;
	r->pss = sp.pss;
	r->no_pss = !sp.has_pss;
	before = cpu_before(c, r->pid);
	span = before != NULL ? now - before->at : r->uptime;
	r->cpu = span > 0 ? 100 * (sp.cpu_seconds - (before != NULL ?
	    before->seconds : 0)) / span : 0;
	if (r->cpu < 0)
		r->cpu = 0;
	c->cpu_next[c->ncpu_next++] = (struct collect_cpu){ r->pid,
	    sp.cpu_seconds, now };
}

int
collect_status(struct collect *c, struct status_snapshot *s,
    const struct pool *p, double now)
{
	struct collect_cpu	*swap;
	const struct slot	*sl;
	size_t			 i, want = p->size + p->nall + 1;

	if (grow((void **)&c->rows, &c->rcap, want, sizeof(*c->rows)) == -1 ||
	    grow((void **)&c->exits, &c->ecap, want, sizeof(*c->exits)) ==
	    -1 || grow((void **)&c->cpu_next, &c->nextcap, want,
	    sizeof(*c->cpu_next)) == -1 ||
	    grow((void **)&c->cpu, &c->cpucap, want, sizeof(*c->cpu)) == -1)
		return -1;
	if (c->sys_state == 0)
		c->sys_state = sample_init(&c->sys, "/proc") == 0 ? 1 : -1;
	s->nworkers = 0;
	s->size = p->size;
	s->ready = pool_ready_count(p);
	c->ncpu_next = 0;
	for (i = 0; i < p->size; i++) {
		sl = &p->slots[i];
		status_row(c, s, p, (unsigned)i, sl->w, now);
		if (sl->next != NULL)
			status_row(c, s, p, (unsigned)i, sl->next, now);
	}
	/* The stopping workers no slot holds any more. */
	for (i = 0; i < p->nall; i++) {
		const struct worker	*w = p->all[i];

		if (w->slot < p->size && (p->slots[w->slot].w == w ||
		    p->slots[w->slot].next == w))
			continue;
		status_row(c, s, p, w->slot, w, now);
	}
	swap = c->cpu;
	c->cpu = c->cpu_next;
	c->cpu_next = swap;
	c->ncpu = c->ncpu_next;
	i = c->cpucap;
	c->cpucap = c->nextcap;
	c->nextcap = i;
	s->workers = c->rows;
	return 0;
}

void
collect_free(struct collect *c)
{
	free(c->workers);
	free(c->listeners);
	free(c->rows);
	free(c->exits);
	free(c->cpu);
	free(c->cpu_next);
	*c = (struct collect)COLLECT_INIT;
}
