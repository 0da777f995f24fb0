/* SPDX-License-Identifier: ISC */
/*
 * The master's side of the control socket: each request of preforkctl
 * done with what the signals do (HUP, USR2, TERM, TTIN/TTOU), and
 * answered at once, or once the pool has done it: a reload when the new
 * workers serve, a restart when the roll is over, a stop when the master
 * exits. Part of the master (master_impl.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "master_impl.h"
#include "size.h"

/* "5/5 workers ready (min_workers 1)" and a newline, for --check. */
static void
health_line(const struct master *m, char *buf, size_t len)
{
	snprintf(buf, len, "%u/%u workers ready (min_workers %u)\n",
	    pool_ready_count(&m->pool), m->pool.size, m->conf.min_workers);
}

static void
ctl_status(struct master *m, struct ctl_conn *c, const struct ctl_request *r)
{
	struct status_snapshot	s;
	char			summary[256], note[160], line[96], *text;
	char			adaptive[ADV_STEP_LEN + 96];
	size_t			len;

	if (r->check && !r->json) {
		health_line(m, line, sizeof(line));
		if (pool_ready_count(&m->pool) >= m->conf.min_workers)
			ctl_answer(c, CTL_OK, NULL, line, strlen(line));
		else
			ctl_answer(c, CTL_ERR, "not enough workers ready",
			    line, strlen(line));
		return;
	}
	memset(&s, 0, sizeof(s));
	if (collect_status(&m->collect, &s, &m->pool, master_clock()) == -1) {
		ctl_answer(c, CTL_ERR, "out of memory", NULL, 0);
		return;
	}
	s.version = PACKAGE_VERSION;
	s.pid = (long)getpid();
	s.uptime = master_clock() - m->started;
	s.sized = m->decision.result.workers;
	s.min_workers = m->conf.min_workers;
	s.sizing = explain_summary(&m->decision, summary, sizeof(summary));
	s.note = lc_status_note(&m->lc, note, sizeof(note));
	master_advise_describe(m, adaptive, sizeof(adaptive));
	s.adaptive = m->conf.autoscale ? adaptive : NULL;
	s.reloads = m->reloads[METRICS_RELOAD_SUCCESS];
	s.reload_failures = m->reloads[METRICS_RELOAD_FAILURE];
	s.generation = m->gen;
	s.recycled[0] = m->exits[METRICS_EXIT_RECYCLE_MEMORY];
	s.recycled[1] = m->exits[METRICS_EXIT_RECYCLE_LIFETIME];
	s.recycled[2] = m->exits[METRICS_EXIT_RECYCLE_MANUAL];
	if ((text = (r->json ? status_json : status_text)(&s, &len)) == NULL)
		ctl_answer(c, CTL_ERR, "out of memory", NULL, 0);
	else if (r->check && s.ready < s.min_workers)
		/* --check --json: the verdict, and the whole status. */
		ctl_answer(c, CTL_ERR, "not enough workers ready", text, len);
	else
		ctl_answer(c, CTL_OK, NULL, text, len);
	free(text);
}

static void
ctl_metrics(struct master *m, struct ctl_conn *c)
{
	char	*text;
	size_t	 len;

	if ((text = master_metrics(m, &len)) == NULL) {
		ctl_answer(c, CTL_ERR, "out of memory", NULL, 0);
		return;
	}
	ctl_answer(c, CTL_OK, NULL, text, len);
	free(text);
}

static void
ctl_scale(struct master *m, struct ctl_conn *c, const struct ctl_request *r)
{
	char		why[160];
	unsigned	old = m->pool.size, n;

	if (ctl_scale_size(r, old, SIZE_WORKERS_MAX, &n, why, sizeof(why)) ==
	    -1) {
		ctl_answer(c, CTL_ERR, why, NULL, 0);
		return;
	}
	master_resize(m, n, "preforkctl scale");
	if (m->pool.size != n) {
		ctl_answer(c, CTL_ERR, "out of memory", NULL, 0);
		return;
	}
	snprintf(why, sizeof(why), "scale: %u -> %u worker%s, until the next "
	    "reload\n", old, n, n == 1 ? "" : "s");
	ctl_answer(c, CTL_OK, NULL, why, strlen(why));
}

