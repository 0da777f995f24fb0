/* SPDX-License-Identifier: ISC */
/*
 * The pool's state machine. Each slot holds at most one worker of its own
 * and, during a rolling restart, that worker's replacement; a worker
 * stopped on purpose (shrink, replaced, shutdown) is detached from its
 * slot, so that its exit is never taken for a crash and never respawned.
 * Deadlines are derived from the workers' times, never stored twice:
 * pool_next_deadline() is the one place that says when to wake up.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "messages.h"
#include "pool.h"
#include "util.h"

static void	pool_roll_step(struct pool *, double);

static void
note(struct pool *p, enum pool_event event, const struct worker *w,
    unsigned slot)
{
	struct pool_note	n = {
		.event = event,
		.worker = w,
		.slot = slot,
	};

	p->ops->note(p->ctx, &n);
}

void
pool_init(struct pool *p, const struct pool_ops *ops, void *ctx,
    const struct pool_params *par)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ctx = ctx;
	p->par = *par;
}

void
pool_free(struct pool *p)
{
	size_t	i;

	for (i = 0; i < p->nall; i++)
		free(p->all[i]);
	free(p->all);
	free(p->slots);
	memset(p, 0, sizeof(*p));
}

void
pool_set_params(struct pool *p, const struct pool_params *par)
{
	p->par = *par;
}

struct worker *
pool_find(const struct pool *p, pid_t pid)
{
	size_t	i;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->pid == pid)
			return p->all[i];
	return NULL;
}

static void
pool_forget(struct pool *p, struct worker *w)
{
	size_t	i;

	for (i = 0; i < p->nall; i++) {
		if (p->all[i] == w) {
			p->all[i] = p->all[--p->nall];
			break;
		}
	}
	free(w);
}

/* Makes room for n slots; the new ones are empty. */
static int
pool_reserve(struct pool *p, unsigned n)
{
	struct slot	*s;

	if (n <= p->cap)
		return 0;
	if ((s = reallocarray(p->slots, n, sizeof(*s))) == NULL)
		return -1;
	memset(s + p->cap, 0, (n - p->cap) * sizeof(*s));
	p->slots = s;
	p->cap = n;
	return 0;
}

/* Room for one more worker in the list of all. */
static int
all_room(struct pool *p)
{
	struct worker	**all;

	if (p->nall < p->allcap)
		return 0;
	/* An array of pointers: sizeof(*all) is a pointer's size. */
	all = reallocarray(p->all, p->allcap ? p->allcap * 2 : 16,
	    sizeof(*all)); /* NOLINT(bugprone-sizeof-expression) */
	if (all == NULL)
		return -1;
	p->all = all;
	p->allcap = p->allcap ? p->allcap * 2 : 16;
	return 0;
}

/* The backoff before the next start of a slot that failed n times. */
static double
pool_backoff(const struct pool *p, unsigned n)
{
	double	delay = p->par.restart_delay;

	while (n-- > 1 && delay < p->par.restart_delay_max)
		delay *= 2;
	return delay < p->par.restart_delay_max ? delay :
	    p->par.restart_delay_max;
}

static void
slot_backoff(struct pool *p, unsigned i, const char *why, double now)
{
	struct slot	*s = &p->slots[i];
	struct pool_note n = {
		.event = POOL_BACKOFF,
		.slot = i,
		.why = why,
	};

	s->failures++;
	n.delay = pool_backoff(p, s->failures);
	s->restart_at = now + n.delay;
	p->ops->note(p->ctx, &n);
}

/*
 * Starts a worker for slot i and returns it, or NULL when none could be
 * made, in which case the slot backs off. The worker is allocated first:
 * after fork() nothing may fail, or a running process would be lost.
 */
static struct worker *
slot_spawn(struct pool *p, unsigned i, double now)
{
	struct worker	*w;
	struct pool_note n = { .event = POOL_SPAWN_FAILED, .slot = i };

	if (all_room(p) == -1 || (w = calloc(1, sizeof(*w))) == NULL)
		goto fail;
	if ((w->pid = p->ops->spawn(p->ctx, i, p->gen, &w->exec_failed)) ==
	    -1) {
		free(w);
		goto fail;
	}
	if (p->slots[i].first_due) {
		p->slots[i].first_due = false;
		p->first_due--;
		w->first = true;
		p->first_spawned++;
	}
	w->slot = i;
	w->generation = p->gen;
	w->heartbeat = p->par.heartbeat_timeout;
	w->spawned = w->seen = now;
	w->state = WORKER_STARTING;
	p->all[p->nall++] = w;
	note(p, POOL_SPAWNED, w, i);
	if (p->par.ready_on_spawn && !w->exec_failed) {
		w->state = WORKER_READY;
		w->ready_at = now;
		w->was_ready = true;
		note(p, POOL_READY, w, i);
	}
	return w;

fail:
	n.error = errno;
	p->ops->note(p->ctx, &n);
	slot_backoff(p, i, MSG_NO_PROCESS, now);
	return NULL;
}

