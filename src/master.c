/*
 * The master. Callbacks feed events to the pool, which decides; the
 * pool's operations act through spawn. From the moment the loop runs we
 * must not die: a failed fork is retried on a backoff timer, a bad
 * configuration on reload is reported and the running one kept; only a
 * shutdown, a halt code or a first generation that cannot boot end it.
 */
#include "config.h"

#include <sys/prctl.h>
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

#include <ev.h>

#include "check.h"
#include "env.h"
#include "explain.h"
#include "log.h"
#include "master.h"
#include "pidfile.h"
#include "pool.h"
#include "spawn.h"

/* INT and QUIT: how long workers get before SIGKILL. */
#define QUICK_GRACE	1.0
/* timeout: how long after SIGABRT before SIGKILL. */
#define ABORT_GRACE	1.0

extern char	**environ;

struct master;

struct master {
	struct ev_loop			*loop;
	const struct conf_source	*src;
	struct conf			 conf;
	char				 path[PATH_MAX];	/* command */
	struct strv			 env;		/* workers' base */
	char				**envp;		/* one worker's */
	struct decision			 decision;
	struct pool			 pool;
	unsigned			 gen;		/* of conf */
	struct pidfile			 pidfile;
	bool				 started;	/* first pool ready */
	bool				 stopping;
	int				 status;	/* to exit with */
	char				 last_exit[160];
	ev_signal			 signals[8];
	ev_child			 child;
	ev_timer			 timer;
	ev_periodic			 clock_jumps;
};

static void	master_reload(struct master *);
static void	master_term(struct master *);
static void	master_quick(struct master *);
static void	master_ttin(struct master *);
static void	master_ttou(struct master *);
static void	master_usr1(struct master *);
static void	master_usr2(struct master *);

static const struct {
	int		 signum;
	const char	*name;
	void		(*fn)(struct master *);
} signal_table[] = {
	{ SIGHUP, "SIGHUP", master_reload },
	{ SIGTERM, "SIGTERM", master_term },
	{ SIGINT, "SIGINT", master_quick },
	{ SIGQUIT, "SIGQUIT", master_quick },
	{ SIGTTIN, "SIGTTIN", master_ttin },
	{ SIGTTOU, "SIGTTOU", master_ttou },
	{ SIGUSR1, "SIGUSR1", master_usr1 },
	{ SIGUSR2, "SIGUSR2", master_usr2 },
};

/*
 * The pool's clock: monotonic, so that setting the wall clock never
 * fires or postpones a deadline.
 */
static double
mono_now(void)
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

/* "exited with code 1", "exited on signal 11 (core dumped)". */
static char *
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "exited on signal %d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "changed state (status 0x%x)", status);
	return buf;
}

/*
 * Resolves what workers are started with under c: the program's path
 * and the environment. Returns 0, or -1 with errno set and nothing
 * changed.
 */
static int
master_prepare(struct master *m, const struct conf *c)
{
	char		  path[PATH_MAX];
	struct strv	  env = STRV_INIT;
	char		**envp;

	if (check_find_command(c->argv.v[0], path, sizeof(path)) == -1)
		return -1;
	if (env_base(&env, environ, &c->env) == -1)
		return -1;
	if ((envp = calloc(env.n + ENV_EXTRA_MAX + 1, sizeof(*envp))) ==
	    NULL) {
		strv_free(&env);
		return -1;
	}
	memcpy(m->path, path, sizeof(path));
	strv_free(&m->env);
	free(m->envp);
	m->env = env;
	m->envp = envp;
	return 0;
}