/*
 * A reload: the configuration's errors are the answer at once; an
 * accepted one is answered when master_control_update() finds the
 * lifecycle running again.
 */
static void
ctl_reload(struct master *m, struct ctl_conn *c)
{
	struct strv	errs = STRV_INIT;
	struct buf	b = BUF_INIT;
	size_t		i;

	log_info("control: reload");
	if (master_reload(m, &errs) == 0) {
		strv_free(&errs);
		ctl_wait(c, CTL_RELOAD);
		return;
	}
	for (i = 0; i < errs.n; i++)
		buf_printf(&b, "%s\n", errs.v[i]);
	ctl_answer(c, CTL_ERR, "the configuration has errors: the running "
	    "one is kept", b.failed ? NULL : b.p, b.failed ? 0 : b.len);
	free(b.p);
	strv_free(&errs);
}

/*
 * recycle SLOT: as the check recycles, for the reason "manual"; answered
 * once the slot's new worker is ready (master_control_update()).
 */
static void
ctl_recycle(struct master *m, struct ctl_conn *c, const struct ctl_request *r)
{
	char	why[128];
	pid_t	old;

	if (r->n >= m->pool.size || m->pool.slots[r->n].w == NULL) {
		snprintf(why, sizeof(why), "recycle: no worker in slot %u (the "
		    "pool has %u)", r->n, m->pool.size);
		ctl_answer(c, CTL_ERR, why, NULL, 0);
		return;
	}
	old = m->pool.slots[r->n].w->pid;
	if (pool_recycle(&m->pool, r->n, recycle_why_names[RECYCLE_MANUAL],
	    m->conf.recycle == RECYCLE_SURGE, master_clock()) == -1) {
		snprintf(why, sizeof(why), "recycle: worker %u (pid %ld): %s",
		    r->n, (long)old, errno == EBUSY ? "not ready, or a "
		    "recycle or a restart is under way" : strerror(errno));
		ctl_answer(c, CTL_ERR, why, NULL, 0);
		return;
	}
	log_info("worker %u (pid %ld) recycled: preforkctl recycle", r->n,
	    (long)old);
	ctl_set_args(c, (long)r->n, (long)old);
	ctl_wait(c, CTL_RECYCLE);
}

/* The recycles asked for that are over: answered. */
static void
recycles_done(struct master *m)
{
	struct ctl_conn		*c[CTL_CLIENTS_MAX];
	const struct slot	*s;
	char			 line[128];
	size_t			 i, n;
	long			 slot, old;

	n = ctlserver_waiting(&m->ctl, CTL_RECYCLE, c, nitems(c));
	for (i = 0; i < n; i++) {
		slot = ctl_arg(c[i], 0);
		old = ctl_arg(c[i], 1);
		s = slot < (long)m->pool.size ? &m->pool.slots[slot] : NULL;
		if (s != NULL && s->recycling != NULL)
			continue;
		if (s == NULL || s->w == NULL || s->w->pid == old) {
			snprintf(line, sizeof(line), "recycle not complete: "
			    "worker %ld: its replacement failed; pid %ld "
			    "serves on", slot, old);
			ctl_answer(c[i], CTL_ERR, line, NULL, 0);
			continue;
		}
		snprintf(line, sizeof(line), "worker %ld recycled: pid %ld -> "
		    "%ld\n", slot, old, (long)s->w->pid);
		ctl_answer(c[i], CTL_OK, NULL, line, strlen(line));
	}
}