/* Tells w to stop, detached from its slot: it will not be replaced. */
static void
worker_stop(struct pool *p, struct worker *w, double grace, const char *why,
    double now)
{
	struct pool_note	n = {
		.event = POOL_STOPPING,
		.worker = w,
		.slot = w->slot,
		.why = why,
	};

	if (w->stop_why == NULL)
		w->stop_why = why;
	switch (w->state) {
	case WORKER_STOPPING:
		if (now + grace < w->kill_at)
			w->kill_at = now + grace;
		/* FALLTHROUGH */
	case WORKER_STOP_KILLED:
		return;
	case WORKER_KILLED:
		/* SIGKILL is on its way: nothing more to send. */
		w->state = WORKER_STOP_KILLED;
		break;
	default:
		w->state = WORKER_STOPPING;
		w->kill_at = now + grace;
		break;
	}
	p->ops->note(p->ctx, &n);
	if (w->state == WORKER_STOPPING)
		p->ops->signal(p->ctx, w->pid, SIGTERM);
}

static void
slot_clear(struct pool *p, unsigned i, const char *why, double grace,
    double now)
{
	struct slot	*s = &p->slots[i];

	if (s->w != NULL)
		worker_stop(p, s->w, grace, why, now);
	if (s->next != NULL)
		worker_stop(p, s->next, grace, why, now);
	if (s->first_due)
		p->first_due--;
	memset(s, 0, sizeof(*s));
}

int
pool_adopt_room(struct pool *p, unsigned nslots)
{
	return pool_reserve(p, nslots);
}

int
pool_adopt(struct pool *p, unsigned nslots, const struct worker *w,
    enum pool_role role)
{
	struct worker	*copy;
	struct slot	*s;

