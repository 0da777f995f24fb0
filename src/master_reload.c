/* SPDX-License-Identifier: ISC */
/*
 * Part of the master: a reload (SIGHUP, or preforkctl reload). A new
 * configuration is built and checked beside the running one, with its
 * launch set and sockets, and adopted only when all of it is complete;
 * any error keeps the running configuration and every worker.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "master_impl.h"
#include "messages.h"
#include "safefile.h"

/*
 * Takes next as the running configuration, if workers can be started
 * from it: its command found, its sockets bound, its notify socket open.
 * Returns whether the workers must be replaced, or -1 when next cannot
 * be used, with nothing changed (next is then the caller's to free).
 */
static int
master_adopt(struct master *m, struct conf *next, struct strv *errs)
{
	struct launch		launch = LAUNCH_INIT;
	struct pool_params	par;
	char			why[SAFEFILE_WHY_MAX];
	bool			changed, redraw;

	/*
	 * Not the pidfile: a new one takes effect at the next start, which
	 * checks it then; and the master holds the running one.
	 */
	if (check_command(next, errs) + check_system(next, errs) +
	    check_log_file(next, errs) +
	    check_metrics_file(next, errs) +
	    check_worker_cgroup(next, &m->wcg, errs) > 0 ||
	    master_listen_workers(m, next) == -1 ||
	    launch_prepare(&launch, next, NULL, m->ns.env, &m->wcg) == -1 ||
	    (!m->sockets.activated && sockets_update(&m->sockets,
	    &next->listen, next->backlog, errs) == -1)) {
		if (errs->n == 0)
			strv_pushf(errs, "%s", strerror(errno));
		log_errors(errs);
		launch_free(&launch);
		return -1;
	}
	/* The sockets are final now: their fds go with the launch. */
	if (launch_prepare(&launch, next, &m->sockets, m->ns.env,
	    &m->wcg) == -1) {
		log_warn("reload");
		launch_free(&launch);
		return -1;
	}
	launch_free(&m->launch);
	m->launch = launch;
	if (m->sockets.activated && !strv_equal(&next->listen,
	    &m->conf.listen))
		log_warnx("listen: changed, but ignored: socket-activated, "
		    "the sockets come from systemd");
	if (!util_streq(next->pidfile, m->conf.pidfile))
		log_warnx("pidfile: a new pidfile takes effect at the next "
		    "start");
	if (!util_streq(next->log_file, m->conf.log_file) &&
	    log_open(next->log_file, why, sizeof(why)) == -1)
		log_errorx_tee("log_file %s: %s: keeping the current log",
		    next->log_file, why);
	log_set_level(next->log_level);
	if (next->worker_cgroup != m->conf.worker_cgroup &&
	    (next->worker_cgroup == TRI_OFF) == m->wcg.active)
		log_warnx("worker_cgroup: a change takes effect at the next "
		    "start");
	if (m->wcg.active && wcg_set_limits(&m->wcg, next->worker_memory,
	    next->max_worker_memory) == -1)
		log_warn(MSG_WORKER_CGROUPS ": the limits of the leaves in %s",
		    wcg_dir(&m->wcg));
	changed = conf_worker_changed(&m->conf, next);
	redraw = next->max_lifetime != m->conf.max_lifetime ||
	    next->jitter_pct != m->conf.jitter_pct ||
	    next->lifetime_jitter != m->conf.lifetime_jitter;
	conf_free(&m->conf);
	m->conf = *next;
	pool_params_of(&m->conf, &par);
	pool_set_params(&m->pool, &par);
	(void)guard_grace(&m->guard, m->conf.graceful_timeout);
	if (redraw)
		master_recycle_redraw(m);
	master_recycle_timer(m);
	return changed;
}

int
master_reload(struct master *m, struct strv *errs_out)
{
	struct strv	errs = STRV_INIT;
	struct conf	next;
	char		msg[64];
	int		changed = 0;

	if (master_stopping(m))
		return -1;
	/*
	 * Before its first READY=1, systemd is still waiting for that one.
	 * A reload still pending is superseded: READY=1 waits for this one.
	 */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(master_clock() * 1e6));
	if (lc_reload_begin(&m->lc))
		master_tell(m, msg);
	if (conf_build(&next, m->src, &errs) > 0) {
		log_errors(&errs);
		log_errorx("%s has errors: " MSG_KEEPING,
		    m->src->path ? m->src->path : "configuration");
		conf_free(&next);
		changed = -1;
	} else if ((changed = master_adopt(m, &next, &errs)) == -1) {
		log_errorx(MSG_KEEPING);
		conf_free(&next);
	} else
		lc_reload_accepted(&m->lc);
	if (errs_out != NULL)
		*errs_out = errs;
	else
		strv_free(&errs);
	m->reloads[changed == -1 ? METRICS_RELOAD_FAILURE :
	    METRICS_RELOAD_SUCCESS]++;
	if (changed != -1) {
		(void)master_http(m);
		(void)master_control(m);
		master_metrics_timer(m);
	}
	master_decide(m);
	if (changed == 1) {
		log_info(MSG_ROLL_CHANGED);
		pool_set_generation(&m->pool, ++m->gen, true, master_clock());
	}
	master_resize(m, master_advise_clamp(m, m->decision.result.workers),
	    "SIGHUP");
	master_advise_reset(m);
	/*
	 * Nothing of a rejected configuration is waited for (only the
	 * resize is applied): done, as far as systemd is concerned. An
	 * accepted one is done when master_update() finds the pool settled.
	 */
	if (changed == -1)
		master_act(m, lc_reload_rejected(&m->lc));
	return changed == -1 ? -1 : 0;
}
