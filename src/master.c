/* SPDX-License-Identifier: ISC */
/*
 * The master. Callbacks feed events to the pool, which decides; the
 * pool's operations act through spawn. From the moment the loop runs we
 * must not die: a failed fork is retried on a backoff timer, a bad
 * configuration on reload is reported and the running one kept; only a
 * shutdown, a halt code or a first generation that cannot boot end it.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "master.h"
#include "master_impl.h"
#include "messages.h"
#include "safefile.h"
#include "startup.h"
#include "state.h"

/* INT and QUIT: how long workers get before SIGKILL. */
#define QUICK_GRACE	1.0
/* timeout: how long after SIGABRT before SIGKILL. */
#define ABORT_GRACE	1.0


static void	master_hup(struct master *);
static void	master_quick(struct master *);
static void	master_ttin(struct master *);
static void	master_ttou(struct master *);
static void	master_usr1(struct master *);

static const struct {
	int		 signum;
	const char	*name;
	void		(*fn)(struct master *);
} signal_table[] = {
	{ SIGHUP, "SIGHUP", master_hup },
	{ SIGTERM, "SIGTERM", master_term },
	{ SIGINT, "SIGINT", master_quick },
	{ SIGQUIT, "SIGQUIT", master_quick },
	{ SIGTTIN, "SIGTTIN", master_ttin },
	{ SIGTTOU, "SIGTTOU", master_ttou },
	{ SIGUSR1, "SIGUSR1", master_usr1 },
	{ SIGUSR2, "SIGUSR2", master_restart },
};

/* Shutting down: the lifecycle's state, not a flag of its own. */
bool
master_stopping(const struct master *m)
{
	return m->lc.state == LC_STOPPING;
}

/*
 * The pool's clock: monotonic, so that setting the wall clock never
 * fires or postpones a deadline.
 */
double
master_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
ms(uint64_t v)
{
	return (double)v / 1000.0;
}

/* A delay for people: "50ms", "1.5s". */
static char *
describe_delay(double seconds, char *buf, size_t len)
{
	if (seconds < 1)
		snprintf(buf, len, "%.0fms", seconds * 1000);
	else
		snprintf(buf, len, "%.1fs", seconds);
	return buf;
}

static pid_t
master_spawn(void *ctx, unsigned slot, unsigned gen, bool *failed)
{
	struct master		*m = ctx;
	struct spawn_result	 r;
	const char		*what;

	if (launch_spawn(&m->launch, &m->conf, slot, m->pool.size, &r) ==
	    -1) {
		errno = r.error;
		return -1;
	}
	/* Until it is reaped, its group is one the guard stops. */
	if (guard_add(&m->guard, r.pid) == -1 && m->guard.pid != -1)
		log_warn("guard: worker %u (pid %ld)", slot, (long)r.pid);
	if ((*failed = r.stage != SPAWN_OK)) {
		/* "exec /path: No such file or directory" (errno's text). */
		what = r.stage == SPAWN_EXEC ? m->launch.path :
		    r.stage == SPAWN_CHDIR ? m->conf.chdir : NULL;
		errno = r.error;
		log_error("worker %u (pid %ld): %s%s%s", slot, (long)r.pid,
		    spawn_stage_name(r.stage), what != NULL ? " " : "",
		    what != NULL ? what : "");
	}
	return r.pid;
}

static void
master_signal(void *ctx, pid_t pid, int sig)
{
	if (spawn_signal(pid, sig) == -1 && errno != ESRCH)
		log_warn("signal %d to pid %ld", sig, (long)pid);
}

/*
 * Why a worker exited, for prefork_worker_exits_total: the OOM killer,
 * stopped on purpose (the pool said why), killed for a timeout, or on
 * its own.
 */