static pid_t
master_spawn(void *ctx, unsigned slot, unsigned gen)
{
	struct master		*m = ctx;
	const struct conf	*c = &m->conf;
	struct spawn_result	 r;
	char			 id[40], size[40], class[128];
	char			*extra[] = { id, size, class, NULL };
	struct spawn_cmd	 cmd = {
		.path = m->path,
		.argv = c->argv.v,
		.envp = m->envp,
		.chdir = c->chdir,
		.umask = c->umask_set ? c->umask : (mode_t)-1,
		.uid = c->uid,
		.gid = c->gid,
		.groups = c->groups,
		.ngroups = c->ngroups,
	};

	snprintf(id, sizeof(id), "PREFORK_WORKER_ID=%u", slot);
	snprintf(size, sizeof(size), "PREFORK_WORKERS=%u", m->pool.size);
	snprintf(class, sizeof(class), "PREFORK_WORKER_CLASS=%s",
	    conf_worker_class(c));
	env_worker(m->envp, &m->env, extra);

	if (spawn_worker(&cmd, &r) == -1) {
		errno = r.error;
		return -1;
	}
	if (r.stage != SPAWN_OK) {
		errno = r.error;
		log_error("worker %u (pid %ld): %s %s", slot, (long)r.pid,
		    spawn_stage_name(r.stage), r.stage == SPAWN_EXEC ?
		    m->path : r.stage == SPAWN_CHDIR ? c->chdir : "");
	}
	return r.pid;
}

static void
master_signal(void *ctx, pid_t pid, int sig)
{
	if (spawn_signal(pid, sig) == -1 && errno != ESRCH)
		log_warn("signal %d to pid %ld", sig, (long)pid);
}

static void
note_exit(struct master *m, const struct pool_note *n)
{
	const struct worker	*w = n->worker;
	char			 how[64];

	describe_status(n->status, how, sizeof(how));
	if (w->state == WORKER_STOPPING) {
		log_info("worker %u (pid %ld) %s after %.1fs", n->slot,
		    (long)w->pid, how, n->uptime);
		return;
	}
	snprintf(m->last_exit, sizeof(m->last_exit),
	    "worker %u (pid %ld) %s after %.1fs", n->slot, (long)w->pid, how,
	    n->uptime);
	log_warnx("%s", m->last_exit);
}

/* The pool's events, as log lines. */
static void
master_note(void *ctx, const struct pool_note *n)
{
	struct master		*m = ctx;
	const struct worker	*w = n->worker;

	switch (n->event) {
	case POOL_SPAWNED:
		log_info("worker %u (pid %ld) spawned", n->slot, (long)w->pid);
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
		log_warnx("worker %u: %s; starting again in %.1fs (failure "
		    "%u in a row)", n->slot, n->why, n->delay,
		    m->pool.slots[n->slot].failures);
		break;
	case POOL_STOPPING:
		log_info("stopping worker %u (pid %ld): %s", n->slot,
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
		    "SIGABRT", n->slot, (long)w->pid, ms(m->conf.timeout));
		break;
	case POOL_ROLLED:
		log_info("rolling restart done");
		break;
	}
}

static const struct pool_ops master_pool_ops = {
	master_spawn,
	master_signal,
	master_note,
};

static void
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
static void
master_decide(struct master *m)
{
	char	summary[256];
	size_t	i;

	explain_decide(&m->decision, &m->conf, probe_root());
	for (i = 0; i < m->decision.probe.nwarnings; i++)
		log_warnx("%s", m->decision.probe.warnings[i]);
	log_info("sizing: %s -> %u workers", explain_summary(&m->decision,
	    summary, sizeof(summary)), m->decision.result.workers);
}

static void
master_started(struct master *m)
{
	m->started = true;
	log_info("pool ready: %u workers", m->pool.size);
	if (m->pidfile.fd != -1 && pidfile_write(&m->pidfile, getpid()) == -1)
		log_warn("pidfile %s", m->pidfile.path);
}

/*
 * After every event: are we done, is the first pool up, and when must
 * the loop wake up next. With nothing pending no timer is armed at all.
 */
static void
master_update(struct master *m)
{
	double	now, t;

	if (m->stopping && pool_empty(&m->pool)) {
		ev_break(m->loop, EVBREAK_ALL);
		return;
	}
	if (!m->started && !m->stopping &&
	    pool_ready_count(&m->pool) == m->pool.size)
		master_started(m);
	ev_timer_stop(m->loop, &m->timer);
	if ((t = pool_next_deadline(&m->pool)) == 0)
		return;
	ev_now_update(m->loop);
	now = mono_now();
	ev_timer_set(&m->timer, t > now ? t - now : 0, 0);
	ev_timer_start(m->loop, &m->timer);
}

