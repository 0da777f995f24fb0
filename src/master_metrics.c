/* SPDX-License-Identifier: ISC */
/*
 * What the master publishes: the metrics snapshot, metrics_file on its
 * interval, and the glue of metrics_listen's server (httpd.c) to the
 * pool. Part of the master (master_impl.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master_impl.h"
#include "safefile.h"

/*
 * The metrics of the pool now, as Prometheus text (the caller frees it;
 * its length in *len), or NULL (ENOMEM). What the sampler cannot read (a
 * worker gone since) is left out. The control socket's metrics command
 * answers with this too.
 */
char *
master_metrics(struct master *m, size_t *len)
{
	struct metrics_snapshot	s;

	memset(&s, 0, sizeof(s));
	if (collect_snapshot(&m->collect, &s, &m->pool, &m->decision,
	    &m->sockets) == -1)
		return NULL;
	memcpy(s.exits, m->exits, sizeof(s.exits));
	memcpy(s.reloads, m->reloads, sizeof(s.reloads));
	s.autoscale = m->conf.autoscale;
	memcpy(s.autoscale_changes, m->adv.changes,
	    sizeof(s.autoscale_changes));
	return metrics_format(&s, len);
}

/* metrics_file: written now, and again every metrics_interval. */
static void
master_metrics_file(struct master *m)
{
	char	why[SAFEFILE_WHY_MAX + 64], *text;
	size_t	len;

	if (m->conf.metrics_file == NULL)
		return;
	if ((text = master_metrics(m, &len)) == NULL) {
		log_warn("metrics_file %s", m->conf.metrics_file);
		return;
	}
	if (safefile_replace(m->conf.metrics_file, text, len, why,
	    sizeof(why)) == -1)
		log_warnx("metrics_file %s: %s", m->conf.metrics_file, why);
	free(text);
}

static void
metrics_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	master_metrics_file(w->data);
}

/*
 * The interval timer exists only while metrics_file is set: without it
 * an idle master makes no wake-up.
 */
void
master_metrics_timer(struct master *m)
{
	double	every = (double)m->conf.metrics_interval / 1000.0;

	if (m->conf.metrics_file == NULL) {
		ev_timer_stop(m->loop, &m->metrics_timer);
		return;
	}
	if (ev_is_active(&m->metrics_timer) &&
	    m->metrics_timer.repeat == every)
		return;
	ev_timer_stop(m->loop, &m->metrics_timer);
	ev_timer_init(&m->metrics_timer, metrics_timer_cb, every, every);
	m->metrics_timer.data = m;
	ev_timer_start(m->loop, &m->metrics_timer);
}

/* For httpd: /healthz's figures. */
static void
master_health(void *ctx, unsigned *ready, unsigned *size, unsigned *min)
{
	struct master	*m = ctx;

	*ready = pool_ready_count(&m->pool);
	*size = m->pool.size;
	*min = m->conf.min_workers;
}

/* For httpd: /metrics. */
static char *
master_metrics_text(void *ctx, size_t *len)
{
	return master_metrics(ctx, len);
}

/* Opens, moves or closes metrics_listen as the configuration says. */
int
master_http(struct master *m)
{
	m->httpd.loop = m->loop;
	m->httpd.metrics = master_metrics_text;
	m->httpd.health = master_health;
	m->httpd.ctx = m;
	return httpd_open(&m->httpd, m->conf.metrics_listen);
}