static enum metrics_exit
exit_reason(const struct worker *w, int status, bool oom)
{
	if (oom)
		return METRICS_EXIT_OOM;
	if (pool_worker_stopped(w) && w->stop_why != NULL) {
		if (strcmp(w->stop_why, "shrink") == 0)
			return METRICS_EXIT_SHRINK;
		if (strcmp(w->stop_why, "recycle_memory") == 0)
			return METRICS_EXIT_RECYCLE_MEMORY;
		if (strcmp(w->stop_why, "recycle_lifetime") == 0)
			return METRICS_EXIT_RECYCLE_LIFETIME;
		if (strcmp(w->stop_why, "recycle_manual") == 0)
			return METRICS_EXIT_RECYCLE_MANUAL;
		if (strcmp(w->stop_why, "replaced") == 0)
			return METRICS_EXIT_RESTART;
		return METRICS_EXIT_SHUTDOWN;
	}
	if (w->state == WORKER_KILLED || w->state == WORKER_ABORTED)
		return METRICS_EXIT_TIMEOUT;
	return WIFSIGNALED(status) ? METRICS_EXIT_SIGNAL : METRICS_EXIT_EXIT;
}

/*
 * Every exit reads the OOM killer's count, to keep the reading current;
 * a SIGKILL while it rose is the OOM killer's, unless the master sent
 * one itself (KILLED, STOP_KILLED). A worker stopped on purpose is an
 * info line; a failure or an OOM kill a warning, and a failure is the
 * last_exit that MSG_FIRST_FAILED quotes.
 */
static void
note_exit(struct master *m, const struct pool_note *n)
{
	const struct worker	*w = n->worker;
	char			 how[64], desc[PATH_MAX + 96];
	char			 where[PATH_MAX + 100] = "";
	bool			 oom;
	int			 r, leaf = -1;

	/* The file's name, for the one time it cannot be read. */
	oom_file(&m->oom, desc, sizeof(desc));
	if ((r = oom_exit(&m->oom, n->status, master_clock())) == -1)
		log_warn("%s: OOM kills are no longer told apart", desc);
	/* With a cgroup per worker, its own counts them. */
	if (m->wcg.active && (leaf = wcg_oom_rose(&m->wcg, n->slot)) != -1)
		r = leaf == 1 && WIFSIGNALED(n->status) &&
		    WTERMSIG(n->status) == SIGKILL;
	oom = r == 1 && w->state != WORKER_KILLED &&
	    w->state != WORKER_STOP_KILLED;
	if (n->slot < m->pool.size)
		m->pool.slots[n->slot].last_oom = oom;
	if (oom) {
		snprintf(how, sizeof(how), "%s", MSG_OOM_KILLED);
		if (leaf == 1)
			snprintf(where, sizeof(where), " (memory cgroup "
			    "%s/worker-%u)", wcg_dir(&m->wcg), n->slot);
		else
			snprintf(where, sizeof(where), " (%s)",
			    oom_describe(&m->oom, desc, sizeof(desc)));
	} else
		spawn_describe_status(n->status, how, sizeof(how));
	m->exits[exit_reason(w, n->status, oom)]++;
	if (pool_worker_stopped(w) && !oom) {
		log_info("worker %u (pid %ld) %s after %.1fs", n->slot,
		    (long)w->pid, how, n->uptime);
		return;
	}
	log_warnx("worker %u (pid %ld) %s%s after %.1fs", n->slot,
	    (long)w->pid, how, where, n->uptime);
	if (!pool_worker_stopped(w))
		snprintf(m->last_exit, sizeof(m->last_exit),
		    "worker %u (pid %ld) %s after %.1fs", n->slot,
		    (long)w->pid, how, n->uptime);
}

/* The pool's events, as log lines. */
static void
master_note(void *ctx, const struct pool_note *n)
{
	struct master		*m = ctx;
	const struct worker	*w = n->worker;
	char			 delay[32];

	switch (n->event) {
	case POOL_SPAWNED:
		log_info("worker %u (pid %ld" MSG_SPAWNED, n->slot,
		    (long)w->pid);
		master_recycle_draw(m, w->pid);
		break;
	case POOL_SPAWN_FAILED:
		errno = n->error;
		log_warn("fork worker %u", n->slot);
		break;
	case POOL_READY:
		if (m->conf.ready == READY_NOTIFY)
			log_info("worker %u (pid %ld) ready", n->slot,
			    (long)w->pid);
		break;
	case POOL_EXITED:
		note_exit(m, n);
		break;
	case POOL_BACKOFF:
		log_warnx("worker %u: %s; " MSG_STARTING_AGAIN " %s (failure "
		    "%u in a row)", n->slot, n->why, describe_delay(n->delay,
		    delay, sizeof(delay)), m->pool.slots[n->slot].failures);
		/* The first failure decides: master_update() acts on it. */
		lc_worker_failed(&m->lc, n->slot, n->why);
		if (m->pool.rolling)
			master_control_failed(m, n->slot, n->why);
		break;
	case POOL_STOPPING:
		log_info(MSG_STOPPING_WORKER " %u (pid %ld): %s", n->slot,
		    (long)w->pid, n->why);
		break;
	case POOL_KILLED:
		log_warnx("worker %u (pid %ld) still running at its "
		    "deadline: SIGKILL", n->slot, (long)w->pid);
		break;
	case POOL_READY_TIMEOUT:
		log_warnx("worker %u (pid %ld) not ready after %.1fs: SIGKILL",
		    n->slot, (long)w->pid, ms(m->conf.ready_timeout));
		break;
	case POOL_HEARTBEAT_TIMEOUT:
		log_warnx("worker %u (pid %ld) silent for more than %.1fs: "
		    "SIGABRT", n->slot, (long)w->pid, w->heartbeat);
		break;
	case POOL_ROLLED:
		log_info(MSG_ROLL_DONE);
		break;
	}
}