	if (w->slot >= nslots || pool_reserve(p, nslots) == -1)
		return -1;
	s = &p->slots[w->slot];
	if ((role == POOL_ROLE_WORKER && s->w != NULL) ||
	    (role == POOL_ROLE_NEXT && s->next != NULL) ||
	    pool_find(p, w->pid) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (all_room(p) == -1 || (copy = malloc(sizeof(*copy))) == NULL)
		return -1;
	*copy = *w;
	p->all[p->nall++] = copy;
	if (role == POOL_ROLE_WORKER)
		s->w = copy;
	else if (role == POOL_ROLE_NEXT)
		s->next = copy;
	return 0;
}

int
pool_start(struct pool *p, unsigned n, double now)
{
	unsigned	i;

	if (pool_reserve(p, n) == -1)
		return -1;
	p->size = n;
	for (i = 0; i < n; i++) {
		p->slots[i].first_due = true;
		p->first_due++;
	}
	for (i = 0; i < n; i++)
		p->slots[i].w = slot_spawn(p, i, now);
	return 0;
}

int
pool_resize(struct pool *p, unsigned n, double now)
{
	unsigned	i, old = p->size;

	if (p->stopping)
		return 0;
	if (pool_reserve(p, n) == -1)
		return -1;
	/* Shrinking stops the highest slots first, keeping slots dense. */
	for (i = old; i > n; i--)
		slot_clear(p, i - 1, "shrink", p->par.graceful_timeout, now);
	p->size = n;
	for (i = old; i < n; i++)
		p->slots[i].w = slot_spawn(p, i, now);
	pool_roll_step(p, now);
	return 0;
}

/*
 * A rolling restart supersedes the first generation: the verdict "every
 * worker of the first generation failed to boot" is about the command
 * prefork was started with, and an operator who reloaded during
 * start-up must not lose the pool because a worker of the old command
 * then died young, killed from outside or stopped by the roll. From
 * here on every failure backs off, as after a worker has booted.
 */
static void
first_generation_superseded(struct pool *p)
{
	size_t		i;
	unsigned	s;

	for (i = 0; i < p->nall; i++)
		p->all[i]->first = false;
	for (s = 0; s < p->size; s++)
		p->slots[s].first_due = false;
	p->first_due = p->first_spawned = p->first_failed = 0;
}

void
pool_set_generation(struct pool *p, unsigned gen, bool roll, double now)
{
	p->gen = gen;
	if (roll && !p->stopping) {
		p->rolling = true;
		first_generation_superseded(p);
	}
	pool_roll_step(p, now);
}

/*
 * A replacement may take over once it is ready; with ready = exec, only
 * once it has also lived min_uptime, so that a new command that crashes
 * at once never costs us the old workers that still serve.
 */
static bool
replacement_ok(const struct pool *p, const struct worker *w, double now)
{
	if (w->state != WORKER_READY)
		return false;
	return !p->par.ready_on_spawn || now - w->spawned >= p->par.min_uptime;
}

/* Slot i's replacement takes over and the old worker stops. */
static void
slot_promote(struct pool *p, unsigned i, double now)
{
	struct slot	*s = &p->slots[i];

	if (s->w != NULL)
		worker_stop(p, s->w, p->par.graceful_timeout, "replaced", now);
	s->w = s->next;
	s->next = NULL;
	s->failures = 0;
}

/*
 * The recycles under way: a surge replacement that is ready takes over,
 * the old worker stopped for the recycle's reason; a slot whose new
 * worker is ready is done.
 */
static void
pool_recycle_step(struct pool *p, double now)
{
	struct slot	*s;
	unsigned	 i;

	for (i = 0; i < p->size && !p->stopping; i++) {
		s = &p->slots[i];
		if (s->recycling == NULL)
			continue;
		if (s->next != NULL) {
			if (!replacement_ok(p, s->next, now))
				continue;
			worker_stop(p, s->w, p->par.graceful_timeout,
			    s->recycling, now);
			s->w = s->next;
			s->next = NULL;
			s->failures = 0;
		}
		if (s->w != NULL && s->w->stop_why == NULL &&
		    replacement_ok(p, s->w, now))
			s->recycling = NULL;
	}
}

int
pool_recycle(struct pool *p, unsigned slot, const char *why, bool surge,
    double now)
{
	struct slot	*s;

	if (slot >= p->size) {
		errno = ERANGE;
		return -1;
	}
	s = &p->slots[slot];
	if (p->stopping || p->rolling || s->recycling != NULL ||
	    s->next != NULL || s->w == NULL || s->w->state != WORKER_READY) {
		errno = EBUSY;
		return -1;
	}
	if (!surge) {
		/* Stopped first: slot_vacated() starts it again. */
		s->recycling = why;
		worker_stop(p, s->w, p->par.graceful_timeout, why, now);
		return 0;
	}
	if ((s->next = slot_spawn(p, slot, now)) == NULL)
		return -1;
	s->recycling = why;
	pool_recycle_step(p, now);
	return 0;
}

unsigned
pool_recycling_count(const struct pool *p)
{
	unsigned	i, n = 0;

	for (i = 0; i < p->size; i++)
		n += p->slots[i].recycling != NULL;
	return n;
}

/*
 * One step of a rolling restart: finish the slot in progress, or start
 * the next one. One slot at a time, so that the pool never has fewer
 * ready workers than slots, and a bad new configuration is found on the
 * first slot, not on all of them. A replacement that a later reload
 * made outdated while it started still takes over (it is ready, the old
 * worker may not be), and is then replaced in turn.
 */
static void
pool_roll_step(struct pool *p, double now)
{
	struct slot	*s;
	unsigned	 i;

	if (!p->rolling || p->stopping)
		return;
	for (i = 0; i < p->size; i++) {
		s = &p->slots[i];
		if (s->next != NULL) {
			if (!replacement_ok(p, s->next, now))
				return;
			slot_promote(p, i, now);
		}
		if (s->w == NULL || s->w->generation == p->gen)
			continue;
		if (s->restart_at > now)
			return;
		s->restart_at = 0;
		s->next = slot_spawn(p, i, now);
		if (s->next == NULL || !replacement_ok(p, s->next, now))
			return;
		slot_promote(p, i, now);
	}
	p->rolling = false;
	note(p, POOL_ROLLED, NULL, 0);
}

/* What becomes of slot i once its worker w has exited. */
static void
slot_vacated(struct pool *p, unsigned i, bool booted, double now)
{
	struct slot	*s = &p->slots[i];

	if (s->next != NULL) {
		/* The replacement was already coming: it takes over. */
		s->w = s->next;
		s->next = NULL;
		return;
	}
	if (booted) {
		/*
		 * At once, but from the next tick rather than from this exit:
		 * libev calls the child watcher again for as long as there is
		 * a child to reap, and if each call spawned, workers dying as
		 * fast as we replace them would keep the loop from ever
		 * reading a signal or firing a timer again.
		 */
		s->failures = 0;
		s->restart_at = now;
	} else
		slot_backoff(p, i, MSG_DIED_YOUNG, now);
}

/* A worker not stopped on purpose exited with one of the halt codes. */
static bool
pool_halts(const struct pool *p, const struct worker *w, int status)
{
	int	code;

	if (p->stopping || pool_worker_stopped(w) || !WIFEXITED(status))
		return false;
	code = WEXITSTATUS(status);
	return (p->par.halt_codes[code / 8] & (1u << (code % 8))) != 0;
}

enum pool_exit
pool_exited(struct pool *p, pid_t pid, int status, double now)
{
	struct worker	*w;
	struct slot	*s = NULL;
	struct pool_note n = { .event = POOL_EXITED, .status = status };
	bool		 booted, last_first = false;

	if ((w = pool_find(p, pid)) == NULL)
		return POOL_EXIT_UNKNOWN;
	n.worker = w;
	n.slot = w->slot;
	n.uptime = now - w->spawned;
	booted = w->was_ready && n.uptime >= p->par.min_uptime;
	p->ops->note(p->ctx, &n);
	/*
	 * A young worker we stopped did not fail to boot, nor did it boot:
	 * it no longer counts in the first generation.
	 */
	if (booted)
		p->booted_any = true;
	else if (w->first && pool_worker_stopped(w))
		p->first_spawned--;
	else if (w->first)
		p->first_failed++;
	last_first = w->first && !booted && !p->stopping &&
	    p->first_due == 0 && p->first_spawned > 0 &&
	    p->first_failed == p->first_spawned;

	if (w->slot < p->size) {
		s = &p->slots[w->slot];
		s->exited = true;
		s->last_status = status;
		s->last_exit = now;
		if (s->w == w && !pool_worker_stopped(w))
			s->restarts++;
	}
	if (pool_halts(p, w, status)) {
		/* Whoever shuts the pool down must find no replacement. */
		if (s != NULL && s->w == w)
			s->w = NULL;
		if (s != NULL && s->next == w)
			s->next = NULL;
		pool_forget(p, w);
		return POOL_EXIT_HALT;
	}
	if (s != NULL && s->w == w) {
		s->w = NULL;
		slot_vacated(p, w->slot, booted, now);
	} else if (s != NULL && s->next == w) {
		/* A failed replacement: the old worker goes on serving. */
		s->next = NULL;
		s->recycling = NULL;
		slot_backoff(p, w->slot, MSG_REPLACEMENT_FAILED, now);
	}
	pool_forget(p, w);
	pool_recycle_step(p, now);
	pool_roll_step(p, now);

	/* Said once, by the exit that completes the failure. */
	if (last_first && !p->booted_any)
		return POOL_EXIT_FIRST_FAILED;
	return POOL_EXIT_WORKER;
}

void
pool_ready(struct pool *p, pid_t pid, double now)
{
	struct worker	*w = pool_find(p, pid);

	if (w == NULL)
		return;
	w->seen = now;
	if (w->state != WORKER_STARTING)
		return;
	w->state = WORKER_READY;
	w->ready_at = now;
	w->was_ready = true;
	note(p, POOL_READY, w, w->slot);
	pool_recycle_step(p, now);
	pool_roll_step(p, now);
}

void
pool_heartbeat(struct pool *p, pid_t pid, double now)
{
	struct worker	*w = pool_find(p, pid);

	if (w != NULL)
		w->seen = now;
}

/* When w next needs attention, or 0. */
static double
worker_deadline(const struct pool *p, const struct worker *w)
{
	switch (w->state) {
	case WORKER_STOPPING:
	case WORKER_ABORTED:
		return w->kill_at;
	case WORKER_STARTING:
		return p->par.ready_timeout > 0 ?
		    w->spawned + p->par.ready_timeout : 0;
	case WORKER_READY:
		/* One started before timeout was set was never told to
		   talk. */
		return w->heartbeat > 0 ? w->seen + w->heartbeat : 0;
	default:
		return 0;	/* SIGKILL was sent */
	}
}

double
pool_next_deadline(const struct pool *p)
{
	const struct slot	*s;
	double			 t = 0;
	size_t			 i;

	for (i = 0; i < p->nall; i++)
		t = util_earliest(t, worker_deadline(p, p->all[i]));
	for (i = 0; i < p->size && !p->stopping; i++) {
		s = &p->slots[i];
		t = util_earliest(t, s->restart_at);
		/* A replacement under ready = exec, waiting out min_uptime. */
		if (s->next != NULL && p->par.ready_on_spawn &&
		    s->next->state == WORKER_READY)
			t = util_earliest(t, s->next->spawned + p->par.min_uptime);
		/* ... and the new worker of a stop-first recycle. */
		else if (s->recycling != NULL && s->next == NULL &&
		    s->w != NULL && s->w->stop_why == NULL &&
		    p->par.ready_on_spawn && s->w->state == WORKER_READY)
			t = util_earliest(t, s->w->spawned + p->par.min_uptime);
	}
	return t;
}

/* w's deadline has passed: escalate. */
static void
worker_expired(struct pool *p, struct worker *w, double now)
{
	switch (w->state) {
	case WORKER_STOPPING:
	case WORKER_ABORTED:
		w->state = w->state == WORKER_STOPPING ? WORKER_STOP_KILLED :
		    WORKER_KILLED;
		note(p, POOL_KILLED, w, w->slot);
		p->ops->signal(p->ctx, w->pid, SIGKILL);
		break;
	case WORKER_STARTING:
		w->state = WORKER_KILLED;
		note(p, POOL_READY_TIMEOUT, w, w->slot);
		p->ops->signal(p->ctx, w->pid, SIGKILL);
		break;
	case WORKER_READY:
		/* SIGABRT first, for a core dump or a traceback. */
		w->state = WORKER_ABORTED;
		w->kill_at = now + p->par.abort_grace;
		note(p, POOL_HEARTBEAT_TIMEOUT, w, w->slot);
		p->ops->signal(p->ctx, w->pid, SIGABRT);
		break;
	default:
		break;
	}
}

void
pool_tick(struct pool *p, double now)
{
	struct slot	*s;
	double		 t;
	size_t		 i;

	for (i = 0; i < p->nall; i++) {
		t = worker_deadline(p, p->all[i]);
		if (t != 0 && t <= now)
			worker_expired(p, p->all[i], now);
	}
	for (i = 0; i < p->size && !p->stopping; i++) {
		s = &p->slots[i];
		if (s->restart_at == 0 || s->restart_at > now)
			continue;
		/*
		 * An empty slot starts again; one with a worker was waiting
		 * to retry its replacement, which the roll step does.
		 */
		s->restart_at = 0;
		if (s->w == NULL)
			s->w = slot_spawn(p, (unsigned)i, now);
	}
	pool_recycle_step(p, now);
	pool_roll_step(p, now);
}

void
pool_stop(struct pool *p, double grace, double now)
{
	size_t	i;

	p->stopping = true;
	p->rolling = false;
	for (i = 0; i < p->size; i++)
		memset(&p->slots[i], 0, sizeof(p->slots[i]));
	for (i = 0; i < p->nall; i++)
		worker_stop(p, p->all[i], grace, "shutdown", now);
}

void
pool_signal_all(struct pool *p, int sig)
{
	size_t	i;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->state != WORKER_KILLED &&
		    p->all[i]->state != WORKER_STOP_KILLED)
			p->ops->signal(p->ctx, p->all[i]->pid, sig);
}

unsigned
pool_ready_count(const struct pool *p)
{
	unsigned	i, n = 0;

	/*
	 * A silent worker is still counted until it dies: it was ready,
	 * and its replacement comes at once.
	 */
	for (i = 0; i < p->size; i++)
		if (p->slots[i].w != NULL &&
		    (p->slots[i].w->state == WORKER_READY ||
		    p->slots[i].w->state == WORKER_ABORTED))
			n++;
	return n;
}

bool
pool_worker_stopped(const struct worker *w)
{
	return w->state == WORKER_STOPPING || w->state == WORKER_STOP_KILLED;
}

bool
pool_empty(const struct pool *p)
{
	return p->nall == 0;
}
