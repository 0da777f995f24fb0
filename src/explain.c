/* SPDX-License-Identifier: ISC */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"

void
explain_decide(struct decision *d, const struct conf *c, const char *root)
{
	memset(d, 0, sizeof(*d));
	probe_run(&d->probe, root);

	d->cpus = d->probe.cpus;
	d->cpus_from = d->probe.cpus_from;
	if (c->cpus != 0) {
		d->cpus = c->cpus;
		d->cpus_from = "configuration";
	}
	d->memory = d->probe.memory;
	d->memory_from = d->probe.memory_from;
	if (c->memory != 0) {
		d->memory = c->memory;
		d->memory_from = "configuration";
	}

	d->profile = c->profile;
	d->worker_class = conf_worker_class(c);
	d->params = (struct size_params){
		.profile = c->profile,
		.workers = c->workers,
		.max_workers = c->max_workers,
		.min_workers = c->min_workers,
		.workers_per_cpu = c->workers_per_cpu,
		.extra_workers = c->extra_workers,
		.worker_memory = c->worker_memory,
	};
	size_compute(&d->params, d->cpus, d->memory, &d->result);
}

void
explain_worker_cgroups(struct decision *d, const struct conf *c,
    const char *root)
{
	d->cgroup_judged = true;
	d->cgroup_mode = c->worker_cgroup;
	d->cgroup_high = c->worker_memory;
	d->cgroup_max = c->max_worker_memory;
	memset(&d->cgroup, 0, sizeof(d->cgroup));
	if (c->worker_cgroup != TRI_OFF)
		wcg_detect(&d->cgroup, root);
}

char *
explain_summary(const struct decision *d, char *buf, size_t len)
{
	char	mem[32] = "memory unknown";

	if (d->memory != 0)
		util_format_bytes(d->memory, mem, sizeof(mem));
	snprintf(buf, len, "%u CPU%s (%s), %s; profile %s", d->cpus,
	    d->cpus == 1 ? "" : "s", d->cpus_from, mem, d->profile->name);
	return buf;
}

/* The value column of a source: a count, a size, or the status. */
static const char *
explain_value(const struct probe_source *s, char *buf, size_t len)
{
	if (s->status != PROBE_OK && s->status != PROBE_UNUSED)
		return probe_status_name(s->status);
	if (s->kind == PROBE_MEMORY)
		return util_format_bytes(s->value, buf, len);
	snprintf(buf, len, "%" PRIu64, s->value);
	return buf;
}

static void
explain_sources(FILE *f, const struct probe *p, enum probe_kind kind)
{
	const struct probe_source	*s;
	size_t				 i, plen;
	char				 val[32];
	bool				 named;

	for (i = 0; i < p->nsources; i++) {
		s = &p->sources[i];
		if (s->kind != kind)
			continue;
		/* A detail that names its file ("PATH: ...") says it once. */
		plen = strlen(s->path);
		named = plen == 0 || (strncmp(s->detail, s->path, plen) == 0 &&
		    s->detail[plen] == ':');
		fprintf(f, "  %-14s %-10s %s%s%s\n", s->name,
		    explain_value(s, val, sizeof(val)), named ? "" : s->path,
		    named ? "" : ": ", s->detail);
	}
}

void
explain_text(FILE *f, const struct decision *d)
{
	const struct size_step	*s;
	size_t			 i;
	char			 mem[32] = "unknown";
	char			 line[WCG_REASON_MAX + WCG_DIR_MAX];

	fprintf(f, "CPUs: %u (%s)\n", d->cpus, d->cpus_from);
	if (d->cpus != d->probe.cpus)
		fprintf(f, "  cpus = %u in the configuration; detected %u "
		    "(%s)\n", d->cpus, d->probe.cpus, d->probe.cpus_from);
	explain_sources(f, &d->probe, PROBE_CPU);

	if (d->memory != 0)
		util_format_bytes(d->memory, mem, sizeof(mem));
	fprintf(f, "\nMemory: %s", mem);
	if (d->memory != 0)
		fprintf(f, " (%" PRIu64 " bytes, %s)", d->memory,
		    d->memory_from);
	fputc('\n', f);
	explain_sources(f, &d->probe, PROBE_MEMORY);

	if (d->probe.nwarnings > 0) {
		fprintf(f, "\nWarnings:\n");
		for (i = 0; i < d->probe.nwarnings; i++)
			fprintf(f, "  %s\n", d->probe.warnings[i]);
	}

	fprintf(f, "\nProfile: %s (max_workers %u, worker_class %s; %s)\n",
	    d->profile->name, d->profile->max_workers, d->worker_class,
	    d->profile->meant_for);

	fprintf(f, "\nWorkers: %u\n", d->result.workers);
	for (i = 0; i < d->result.nsteps; i++) {
		s = &d->result.steps[i];
		fprintf(f, "  %-14s %s%s\n", size_rule_name(s->rule),
		    s->detail, s->applied && i > 0 ? "  (applied)" : "");
	}
	if (d->cgroup_judged)
		fprintf(f, "\nWorker cgroups: %s\n", wcg_describe(
		    d->cgroup_mode, &d->cgroup, d->cgroup_high, d->cgroup_max,
		    line, sizeof(line)));
}