static const struct pool_ops master_pool_ops = {
	master_spawn,
	master_signal,
	master_note,
};

void
pool_params_of(const struct conf *c, struct pool_params *par)
{
	*par = (struct pool_params){
		.min_uptime = ms(c->min_uptime),
		.restart_delay = ms(c->restart_delay),
		.restart_delay_max = ms(c->restart_delay_max),
		.graceful_timeout = ms(c->graceful_timeout),
		.ready_timeout = c->ready == READY_NOTIFY ?
		    ms(c->ready_timeout) : 0,
		.heartbeat_timeout = ms(c->timeout),
		.abort_grace = ABORT_GRACE,
		.ready_on_spawn = c->ready == READY_EXEC,
	};
	memcpy(par->halt_codes, c->halt_exit_codes, sizeof(par->halt_codes));
}

/* Probes, sizes, and logs the decision and any probe warnings. */
void
master_decide(struct master *m)
{
	char	summary[256];
	size_t	i;

	explain_decide(&m->decision, &m->conf, probe_root());
	for (i = 0; i < m->decision.probe.nwarnings; i++)
		log_warnx("%s", m->decision.probe.warnings[i]);
	log_info("sizing: %s -> %u worker%s", explain_summary(&m->decision,
	    summary, sizeof(summary)), m->decision.result.workers,
	    m->decision.result.workers == 1 ? "" : "s");
}

static void
sd_cb(struct ev_loop *loop, ev_io *w, int revents);

/*
 * When systemd does not read its socket, our messages wait in order, and
 * go when it has room again: the master never blocks on it.
 */
static void
master_sd_wait(struct master *m)
{
	if (!notify_pending(&m->sd) ||
	    (ev_is_active(&m->sd_io) && m->sd_io.fd == m->sd.fd))
		return;
	ev_io_stop(m->loop, &m->sd_io);
	ev_io_init(&m->sd_io, sd_cb, m->sd.fd, EV_WRITE);
	m->sd_io.data = m;
	ev_io_start(m->loop, &m->sd_io);
}

static void
sd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master	*m = w->data;

	if (notify_flush(&m->sd) == -1)
		log_warn("notify systemd: a message was lost");
	if (!notify_pending(&m->sd))
		ev_io_stop(loop, w);
	else
		master_sd_wait(m);
}

/*
 * The line systemd shows: "9/9 workers ready; 4 CPUs (...), ...", after
 * a reload that could not finish "reload not complete (worker 0:
 * replacement failed), older workers serve; 9/9 workers ready; ...".
 */
static void
master_status(struct master *m)
{
	char	summary[256], note[160], status[320];

	if (m->sd.fd == -1)
		return;
	lc_status_note(&m->lc, note, sizeof(note));
	snprintf(status, sizeof(status), "%s%u/%u workers ready%s; %s", note,
	    pool_ready_count(&m->pool), m->pool.size, m->conf.autoscale ?
	    " (adaptive)" : "", explain_summary(&m->decision, summary,
	    sizeof(summary)));
	if (notify_status(&m->sd, status) == -1)
		log_warn("notify systemd");
	master_sd_wait(m);
}

void
master_tell(struct master *m, const char *msg)
{
	if (notify_send(&m->sd, msg) == -1)
		log_warn("notify systemd: %s", msg);
	master_sd_wait(m);
}