static void
master_shutdown(struct master *m, double grace, int status,
    const char *why)
{
	if (!m->stopping) {
		m->status = status;
		log_info("shutting down (%s): stopping %zu workers, SIGKILL "
		    "after %.1fs", why, m->pool.nall, grace);
	}
	m->stopping = true;
	pool_stop(&m->pool, grace, mono_now());
}

static void
master_term(struct master *m)
{
	master_shutdown(m, ms(m->conf.graceful_timeout), EX_OK, "SIGTERM");
}

static void
master_quick(struct master *m)
{
	master_shutdown(m, QUICK_GRACE, EX_OK, "quick");
}

static void
master_resize(struct master *m, unsigned n, const char *why)
{
	unsigned	old = m->pool.size;

	if (n == old)
		return;
	if (pool_resize(&m->pool, n, mono_now()) == -1) {
		log_warn("resize to %u workers", n);
		return;
	}
	log_info("%s: %u -> %u workers", why, old, n);
}

static void
master_ttin(struct master *m)
{
	if (m->pool.size < SIZE_WORKERS_MAX)
		master_resize(m, m->pool.size + 1, "SIGTTIN");
}

static void
master_ttou(struct master *m)
{
	if (m->pool.size > 1)
		master_resize(m, m->pool.size - 1, "SIGTTOU");
}

static void
master_usr1(struct master *m)
{
	if (log_reopen() == -1)
		log_warn("reopen %s", m->conf.log_file);
	pool_signal_all(&m->pool, SIGUSR1);
}

static void
master_usr2(struct master *m)
{
	log_info("rolling restart of %u workers", m->pool.size);
	pool_set_generation(&m->pool, ++m->gen, true, mono_now());
}

/*
 * Takes next as the running configuration, if the system can start
 * workers from it. Returns whether the workers must be replaced, or -1
 * (next is left to the caller to free) when it cannot be used.
 */
static int
master_adopt(struct master *m, struct conf *next)
{
	struct strv	errs = STRV_INIT;
	struct pool_params par;
	bool		changed;

	if (check_command(next, &errs) + check_system(next, &errs) > 0 ||
	    master_prepare(m, next) == -1) {
		if (errs.n == 0)
			strv_pushf(&errs, "%s", strerror(errno));
		for (size_t i = 0; i < errs.n; i++)
			log_errorx("%s", errs.v[i]);
		strv_free(&errs);
		return -1;
	}
	if (!util_streq(next->pidfile, m->conf.pidfile))
		log_warnx("pidfile: a new pidfile takes effect at the next "
		    "start");
	if (!util_streq(next->log_file, m->conf.log_file) &&
	    log_open(next->log_file) == -1)
		log_warn("log_file %s: keeping the current log",
		    next->log_file);
	log_set_level(next->log_level);
	changed = conf_worker_changed(&m->conf, next);
	conf_free(&m->conf);
	m->conf = *next;
	pool_params_of(&m->conf, &par);
	pool_set_params(&m->pool, &par);
	return changed;
}

