/* SPDX-License-Identifier: ISC */
/*
 * metrics_fuzz: random snapshots through metrics_format(), whose output
 * must stay valid exposition text: every line a # HELP or # TYPE line or
 * one sample (a metric name, labels whose values are quoted and escaped,
 * a space, a value without spaces), quotes balanced, nothing but the
 * escapes \\, \" and \n inside a label value, and as many samples as the
 * snapshot holds. The input's NUL-separated parts are the version and
 * the listeners' labels, any bytes; the first part's bytes also pick the
 * numbers. The whole input also goes through the sampler's parsers,
 * which take what /proc gives (pressure files included), as any bytes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metrics.h"
#include "sample.h"
#include "sample_load.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define LISTENERS_MAX	8
#define WORKERS_MAX	8

static bool
name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/* Checks one sample line [p, end); returns false if it is not one. */
static bool
sample_ok(const char *p, const char *end)
{
	const char	*s = p;

	if (s == end || !name_char(*s, true))
		return false;
	while (s < end && name_char(*s, false))
		s++;
	if (s < end && *s == '{') {
		s++;
		for (;;) {
			if (s == end || !name_char(*s, true))
				return false;
			while (s < end && name_char(*s, false))
				s++;
			if (end - s < 2 || s[0] != '=' || s[1] != '"')
				return false;
			for (s += 2; s < end && *s != '"'; s++) {
				if (*s != '\\')
					continue;
				if (++s == end || (*s != '\\' && *s != '"' &&
				    *s != 'n'))
					return false;
			}
			if (s == end)
				return false;
			s++;
			if (s < end && *s == ',') {
				s++;
				continue;
			}
			if (s == end || *s != '}')
				return false;
			s++;
			break;
		}
	}
	if (s == end || *s != ' ')
		return false;
	s++;
	if (s == end)
		return false;
	for (; s < end; s++)
		if (*s == ' ' || *s == '"' || *s == '{')
			return false;
	return true;
}

static void
fuzz_writer(const uint8_t *data, size_t size)
{
	struct metrics_snapshot	 s;
	struct metrics_listener	 l[LISTENERS_MAX];
	struct metrics_worker	 w[WORKERS_MAX];
	struct fuzz_in		 in;
	char			*parts[LISTENERS_MAX + 1], *text, *p, *nl;
	size_t			 nparts = 0, len, i, samples = 0, want;
	uint64_t		 seed = 1469598103934665603ULL;

	fuzz_in_init(&in, data, size);
	while (nparts < nitems(parts) && (parts[nparts] = fuzz_in_next(&in))
	    != NULL)
		nparts++;
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ULL;

	memset(&s, 0, sizeof(s));
	s.version = nparts > 0 ? parts[0] : NULL;
	s.desired = (unsigned)(seed & 0xffff);
	for (i = 0; i < METRICS_STATE_COUNT; i++)
		s.states[i] = (unsigned)(seed >> i);
	for (i = 0; i < METRICS_EXIT_COUNT; i++)
		s.exits[i] = seed >> i;
	s.reloads[0] = seed;
	s.nworkers = seed % (WORKERS_MAX + 1);
	for (i = 0; i < s.nworkers; i++)
		w[i] = (struct metrics_worker){ (unsigned)i,
		    (double)(seed >> (i + 8)) / 100.0, seed >> i, seed >> 2 };
	s.workers = w;
	for (i = 1; i < nparts; i++)
		l[i - 1] = (struct metrics_listener){ parts[i],
		    (uint32_t)seed, (uint32_t)(seed >> 32) };
	s.listeners = l;
	s.nlisteners = nparts > 0 ? nparts - 1 : 0;
	s.sizing_cpus = (unsigned)(seed >> 3);
	s.sizing_memory = seed & 1 ? seed : 0;
	s.has_process = (seed & 2) != 0;
	s.autoscale = (seed & 8) != 0;
	s.autoscale_changes[0] = seed >> 7;
	s.autoscale_changes[1] = seed >> 9;
	s.process = (struct metrics_process){ (double)(seed % 100000),
	    seed >> 5, (seed & 4) ? -1 : (long)(seed & 0xfff),
	    (double)(seed % 2000000000) };

	text = metrics_format(&s, &len);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(strlen(text) == len);
	FUZZ_CHECK(len > 0 && text[len - 1] == '\n');
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		FUZZ_CHECK(nl != NULL);
		if (*p == '#') {
			FUZZ_CHECK(strncmp(p, "# HELP ", 7) == 0 ||
			    strncmp(p, "# TYPE ", 7) == 0);
			continue;
		}
		FUZZ_CHECK(sample_ok(p, nl));
		samples++;
	}
	want = 1 + 1 + METRICS_STATE_COUNT + METRICS_EXIT_COUNT +
	    3 * s.nworkers + 2 * s.nlisteners + 1 + (s.sizing_memory > 0) +
	    METRICS_RELOAD_COUNT + 3 + (s.has_process ? 3 +
	    (s.process.open_fds >= 0) : 0);
	FUZZ_CHECK(samples == want);
	free(text);
	for (i = 0; i < nparts; i++)
		free(parts[i]);
}

/* The sampler's parsers never read past len, whatever the text. */
static void
fuzz_parsers(const uint8_t *data, size_t size)
{
	struct sample_stat	st;
	struct sample_mem	m;
	struct sample_psi	psi;
	uint64_t		rss, run, wait;
	pid_t			pgrp;
	char			*buf;

	if ((buf = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	(void)sample_parse_stat(buf, size, &st);
	if (sample_parse_pgrp(buf, size, &pgrp) == 0)
		FUZZ_CHECK(pgrp >= 0);
	if (sample_parse_smaps(buf, size, &m) == 0) {
		FUZZ_CHECK(m.has_pss || m.pss == 0);
		FUZZ_CHECK(m.has_uss || m.uss == 0);
	}
	(void)sample_parse_status_rss(buf, size, &rss);
	(void)sample_parse_schedstat(buf, size, &run, &wait);
	if (sample_parse_psi(buf, size, &psi) == 0)
		FUZZ_CHECK(psi.has_full || psi.full_us == 0);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_writer(data, size);
	fuzz_parsers(data, size);
	return 0;
}
