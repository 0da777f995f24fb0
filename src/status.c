/* SPDX-License-Identifier: ISC */
/*
 * The pool's status as text and as JSON. See status.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "util.h"

char *
status_duration(double seconds, char *buf, size_t len)
{
	unsigned long	s = seconds > 0 ? (unsigned long)seconds : 0;

	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lud%02luh", s / 86400, s / 3600 % 24);
	return buf;
}

/* Bytes for people, in powers of 1024: "512K", "12.1M", "1.50G". */
static char *
bytes(uint64_t v, char *buf, size_t len)
{
	if (v < (1u << 20))
		snprintf(buf, len, "%juK", (uintmax_t)(v >> 10));
	else if (v < (1u << 30))
		snprintf(buf, len, "%.1fM", (double)v / (1 << 20));
	else
		snprintf(buf, len, "%.2fG", (double)v / (1 << 30));
	return buf;
}

static void
text_head(struct buf *b, const struct status_snapshot *s)
{
	char	up[32];

	buf_printf(b, "prefork %s, master pid %ld, up %s\n", s->version,
	    s->pid, status_duration(s->uptime, up, sizeof(up)));
	buf_printf(b, "pool: %u/%u workers ready (min_workers %u)%s%s\n",
	    s->ready, s->size, s->min_workers, *s->note ? "; " : "",
	    s->note);
	if (s->adaptive != NULL)
		buf_printf(b, "target: %u workers (sizing says %u), %s\n",
		    s->size, s->sized, s->adaptive);
	else if (s->size != s->sized)
		buf_printf(b, "target: %u workers, scaled (sizing says %u "
		    "until the next reload)\n", s->size, s->sized);
	else
		buf_printf(b, "target: %u workers\n", s->size);
	buf_printf(b, "sizing: %s\n", s->sizing);
	buf_printf(b, "reloads: %ju (%ju failed), configuration generation "
	    "%u\n", (uintmax_t)(s->reloads + s->reload_failures),
	    (uintmax_t)s->reload_failures, s->generation);
	buf_printf(b, "recycled: %ju (memory %ju, lifetime %ju, by hand %ju)\n",
	    (uintmax_t)(s->recycled[0] + s->recycled[1] + s->recycled[2]),
	    (uintmax_t)s->recycled[0], (uintmax_t)s->recycled[1],
	    (uintmax_t)s->recycled[2]);
}

static void
text_row(struct buf *b, const struct status_worker *w)
{
	char	pid[24], up[32], rss[24], pss[24], cpu[24], ago[32];

	snprintf(pid, sizeof(pid), w->pid == 0 ? "-" : "%ld", w->pid);
	snprintf(up, sizeof(up), "-");
	snprintf(rss, sizeof(rss), "-");
	snprintf(pss, sizeof(pss), "-");
	snprintf(cpu, sizeof(cpu), "-");
	if (w->uptime >= 0)
		status_duration(w->uptime, up, sizeof(up));
	if (w->sampled) {
		bytes(w->rss, rss, sizeof(rss));
		if (!w->no_pss)
			bytes(w->pss, pss, sizeof(pss));
		snprintf(cpu, sizeof(cpu), "%.1f%%", w->cpu);
	}
	buf_printf(b, "%-5u %-8s %-9s %-4u %-7s %-9u %-8s %-8s %-7s ",
	    w->slot, pid, w->state, w->generation, up, w->restarts, rss, pss,
	    cpu);
	if (w->last_exit != NULL)
		buf_printf(b, "%s, %s ago\n", w->last_exit,
		    status_duration(w->last_exit_ago, ago, sizeof(ago)));
	else
		buf_printf(b, "-\n");
}

char *
status_text(const struct status_snapshot *s, size_t *len)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	text_head(&b, s);
	buf_printf(&b, "\n%-5s %-8s %-9s %-4s %-7s %-9s %-8s %-8s %-7s %s\n",
	    "SLOT", "PID", "STATE", "GEN", "UPTIME", "RESTARTS", "RSS", "PSS",
	    "CPU", "LAST EXIT");
	for (i = 0; i < s->nworkers; i++)
		text_row(&b, &s->workers[i]);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void
json_worker(struct buf *b, const struct status_worker *w)
{
	buf_printf(b, "{\"slot\":%u,\"pid\":", w->slot);
	if (w->pid == 0)
		buf_printf(b, "null");
	else
		buf_printf(b, "%ld", w->pid);
	buf_printf(b, ",\"state\":");
	buf_json_string(b, w->state);
	buf_printf(b, ",\"generation\":%u,\"uptime_seconds\":", w->generation);
	if (w->uptime < 0)
		buf_printf(b, "null");
	else
		buf_printf(b, "%.3f", w->uptime);
	buf_printf(b, ",\"restarts\":%u,\"last_exit\":", w->restarts);
	if (w->last_exit == NULL)
		buf_printf(b, "null,\"last_exit_ago_seconds\":null");
	else {
		buf_json_string(b, w->last_exit);
		buf_printf(b, ",\"last_exit_ago_seconds\":%.3f",
		    w->last_exit_ago);
	}
	if (w->sampled && w->no_pss)
		buf_printf(b, ",\"rss_bytes\":%ju,\"pss_bytes\":null,"
		    "\"cpu_percent\":%.2f}", (uintmax_t)w->rss, w->cpu);
	else if (w->sampled)
		buf_printf(b, ",\"rss_bytes\":%ju,\"pss_bytes\":%ju,"
		    "\"cpu_percent\":%.2f}", (uintmax_t)w->rss,
		    (uintmax_t)w->pss, w->cpu);
	else
		buf_printf(b, ",\"rss_bytes\":null,\"pss_bytes\":null,"
		    "\"cpu_percent\":null}");
}

char *
status_json(const struct status_snapshot *s, size_t *len)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	buf_printf(&b, "{\"version\":");
	buf_json_string(&b, s->version);
	buf_printf(&b, ",\"pid\":%ld,\"uptime_seconds\":%.3f,\"target\":%u,"
	    "\"sizing_workers\":%u,\"ready\":%u,\"min_workers\":%u,"
	    "\"healthy\":%s,\"sizing\":", s->pid, s->uptime, s->size,
	    s->sized, s->ready, s->min_workers, s->ready >= s->min_workers ?
	    "true" : "false");
	buf_json_string(&b, s->sizing);
	buf_printf(&b, ",\"note\":");
	buf_json_string(&b, s->note);
	buf_printf(&b, ",\"adaptive\":%s,\"autoscale\":",
	    s->adaptive != NULL ? "true" : "false");
	if (s->adaptive != NULL)
		buf_json_string(&b, s->adaptive);
	else
		buf_printf(&b, "null");
	buf_printf(&b, ",\"reloads\":%ju,\"reload_failures\":%ju,"
	    "\"generation\":%u,\"recycled\":{\"memory\":%ju,\"lifetime\":%ju,"
	    "\"manual\":%ju},\"workers\":[", (uintmax_t)s->reloads,
	    (uintmax_t)s->reload_failures, s->generation,
	    (uintmax_t)s->recycled[0], (uintmax_t)s->recycled[1],
	    (uintmax_t)s->recycled[2]);
	for (i = 0; i < s->nworkers; i++) {
		if (i > 0)
			buf_printf(&b, ",");
		json_worker(&b, &s->workers[i]);
	}
	buf_printf(&b, "]}\n");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