/* Writes s as a JSON string, quotes included. */
static void
json_string(FILE *f, const char *s)
{
	const unsigned char	*p;

	fputc('"', f);
	for (p = (const unsigned char *)(s ? s : ""); *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
json_sources(FILE *f, const struct probe *p)
{
	const struct probe_source	*s;
	size_t				 i;

	fputs("\"sources\":[", f);
	for (i = 0; i < p->nsources; i++) {
		s = &p->sources[i];
		fprintf(f, "%s{\"kind\":\"%s\",\"name\":", i ? "," : "",
		    s->kind == PROBE_CPU ? "cpu" : "memory");
		json_string(f, s->name);
		fprintf(f, ",\"status\":\"%s\"", probe_status_name(s->status));
		if (s->status == PROBE_OK || s->status == PROBE_UNUSED)
			fprintf(f, ",\"value\":%" PRIu64, s->value);
		fputs(",\"path\":", f);
		json_string(f, s->path);
		fputs(",\"detail\":", f);
		json_string(f, s->detail);
		fputc('}', f);
	}
	fputs("],", f);
}

static void
json_steps(FILE *f, const struct size_result *r)
{
	const struct size_step	*s;
	size_t			 i;

	fputs("\"steps\":[", f);
	for (i = 0; i < r->nsteps; i++) {
		s = &r->steps[i];
		fprintf(f, "%s{\"rule\":\"%s\",\"before\":%u,\"after\":%u,"
		    "\"limit\":%u,\"applied\":%s,\"detail\":", i ? "," : "",
		    size_rule_name(s->rule), s->before, s->after, s->limit,
		    s->applied ? "true" : "false");
		json_string(f, s->detail);
		fputc('}', f);
	}
	fputs("],", f);
}

/*
 * "worker_cgroups":{"setting":"auto","enabled":false,"dir":...,
 * "reason":...}, with null for a dir not found and for no reason.
 */
static void
json_cgroups(FILE *f, const struct decision *d)
{
	enum wcg_action	a = wcg_decide(d->cgroup_mode, &d->cgroup);

	if (!d->cgroup_judged)
		return;
	fprintf(f, "\"worker_cgroups\":{\"setting\":\"%s\",\"enabled\":%s,"
	    "\"dir\":", wcg_mode_name(d->cgroup_mode),
	    a == WCG_USE ? "true" : "false");
	if (d->cgroup.dir[0] != '\0')
		json_string(f, d->cgroup.dir);
	else
		fputs("null", f);
	fputs(",\"reason\":", f);
	if (a == WCG_OFF)
		json_string(f, "worker_cgroup = off");
	else if (a != WCG_USE)
		json_string(f, d->cgroup.reason);
	else
		fputs("null", f);
	fputs("},", f);
}

void
explain_json(FILE *f, const struct decision *d)
{
	size_t	i;

	fprintf(f, "{\"cpus\":%u,\"cpus_source\":", d->cpus);
	json_string(f, d->cpus_from);
	/* Unknown memory is null, not a machine with none. */
	if (d->memory != 0)
		fprintf(f, ",\"memory_bytes\":%" PRIu64 ",\"memory_source\":",
		    d->memory);
	else
		fputs(",\"memory_bytes\":null,\"memory_source\":", f);
	if (d->memory_from != NULL)
		json_string(f, d->memory_from);
	else
		fputs("null", f);
	fputs(",\"profile\":", f);
	json_string(f, d->profile->name);
	fprintf(f, ",\"profile_max_workers\":%u,\"worker_class\":",
	    d->profile->max_workers);
	json_string(f, d->worker_class);
	fprintf(f, ",\"base\":%u,\"workers\":%u,", d->result.base,
	    d->result.workers);
	json_sources(f, &d->probe);
	json_steps(f, &d->result);
	json_cgroups(f, d);
	fputs("\"warnings\":[", f);
	for (i = 0; i < d->probe.nwarnings; i++) {
		if (i > 0)
			fputc(',', f);
		json_string(f, d->probe.warnings[i]);
	}
	fputs("]}\n", f);
}