/* The first pool is up (master_act() tells systemd). */
static void
master_started(struct master *m)
{
	log_info(MSG_POOL_READY ": %u worker%s", m->pool.size,
	    m->pool.size == 1 ? "" : "s");
}

/*
 * Acts on what the lifecycle says is owed. Under Type=notify-reload,
 * READY=1 is when `systemctl reload` returns: only once the new workers
 * serve, or at once when one of them failed to start (the pool retries
 * it for as long as it fails), with the older workers serving and
 * STATUS= saying so until the pool settles.
 */
void
master_act(struct master *m, int actions)
{
	char	what[96];

	if (actions & LC_POOL_READY)
		master_started(m);
	if (actions & LC_RELOAD_UNFINISHED)
		log_warnx("reload not complete: %s; the older workers keep "
		    "serving", lc_failure_text(&m->lc.unfinished, what,
		    sizeof(what)));
	if (actions & LC_TELL_READY) {
		master_status(m);
		master_tell(m, "READY=1");
	}
}

/* For spawn_stop_orphans(): a worker or the guard is no orphan. */
static bool
master_not_orphan(void *ctx, pid_t pid)
{
	struct master	*m = ctx;

	return pid == m->guard.pid || pool_find(&m->pool, pid) != NULL;
}

/*
 * At shutdown, what a worker started and left behind, which the master
 * adopted as a subreaper, is stopped with the workers: SIGTERM, then
 * SIGKILL at their deadline. Returns how many such children are left,
 * zombies not yet reaped included: the master exits once there are
 * none, so that it never leaves a descendant behind.
 */
static size_t
master_stop_orphans(struct master *m, double now)
{
	struct orphans_pass	r;

	if (spawn_stop_orphans(&m->orphans, now, master_not_orphan, m, &r) ==
	    -1) {
		if (!m->orphans_unseen)
			log_warn("cannot list the master's children: "
			    "orphans are not stopped");
		m->orphans_unseen = true;
		return 0;
	}
	if (r.termed > 0)
		log_info("stopping %zu orphaned process%s (a worker's, "
		    "adopted): SIGTERM", r.termed, r.termed == 1 ? "" : "es");
	else if (r.killed && !m->orphans_killed) {
		log_warnx("%zu orphaned process%s still running at the "
		    "deadline: SIGKILL", r.left, r.left == 1 ? "" : "es");
		m->orphans_killed = true;
	}
	return r.left;
}

/*
 * After every event: are we done, is the first pool up, what systemd
 * should be shown, and when the loop must wake up next. With nothing
 * pending no timer is armed at all.
 */
void
master_update(struct master *m)
{
	struct lc_pool	p = {
		.all_ready = pool_ready_count(&m->pool) == m->pool.size,
		.rolling = m->pool.rolling,
	};
	double		now, t, orphans_at = 0;
	size_t		orphans = 0;
	int		actions;

	if (master_stopping(m)) {
		now = master_clock();
		orphans = master_stop_orphans(m, now);
		if (orphans > 0 && now < m->orphans.kill_at)
			orphans_at = m->orphans.kill_at;
	}
	/* Done once no worker and no adopted orphan is left. */
	p.empty = pool_empty(&m->pool) && orphans == 0;
	actions = lc_update(&m->lc, &p);
	if (actions & LC_EXIT) {
		master_control_exit(m);
		ev_break(m->loop, EVBREAK_ALL);
		return;
	}
	master_act(m, actions);
	master_control_update(m);
	if (!master_stopping(m))
		master_status(m);
	ev_timer_stop(m->loop, &m->timer);
	t = util_earliest(util_earliest(pool_next_deadline(&m->pool),
	    m->watchdog_at), orphans_at);
	if (t == 0)
		return;
	ev_now_update(m->loop);
	now = master_clock();
	ev_timer_set(&m->timer, t > now ? t - now : 0, 0);
	ev_timer_start(m->loop, &m->timer);
}

static void
master_shutdown(struct master *m, double grace, int status,
    const char *why)
{
	double	now = master_clock();

	if (!master_stopping(m) || now + grace < m->orphans.kill_at)
		m->orphans.kill_at = now + grace;
	/* Once systemd is told STOPPING=1, no READY=1 may follow. */
	if (lc_stop(&m->lc)) {
		m->status = status;
		log_info("shutting down (%s): stopping %zu workers, SIGKILL "
		    "after %.1fs", why, m->pool.nall, grace);
		master_tell(m, "STOPPING=1");
	}
	pool_stop(&m->pool, grace, now);
}

