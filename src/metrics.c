/* SPDX-License-Identifier: ISC */
/*
 * The Prometheus text exposition of a snapshot. See metrics.h. Every
 * family gets # HELP and # TYPE, even when it has no sample (a pool
 * without TCP listeners), so that a dashboard finds the name.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

const char *const	metrics_state_names[METRICS_STATE_COUNT] = {
	"starting", "ready", "stopping", "backoff",
};

const char *const	metrics_exit_names[METRICS_EXIT_COUNT] = {
	"exit", "signal", "timeout", "oom", "recycle_memory",
	"recycle_lifetime", "recycle_manual", "shrink", "restart",
	"shutdown",
};

const char *const	metrics_reload_names[METRICS_RELOAD_COUNT] = {
	"success", "failure",
};

/* A label value: backslash, double quote and newline escaped. */
static void
bescape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (!buf_room(b, 2))
			return;
		if (*s == '\\' || *s == '"') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = *s;
		} else if (*s == '\n') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = 'n';
		} else
			b->p[b->len++] = *s;
	}
	b->p[b->len] = '\0';
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The pool: the build, the size, workers by state, exits by reason. */
static void
metrics_pool(struct buf *b, const struct metrics_snapshot *s)
{
	size_t	i;

	family(b, "prefork_build_info", "gauge",
	    "The version of prefork, as a label; always 1.");
	buf_printf(b, "prefork_build_info{version=\"");
	bescape(b, s->version != NULL ? s->version : "");
	buf_printf(b, "\"} 1\n");

	family(b, "prefork_workers_desired", "gauge",
	    "The size of the pool: the workers the master keeps running.");
	buf_printf(b, "prefork_workers_desired %u\n", s->desired);

	family(b, "prefork_workers", "gauge",
	    "Workers by state; backoff counts slots waiting to start again.");
	for (i = 0; i < METRICS_STATE_COUNT; i++)
		buf_printf(b, "prefork_workers{state=\"%s\"} %u\n",
		    metrics_state_names[i], s->states[i]);

	family(b, "prefork_worker_exits_total", "counter",
	    "Workers that exited, by reason.");
	for (i = 0; i < METRICS_EXIT_COUNT; i++)
		buf_printf(b, "prefork_worker_exits_total{reason=\"%s\"} %ju\n",
		    metrics_exit_names[i], (uintmax_t)s->exits[i]);
}

/* Each slot's worker: CPU time and memory. */
static void
metrics_workers(struct buf *b, const struct metrics_snapshot *s)
{
	size_t	i;

	family(b, "prefork_worker_cpu_seconds_total", "counter",
	    "CPU time (user and system) of each slot's worker.");
	for (i = 0; i < s->nworkers; i++)
		buf_printf(b, "prefork_worker_cpu_seconds_total{slot=\"%u\"} "
		    "%.2f\n", s->workers[i].slot, s->workers[i].cpu_seconds);

	family(b, "prefork_worker_memory_bytes", "gauge",
	    "Memory of each slot's worker: resident (rss) and "
	    "proportional (pss).");
	for (i = 0; i < s->nworkers; i++)
		buf_printf(b, "prefork_worker_memory_bytes{slot=\"%u\","
		    "measure=\"rss\"} %ju\n"
		    "prefork_worker_memory_bytes{slot=\"%u\","
		    "measure=\"pss\"} %ju\n",
		    s->workers[i].slot, (uintmax_t)s->workers[i].rss,
		    s->workers[i].slot, (uintmax_t)s->workers[i].pss);
}

/* The accept queues of the listeners, the sizing, the reloads. */
static void
metrics_sockets_sizing(struct buf *b, const struct metrics_snapshot *s)
{
	size_t	i;

	family(b, "prefork_listen_queue_length", "gauge",
	    "Connections waiting in a listening socket's accept queue.");
	for (i = 0; i < s->nlisteners; i++) {
		buf_printf(b, "prefork_listen_queue_length{listen=\"");
		bescape(b, s->listeners[i].listen);
		buf_printf(b, "\"} %u\n", s->listeners[i].length);
	}
	family(b, "prefork_listen_queue_limit", "gauge",
	    "The accept queue's limit (the backlog) of a listening socket.");
	for (i = 0; i < s->nlisteners; i++) {
		buf_printf(b, "prefork_listen_queue_limit{listen=\"");
		bescape(b, s->listeners[i].listen);
		buf_printf(b, "\"} %u\n", s->listeners[i].limit);
	}

	family(b, "prefork_sizing_cpus", "gauge",
	    "The CPUs the sizing decision counted.");
	buf_printf(b, "prefork_sizing_cpus %u\n", s->sizing_cpus);
	family(b, "prefork_sizing_memory_bytes", "gauge",
	    "The memory the sizing decision counted.");
	if (s->sizing_memory > 0)
		buf_printf(b, "prefork_sizing_memory_bytes %ju\n",
		    (uintmax_t)s->sizing_memory);

	family(b, "prefork_reloads_total", "counter",
	    "Configuration reloads, by result.");
	for (i = 0; i < METRICS_RELOAD_COUNT; i++)
		buf_printf(b, "prefork_reloads_total{result=\"%s\"} %ju\n",
		    metrics_reload_names[i], (uintmax_t)s->reloads[i]);

	family(b, "prefork_autoscale_enabled", "gauge",
	    "1 when autoscale sets the pool's size.");
	buf_printf(b, "prefork_autoscale_enabled %d\n", s->autoscale);
	family(b, "prefork_autoscale_changes_total", "counter",
	    "Pool size changes autoscale made, by direction.");
	buf_printf(b, "prefork_autoscale_changes_total{direction=\"up\"} "
	    "%ju\n", (uintmax_t)s->autoscale_changes[0]);
	buf_printf(b, "prefork_autoscale_changes_total{direction=\"down\"} "
	    "%ju\n", (uintmax_t)s->autoscale_changes[1]);
}

/* The master's own process_* metrics, as every exporter has them. */
static void
metrics_process(struct buf *b, const struct metrics_snapshot *s)
{
	if (!s->has_process)
		return;
	family(b, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.");
	buf_printf(b, "process_cpu_seconds_total %.2f\n",
	    s->process.cpu_seconds);
	family(b, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.");
	buf_printf(b, "process_resident_memory_bytes %ju\n",
	    (uintmax_t)s->process.resident_bytes);
	if (s->process.open_fds >= 0) {
		family(b, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
		buf_printf(b, "process_open_fds %ld\n", s->process.open_fds);
	}
	family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	buf_printf(b, "process_start_time_seconds %.2f\n",
	    s->process.start_time);
}

char *
metrics_format(const struct metrics_snapshot *s, size_t *len)
{
	struct buf	b = BUF_INIT;

	metrics_pool(&b, s);
	metrics_workers(&b, s);
	metrics_sockets_sizing(&b, s);
	metrics_process(&b, s);
	if (b.failed || b.p == NULL) {
		free(b.p);
		errno = ENOMEM;
		return NULL;
	}
	*len = b.len;
	return b.p;
}