static void
master_reload(struct master *m)
{
	struct strv	errs = STRV_INIT;
	struct conf	next;
	size_t		i;
	int		changed = 0;

	if (m->stopping)
		return;
	if (conf_build(&next, m->src, &errs) > 0) {
		for (i = 0; i < errs.n; i++)
			log_errorx("%s", errs.v[i]);
		log_errorx("%s has errors: keeping the running configuration",
		    m->src->path ? m->src->path : "configuration");
		conf_free(&next);
	} else if ((changed = master_adopt(m, &next)) == -1) {
		log_errorx("keeping the running configuration");
		conf_free(&next);
		changed = 0;
	}
	strv_free(&errs);
	master_decide(m);
	if (changed) {
		log_info("the workers' command or environment changed: "
		    "rolling restart");
		pool_set_generation(&m->pool, ++m->gen, true, mono_now());
	}
	master_resize(m, m->decision.result.workers, "SIGHUP");
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct master	*m = w->data;
	size_t		 i;

	for (i = 0; i < nitems(signal_table); i++) {
		if (signal_table[i].signum != w->signum)
			continue;
		log_info("received %s", signal_table[i].name);
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

	switch (pool_exited(&m->pool, w->rpid, w->rstatus, mono_now())) {
	case POOL_EXIT_UNKNOWN:
		log_debug("reaped pid %ld, not a worker: %s", (long)w->rpid,
		    describe_status(w->rstatus, how, sizeof(how)));
		break;
	case POOL_EXIT_HALT:
		log_errorx("a worker exited with halt code %d",
		    WEXITSTATUS(w->rstatus));
		master_shutdown(m, ms(m->conf.graceful_timeout),
		    WEXITSTATUS(w->rstatus), "halt code");
		break;
	case POOL_EXIT_FIRST_FAILED:
		log_errorx("every worker of the first generation failed to "
		    "boot; the last: %s", m->last_exit);
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

	pool_tick(&m->pool, mono_now());
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
	size_t	i;

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
	return 0;
}

/* Opens the log file and the pidfile. Returns 0, or an exit status. */
static int
master_files(struct master *m)
{
	pid_t	holder;

	if (m->conf.log_file != NULL && log_open(m->conf.log_file) == -1) {
		log_error("log_file %s", m->conf.log_file);
		return EX_CANTCREAT;
	}
	if (m->conf.pidfile == NULL)
		return 0;
	if (pidfile_open(&m->pidfile, m->conf.pidfile, &holder) == 0)
		return 0;
	if (errno == EWOULDBLOCK && holder != 0)
		log_errorx("pidfile %s is held by a running prefork (pid %ld)",
		    m->conf.pidfile, (long)holder);
	else if (errno == EWOULDBLOCK)
		log_errorx("pidfile %s is locked by another process",
		    m->conf.pidfile);
	else
		log_error("pidfile %s", m->conf.pidfile);
	return EX_CANTCREAT;
}

static int
master_start(struct master *m)
{
	struct pool_params	par;
	int			status;

	if (master_prepare(m, &m->conf) == -1) {
		log_error("command %s", m->conf.argv.v[0]);
		return EX_UNAVAILABLE;
	}
	if ((status = master_files(m)) != 0)
		return status;
	if ((m->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_errorx("cannot initialise the event loop");
		return EX_OSERR;
	}
	if (master_watch(m) == -1) {
		log_error("signals");
		return EX_OSERR;
	}
	/* Orphaned descendants become ours to reap: no zombies remain. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("cannot become a child subreaper");
	pool_params_of(&m->conf, &par);
	pool_init(&m->pool, &master_pool_ops, m, &par);
	master_decide(m);
	log_info("starting %u workers: %s", m->decision.result.workers,
	    m->conf.command);
	if (pool_start(&m->pool, m->decision.result.workers, mono_now()) ==
	    -1) {
		log_error("start");
		return EX_OSERR;
	}
	return 0;
}

static void
master_free(struct master *m)
{
	pidfile_remove(&m->pidfile);
	pool_free(&m->pool);
	conf_free(&m->conf);
	strv_free(&m->env);
	free(m->envp);
	if (m->loop != NULL)
		ev_loop_destroy(m->loop);
	log_close();
}

int
master_run(struct conf *c, const struct conf_source *src)
{
	struct master	m = {
		.src = src,
		.conf = *c,
		.pidfile = PIDFILE_INIT,
	};
	int		status;

	conf_init(c);	/* c was moved into m */
	if ((status = master_start(&m)) == 0) {
		master_update(&m);
		ev_run(m.loop, 0);
		status = m.status;
		log_info("exiting with status %d", status);
	}
	master_free(&m);
	return status;
}