void
master_term(struct master *m)
{
	master_shutdown(m, ms(m->conf.graceful_timeout), EX_OK, "SIGTERM");
}

static void
master_quick(struct master *m)
{
	master_shutdown(m, QUICK_GRACE, EX_OK, "quick");
}

void
master_resize(struct master *m, unsigned n, const char *why)
{
	unsigned	old = m->pool.size;

	if (n == old)
		return;
	if (pool_resize(&m->pool, n, master_clock()) == -1) {
		log_warn("resize to %u workers", n);
		return;
	}
	log_info("%s: %u -> %u worker%s", why, old, n, n == 1 ? "" : "s");
}

static void
master_ttin(struct master *m)
{
	if (master_stopping(m))
		return;
	if (m->pool.size < SIZE_WORKERS_MAX)
		master_resize(m, m->pool.size + 1, "SIGTTIN");
}

static void
master_ttou(struct master *m)
{
	if (master_stopping(m))
		return;
	if (m->pool.size > 1)
		master_resize(m, m->pool.size - 1, "SIGTTOU");
}

/*
 * Log rotation. Most programs die of USR1, so the workers get it only
 * when the configuration says they handle it. A log file that cannot be
 * reopened keeps the old one, and the failure goes to standard error
 * too: the old file may be rotated away already.
 */
static void
master_usr1(struct master *m)
{
	char	why[SAFEFILE_WHY_MAX];

	if (log_reopen(why, sizeof(why)) == -1)
		log_errorx_tee("log_file %s: %s: keeping the old log file",
		    m->conf.log_file, why);
	if (m->conf.forward_usr1) {
		pool_signal_all(&m->pool, SIGUSR1);
		log_info("SIGUSR1: log reopened, passed on to %zu workers",
		    m->pool.nall);
	} else
		log_info("SIGUSR1: log reopened, not passed on to the "
		    "workers (forward_usr1 = no)");
}

void
master_restart(struct master *m)
{
	if (master_stopping(m))
		return;
	log_info("rolling restart of %u workers", m->pool.size);
	pool_set_generation(&m->pool, ++m->gen, true, master_clock());
}

static void
master_hup(struct master *m)
{
	(void)master_reload(m, NULL);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct master	*m = w->data;
	size_t		 i;

	for (i = 0; i < nitems(signal_table); i++) {
		if (signal_table[i].signum != w->signum)
			continue;
		log_info(MSG_RECEIVED " %s", signal_table[i].name);
		signal_table[i].fn(m);
	}
	master_update(m);
}

/*
 * libev reaps every child, workers and orphans alike (we are a child
 * subreaper, and maybe PID 1), and hands each to this one watcher.
 */
static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct master	*m = w->data;
	char		 how[64];

	if (w->rpid == m->guard.pid) {
		guard_gone(&m->guard);
		log_warnx("the guard (pid %ld) %s: a SIGKILL of the master "
		    "would now leave the workers' process groups running",
		    (long)w->rpid, spawn_describe_status(w->rstatus, how,
		    sizeof(how)));
		master_update(m);
		return;
	}
	/* The group is no longer the guard's to stop (see guard.h). */
	if (m->guard.pid != -1)
		(void)guard_del(&m->guard, w->rpid);
	switch (pool_exited(&m->pool, w->rpid, w->rstatus, master_clock())) {
	case POOL_EXIT_UNKNOWN:
		spawn_orphan_reaped(&m->orphans, w->rpid);
		log_debug("reaped pid %ld, not a worker: %s", (long)w->rpid,
		    spawn_describe_status(w->rstatus, how, sizeof(how)));
		break;
	case POOL_EXIT_HALT:
		log_errorx("a worker exited with halt code %d",
		    WEXITSTATUS(w->rstatus));
		master_shutdown(m, ms(m->conf.graceful_timeout),
		    WEXITSTATUS(w->rstatus), "halt code");
		break;
	case POOL_EXIT_FIRST_FAILED:
		log_errorx(MSG_FIRST_FAILED "; the last: %s", m->last_exit);
		master_shutdown(m, QUICK_GRACE, EX_UNAVAILABLE,
		    "workers cannot start");
		break;
	case POOL_EXIT_WORKER:
		break;
	}
	master_update(m);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master	*m = w->data;
	double		 now = master_clock();

	if (m->watchdog_at != 0 && now >= m->watchdog_at) {
		master_tell(m, "WATCHDOG=1");
		m->watchdog_at = now + (double)m->sd.watchdog_usec / 2e6;
	}
	/*
	 * libev runs a due timer before the watchers of the same loop
	 * iteration: a master that ran late reads what its workers said
	 * before it calls one silent or not ready.
	 */
	master_hear_workers(m);
	pool_tick(&m->pool, now);
	master_update(m);
}

