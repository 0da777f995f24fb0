/* SPDX-License-Identifier: ISC */
/*
 * The hardware probe: how many CPUs and how much memory this process may
 * use, from /proc, /sys, the cgroup file systems and the affinity mask,
 * every file read under a root directory ("/", or $PREFORK_SYSROOT for
 * tests). A missing or malformed file is never an error: that source is
 * skipped and the reason recorded, so --explain can say it.
 */
#ifndef PREFORK_PROBE_H
#define PREFORK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "probe_parse.h"

enum probe_kind {
	PROBE_CPU,
	PROBE_MEMORY,
};

enum probe_status {
	PROBE_OK,		/* read and used in the decision */
	PROBE_UNLIMITED,	/* read; says there is no limit */
	PROBE_UNUSED,		/* read, valid, but another source wins by
				   precedence (MemTotal under memory blocks) */
	PROBE_MISSING,		/* absent or unreadable: skipped */
	PROBE_MALFORMED,	/* present but not understood: skipped, and
				   a warning names the file */
};

struct probe_source {
	enum probe_kind		kind;
	const char		*name;		/* static: "online", "affinity",
						   "cgroup v2", "cgroup v1",
						   "memory blocks", "meminfo" */
	enum probe_status	status;
	uint64_t		value;		/* CPUs or bytes, when OK or
						   UNUSED */
	char			path[256];	/* the file that decided, as
						   seen under the root; empty
						   for a system call */
	char			detail[192];	/* what was read, or why it was
						   skipped, for people */
};

#define PROBE_SOURCES_MAX	8
#define PROBE_WARNINGS_MAX	8
#define PROBE_WARNING_LEN	320

struct probe {
	unsigned		cpus;		/* >= 1 */
	const char		*cpus_from;	/* name of the deciding source,
						   or "fallback" */
	uint64_t		memory;		/* bytes; 0 when unknown */
	const char		*memory_from;	/* deciding source, or NULL */
	size_t			nsources;
	struct probe_source	sources[PROBE_SOURCES_MAX];
	/*
	 * One line per malformed file, "PATH: what is wrong", the path as
	 * seen under the root; the same line is never recorded twice, and
	 * lines past PROBE_WARNINGS_MAX are only counted.
	 */
	size_t			nwarnings;
	size_t			nwarnings_dropped;
	char			warnings[PROBE_WARNINGS_MAX][PROBE_WARNING_LEN];
};

/*
 * The root to probe under: $PREFORK_SYSROOT when set and not empty, else
 * "/". This function can't fail.
 */
const char	*probe_root(void);

/*
 * Probes CPUs and memory under root and fills p. When root is "/", the
 * affinity mask comes from sched_getaffinity(2) and a missing online list
 * falls back to sysconf(3); under any other root, both come from files
 * only, so that fixture trees give the same answer on every machine. This
 * function can't fail: p->cpus is at least 1.
 *
 * The sources are recorded in this order: "online", "affinity", "cgroup
 * v2" and "cgroup v1" (PROBE_CPU), then "memory blocks", "meminfo",
 * "cgroup v2" and "cgroup v1" (PROBE_MEMORY). Every source with status
 * PROBE_OK takes part in the minimum; when two give the same value, the
 * earlier one in that order is named as deciding. A cgroup source's value
 * is the tightest over the process's cgroup and its ancestors, and its
 * path is the file of that level.
 */
void	probe_run(struct probe *p, const char *root);

/* The status's short name as --explain prints it ("missing"). */
const char	*probe_status_name(enum probe_status status);

#endif /* PREFORK_PROBE_H */