static void
master_request(void *ctx, struct ctl_conn *c, const struct ctl_request *r)
{
	struct master	*m = ctx;

	if (master_stopping(m) && r->cmd != CTL_STATUS &&
	    r->cmd != CTL_METRICS) {
		ctl_answer(c, CTL_ERR, "shutting down", NULL, 0);
		return;
	}
	switch (r->cmd) {
	case CTL_STATUS:
		ctl_status(m, c, r);
		return;
	case CTL_METRICS:
		ctl_metrics(m, c);
		return;
	case CTL_SCALE:
		ctl_scale(m, c, r);
		break;
	case CTL_RELOAD:
		ctl_reload(m, c);
		break;
	case CTL_RESTART:
		log_info("control: restart");
		master_restart(m);
		ctl_wait(c, CTL_RESTART);
		break;
	case CTL_STOP:
		log_info("control: stop");
		ctl_wait(c, CTL_STOP);
		master_term(m);
		break;
	case CTL_RECYCLE:
		ctl_recycle(m, c, r);
		break;
	case CTL_ADVISE:
		master_advise_request(m, c, r);
		break;
	case CTL_UPGRADE:
		log_info("control: upgrade");
		master_upgrade(m, c);
		break;
	case CTL_COMMAND_COUNT:
		break;
	}
	master_update(m);
}

/* Answers every connection waiting for cmd. */
static void
answer_all(struct master *m, enum ctl_command cmd, enum ctl_reply kind,
    const char *reason, const char *body)
{
	struct ctl_conn	*c[CTL_CLIENTS_MAX];
	size_t		 i, n;

	n = ctlserver_waiting(&m->ctl, cmd, c, nitems(c));
	for (i = 0; i < n; i++)
		ctl_answer(c[i], kind, reason, body, body ? strlen(body) : 0);
}

void
master_control_update(struct master *m)
{
	char	summary[256], line[400], what[96];

	if (m->ctl.fd == -1 && m->ctl.path == NULL)
		return;
	if (master_stopping(m)) {
		answer_all(m, CTL_RELOAD, CTL_ERR, "shutting down", NULL);
		answer_all(m, CTL_RESTART, CTL_ERR, "shutting down", NULL);
		answer_all(m, CTL_RECYCLE, CTL_ERR, "shutting down", NULL);
		answer_all(m, CTL_ADVISE, CTL_ERR, "shutting down", NULL);
		return;
	}
	recycles_done(m);
	if (m->lc.state == LC_RUNNING) {
		snprintf(line, sizeof(line), "sizing: %s -> %u worker%s\n",
		    explain_summary(&m->decision, summary, sizeof(summary)),
		    m->decision.result.workers,
		    m->decision.result.workers == 1 ? "" : "s");
		if (m->lc.unfinished.set) {
			snprintf(what, sizeof(what), "reload not complete: ");
			lc_failure_text(&m->lc.unfinished, what + strlen(what),
			    sizeof(what) - strlen(what));
			answer_all(m, CTL_RELOAD, CTL_ERR, what, line);
		} else
			answer_all(m, CTL_RELOAD, CTL_OK, NULL, line);
	}
	if (!m->pool.rolling) {
		snprintf(line, sizeof(line), "restart done: %u/%u workers "
		    "ready\n", pool_ready_count(&m->pool), m->pool.size);
		answer_all(m, CTL_RESTART, CTL_OK, NULL, line);
	}
}

void
master_control_failed(struct master *m, unsigned slot, const char *why)
{
	char	what[160];

	snprintf(what, sizeof(what), "restart not complete: worker %u: %s; "
	    "the older workers keep serving", slot, why);
	answer_all(m, CTL_RESTART, CTL_ERR, what, NULL);
}

void
master_control_exit(struct master *m)
{
	char	line[64];

	snprintf(line, sizeof(line), "stopped: exit status %d\n", m->status);
	answer_all(m, CTL_STOP, m->status == EX_OK ? CTL_OK : CTL_ERR,
	    m->status == EX_OK ? NULL : "stopped, not cleanly", line);
	ctlserver_flush(&m->ctl);
}

int
master_control(struct master *m)
{
	m->ctl.loop = m->loop;
	m->ctl.request = master_request;
	m->ctl.ctx = m;
	/* Another master there, or a path we may not take: as a pidfile. */
	return ctlserver_open(&m->ctl, m->conf.control,
	    m->conf.control_gid) == CTL_OPEN_OK ? 0 : EX_CANTCREAT;
}