/*
 * Without a periodic watcher, libev wakes up every minute to look for
 * jumps of the wall clock. One that never fires makes it watch through a
 * timerfd instead, so an idle master sleeps until something happens.
 */
static void
clock_jumps_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
}

static int
master_watch(struct master *m)
{
	sigset_t	none;
	size_t		i;

	for (i = 0; i < nitems(signal_table); i++) {
		ev_signal_init(&m->signals[i], signal_cb,
		    signal_table[i].signum);
		m->signals[i].data = m;
		ev_signal_start(m->loop, &m->signals[i]);
	}
	ev_child_init(&m->child, child_cb, 0, 0);
	m->child.data = m;
	ev_child_start(m->loop, &m->child);
	ev_init(&m->timer, timer_cb);
	m->timer.data = m;
	ev_periodic_init(&m->clock_jumps, clock_jumps_cb,
	    ev_time() + 1e9, 0, NULL);
	ev_periodic_start(m->loop, &m->clock_jumps);
	ev_unref(m->loop);
	/* A worker or log reader gone must not kill the master. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	/*
	 * The handlers are in place: what master_hold_signals() kept
	 * waiting is delivered now, and handled once the loop runs.
	 */
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* systemd, upward: NOTIFY_SOCKET and the watchdog. */
static void
master_notify(struct master *m)
{
	if (notify_open(&m->sd) == -1) {
		log_warn("NOTIFY_SOCKET");
		return;
	}
	if (m->sd.watchdog_usec > 0)
		m->watchdog_at = master_clock() + (double)m->sd.watchdog_usec /
		    2e6;
}

/*
 * Starts the pool; or, in the image an upgrade exec'd, takes back what
 * the old one left (st, not NULL): its fds, its workers, its counters.
 */
static int
master_begin(struct master *m, struct state *st)
{
	struct pool_params	par;
	char			why[OOM_WHY_MAX], file[PATH_MAX];
	unsigned		n;

	master_notify(m);
	/* After the guard's fork, as every fd: the guard holds none. */
	if (oom_open(&m->oom, probe_root(), why, sizeof(why)) == 0)
		log_info("OOM kills counted in %s", oom_file(&m->oom, file,
		    sizeof(file)));
	else
		log_info("OOM kills not told apart from other SIGKILLs: %s",
		    why);
	/* Orphaned descendants become ours to reap: no zombies remain. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("cannot become a child subreaper");
	pool_params_of(&m->conf, &par);
	pool_init(&m->pool, &master_pool_ops, m, &par);
	master_decide(m);
	master_upgrade_init();
	if (st != NULL) {
		if (master_restore_pool(m, st) == -1)
			return -1;
		master_restore_answer(m, st);
		/* Whoever exited during the exec is a zombie: reaped now. */
		(void)kill(getpid(), SIGCHLD);
	} else {
		n = master_advise_clamp(m, m->decision.result.workers);
		log_info("starting %u worker%s: %s", n, n == 1 ? "" : "s",
		    m->conf.command);
		if (pool_start(&m->pool, n, master_clock()) == -1)
			return -1;
	}
	return master_advise_init(m);
}

/* The fds an upgrade hands over, or the files and sockets opened. */
static int
master_open(struct master *m, struct state *st)
{
	int	status;

	if (st != NULL && master_restore_fds(m, st) == -1) {
		log_error("upgrade: the state's fds");
		return EX_OSERR;
	}
	/* Before any file is open: the guard must share none. */
	if (st == NULL && guard_start(&m->guard) == -1)
		log_warn("cannot start the guard: a SIGKILL of the master "
		    "would leave the workers' process groups running");
	(void)guard_grace(&m->guard, m->conf.graceful_timeout);
	if ((status = startup_files(&m->conf, &m->pidfile)) != 0)
		return status;
	ev_set_syserr_cb(startup_syserr);
	if ((m->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_errorx("cannot initialise the event loop");
		return EX_OSERR;
	}
	if (master_watch(m) == -1 || master_listen_workers(m, &m->conf) ==
	    -1) {
		log_error("start-up");
		return EX_OSERR;
	}
	if (st != NULL && master_restore_servers(m, st) == -1) {
		log_error("upgrade: the servers");
		return EX_OSERR;
	}
	if (st == NULL && (status = startup_sockets(&m->conf,
	    &m->sockets)) != 0)
		return status;
	return 0;
}

static int
master_start(struct master *m, struct state *st)
{
	int	status;

	if ((status = startup_fd_room(&m->conf)) != 0 ||
	    (st == NULL && (status = startup_worker_cgroups(&m->conf,
	    &m->wcg)) != 0) || (status = master_open(m, st)) != 0)
		return status;
	if (launch_prepare(&m->launch, &m->conf, &m->sockets, m->ns.env,
	    &m->wcg) == -1) {
		log_error("command %s", m->conf.argv.v[0]);
		return errno == ENOMEM ? EX_OSERR : EX_UNAVAILABLE;
	}
	if (master_http(m) == -1)
		return EX_OSERR;
	if ((status = master_control(m)) != 0)
		return status;
	if (master_begin(m, st) == -1) {
		log_error("start");
		return EX_OSERR;
	}
	master_metrics_timer(m);
	master_recycle_timer(m);
	return 0;
}

static void
master_free(struct master *m)
{
	if (m->loop != NULL) {
		httpd_close(&m->httpd);
		ctlserver_close(&m->ctl);
	}
	collect_free(&m->collect);
	master_advise_free(m);
	oom_close(&m->oom);
	guard_stop(&m->guard);
	spawn_orphans_free(&m->orphans);
	pidfile_remove(&m->pidfile);
	sockets_close(&m->sockets);
	notify_server_close(&m->ns);
	notify_close(&m->sd);
	launch_free(&m->launch);
	pool_free(&m->pool);
	/* The workers are gone: their leaves are empty. */
	if (wcg_cleanup(&m->wcg) > 0)
		log_warnx(MSG_WORKER_CGROUPS ": %s", m->wcg.why);
	conf_free(&m->conf);
	if (m->loop != NULL)
		ev_loop_destroy(m->loop);
	log_close();
}

int
master_hold_signals(void)
{
	sigset_t	held;
	size_t		i;

	sigemptyset(&held);
	for (i = 0; i < nitems(signal_table); i++)
		sigaddset(&held, signal_table[i].signum);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	return sigprocmask(SIG_BLOCK, &held, NULL);
}

int
master_run(struct conf *c, const struct conf_source *src)
{
	struct master	m = {
		.src = src,
		.conf = *c,
		.launch = LAUNCH_INIT,
		.sockets = SOCKETS_INIT,
		.sd = NOTIFY_INIT,
		.ns = NOTIFY_SERVER_INIT,
		.pidfile = PIDFILE_INIT,
		.lc = LIFECYCLE_INIT,
		.guard = GUARD_INIT,
		.orphans = ORPHANS_INIT,
		.collect = COLLECT_INIT,
		.httpd = HTTPD_INIT,
		.ctl = CTLSERVER_INIT,
	};
	struct state	st, *restored = NULL;
	int		status;

	conf_init(c);	/* c was moved into m */
	m.started = master_clock();
	m.rng = (uint64_t)getpid() << 32 ^ (uint64_t)(m.started * 1e9);
	if (master_upgrading() >= 0 && master_restore_read(&st) == 0)
		restored = &st;
	status = master_upgrading() >= 0 && restored == NULL ? EX_SOFTWARE :
	    master_start(&m, restored);
	if (restored != NULL)
		state_free(restored);
	if (status == 0) {
		master_update(&m);
		ev_run(m.loop, 0);
		status = m.status;
		log_info(MSG_EXITING " %d", status);
	}
	master_free(&m);
	return status;
}
